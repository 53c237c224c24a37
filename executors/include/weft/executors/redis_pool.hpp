#pragma once

/// weft::redis_pool: run_in_executor on worker processes anywhere, through a Redis broker.
///
///     double area(double r) { return 3.14159 * r * r; }
///     WEFT_REMOTE(area);                      // the same registration as for process_pool
///
///     int main(int argc, char** argv) {
///         weft::init(argc, argv);             // also starts worker mode (see below)
///         return weft::run([]() -> weft::task<int> {
///             weft::redis_pool pool({.url = "redis://broker:6379", .queue = "geometry"});
///             double a = co_await weft::run_in_executor(pool, area, 2.0);
///             ...
///         }());
///     }
///
/// Workers are the same program started in worker mode, on any machine that reaches the broker:
///
///     ./app --weft-redis-worker redis://broker:6379 --queue geometry --concurrency 8
///
/// or weft::serve_redis_calls(options) from the program's own code. A worker runs each call in a
/// child of its own process_pool, so a crashing call takes one child, never the worker.
///
/// Guarantees (docs/scaling-out.md has the details):
///  - A call runs at least once; its result reaches the awaiting task at most once (results are
///    told apart by call id, and a second result for the same call is dropped).
///  - A call whose worker dies is run again by another worker once it has been idle for the
///    workers' visibility_timeout; after options.max_attempts deliveries it goes to the queue's
///    dead-letter stream and the awaiter gets dead_letter_error.
///  - Cancelling the awaiting task before a worker took the call deletes it (it never runs);
///    cancelling while it runs kills the child running it. options.call_timeout does the same
///    and raises timeout_error.
///  - Calls in flight are sent again when Redis restarts (its run id changes), so none is lost
///    with Redis persistence (AOF) on; the extra run, if any, is what at-least-once allows.
///  - Acknowledged calls are deleted from the stream and results from the caller's result stream,
///    so neither grows without bound.
///  - No Redis command blocks a loop: the pool's connections run on an I/O loop of their own,
///    through hiredis's asynchronous API.

#include <weft/executors/detail/executor_core.hpp>
#include <weft/executors/executor.hpp>
#include <weft/executors/process_pool.hpp>
#include <weft/executors/remote.hpp>
#include <weft/runtime/clock.hpp>
#include <weft/runtime/future.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace weft {

/// Redis failed the pool: unreachable for longer than connect_timeout, refused the credentials,
/// or answered a command with an error.
class broker_error : public error {
public:
    using error::error;
};

/// A call was delivered to workers max_attempts times and never finished (each time its worker
/// or the child running it died): it was moved to the queue's dead-letter stream.
class dead_letter_error : public worker_crashed {
public:
    dead_letter_error(const std::string& message, std::size_t attempts)
        : worker_crashed(message, -1, -1, 0), attempts_(attempts) {}
    /// How many times the call was delivered.
    [[nodiscard]] std::size_t attempts() const noexcept { return attempts_; }

private:
    std::size_t attempts_;
};

namespace detail::rp {
class caller; // executors/src/redis_pool
struct redis_call_rec;
/// Hands a prepared call to the pool (takes rec). @throws executor_shut_down, message_too_large.
void submit_redis(caller& c, redis_call_rec* rec);
/// A new call record whose future gives R.
template <class R>
redis_call_rec* make_redis_call(future<R>& f);
} // namespace detail::rp

/// An executor whose calls run on worker processes reached through Redis Streams. See the top of
/// this header; the functions and the rules for what may cross are process_pool's.
class redis_pool {
public:
    struct options {
        /// The broker: `redis://[user:password@]host[:port][/db]` (port 6379, db 0 by default;
        /// an IPv6 host in brackets) or `unix:///path/to/redis.sock[?db=N]`. user and password,
        /// when given, win over the URL's; neither is ever logged.
        std::string url = "redis://127.0.0.1:6379";
        std::string user{};
        std::string password{};
        /// The queue's name: workers serving the same name take its calls. Its keys in Redis
        /// start with "weft:{queue}:".
        std::string queue = "weft";
        /// Longest a call may take from submission to result; it is then cancelled (and killed
        /// if running) and raises timeout_error. 0 = no limit.
        std::chrono::milliseconds call_timeout{0};
        /// Deliveries to workers before a call goes to the dead-letter stream (>= 1).
        std::size_t max_attempts = 3;
        /// Calls in Redis at once (sent, result not yet read); more wait in the pool, without
        /// blocking anyone, until results come back.
        std::size_t max_in_flight = 1024;
        /// Calls waiting in the pool beyond max_in_flight; past it run_in_executor raises
        /// broker_error (a bound on the pool's memory when Redis stays away).
        std::size_t max_waiting = std::size_t{1} << 20;
        /// How long calls wait for an unreachable Redis before failing with broker_error; also the
        /// time allowed for one connection attempt.
        std::chrono::milliseconds connect_timeout{5000};
        /// Largest serialised arguments or result of one call, in bytes.
        std::size_t max_message = std::size_t{64} << 20;
        /// How long a result waits in Redis for a caller that went away.
        std::chrono::seconds result_ttl{3600};
        /// Name in logs and errors.
        const char* name = "redis_pool";
    };

    /// Starts the pool's I/O loop and connects (in the background: a Redis that is down is
    /// reported by the calls, after connect_timeout).
    /// @throws std::invalid_argument for a malformed URL or option.
    explicit redis_pool(options opts);
    redis_pool(const redis_pool&) = delete;
    redis_pool& operator=(const redis_pool&) = delete;
    /// shutdown(wait = true), then closes the connections.
    ~redis_pool();

    /// Runs fn() on a worker: fn is a registered function taking no arguments or a weft::partial
    /// binding all of them.
    template <class F>
    future<remote_result_t<F>> submit(F&& fn) {
        return run(std::forward<F>(fn));
    }

    /// Stops accepting calls; wait: blocks until every call in flight has its result;
    /// cancel_pending: calls not yet sent to Redis are cancelled.
    void shutdown(bool wait = true, bool cancel_pending = false);

    /// Calls the pool keeps in Redis at once (max_in_flight).
    [[nodiscard]] std::size_t max_workers() const noexcept;
    /// The pool's counters: queued = waiting in the pool, running = sent to Redis.
    [[nodiscard]] executor_stats stats() const noexcept;
    /// Whether the pool is connected to Redis now.
    [[nodiscard]] bool connected() const noexcept;
    /// Calls sent again after Redis restarted, in all.
    [[nodiscard]] std::uint64_t resent() const noexcept;

    /// Builds and submits fn(args...) (run_in_executor's body).
    template <class F, class... Args>
    future<remote_result_t<F, Args...>> run(F&& fn, Args&&... args) {
        using R = remote_result_t<F, Args...>;
        future<R> f;
        if constexpr (detail::check_remote<F, Args...>()) {
            std::unique_ptr<detail::rp::redis_call_rec> rec(detail::rp::make_redis_call<R>(f));
            std::string& payload = payload_of(*rec);
            set_name(*rec, detail::serialize_call(payload, static_cast<const std::decay_t<F>&>(fn),
                                                  std::forward<Args>(args)...));
            detail::rp::submit_redis(*impl_, rec.release());
        }
        return f;
    }

private:
    static std::string& payload_of(detail::rp::redis_call_rec& rec) noexcept;
    static void set_name(detail::rp::redis_call_rec& rec, const std::string& name);
    std::unique_ptr<detail::rp::caller> impl_;
};

/// Runs fn(args...) on a worker behind the broker (fn registered with WEFT_REMOTE, or a
/// weft::partial of one); awaiting the future gives its result, or raises remote_error (or the
/// registered exception type), dead_letter_error, timeout_error, broker_error.
template <class F, class... Args>
[[nodiscard]] future<remote_result_t<F, Args...>> run_in_executor(redis_pool& pool, F&& fn,
                                                                  Args&&... args) {
    return pool.run(std::forward<F>(fn), std::forward<Args>(args)...);
}

/// How a worker serves a queue (serve_redis_calls, and --weft-redis-worker).
struct redis_worker_options {
    std::string url = "redis://127.0.0.1:6379";
    std::string user{};
    std::string password{};
    std::string queue = "weft";
    /// Calls run at once, each in a child of the worker's process_pool; 0 = one per hardware
    /// thread.
    std::size_t concurrency = 0;
    /// Calls held beyond those running, read ahead and queued in the worker's process pool, so
    /// that a child never waits for a round trip to Redis and calls arrive in batches (Celery's
    /// prefetch). A call read ahead waits behind the running ones while other workers may be
    /// idle: use 0 when calls are long. auto_prefetch = 3 x concurrency (4 calls held per child,
    /// as Celery's default multiplier).
    std::size_t prefetch = auto_prefetch;
    static constexpr std::size_t auto_prefetch = static_cast<std::size_t>(-1);
    /// A call held by a worker that shows no sign of life for this long is taken by another
    /// worker (live workers renew their calls every third of it). Every worker of a queue
    /// should use the same value.
    std::chrono::milliseconds visibility_timeout{30000};
    /// How long one connection attempt may take; the worker retries with backoff for ever.
    std::chrono::milliseconds connect_timeout{5000};
    /// On SIGTERM/SIGINT: how long to finish the calls it holds before killing them (they are
    /// then taken by other workers).
    std::chrono::milliseconds drain_timeout{30000};
    /// The worker's name in the consumer group; empty = host:pid.
    std::string consumer{};
    /// Largest serialised arguments or result of one call, in bytes.
    std::size_t max_message = std::size_t{64} << 20;
    /// How long a result waits in Redis for a caller that went away.
    std::chrono::seconds result_ttl{3600};
};

/// Serves the queue until SIGTERM or SIGINT (then drains: stops taking calls and finishes the ones
/// it holds), and returns the process exit status (0 after a drain). Needs weft::init(argc, argv)
/// first, like any process_pool. Blocks the calling thread; call it outside weft::run().
/// @throws std::invalid_argument for a malformed URL or option.
int serve_redis_calls(const redis_worker_options& opts);

namespace detail::rp {

/// One call on its way through a redis_pool; the typed half is here, the rest in the .cpp.
struct redis_call_rec : call_record<redis_call_rec> {
    std::string payload; // key length, key, arguments
    caller* pool = nullptr;
    // The pool's own state (its I/O loop only).
    std::uint64_t seq = 0;   // the call's number in this pool
    std::string entry;       // its id in the call stream once added
    int where = 0;           // the pool's call_place
    bool begun = false;      // counted as started
    bool in_waiting = false; // in the pool's waiting list, which then holds the pool's reference
    clock::time_point submitted;
};

template <class R>
redis_call_rec* make_redis_call(future<R>& f) {
    auto* rec = new typed_call<R, redis_call_rec>();
    f = rec->f;
    return rec;
}

} // namespace detail::rp

inline std::string& redis_pool::payload_of(detail::rp::redis_call_rec& rec) noexcept {
    return rec.payload;
}
inline void redis_pool::set_name(detail::rp::redis_call_rec& rec, const std::string& name) {
    rec.name = name;
}

} // namespace weft
