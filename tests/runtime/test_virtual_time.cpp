// Virtual time (options.clock = clock_kind::manual + weft::advance): timers fire only when the
// test moves time, instantly and in deadline order.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/stats.hpp>
#include <weft/runtime/virtual_time.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr weft::options manual{.loops = 1, .clock = weft::clock_kind::manual};
constexpr weft::options manual_two_loops{.loops = 2, .clock = weft::clock_kind::manual};

weft::task<void> sleep_then_set(weft::clock::duration d, bool& flag) {
    co_await weft::sleep(d);
    flag = true;
}

weft::task<void> tick(int times, weft::clock::duration every,
                      std::vector<weft::clock::duration>& at) {
    const auto start = weft::current_loop().time();
    for (int i = 0; i < times; ++i) {
        co_await weft::sleep(every);
        at.push_back(weft::current_loop().time() - start);
    }
}

weft::task<void> forever(weft::event& e) {
    co_await e.wait();
}

weft::task<void> wait_with_timeout(weft::event& e, weft::clock::duration timeout, bool& timed_out) {
    try {
        co_await weft::wait_for(forever(e), timeout);
    } catch (const weft::timeout_error&) {
        timed_out = true;
    }
}

weft::task<int> sleepy_value(weft::clock::duration d, int v) {
    co_await weft::sleep(d);
    co_return v;
}

} // namespace

WEFT_CO_TEST_OPTIONS(virtual_time, an_hour_long_sleep_ends_when_time_is_advanced, manual) {
    EXPECT_TRUE(weft::virtual_time());
    const auto real_start = std::chrono::steady_clock::now();
    bool done = false;
    auto f = weft::create_task(sleep_then_set(1h, done));
    co_await weft::advance(59min);
    EXPECT_FALSE(done);
    co_await weft::advance(1min);
    EXPECT_TRUE(done);
    co_await f;
    EXPECT_LT(std::chrono::steady_clock::now() - real_start, 30s); // sanity: no real hour
}

WEFT_CO_TEST_OPTIONS(virtual_time, time_stands_still_until_advanced, manual) {
    weft::loop& l = weft::current_loop();
    const auto t0 = l.time();
    for (int i = 0; i < 100; ++i) {
        co_await weft::yield();
    }
    EXPECT_EQ(l.time(), t0);
    co_await weft::advance(1500ms);
    EXPECT_EQ(l.time() - t0, 1500ms);
}

WEFT_CO_TEST_OPTIONS(virtual_time, a_periodic_sleeper_wakes_at_each_deadline, manual) {
    std::vector<weft::clock::duration> at;
    auto f = weft::create_task(tick(10, 1s, at));
    co_await weft::advance(10s);
    co_await f;
    WEFT_CO_ASSERT_EQ(at.size(), 10u);
    for (std::size_t i = 0; i < at.size(); ++i) {
        EXPECT_EQ(at[i], std::chrono::seconds(i + 1)) << "tick " << i;
    }
}

WEFT_CO_TEST_OPTIONS(virtual_time, sleepers_wake_in_deadline_order, manual) {
    std::vector<int> order;
    auto a = weft::create_task(sleepy_value(3s, 3));
    auto b = weft::create_task(sleepy_value(1s, 1));
    auto c = weft::create_task(sleepy_value(2s, 2));
    co_await weft::advance(1s);
    EXPECT_TRUE(b.done());
    EXPECT_FALSE(c.done());
    co_await weft::advance(1s);
    EXPECT_TRUE(c.done());
    EXPECT_FALSE(a.done());
    co_await weft::advance(1s);
    auto [x, y, z] = co_await weft::gather(std::move(a), std::move(b), std::move(c));
    EXPECT_EQ(x + y + z, 6);
}

WEFT_CO_TEST_OPTIONS(virtual_time, wait_for_times_out_on_virtual_time, manual) {
    weft::event never;
    bool timed_out = false;
    auto waiter = weft::create_task(wait_with_timeout(never, 5s, timed_out));
    co_await weft::advance(4999ms);
    EXPECT_FALSE(timed_out);
    co_await weft::advance(1ms);
    EXPECT_TRUE(timed_out);
    co_await waiter;
}

WEFT_CO_TEST_OPTIONS(virtual_time, call_later_fires_on_advance, manual) {
    int fired = 0;
    weft::current_loop().call_later(250ms, [&] { ++fired; });
    co_await weft::advance(249ms);
    EXPECT_EQ(fired, 0);
    co_await weft::advance(1ms);
    EXPECT_EQ(fired, 1);
}

WEFT_CO_TEST_OPTIONS(virtual_time, timers_on_other_loops_fire, manual_two_loops) {
    auto f = weft::spawn_on(1, sleepy_value(10s, 42));
    // The sleeper must have armed its timer on loop 1 before time moves: wait until it has.
    while (weft::runtime_stats().at(1).timers_pending == 0) {
        co_await weft::yield();
    }
    co_await weft::advance(10s);
    const int v = co_await f;
    EXPECT_EQ(v, 42);
}

WEFT_CO_TEST(virtual_time, advance_needs_the_manual_clock) {
    EXPECT_FALSE(weft::virtual_time());
    WEFT_CO_ASSERT_THROW(co_await weft::advance(1s), weft::invalid_state_error);
}

WEFT_CO_TEST_OPTIONS(virtual_time, advance_refuses_to_go_backwards, manual) {
    WEFT_CO_ASSERT_THROW(co_await weft::advance(-1s), std::invalid_argument);
}
