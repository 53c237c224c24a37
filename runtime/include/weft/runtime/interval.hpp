#pragma once

// weft::every(period): a ticker that keeps to its schedule (no drift), for periodic work.

#include <weft/runtime/clock.hpp>
#include <weft/runtime/task.hpp>

#include <cstdint>

namespace weft {

/// Ticks at first, first + period, first + 2 * period, ... on the loop's clock, however long the
/// work between ticks takes: `co_await ticks.tick()` sleeps until the next tick, so the schedule
/// does not drift as `sleep(period)` after the work would. A tick that comes late by a whole
/// period or more is handed out once, late, and the ticks missed meanwhile are skipped (counted in
/// missed()), not burst. asyncio has no such helper; the usual loop is
/// `while True: await asyncio.sleep(period)`, which drifts. Use it on the loop that made it.
///
///     auto ticks = weft::every(1s);
///     for (;;) {
///         co_await ticks.tick();
///         co_await report();
///     }
class interval {
public:
    /// Ticks every period, the first one a period from now.
    /// @throws std::invalid_argument for a period of zero or less.
    /// @throws invalid_state_error outside a weft loop.
    explicit interval(clock::duration period);
    /// Ticks every period from first (a first tick in the past is due at once).
    /// @throws std::invalid_argument for a period of zero or less.
    interval(clock::duration period, clock::time_point first);

    /// Suspends until the next tick and returns the time it was scheduled for. Cancellable (the
    /// tick is then not consumed).
    [[nodiscard]] task<clock::time_point> tick();

    [[nodiscard]] clock::duration period() const noexcept { return period_; }
    /// When the next tick is due.
    [[nodiscard]] clock::time_point next() const noexcept { return next_; }
    /// Ticks skipped because the caller came back too late for them.
    [[nodiscard]] std::uint64_t missed() const noexcept { return missed_; }

private:
    clock::duration period_;
    clock::time_point next_;
    std::uint64_t missed_ = 0;
};

/// An interval ticking every period, the first tick a period from now.
[[nodiscard]] inline interval every(clock::duration period) {
    return interval(period);
}

} // namespace weft
