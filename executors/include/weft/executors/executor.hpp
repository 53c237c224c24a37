#pragma once

#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace weft {

/// Thrown by submit/run_in_executor on an executor that was shut down.
class executor_shut_down : public error {
public:
    using error::error;
};

/// Counters of an executor, read at one moment (each is exact; together they may be a few calls
/// apart while work runs).
struct executor_stats {
    std::size_t max_workers = 0; ///< threads the executor may use at once
    std::uint64_t submitted = 0; ///< calls accepted
    std::uint64_t completed = 0; ///< calls that returned a value
    std::uint64_t failed = 0;    ///< calls that threw
    std::uint64_t cancelled = 0; ///< calls cancelled before they started (they never ran)
    std::uint64_t discarded = 0; ///< calls that ran after their awaiter was cancelled
    std::size_t queued = 0;      ///< accepted, not started
    std::size_t running = 0;     ///< running now
};

/// What weft calls an executor (concurrent.futures.Executor): it runs callables off the loops
/// and returns a future for each.
///  - `submit(fn)` runs `fn()` on the executor and returns a `weft::future<R>`;
///  - `shutdown(wait, cancel_pending)` stops accepting work; `wait` blocks until queued and
///    running calls finished; `cancel_pending` cancels the calls that have not started;
///  - `max_workers()` and `stats()` describe it.
/// Executors are neither copyable nor movable (work in flight refers to them) and are configured
/// with an `options` struct.
template <class E>
concept executor = requires(E& e, const E& ce) {
    {
        e.submit([] { return 0; })
        } -> std::same_as<future<int>>;
    e.shutdown(true, false);
    { ce.max_workers() } -> std::convertible_to<std::size_t>;
    { ce.stats() } -> std::same_as<executor_stats>;
}
&&!std::copyable<E> && !std::movable<E>;

} // namespace weft
