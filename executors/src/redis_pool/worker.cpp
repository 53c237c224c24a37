// A redis pool worker taking and running calls (worker.hpp): XREADGROUP for as many calls as it has
// room for (its concurrency plus its prefetch, queued in its process pool, so that a child never
// waits for a round trip to Redis and calls come in batches), each call run in a child of the
// worker's process_pool, the cancel channel killing the child of a call its caller gave up, and
// serve_redis_calls itself.

#include "worker.hpp"

#include "../process_pool/protocol.hpp"

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/signal.hpp>

#include <hiredis/hiredis.h>

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <thread>

namespace weft::detail::rp {

namespace {

/// A call handed to the local process pool as it came from Redis (key and arguments already
/// serialised); its future gives the serialised result.
using raw_call = typed_call<std::string, remote_call_rec, /*Raw=*/true>;

future<std::string> run_locally(process_pool& pool, std::string_view name,
                                std::string_view payload) {
    auto rec = std::make_unique<raw_call>();
    begin_call_frame(rec->frame);
    rec->frame.append(payload);
    rec->name.assign(name);
    future<std::string> f = rec->f;
    submit_remote(pool.impl(), rec.release());
    return f;
}

std::string default_consumer() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) {
        host[0] = '\0';
    }
    return std::string(host[0] != '\0' ? host : "worker") + ":" + std::to_string(::getpid());
}

constexpr std::size_t max_remembered_cancels = 65536;

} // namespace

server::server(const redis_worker_options& o, process_pool& pool, weft::loop& l)
    : opts_(o), address_(parse_redis_url(o.url, o.user, o.password)), keys_(o.queue),
      me_(o.consumer.empty() ? default_consumer() : o.consumer),
      vis_ms_(std::to_string(o.visibility_timeout.count())), pool_(pool), loop_(l) {
    capacity_ = pool.max_workers() + (opts_.prefetch == redis_worker_options::auto_prefetch
                                          ? 3 * pool.max_workers()
                                          : opts_.prefetch);
    connection::config cfg{address_, opts_.connect_timeout, "redis worker " + me_};
    cmd_ = std::make_unique<connection>(
        l, cfg, [this] { commands_ready(); }, [this](const std::string&) { group_ready_ = false; });
    reader_ = std::make_unique<connection>(
        l, cfg, [this] { read_more(); }, [this](const std::string&) { reading_ = false; });
    sub_ = std::make_unique<connection>(l, cfg, nullptr, nullptr);
    sub_->subscribe(keys_.cancel, [this](std::string_view token) { cancel_message(token); });
}

server::~server() {
    stopping_ = true;
    life_.reset();
    cmd_->close();
    reader_->close();
    sub_->close();
}

task<int> server::serve() {
    cmd_->start();
    reader_->start();
    sub_->start();
    arm_heartbeat();
    arm_reclaim();
    log::get("weft.exec")
        .info("redis worker {} serving queue '{}' at {} ({} at once)", me_, opts_.queue,
              address_.where(), pool_.max_workers());
    co_await done_.wait();
    co_return 0;
}

void server::commands_ready() {
    ensure_group();
    flush();
}

// The group reads the stream from its start, so that calls added before any worker existed are
// served; BUSYGROUP (it exists) is the usual answer.
void server::ensure_group() {
    cmd_->command({"XGROUP", "CREATE", keys_.calls, group_name, "0", "MKSTREAM"},
                  [this](redisReply* r) {
                      if (stopping_ || r == nullptr) {
                          return;
                      }
                      if (reply_failed(r) && reply_text(r).substr(0, 9) != "BUSYGROUP") {
                          log::get("weft.exec")
                              .warn("redis worker {}: XGROUP CREATE: {}", me_, reply_text(r));
                          return;
                      }
                      group_ready_ = true;
                      read_more();
                      reclaim();
                  });
}

std::size_t server::room() const noexcept {
    const std::size_t busy = held_.size();
    return busy < capacity_ ? capacity_ - busy : 0;
}

void server::read_more() {
    if (reading_ || draining_ || stopping_ || !group_ready_ || !reader_->ready() || room() == 0) {
        return;
    }
    reading_ = true;
    read_sent_ = loop_.time();
    const std::string count = std::to_string(room());
    reader_->command({"XREADGROUP", "GROUP", group_name, me_, "COUNT", count, "BLOCK", "1000",
                      "STREAMS", keys_.calls, ">"},
                     [this](redisReply* r) {
                         reading_ = false;
                         entries_arrived(r);
                     });
}

void server::entries_arrived(redisReply* r) {
    if (stopping_ || r == nullptr) {
        return; // the reader's next connection reads again
    }
    if (r->type == REDIS_REPLY_ERROR) {
        if (reply_text(r).substr(0, 7) == "NOGROUP") { // Redis lost it (restarted empty)
            group_ready_ = false;
            ensure_group();
        } else {
            log::get("weft.exec").warn("redis worker {}: XREADGROUP: {}", me_, reply_text(r));
            (void)loop_.call_later(std::chrono::milliseconds(200), guard([this] { read_more(); }));
        }
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
        const redisReply* entries = r->element[0]->element[1];
        for (std::size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; ++i) {
            const redisReply* e = entries->element[i];
            if (e->type == REDIS_REPLY_ARRAY && e->elements == 2) {
                take(reply_text(e->element[0]), e->element[1], 1);
            }
        }
    }
    read_more();
}

// One call read (deliveries: how many times Redis has delivered it, this time included).
void server::take(std::string_view entry, const redisReply* fields, std::size_t deliveries) {
    const std::string id(entry);
    if (held_.count(id) != 0) {
        return; // already ours (renewed, or read twice after a reconnect)
    }
    held_call c;
    c.caller.assign(entry_field(fields, "c"));
    c.reply.assign(entry_field(fields, "r"));
    c.name.assign(entry_field(fields, "f"));
    std::uint64_t max_attempts = 0;
    const std::string_view payload = entry_field(fields, "a");
    if (!parse_u64(entry_field(fields, "n"), c.seq) || c.caller.empty() ||
        c.reply.substr(0, keys_.prefix.size()) != keys_.prefix ||
        !parse_u64(entry_field(fields, "m"), max_attempts) || payload.empty()) {
        log::get("weft.exec").warn("redis worker {}: entry {} is not a call; dropped", me_, id);
        settle({id, {}, 0, 0, {}, {}});
        return;
    }
    const std::string token = cancel_token(c.caller, c.seq);
    if (cancelled_.count(token) != 0) {
        settle({id, {}, 0, 0, {}, {}});
        return;
    }
    if (deliveries > max_attempts) {
        dead_letter(id, fields, deliveries - 1);
        return;
    }
    try {
        if (payload.size() > opts_.max_message) {
            throw message_too_large("the arguments of '" + c.name + "' are " +
                                    std::to_string(payload.size()) +
                                    " bytes, over the worker's max_message (" +
                                    std::to_string(opts_.max_message) + ")");
        }
        c.result = run_locally(pool_, c.name, payload);
    } catch (...) {
        settle({id, c.reply, c.seq, result_error, error_report_of(std::current_exception()), {}});
        return;
    }
    by_token_.emplace(token, id);
    held_.emplace(id, std::move(c));
    (void)create_task(watch(id));
}

// Waits for a held call's local result and settles it: a value or an exception is stored for the
// caller; a crash of the child lets the entry go for another delivery (or the dead-letter stream);
// a call its caller cancelled is only acknowledged; one let go at the drain timeout is left
// pending, for another worker.
task<void> server::watch(std::string entry) {
    future<std::string> f = held_.at(entry).result;
    std::string value;
    std::exception_ptr error;
    bool cancelled = false;
    bool crashed = false;
    try {
        value = co_await std::move(f);
    } catch (const cancelled_error&) {
        cancelled = true;
    } catch (const worker_crashed&) {
        crashed = true;
    } catch (...) {
        error = std::current_exception();
    }
    auto it = held_.find(entry);
    if (it == held_.end()) {
        co_return;
    }
    held_call c = std::move(it->second);
    held_.erase(it);
    by_token_.erase(cancel_token(c.caller, c.seq));
    if (stopping_) {
        co_return;
    }
    if (c.abandoned) {
        // left pending: another worker takes it after the visibility timeout
    } else if (cancelled || c.cancelled) {
        settle({entry, {}, 0, 0, {}, {}});
    } else if (crashed) {
        release_for_retry(entry);
    } else if (error) {
        settle({entry, c.reply, c.seq, result_error, error_report_of(error), {}});
    } else {
        settle({entry, c.reply, c.seq, result_value, std::move(value), {}});
    }
    read_more();
    check_done();
}

// "<caller>:<n>" from the cancel channel: a held call is killed in its child (or never started);
// the token is remembered a while, for a call read after its cancellation was heard.
void server::cancel_message(std::string_view token) {
    const std::string t(token);
    remember_cancel(t);
    auto b = by_token_.find(t);
    if (b == by_token_.end()) {
        return;
    }
    auto it = held_.find(b->second);
    if (it != held_.end() && !it->second.cancelled) {
        it->second.cancelled = true;
        it->second.result.cancel();
    }
}

void server::remember_cancel(const std::string& token) {
    if (!cancelled_.insert(token).second) {
        return;
    }
    cancelled_order_.push_back(token);
    if (cancelled_order_.size() > max_remembered_cancels) {
        cancelled_.erase(cancelled_order_.front());
        cancelled_order_.pop_front();
    }
}

void server::drain() {
    if (draining_) {
        return;
    }
    draining_ = true;
    log::get("weft.exec").info("redis worker {}: draining {} call(s)", me_, held_.size());
    (void)loop_.call_later(opts_.drain_timeout, guard([this] {
                               drain_expired_ = true;
                               if (!held_.empty()) {
                                   log::get("weft.exec")
                                       .warn("redis worker {}: {} call(s) still running after "
                                             "drain_timeout; they are left "
                                             "for other workers",
                                             me_, held_.size());
                               }
                               for (auto& [entry, c] : held_) {
                                   c.abandoned = true;
                                   c.result.cancel();
                               }
                               check_done();
                           }));
    check_done();
}

// A drained worker leaves the consumer group when it holds nothing (its pending list is empty).
void server::check_done() {
    if (!draining_ || !held_.empty() || done_.is_set()) {
        return;
    }
    const bool clean = outbox_.empty() && writing_ == 0;
    if (!clean && !drain_expired_) {
        return; // results still on their way to Redis
    }
    if (clean && !drain_expired_ && cmd_->ready()) {
        cmd_->command({"XGROUP", "DELCONSUMER", keys_.calls, group_name, me_},
                      [this](redisReply*) { done_.set(); });
        return;
    }
    done_.set();
}

} // namespace weft::detail::rp

namespace weft {

namespace {

/// Holds SIGTERM and SIGINT back on this thread (and the threads it starts) until the worker's
/// handlers are in place, so that a worker told to stop while still starting drains and exits 0
/// instead of dying by the signal; restores the mask when it goes.
class held_signals {
public:
    held_signals() noexcept {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        ::pthread_sigmask(SIG_BLOCK, &set, &old_);
    }
    ~held_signals() { release(); }
    held_signals(const held_signals&) = delete;
    held_signals& operator=(const held_signals&) = delete;
    /// Lets them through on this thread: a signal that came meanwhile is delivered now.
    void release() noexcept {
        if (held_) {
            held_ = false;
            ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
        }
    }

private:
    sigset_t old_{};
    bool held_ = true;
};

} // namespace

int serve_redis_calls(const redis_worker_options& opts) {
    if (opts.visibility_timeout.count() <= 0 || opts.connect_timeout.count() <= 0 ||
        opts.drain_timeout.count() < 0) {
        throw std::invalid_argument(
            "serve_redis_calls: visibility_timeout and connect_timeout must be positive");
    }
    (void)detail::rp::parse_redis_url(opts.url, opts.user, opts.password); // fail before forking
    (void)detail::rp::queue_keys(opts.queue);
    held_signals held;
    process_pool::options po;
    po.workers = opts.concurrency;
    po.max_message = opts.max_message;
    po.name = "redis worker";
    process_pool pool(po);
    weft::options ro;
    ro.loops = 1;
    return weft::run(
        [&]() -> task<int> {
            detail::rp::server s(opts, pool, current_loop());
            add_signal_handler(SIGTERM, [&s] { s.drain(); });
            add_signal_handler(SIGINT, [&s] { s.drain(); });
            held.release();
            const int status = co_await s.serve();
            (void)remove_signal_handler(SIGTERM); // the handlers refer to s
            (void)remove_signal_handler(SIGINT);
            co_return status;
        }(),
        ro);
}

} // namespace weft
