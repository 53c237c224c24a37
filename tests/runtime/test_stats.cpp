// loop_stats / runtime_stats: the always-on counters and the stall detector.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/stats.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<int> one() {
    co_return 1;
}

weft::task<void> block_loop(std::chrono::milliseconds d) {
    // Deliberately blocks its loop: the behaviour under test.
    std::this_thread::sleep_for(d);
    co_return;
}

weft::task<void> wait_on(weft::event& e) {
    co_await e.wait();
}

} // namespace

WEFT_CO_TEST(stats, counts_tasks_and_steps) {
    const weft::loop_stats before = weft::runtime_stats().at(0);
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 10; ++i) {
        fs.push_back(weft::create_task(one()));
    }
    for (auto& f : fs) {
        const int v = co_await f;
        EXPECT_EQ(v, 1);
    }
    const weft::loop_stats after = weft::runtime_stats().at(0);
    EXPECT_EQ(after.loop_id, 0u);
    EXPECT_GE(after.tasks_created, before.tasks_created + 10);
    EXPECT_GE(after.steps_run, before.steps_run + 10);
}

WEFT_CO_TEST(stats, live_tasks_and_timers_pending) {
    weft::event never;
    auto waiter = weft::create_task(wait_on(never));
    auto sleeper = weft::create_task(weft::sleep(1h));
    co_await weft::yield();
    const weft::loop_stats s = weft::current_loop().stats();
    EXPECT_GE(s.live_tasks, 3u); // the test body, the waiter, the sleeper
    EXPECT_GE(s.timers_pending, 1u);
    sleeper.cancel();
    waiter.cancel();
    co_await weft::gather_settled(std::move(sleeper), std::move(waiter));
    EXPECT_EQ(weft::current_loop().stats().timers_pending, 0u);
}

WEFT_CO_TEST_OPTIONS(stats, counts_a_stall_when_a_step_blocks,
                     (weft::options{.loops = 1, .slow_callback = 20ms})) {
    const weft::loop_stats before = weft::runtime_stats().at(0);
    co_await weft::create_task(block_loop(60ms));
    co_await weft::yield();
    const weft::loop_stats after = weft::runtime_stats().at(0);
    EXPECT_GE(after.stalls, before.stalls + 1);
    EXPECT_GE(after.longest_step, 50ms); // 60 ms, measured at the coarse clock's resolution
}

WEFT_CO_TEST_OPTIONS(stats, short_steps_are_not_stalls,
                     (weft::options{.loops = 1, .slow_callback = 1000ms})) {
    for (int i = 0; i < 100; ++i) {
        co_await weft::yield();
    }
    EXPECT_EQ(weft::runtime_stats().at(0).stalls, 0u);
}

WEFT_CO_TEST_LOOPS(stats, covers_every_loop, 2) {
    const std::vector<weft::loop_stats> before = weft::runtime_stats();
    WEFT_CO_ASSERT_EQ(before.size(), 2u);
    EXPECT_EQ(before[0].loop_id, 0u);
    EXPECT_EQ(before[1].loop_id, 1u);
    const int v = co_await weft::spawn_on(1, one());
    EXPECT_EQ(v, 1);
    const std::vector<weft::loop_stats> after = weft::runtime_stats();
    EXPECT_GE(after[1].tasks_created, before[1].tasks_created + 1);
}

TEST(stats, rejects_a_non_positive_slow_callback) {
    EXPECT_THROW(weft::run(one(), weft::options{.loops = 1, .slow_callback = 0ms}),
                 std::invalid_argument);
}
