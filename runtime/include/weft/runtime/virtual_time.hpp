#pragma once

#include <weft/runtime/clock.hpp>
#include <weft/runtime/task.hpp>

namespace weft {

/// Moves the virtual time of a runtime run with options::clock = clock_kind::manual forward by d
/// (tokio's time::advance). Timers of the calling task's loop fire in deadline order, with time
/// set to each deadline in turn and the tasks they wake run until they suspend again before the
/// next one fires, so a task sleeping 1 s in a loop wakes ten times in advance(10s). Timers of the
/// other loops fire once time has reached its final value. Returns when every loop has run its
/// due timers.
/// @throws invalid_state_error outside a weft loop, or when the runtime keeps real time.
/// @throws std::invalid_argument for a negative d.
[[nodiscard]] task<void> advance(clock::duration d);

/// Whether the calling task's loop keeps virtual time (options::clock == clock_kind::manual).
[[nodiscard]] bool virtual_time() noexcept;

} // namespace weft
