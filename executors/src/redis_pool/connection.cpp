// connection: one Redis connection on a weft loop, kept up for its owner. An attempt resolves the
// host on Asio's resolver thread (never on the loop), connects through hiredis without blocking,
// logs in (AUTH, SELECT) and only then reports ready; each attempt is bounded by connect_timeout,
// and failures are retried after a backoff of 50 ms doubling to 2 s, with jitter.

#include "connection.hpp"

#include "hiredis_loop.hpp"

#include <weft/runtime/internal/loop_io.hpp>
#include <weft/runtime/log.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <random>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace weft::detail::rp {

struct connection::timers {
    explicit timers(asio::io_context& io) : io(io), deadline(io), retry(io), resolver(io) {}
    asio::io_context& io;
    asio::steady_timer deadline; ///< bounds one attempt
    asio::steady_timer retry;    ///< the backoff before the next
    asio::ip::tcp::resolver resolver;
};

std::string_view reply_text(const redisReply* r) noexcept {
    if (r == nullptr || r->str == nullptr) {
        return {};
    }
    return {r->str, r->len};
}

bool reply_failed(const redisReply* r) noexcept {
    return r == nullptr || r->type == REDIS_REPLY_ERROR;
}

connection::connection(weft::loop& l, config c, std::function<void()> ready,
                       std::function<void(const std::string&)> down)
    : loop_(l), cfg_(std::move(c)), ready_fn_(std::move(ready)), down_fn_(std::move(down)),
      t_(std::make_unique<timers>(weft::internal::io_of(l))) {}

connection::~connection() {
    close();
}

void connection::start() {
    closed_ = false;
    resolve_then_connect();
}

void connection::close() {
    closed_ = true;
    ready_ = false;
    ++attempt_;
    t_->deadline.cancel();
    t_->retry.cancel();
    t_->resolver.cancel();
    if (redisAsyncContext* ac = ac_) {
        ac_ = nullptr;
        ac->data = nullptr;
        redisAsyncFree(ac); // pending callbacks run now with a null reply
    }
}

void connection::reset(const std::string& why) {
    if (closed_) {
        return;
    }
    if (redisAsyncContext* ac = ac_) {
        ac_ = nullptr;
        ac->data = nullptr;
        redisAsyncFree(ac);
    }
    went_down(why);
}

void connection::resolve_then_connect() {
    const std::uint64_t me = ++attempt_;
    t_->deadline.expires_after(cfg_.connect_timeout);
    t_->deadline.async_wait([this, me](const std::error_code& ec) {
        if (!ec && me == attempt_ && !ready_) {
            reset("no connection to " + cfg_.address.where() + " within " +
                  std::to_string(cfg_.connect_timeout.count()) + " ms");
        }
    });
    const redis_address& a = cfg_.address;
    bool numeric = a.unix_socket;
    if (!numeric) {
        std::error_code ec;
        (void)asio::ip::make_address(a.host, ec);
        numeric = !ec;
    }
    if (numeric) {
        connect_to(a.host);
        return;
    }
    t_->resolver.async_resolve(
        a.host, std::to_string(a.port),
        [this, me](const std::error_code& rec, const asio::ip::tcp::resolver::results_type& r) {
            if (me != attempt_ || closed_) {
                return;
            }
            if (rec || r.empty()) {
                went_down("cannot resolve " + cfg_.address.host + ": " +
                          (rec ? rec.message() : std::string("no address")));
                return;
            }
            connect_to(r.begin()->endpoint().address().to_string());
        });
}

void connection::connect_to(const std::string& host) {
    const redis_address& a = cfg_.address;
    redisAsyncContext* ac = a.unix_socket ? redisAsyncConnectUnix(a.path.c_str())
                                          : redisAsyncConnect(host.c_str(), a.port);
    if (ac == nullptr) {
        went_down("out of memory");
        return;
    }
    if (ac->err != 0) {
        std::string why = ac->errstr;
        redisAsyncFree(ac);
        went_down("cannot connect to " + a.where() + ": " + why);
        return;
    }
    if (!attach_to_loop(ac, weft::internal::io_of(loop_))) {
        redisAsyncFree(ac);
        went_down("cannot watch the socket");
        return;
    }
    if (!a.unix_socket) {
        int on = 1;
        // A peer that vanished (a partition, a crashed host) is found in about 30 s instead of
        // the kernel's default two hours.
        int idle = 15;
        int interval = 5;
        int count = 3;
        ::setsockopt(ac->c.fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
        ::setsockopt(ac->c.fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        ::setsockopt(ac->c.fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
        ::setsockopt(ac->c.fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
        ::setsockopt(ac->c.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    ac_ = ac;
    ac->data = this;
    redisAsyncSetDisconnectCallback(ac, &connection::on_disconnect);
    redisAsyncSetConnectCallback(ac, &connection::on_connect);
}

void connection::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<connection*>(ac->data);
    if (self == nullptr) {
        return;
    }
    if (status != REDIS_OK) {
        // hiredis frees the context after this returns.
        self->ac_ = nullptr;
        self->went_down("cannot connect to " + self->cfg_.address.where() + ": " +
                        std::string(ac->errstr != nullptr ? ac->errstr : "error"));
        return;
    }
    self->handshake();
}

void connection::on_disconnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<connection*>(ac->data);
    if (self == nullptr) {
        return;
    }
    self->ac_ = nullptr; // freed by hiredis after this returns
    self->went_down(status == REDIS_OK ? std::string("connection closed")
                                       : "connection lost: " +
                                             std::string(ac->errstr != nullptr ? ac->errstr : ""));
}

// Logs in and selects the database, pipelined; the last reply makes the connection ready. A
// refused login is reported with Redis's own words (which never echo the password).
void connection::handshake() {
    const redis_address& a = cfg_.address;
    const std::uint64_t me = attempt_;
    auto step = [this, me](const char* what, bool last) {
        return reply_fn([this, me, what, last](redisReply* r) {
            if (me != attempt_ || closed_ || ac_ == nullptr) {
                return;
            }
            if (reply_failed(r)) {
                reset(std::string(what) + " failed: " +
                      (r != nullptr ? std::string(reply_text(r)) : std::string("no reply")));
                return;
            }
            if (last) {
                ready_ = true;
                failures_ = 0;
                t_->deadline.cancel();
                if (!channel_.empty()) {
                    send_subscribe();
                }
                if (ready_fn_) {
                    ready_fn_();
                }
            }
        });
    };
    if (!a.password.empty()) {
        if (a.user.empty()) {
            send({"AUTH", a.password}, step("AUTH", false));
        } else {
            send({"AUTH", a.user, a.password}, step("AUTH", false));
        }
    }
    const std::string db = std::to_string(a.db);
    if (a.db != 0) {
        send({"SELECT", db}, step("SELECT", false));
    }
    send({"PING"}, step("PING", true));
}

void connection::went_down(const std::string& why) {
    const bool was_ready = ready_;
    ready_ = false;
    last_error_ = why;
    if (closed_) {
        return;
    }
    ++failures_;
    if (was_ready || failures_ == 1) {
        log::get("weft.exec").warn("{}: Redis at {}: {}", cfg_.name, cfg_.address.where(), why);
    }
    if (down_fn_) {
        down_fn_(why);
    }
    if (!closed_) {
        retry_later();
    }
}

void connection::retry_later() {
    const std::uint64_t me = ++attempt_;
    t_->deadline.cancel();
    static thread_local std::minstd_rand rng{std::random_device{}()};
    const int shift = std::min(failures_ - 1, 6);
    const auto base = std::chrono::milliseconds(std::min(50 << std::max(shift, 0), 2000));
    const auto jitter = std::chrono::milliseconds(rng() % (base.count() / 4 + 1));
    t_->retry.expires_after(base + jitter);
    t_->retry.async_wait([this, me](const std::error_code& ec) {
        if (!ec && me == attempt_ && !closed_) {
            resolve_then_connect();
        }
    });
}

void connection::command(const std::vector<std::string_view>& args, reply_fn cb) {
    if (!ready_ || ac_ == nullptr) {
        asio::post(t_->io, [cb = std::move(cb)]() mutable { cb(nullptr); });
        return;
    }
    send(args, std::move(cb));
}

void connection::send(const std::vector<std::string_view>& args, reply_fn cb) {
    constexpr std::size_t small = 16;
    const char* argv_small[small];
    std::size_t len_small[small];
    std::vector<const char*> argv_big;
    std::vector<std::size_t> len_big;
    const char** argv = argv_small;
    std::size_t* lens = len_small;
    if (args.size() > small) {
        argv_big.resize(args.size());
        len_big.resize(args.size());
        argv = argv_big.data();
        lens = len_big.data();
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        argv[i] = args[i].data();
        lens[i] = args[i].size();
    }
    auto* priv = new reply_fn(std::move(cb));
    if (ac_ == nullptr ||
        redisAsyncCommandArgv(ac_, &connection::on_reply, priv, static_cast<int>(args.size()), argv,
                              lens) != REDIS_OK) {
        asio::post(t_->io, [priv] {
            std::unique_ptr<reply_fn> f(priv);
            (*f)(nullptr);
        });
    }
}

void connection::on_reply(redisAsyncContext* /*ac*/, void* reply, void* priv) {
    std::unique_ptr<reply_fn> f(static_cast<reply_fn*>(priv));
    (*f)(static_cast<redisReply*>(reply));
}

void connection::subscribe(std::string channel, std::function<void(std::string_view)> fn) {
    channel_ = std::move(channel);
    message_fn_ = std::move(fn);
    if (ready_ && ac_ != nullptr) {
        send_subscribe();
    }
}

// hiredis keeps a subscription's callback and calls it for every message, with the same private
// pointer: the connection itself, never freed by hiredis.
void connection::send_subscribe() {
    const char* argv[2] = {"SUBSCRIBE", channel_.c_str()};
    const std::size_t lens[2] = {9, channel_.size()};
    (void)redisAsyncCommandArgv(ac_, &connection::on_message, this, 2, argv, lens);
}

void connection::on_message(redisAsyncContext* ac, void* reply, void* priv) {
    auto* r = static_cast<redisReply*>(reply);
    auto* self = static_cast<connection*>(priv);
    if (r == nullptr || ac->data == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        reply_text(r->element[0]) != "message" || !self->message_fn_) {
        return;
    }
    self->message_fn_(reply_text(r->element[2]));
}

} // namespace weft::detail::rp
