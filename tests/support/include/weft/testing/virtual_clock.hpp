#pragma once

/// Driving the runtime's manual clock (options.clock = clock_kind::manual) from a test: a
/// background task that moves virtual time in small steps, so that the test body's sleeps and
/// deadlines come due in order while it waits.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/virtual_time.hpp>

#include <chrono>

namespace weft::testing {

/// One loop on the manual clock.
inline constexpr options manual_clock_options{.loops = 1, .clock = clock_kind::manual};

/// Moves virtual time forward `step` at a time, `steps` times (by default 5 ms up to 15 s, past
/// every sleep a test means to end), yielding between steps so that tasks created meanwhile start
/// and arm their timers before time moves on.
inline task<void> drive_virtual_time(std::chrono::milliseconds step = std::chrono::milliseconds(5),
                                     int steps = 3000) {
    for (int i = 0; i < steps; ++i) {
        co_await weft::yield();
        co_await weft::advance(step);
    }
}

/// drive_virtual_time() as a task of its own: keep the future while the test body waits.
inline future<void> drive_time() {
    return create_task(drive_virtual_time());
}

} // namespace weft::testing
