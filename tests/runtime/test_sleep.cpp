// sleep / sleep_until / yield. Time is the behaviour under test here: real sleeps, short, with
// lower bounds that the loop guarantees and only generous sanity upper bounds.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<void> sleep_then_log(std::chrono::milliseconds d, int id, std::vector<int>& order) {
    co_await weft::sleep(d);
    order.push_back(id);
}

weft::task<void> sleep_until_then_log(weft::clock::time_point t, int id, std::vector<int>& order) {
    co_await weft::sleep_until(t);
    order.push_back(id);
}

weft::task<void> set_flag(bool& flag) {
    flag = true;
    co_return;
}

weft::task<void> append(std::string& s, char c) {
    s.push_back(c);
    co_return;
}

} // namespace

WEFT_CO_TEST(sleep, waits_at_least_its_duration) {
    const auto start = weft::clock::now();
    co_await weft::sleep(20ms);
    const auto elapsed = weft::clock::now() - start;
    EXPECT_GE(elapsed, 20ms);
    EXPECT_LT(elapsed, 10s) << "sanity bound only";
}

WEFT_CO_TEST(sleep, sleepers_wake_in_deadline_order) {
    std::vector<int> order;
    (void)co_await weft::gather(sleep_then_log(40ms, 4, order), sleep_then_log(10ms, 1, order),
                                sleep_then_log(30ms, 3, order), sleep_then_log(20ms, 2, order));
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

WEFT_CO_TEST(sleep, many_sleepers_wake_in_deadline_order) {
    // 200 timers armed in a scrambled order exercise the timer heap. Absolute deadlines, so that
    // the time the children take to start does not matter.
    std::vector<int> order;
    std::vector<weft::task<void>> tasks;
    const weft::clock::time_point base = weft::current_loop().time() + 2ms;
    for (int i = 0; i < 200; ++i) {
        const int slot = (i * 37) % 200; // a permutation of 0..199
        tasks.push_back(
            sleep_until_then_log(base + std::chrono::microseconds(slot * 100), slot, order));
    }
    (void)co_await weft::gather(tasks);
    WEFT_CO_ASSERT_EQ(order.size(), 200u);
    for (std::size_t i = 1; i < order.size(); ++i) {
        EXPECT_LT(order[i - 1], order[i]) << "at " << i;
    }
}

WEFT_CO_TEST(sleep, zero_lets_other_tasks_run) {
    bool flag = false;
    auto f = weft::create_task(set_flag(flag));
    co_await weft::sleep(0ms);
    EXPECT_TRUE(flag) << "sleep(0) suspends, so a task scheduled before it ran";
    co_await f;
}

WEFT_CO_TEST(sleep, negative_duration_returns_soon) {
    bool flag = false;
    auto f = weft::create_task(set_flag(flag));
    co_await weft::sleep(-5ms);
    EXPECT_TRUE(flag);
    co_await f;
}

WEFT_CO_TEST(sleep, until_a_deadline_on_the_loop_clock) {
    const weft::clock::time_point deadline = weft::current_loop().time() + 15ms;
    co_await weft::sleep_until(deadline);
    EXPECT_GE(weft::current_loop().time(), deadline);
    EXPECT_GE(weft::clock::now(), deadline);
}

WEFT_CO_TEST(sleep, until_a_past_deadline_still_suspends_once) {
    bool flag = false;
    auto f = weft::create_task(set_flag(flag));
    co_await weft::sleep_until(weft::current_loop().time() - 1s);
    EXPECT_TRUE(flag);
    co_await f;
}

WEFT_CO_TEST(sleep, cancelled_sleeper_does_not_delay_others) {
    std::vector<int> order;
    auto long_sleeper = weft::create_task(sleep_then_log(1h, 99, order));
    auto short_sleeper = weft::create_task(sleep_then_log(5ms, 1, order));
    co_await weft::yield();
    long_sleeper.cancel();
    EXPECT_THROW(co_await long_sleeper, weft::cancelled_error);
    co_await short_sleeper;
    EXPECT_EQ(order, (std::vector<int>{1}));
}

TEST(sleep, outside_a_loop_throws_invalid_state) {
    // Awaited by a task that runs without any loop (resumed by hand): the awaiter needs a loop.
    bool threw = false;
    auto t = [](bool& threw) -> weft::task<void> {
        try {
            co_await weft::sleep(1ms);
        } catch (const weft::invalid_state_error&) {
            threw = true;
        }
    }(threw);
    auto h = t.release();
    h.resume();
    EXPECT_TRUE(threw);
    EXPECT_TRUE(h.done());
    h.destroy();
}

WEFT_CO_TEST(yield, lets_every_other_ready_task_run_once) {
    std::string log;
    auto a = weft::create_task(append(log, 'a'));
    auto b = weft::create_task(append(log, 'b'));
    EXPECT_EQ(log, "");
    co_await weft::yield();
    EXPECT_EQ(log, "ab") << "both were ready before the caller, and ran before it continued";
    co_await a;
    co_await b;
}

WEFT_CO_TEST(yield, keeps_fifo_order_between_yielding_tasks) {
    std::string log;
    auto worker = [](std::string& log, char c) -> weft::task<void> {
        for (int i = 0; i < 3; ++i) {
            log.push_back(c);
            co_await weft::yield();
        }
    };
    (void)co_await weft::gather(worker(log, 'x'), worker(log, 'y'), worker(log, 'z'));
    EXPECT_EQ(log, "xyzxyzxyz");
}
