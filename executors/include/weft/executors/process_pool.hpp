#pragma once

/// weft::process_pool: an executor whose calls run in worker processes.
///
///     double area(double r) { return 3.14159 * r * r; }
///     WEFT_REMOTE(area);
///
///     int main(int argc, char** argv) {
///         weft::init(argc, argv); // first: starts the fork server (see init.hpp)
///         return weft::run([]() -> weft::task<int> {
///             weft::process_pool pool({.workers = 4});
///             double a = co_await weft::run_in_executor(pool, area, 2.0);
///             ...
///         }());
///     }
///
/// Rules:
///  - weft::init(argc, argv) first in main; constructing a pool without it throws
///    invalid_state_error.
///  - Only functions registered with WEFT_REMOTE(fn) at namespace scope run in a worker, called
///    directly or through weft::partial(fn, bound...); lambdas, function objects, non-const
///    reference parameters and non-serialisable types are compile-time errors. Arguments,
///    results and exceptions cross through cereal: std types and types with a `serialize`
///    member.
///  - An exception thrown in a worker reaches the awaiter as remote_error (type name and what()),
///    or as itself when its type was registered with WEFT_REMOTE_EXCEPTION.
///  - A worker that dies fails only the call it was running, with worker_crashed; the pool starts
///    a new worker and every other call goes on. Cancelling the awaiting task of a running call
///    kills its worker (SIGTERM, then SIGKILL after options.cancel_grace); a call that has not
///    started never runs. options.call_timeout does the same per call and raises timeout_error.
///  - Workers exit when the pool is destroyed, when the program exits, and when it is killed (the
///    fork server and the workers watch their parent); none is left as a zombie.

#include <weft/executors/detail/executor_core.hpp>
#include <weft/executors/executor.hpp>
#include <weft/executors/init.hpp>
#include <weft/executors/remote.hpp>
#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/future.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

class process_pool;

namespace detail {

namespace pp { // the pool's private side (executors/src/process_pool)
class pool_impl;
class worker;
} // namespace pp

/// One call on its way through a process pool. The typed half (the promise) is in the header;
/// the pool's bookkeeping lives in the .cpp and is touched only under the pool service's lock.
struct remote_call_rec : call_record<remote_call_rec> {
    std::uint64_t id = 0; // unique in the process
    std::string frame;    // the CALL frame sent to a worker (header + key + arguments)
    pp::pool_impl* pool = nullptr;
    // Pool-side state (service lock).
    int where = 0;                // where the call is (the pool's call_place)
    pp::worker* worker = nullptr; // the worker it was sent to
    bool abandoned = false;       // the awaiter cancelled it after it was sent
    bool pool_cancelled = false;  // the pool cancelled it (shutdown(cancel_pending))
    bool cancel_seen = false;     // the awaiter's cancellation was handled
    bool delivery_failed = false; // the result came after the awaiter cancelled
    bool begun = false;           // counted as started (begin_job)
};

template <class R>
using typed_remote_call = typed_call<R, remote_call_rec>;

/// Starts the CALL frame of a call (its header; the pool fills in length and id).
void begin_call_frame(std::string& frame);
/// Hands a call to the pool (takes rec).
/// @throws executor_shut_down, message_too_large, worker_init_error.
void submit_remote(pp::pool_impl& pool, remote_call_rec* rec);

/// Builds and submits fn(args...) to pool.
template <class F, class... Args>
future<remote_result_t<F, Args...>> run_remote(pp::pool_impl& pool, F&& fn, Args&&... args) {
    using R = remote_result_t<F, Args...>;
    if constexpr (check_remote<F, Args...>()) {
        auto rec = std::make_unique<typed_remote_call<R>>();
        begin_call_frame(rec->frame);
        rec->name = serialize_call(rec->frame, static_cast<const std::decay_t<F>&>(fn),
                                   std::forward<Args>(args)...);
        future<R> f = rec->f;
        submit_remote(pool, rec.release());
        return f;
    } else {
        return future<R>{};
    }
}

} // namespace detail

/// An executor whose calls run in worker processes (concurrent.futures.ProcessPoolExecutor
/// without its broken-pool failure mode): crash isolation, kill on cancel, call timeouts,
/// recycling. See the rules at the top of this header.
class process_pool {
public:
    /// How workers start.
    enum class start_method {
        /// Forked from the fork server, a copy of the program as it was at weft::init (fast).
        fork_server,
        /// Forked from the fork server, then re-executing the program (/proc/self/exe), whose
        /// weft::init runs the worker: a fresh image, as Python's "spawn".
        spawn,
    };

    struct options {
        /// Worker processes; 0 = one per hardware thread.
        std::size_t workers = 0;
        /// Calls a worker runs before it is replaced (leaky libraries); 0 = no limit.
        std::size_t max_tasks_per_child = 0;
        /// Runs once in each worker before its first call: a registered function taking no
        /// arguments, or weft::partial of one with its arguments bound. When it throws, the
        /// worker is replaced; after max_init_failures failures in a row the pool stops starting
        /// workers and fails its calls with worker_init_error.
        remote_call initializer{};
        /// How workers start.
        start_method start = start_method::fork_server;
        /// Longest a call may run in its worker; the worker is then killed and the call raises
        /// timeout_error. 0 = no limit.
        std::chrono::milliseconds call_timeout{0};
        /// Between SIGTERM and SIGKILL when a running call is cancelled or times out; 0 = SIGKILL
        /// at once.
        std::chrono::milliseconds cancel_grace{0};
        /// Largest serialised arguments or result of one call, in bytes.
        std::size_t max_message = std::size_t{256} << 20;
        /// Calls sent ahead to one worker when every worker is busy (several travel in one
        /// write: throughput for short calls). A call sent ahead waits behind the worker's
        /// current call, so use 1 when calls are long and uneven.
        std::size_t max_batch = 16;
        /// Initializer failures in a row after which the pool stops starting workers.
        std::size_t max_init_failures = 3;
        /// Name in logs and errors.
        const char* name = "process_pool";
    };

    /// Starts options.workers workers.
    /// @throws invalid_state_error when weft::init(argc, argv) was not called.
    explicit process_pool(options opts);
    process_pool() : process_pool(options{}) {}
    process_pool(const process_pool&) = delete;
    process_pool& operator=(const process_pool&) = delete;
    /// shutdown(wait = true), then waits for the workers to exit.
    ~process_pool();

    /// Runs fn() in a worker and returns its future: fn is a registered function taking no
    /// arguments or a weft::partial binding all of them.
    /// @throws executor_shut_down, message_too_large, remote_registration_error.
    template <class F>
    future<remote_result_t<F>> submit(F&& fn) {
        return detail::run_remote(*impl_, std::forward<F>(fn));
    }

    /// Stops accepting calls; wait: blocks until queued and running calls finish;
    /// cancel_pending: calls that have not started are cancelled.
    void shutdown(bool wait = true, bool cancel_pending = false);

    /// Worker processes the pool keeps running.
    [[nodiscard]] std::size_t max_workers() const noexcept;
    /// The pool's counters.
    [[nodiscard]] executor_stats stats() const noexcept;
    /// Process ids of the workers alive now.
    [[nodiscard]] std::vector<int> worker_pids() const;
    /// Workers started so far, replacements included.
    [[nodiscard]] std::uint64_t workers_started() const noexcept;

    /// The implementation (for run_in_executor).
    [[nodiscard]] detail::pp::pool_impl& impl() noexcept { return *impl_; }

private:
    detail::pp::pool_impl* impl_;
};

/// Runs fn(args...) in a worker of the pool (fn registered with WEFT_REMOTE, or a weft::partial
/// of one); awaiting the future gives its result, or raises remote_error, worker_crashed,
/// timeout_error. Cancelling the awaiting task kills the worker running the call.
/// @throws executor_shut_down, message_too_large, remote_registration_error.
template <class F, class... Args>
[[nodiscard]] future<remote_result_t<F, Args...>> run_in_executor(process_pool& pool, F&& fn,
                                                                  Args&&... args) {
    return detail::run_remote(pool.impl(), std::forward<F>(fn), std::forward<Args>(args)...);
}

} // namespace weft
