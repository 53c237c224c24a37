// weft::every / weft::interval: ticks keep to first + k * period whatever the work between them
// takes, late ticks are handed out once and the missed ones skipped. Virtual time
// (clock_kind::manual), advanced by the test itself.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/interval.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/virtual_time.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr weft::options manual{.loops = 1, .clock = weft::clock_kind::manual};

/// Offsets from start of ticks taken by a loop that works `work` after each tick.
weft::task<void> tick_loop(weft::interval& ticks, weft::clock::time_point start, int n,
                           weft::clock::duration work, std::vector<weft::clock::duration>& at) {
    for (int i = 0; i < n; ++i) {
        (void)co_await ticks.tick();
        at.push_back(weft::current_loop().time() - start);
        co_await weft::sleep(work);
    }
}

} // namespace

WEFT_CO_TEST_OPTIONS(interval, ticks_do_not_drift_with_the_work_between_them, manual) {
    const auto start = weft::current_loop().time();
    auto ticks = weft::every(10ms);
    std::vector<weft::clock::duration> at;
    auto loop = weft::create_task(tick_loop(ticks, start, 5, 3ms, at));
    co_await weft::yield();
    co_await weft::advance(100ms);
    co_await loop;
    // sleep(10ms) after 3 ms of work would give 10, 23, 36, 49, 62.
    EXPECT_EQ(at, (std::vector<weft::clock::duration>{10ms, 20ms, 30ms, 40ms, 50ms}));
    EXPECT_EQ(ticks.missed(), 0u);
}

WEFT_CO_TEST_OPTIONS(interval, a_late_tick_comes_once_and_the_missed_ones_are_skipped, manual) {
    const auto start = weft::current_loop().time();
    auto ticks = weft::every(10ms);
    std::vector<weft::clock::duration> at;
    auto loop = weft::create_task(tick_loop(ticks, start, 3, 25ms, at));
    co_await weft::yield();
    co_await weft::advance(200ms);
    co_await loop;
    // Tick 10; work to 35: the tick due at 20 comes at once (late), the one at 30 is skipped;
    // work to 60: the tick due at 40 comes at once, and the ones at 50 and 60 are skipped.
    EXPECT_EQ(at, (std::vector<weft::clock::duration>{10ms, 35ms, 60ms}));
    EXPECT_EQ(ticks.missed(), 3u);
    EXPECT_EQ(ticks.next(), start + 70ms);
}

WEFT_CO_TEST_OPTIONS(interval, tick_returns_the_scheduled_time_and_is_cancellable, manual) {
    const auto start = weft::current_loop().time();
    weft::interval ticks(10ms, start + 5ms);
    auto first = weft::create_task(ticks.tick());
    co_await weft::yield();
    co_await weft::advance(5ms);
    auto due = co_await first;
    EXPECT_EQ(due, start + 5ms);
    auto second = weft::create_task(ticks.tick());
    co_await weft::yield();
    second.cancel();
    EXPECT_THROW((void)co_await second, weft::cancelled_error);
    EXPECT_EQ(ticks.next(), start + 15ms) << "a cancelled tick is not consumed";
}

WEFT_CO_TEST(interval, refuses_a_period_of_zero_or_less) {
    EXPECT_THROW((void)weft::every(0ms), std::invalid_argument);
    EXPECT_THROW((void)weft::every(-1ms), std::invalid_argument);
    co_return;
}
