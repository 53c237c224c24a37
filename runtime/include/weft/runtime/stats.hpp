#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft {

/// A snapshot of one loop's counters. They are always on and cheap (a few plain stores per batch
/// of steps); reading them never stops the loop.
struct loop_stats {
    /// The loop's number in its runtime.
    std::size_t loop_id = 0;
    /// Tasks (scheduled roots: create_task, spawn, the main task) started on this loop so far.
    std::uint64_t tasks_created = 0;
    /// Tasks alive on this loop now.
    std::size_t live_tasks = 0;
    /// Steps run so far: coroutine resumptions, call_soon callbacks, cross-thread callbacks and
    /// timer callbacks.
    std::uint64_t steps_run = 0;
    /// Steps waiting in the ready queue when the last batch finished.
    std::size_t ready_depth = 0;
    /// Timers armed now (sleeps, timeouts, call_later).
    std::size_t timers_pending = 0;
    /// The longest uninterrupted stretch the loop spent running steps, since it started, at the
    /// resolution of the kernel's coarse clock (1-4 ms).
    std::chrono::nanoseconds longest_step{0};
    /// How many such stretches took longer than options::slow_callback: each one delayed every
    /// other task on the loop (a blocking call on the event loop, or CPU work to move to an
    /// executor).
    std::uint64_t stalls = 0;
};

/// Every loop's counters of the runtime the calling task runs on (one entry for a stand-alone
/// loop), read without stopping the loops.
/// @throws invalid_state_error outside a weft loop.
[[nodiscard]] std::vector<loop_stats> runtime_stats();

} // namespace weft
