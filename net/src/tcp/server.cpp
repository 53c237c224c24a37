// weft::net::start_server and weft::net::server: one listening socket per loop (SO_REUSEPORT when
// the run has several loops), an accept loop on each that starts a connection task per client
// within the server's limits, and a graceful stop that drains connections. The loops come from
// the runtime's internal door (loop_io.hpp), not from its private engine.
#include "connection_impl.hpp"

#include "../tls/stream.hpp"

#include <weft/net/server.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/internal/loop_io.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task_group.hpp>
#include <weft/runtime/wait_for.hpp>

#include <asio/generic/stream_protocol.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>

namespace weft::net {

namespace detail {

struct server_state {
    std::shared_ptr<const connection_handler> handler;
    server_options opts;
    std::vector<endpoint> endpoints;
    std::uint16_t port = 0;
    int family = AF_INET;
    std::vector<future<void>> acceptors; // one accept loop per loop; written before they start
    // The listening descriptors, so that close() stops listening at once from any thread
    // (shutdown(2) on a listening socket); an accept loop marks its own -1 before closing it.
    std::mutex listen_mtx;
    std::vector<int> listen_fds;
    std::atomic<std::size_t> open{0};
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> refused{0};
    std::atomic<bool> closed{false};
    weft::event slot_free; // set when a handler ends (max_connections)
    std::once_flag unlink_once;
    std::unique_ptr<tls_context_slot> tls; // TLS servers only: the context for new handshakes
    std::atomic<std::size_t> tls_failures{0};
};

/// A listening descriptor until an accept loop takes it; closed (and struck from the state's
/// list) if it never does.
struct owned_fd {
    int fd = -1;
    std::shared_ptr<server_state> st;
    std::size_t index = 0;
    explicit owned_fd(int f) noexcept : fd(f) {}
    owned_fd(owned_fd&& o) noexcept
        : fd(std::exchange(o.fd, -1)), st(std::move(o.st)), index(o.index) {}
    owned_fd& operator=(owned_fd&&) = delete;
    ~owned_fd() {
        if (fd >= 0) {
            if (st != nullptr) {
                std::lock_guard lock(st->listen_mtx);
                st->listen_fds[index] = -1;
                ::close(fd);
            } else {
                ::close(fd);
            }
        }
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

namespace {

spdlog::logger& logger() {
    return weft::log::get("weft.net");
}

/// Waits until a listening socket has a connection to accept. Cancellable.
task<void> wait_acceptable(asio::generic::stream_protocol::socket& lsock) {
    auto* s = &lsock;
    callback_awaiter<int> readable(
        [s](unique_function<void(asio::error_code, int)> done) {
            s->async_wait(
                asio::socket_base::wait_read,
                [done = std::move(done)](const asio::error_code& e) mutable { done(e, 0); });
        },
        [s] {
            asio::error_code ignored;
            s->cancel(ignored);
        },
        "accept was cancelled");
    auto [ec, unused] = co_await readable;
    (void)unused;
    (void)ec; // an error shows again in accept4()
}

/// Runs the handler on one connection; its failure is logged and ends that connection only.
task<void> run_handler(std::shared_ptr<server_state> st, connection c) {
    struct done_guard {
        server_state* s;
        ~done_guard() {
            s->open.fetch_sub(1, std::memory_order_acq_rel);
            if (s->opts.max_connections != 0) {
                s->slot_free.set();
            }
        }
    } guard{st.get()};
    // The peer's raw address, formatted only if something is logged.
    const sockaddr_storage peer_addr = c.impl()->peer;
    const socklen_t peer_len = c.impl()->peer_len;
    const auto peer = [&] {
        return to_endpoint(reinterpret_cast<const sockaddr*>(&peer_addr), peer_len);
    };
    if (st->tls != nullptr) {
        bool plain_http = false;
        try {
            co_await tls_accept(c, st->tls->get(), st->tls->options().handshake_timeout);
        } catch (const cancelled_error&) {
            throw;
        } catch (const std::exception& e) {
            // Scanners, plain HTTP on the TLS port, expired client certificates: routine, and
            // cheap for a peer to cause, so never above debug level.
            st->tls_failures.fetch_add(1, std::memory_order_relaxed);
            logger().debug("{}", e.what());
            plain_http = c.impl()->tls != nullptr && c.impl()->tls->plain_http;
            if (!plain_http || st->opts.plain_http_reply.empty()) {
                co_return;
            }
        }
        if (plain_http) { // outside the handler: co_await is not allowed there
            co_await answer_plain_http(c, st->opts.plain_http_reply);
            co_return;
        }
    }
    try {
        co_await (*st->handler)(std::move(c));
    } catch (const cancelled_error&) {
        throw;
    } catch (const connection_reset& e) {
        // A peer going away is part of serving; not worth a warning.
        logger().debug("connection handler for {} ended: {}", peer().to_string(), e.what());
    } catch (const std::exception& e) {
        logger().warn("connection handler for {} failed: {}", peer().to_string(), e.what());
    } catch (...) {
        logger().warn("connection handler for {} failed with a non-standard exception",
                      peer().to_string());
    }
}

/// One loop's accept loop: accepts while below max_connections, runs a handler task per
/// connection on this loop; when cancelled (close()), stops accepting and waits for its handlers
/// (a second cancellation cancels them).
task<void> accept_loop(std::shared_ptr<server_state> st, std::size_t index, owned_fd lfd) {
    asio::generic::stream_protocol::socket lsock(current_io());
    const int family = st->family;
    {
        asio::error_code ec;
        lsock.assign(asio::generic::stream_protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP),
                     lfd.fd, ec);
        if (ec) {
            logger().error("cannot register a listening socket with the loop: {}", ec.message());
            co_return;
        }
        lfd.release();
        lsock.non_blocking(true, ec);
    }
    const int fd = lsock.native_handle();
    const std::size_t max = st->opts.max_connections;
    task_group handlers;
    try {
        for (;;) {
            if (st->closed.load(std::memory_order_acquire)) {
                // close() was called and is cancelling this loop: accept nothing more meanwhile.
                co_await weft::sleep(std::chrono::hours(24));
                continue;
            }
            if (max != 0 && st->open.load(std::memory_order_acquire) >= max) {
                st->slot_free.clear();
                if (st->open.load(std::memory_order_acquire) >= max) {
                    co_await st->slot_free.wait();
                }
                continue;
            }
            sockaddr_storage peer{};
            socklen_t len = sizeof peer;
            const int cfd = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &len,
                                      SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (cfd < 0) {
                const int err = errno;
                if (err == EINTR || err == ECONNABORTED || err == EPROTO) {
                    continue;
                }
                if (err == EAGAIN || err == EWOULDBLOCK) {
                    co_await wait_acceptable(lsock);
                    continue;
                }
                if (st->closed.load(std::memory_order_acquire)) {
                    continue; // close() shut the socket down: wait above for its cancellation
                }
                // Out of descriptors or memory: back off a little, as asyncio does, rather than
                // spin on a listening socket that stays readable.
                st->refused.fetch_add(1, std::memory_order_relaxed);
                logger().warn("accept failed on {}: {}; retrying shortly",
                              st->endpoints.front().to_string(),
                              std::error_code(err, std::system_category()).message());
                co_await weft::sleep(std::chrono::milliseconds(100));
                continue;
            }
            st->open.fetch_add(1, std::memory_order_acq_rel);
            st->accepted.fetch_add(1, std::memory_order_relaxed);
            connection c;
            try {
                c = make_connection(cfd, family, reinterpret_cast<sockaddr*>(&peer), len, true);
            } catch (const error& e) {
                st->open.fetch_sub(1, std::memory_order_acq_rel);
                logger().warn("dropping an accepted connection: {}", e.what());
                continue;
            }
            // The group keeps the handler and joins it at close; its future is not needed.
            (void)handlers.create_task(run_handler(st, std::move(c)));
        }
    } catch (const cancelled_error&) {
        // close() or the loop's shutdown: stop accepting, then wait for the handlers.
    }
    {
        std::lock_guard lock(st->listen_mtx);
        st->listen_fds[index] = -1;
        asio::error_code ignored;
        lsock.close(ignored);
    }
    co_await handlers.join();
}

void check_listen(int rc, const char* what, const endpoint& ep) {
    if (rc != 0) {
        const std::error_code code(errno, std::system_category());
        throw error(std::string("cannot listen on ") + ep.to_string() + ": " + what + ": " +
                        code.message(),
                    code);
    }
}

/// A listening socket bound to ep (port replaced by `port` when not 0).
int listen_on(const endpoint& ep, const server_options& opts, bool reuse_port) {
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(ep, ss);
    owned_fd fd(new_socket(ss.ss_family));
    const int one = 1;
    if (ss.ss_family != AF_UNIX) {
        if (opts.reuse_address) {
            check_listen(::setsockopt(fd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one),
                         "SO_REUSEADDR", ep);
        }
        if (reuse_port) {
            check_listen(::setsockopt(fd.fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one),
                         "SO_REUSEPORT", ep);
        }
    } else {
        // Replace a stale socket file (only a socket: never remove another kind of file).
        struct stat sb {};
        if (::lstat(ep.path().c_str(), &sb) == 0 && S_ISSOCK(sb.st_mode)) {
            ::unlink(ep.path().c_str());
        }
    }
    check_listen(::bind(fd.fd, reinterpret_cast<sockaddr*>(&ss), len), "bind", ep);
    check_listen(::listen(fd.fd, opts.backlog), "listen", ep);
    return fd.release();
}

} // namespace

task<server> start_server_impl(std::shared_ptr<const connection_handler> handler, std::string host,
                               std::uint16_t port, server_options opts) {
    if (!*handler) {
        throw invalid_state_error("weft::net::start_server: the handler is empty");
    }
    loop& here = current_loop();
    std::vector<loop*> loops{&here};
    if (opts.unix_path.empty()) {
        loops = weft::internal::loops_of_run(here);
        if (opts.loops != 0 && opts.loops < loops.size()) {
            loops.resize(opts.loops);
        }
    }

    auto st = std::make_shared<server_state>();
    st->handler = std::move(handler);
    if (opts.tls) {
        st->tls = std::make_unique<tls_context_slot>(*opts.tls); // throws tls_error: bad files
    }
    endpoint ep;
    if (!opts.unix_path.empty()) {
        ep = endpoint::unix_path(opts.unix_path);
    } else {
        // A named local, not a temporary in the co_await expression (g++ 12).
        std::string where = host.empty() ? std::string("0.0.0.0") : host;
        const std::vector<endpoint> addrs = co_await resolve(std::move(where), port);
        ep = addrs.front();
    }
    st->opts = std::move(opts);
    st->family = ep.kind() == endpoint::family::ipv6   ? AF_INET6
                 : ep.kind() == endpoint::family::ipv4 ? AF_INET
                                                       : AF_UNIX;

    // Bind the first socket (port 0 gets a free port), then the others to the same port.
    std::vector<owned_fd> fds;
    const bool reuse_port = loops.size() > 1;
    for (std::size_t i = 0; i < loops.size(); ++i) {
        fds.emplace_back(listen_on(ep, st->opts, reuse_port));
        if (i == 0 && ep.kind() != endpoint::family::unix_socket) {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            ::getsockname(fds[0].fd, reinterpret_cast<sockaddr*>(&ss), &len);
            ep = to_endpoint(reinterpret_cast<sockaddr*>(&ss), len);
            st->port = ep.port();
        }
        st->endpoints.push_back(ep);
    }
    st->acceptors.reserve(loops.size());
    for (std::size_t i = 0; i < fds.size(); ++i) {
        st->listen_fds.push_back(fds[i].fd);
        fds[i].st = st;
        fds[i].index = i;
    }
    for (std::size_t i = 0; i < loops.size(); ++i) {
        st->acceptors.push_back(
            weft::detail::start_root(*loops[i], accept_loop(st, i, std::move(fds[i]))));
    }
    co_return server(st);
}

} // namespace detail

server::server() noexcept = default;
server::server(std::shared_ptr<detail::server_state> s) noexcept : s_(std::move(s)) {}
server::server(server&&) noexcept = default;
server& server::operator=(server&& o) noexcept {
    if (this != &o) {
        close();
        s_ = std::move(o.s_);
    }
    return *this;
}
server::~server() {
    close();
}

std::uint16_t server::port() const noexcept {
    return s_ != nullptr ? s_->port : 0;
}

std::vector<endpoint> server::endpoints() const {
    return s_ != nullptr ? s_->endpoints : std::vector<endpoint>{};
}

bool server::is_serving() const noexcept {
    return s_ != nullptr && !s_->closed.load(std::memory_order_acquire);
}

void server::close() noexcept {
    if (s_ == nullptr || s_->closed.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    {
        // Stop listening now: connections arriving from here on are refused by the kernel.
        std::lock_guard lock(s_->listen_mtx);
        for (const int fd : s_->listen_fds) {
            if (fd >= 0) {
                ::shutdown(fd, SHUT_RDWR);
            }
        }
    }
    for (future<void>& f : s_->acceptors) {
        f.cancel();
    }
    if (!s_->opts.unix_path.empty()) {
        ::unlink(s_->opts.unix_path.c_str());
    }
}

namespace {

task<void> await_all(std::vector<future<void>> fs) {
    for (future<void>& f : fs) {
        try {
            co_await f;
        } catch (const cancelled_error&) {
            if (!f.done()) {
                throw; // this task was cancelled, not the acceptor
            }
        } catch (...) {
        }
    }
}

} // namespace

task<void> server::wait_closed(std::optional<clock::duration> grace) {
    if (s_ == nullptr) {
        co_return;
    }
    std::shared_ptr<detail::server_state> st = s_;
    close();
    if (grace) {
        if (*grace > clock::duration::zero()) {
            try {
                co_await weft::wait_for(await_all(st->acceptors), *grace);
                co_return;
            } catch (const timeout_error&) {
            }
        }
        // Grace over: cancel the handlers still running (each accept loop's second
        // cancellation reaches its handler group), then wait for them to unwind. A cancel that
        // reaches an accept loop before it has taken close()'s merges into it, so it is sent
        // again, each millisecond, until every accept loop has finished.
        for (;;) {
            bool all_done = true;
            for (future<void>& f : st->acceptors) {
                all_done = f.cancel() ? false : all_done; // false once done
            }
            if (all_done) {
                break;
            }
            co_await weft::sleep(std::chrono::milliseconds(1));
        }
    }
    co_await await_all(st->acceptors);
}

server_stats server::stats() const noexcept {
    if (s_ == nullptr) {
        return {};
    }
    return {s_->open.load(std::memory_order_acquire), s_->accepted.load(std::memory_order_relaxed),
            s_->refused.load(std::memory_order_relaxed),
            s_->tls_failures.load(std::memory_order_relaxed)};
}

void server::reload_tls() {
    if (s_ == nullptr || s_->tls == nullptr) {
        throw invalid_state_error("weft::net::server::reload_tls: the server does not serve TLS");
    }
    s_->tls->reload();
}

} // namespace weft::net
