// weft::loop on its own thread: run_until_complete/run_forever/close, call_soon, timers, time.
// Calls from other threads: test_cross_thread.cpp (run under TSan).

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/child_process.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<int> add(int a, int b) {
    co_await weft::yield();
    co_return a + b;
}

weft::task<void> fail_after_yield() {
    co_await weft::yield();
    throw std::runtime_error("main failed");
}

weft::task<weft::loop*> which_loop() {
    co_await weft::yield();
    co_return &weft::current_loop();
}

weft::task<int> sleep_and_clean_up(bool& started, bool& cleaned_up) {
    started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        cleaned_up = true;
        throw;
    }
    co_return 0;
}

weft::task<int> record_run(bool& ran) {
    ran = true;
    co_return 1;
}

} // namespace

TEST(loop, run_until_complete_returns_the_result) {
    weft::loop l;
    EXPECT_EQ(l.id(), 0u);
    EXPECT_FALSE(l.is_running());
    EXPECT_FALSE(l.is_closed());
    EXPECT_EQ(l.run_until_complete(add(2, 3)), 5);
    EXPECT_FALSE(l.is_running());
    l.close();
    EXPECT_TRUE(l.is_closed());
}

TEST(loop, run_until_complete_rethrows_the_exception) {
    weft::loop l;
    EXPECT_THROW(l.run_until_complete(fail_after_yield()), std::runtime_error);
    // The loop stays usable.
    EXPECT_EQ(l.run_until_complete(add(1, 1)), 2);
}

TEST(loop, current_loop_is_the_running_loop) {
    weft::loop l;
    EXPECT_EQ(l.run_until_complete(which_loop()), &l);
}

TEST(loop, current_loop_outside_a_loop_throws_invalid_state) {
    EXPECT_THROW((void)weft::current_loop(), weft::invalid_state_error);
    weft::loop l;
    EXPECT_THROW((void)weft::current_loop(), weft::invalid_state_error)
        << "a loop that is not running is not current";
}

TEST(loop, close_is_idempotent_and_a_closed_loop_cannot_run) {
    weft::loop l;
    l.close();
    l.close();
    EXPECT_TRUE(l.is_closed());
    EXPECT_THROW(l.run_until_complete(add(1, 2)), weft::invalid_state_error);
    EXPECT_THROW(l.run_forever(), weft::invalid_state_error);
    EXPECT_THROW(l.call_soon_threadsafe([] {}), weft::invalid_state_error);
}

TEST(loop, close_while_running_throws_invalid_state) {
    weft::loop l;
    bool threw = l.run_until_complete([]() -> weft::task<bool> {
        try {
            weft::current_loop().close();
        } catch (const weft::invalid_state_error&) {
            co_return true;
        }
        co_return false;
    }());
    EXPECT_TRUE(threw);
    EXPECT_FALSE(l.is_closed());
}

TEST(loop, run_until_complete_inside_a_running_loop_throws_invalid_state) {
    weft::loop outer;
    bool threw = outer.run_until_complete([]() -> weft::task<bool> {
        weft::loop inner;
        try {
            (void)inner.run_until_complete(add(1, 2));
        } catch (const weft::invalid_state_error&) {
            co_return true;
        }
        co_return false;
    }());
    EXPECT_TRUE(threw);
}

TEST(loop, call_soon_runs_callbacks_in_fifo_order) {
    weft::loop l;
    std::vector<int> order;
    // Before the loop runs, from the thread that will run it.
    l.call_soon([&] { order.push_back(1); });
    l.call_soon([&] { order.push_back(2); });
    l.run_until_complete([](weft::loop& l, std::vector<int>& order) -> weft::task<void> {
        l.call_soon([&] { order.push_back(3); });
        l.call_soon([&] { order.push_back(4); });
        bool all = co_await weft::testing::yield_until([&] { return order.size() == 4; });
        EXPECT_TRUE(all);
    }(l, order));
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(loop, call_soon_callback_that_throws_does_not_stop_the_loop) {
    weft::loop l;
    bool after = false;
    l.call_soon([] { throw std::runtime_error("callback failure (expected in this test)"); });
    l.call_soon([&] { after = true; });
    EXPECT_EQ(l.run_until_complete(add(1, 1)), 2);
    EXPECT_TRUE(after);
}

TEST(loop, call_later_runs_callbacks_in_deadline_order) {
    weft::loop l;
    std::vector<int> order;
    weft::testing::event done;
    l.call_later(30ms, [&] {
        order.push_back(3);
        done.set();
    });
    l.call_later(10ms, [&] { order.push_back(1); });
    l.call_later(20ms, [&] { order.push_back(2); });
    l.run_until_complete(done.wait());
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(loop, call_at_same_deadline_runs_in_scheduling_order) {
    weft::loop l;
    std::vector<int> order;
    weft::testing::event done;
    const weft::clock::time_point t = l.time() + 5ms;
    for (int i = 0; i < 5; ++i) {
        l.call_at(t, [&order, i] { order.push_back(i); });
    }
    l.call_at(t, [&] { done.set(); });
    l.run_until_complete(done.wait());
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(loop, call_later_does_not_run_before_its_deadline) {
    weft::loop l;
    weft::testing::event done;
    weft::clock::time_point fired{};
    const weft::clock::time_point start = l.time();
    weft::timer_handle h = l.call_later(20ms, [&] {
        fired = weft::clock::now();
        done.set();
    });
    EXPECT_GE(h.when(), start + 20ms);
    EXPECT_FALSE(h.cancelled());
    l.run_until_complete(done.wait());
    EXPECT_GE(fired, h.when());
    EXPECT_LT(fired - start, 10s) << "sanity bound only";
}

TEST(loop, cancelled_timer_handle_never_runs_its_callback) {
    weft::loop l;
    bool cancelled_ran = false;
    bool other_ran = false;
    weft::testing::event done;
    weft::timer_handle h = l.call_later(1ms, [&] { cancelled_ran = true; });
    l.call_later(2ms, [&] { other_ran = true; });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    l.call_later(20ms, [&] { done.set(); });
    l.run_until_complete(done.wait());
    EXPECT_FALSE(cancelled_ran);
    EXPECT_TRUE(other_ran);
    h.cancel(); // idempotent
    EXPECT_TRUE(h.cancelled());
}

TEST(loop, timer_handle_cancelled_from_a_task_never_runs) {
    weft::loop l;
    bool ran = false;
    l.run_until_complete([](bool& ran) -> weft::task<void> {
        weft::timer_handle h = weft::current_loop().call_later(5ms, [&ran] { ran = true; });
        co_await weft::yield();
        h.cancel();
        co_await weft::sleep(20ms);
    }(ran));
    EXPECT_FALSE(ran);
}

TEST(loop, call_later_callback_that_throws_does_not_stop_the_loop) {
    weft::loop l;
    weft::testing::event done;
    l.call_later(1ms, [] { throw std::runtime_error("timer callback failure (expected)"); });
    l.call_later(2ms, [&] { done.set(); });
    l.run_until_complete(done.wait());
    EXPECT_TRUE(done.is_set());
}

TEST(loop, default_timer_handle_is_inert) {
    weft::timer_handle h;
    EXPECT_FALSE(h.cancelled());
    h.cancel();
    EXPECT_EQ(h.when(), weft::clock::time_point{});
}

TEST(loop, time_follows_the_monotonic_clock) {
    weft::loop l;
    const weft::clock::time_point before = weft::clock::now();
    const weft::clock::time_point t1 = l.time();
    const weft::clock::time_point t2 = l.time();
    const weft::clock::time_point after = weft::clock::now();
    EXPECT_LE(before, t1);
    EXPECT_LE(t1, t2);
    EXPECT_LE(t2, after);
}

TEST(loop, run_forever_returns_after_stop) {
    weft::loop l;
    int calls = 0;
    l.call_soon([&] { ++calls; });
    l.call_soon([&] {
        ++calls;
        l.stop();
    });
    l.run_forever();
    EXPECT_EQ(calls, 2);
    EXPECT_FALSE(l.is_running());
}

static void stop_then_run_forever(weft::testing::child_checks& check) {
    weft::loop l;
    bool ran = false;
    l.call_soon([&] { ran = true; });
    l.stop();
    l.run_forever(); // the watchdog ends the child if the stop request was lost
    check(!l.is_running(), "run_forever returned");
    check(ran, "the callback queued before it ran once (asyncio runs one iteration)");
}

TEST(loop, stop_before_run_forever_is_not_lost) {
    // asyncio: stop() before run_forever() makes it run one iteration and return.
    WEFT_EXPECT_IN_CHILD_PROCESS_WITHIN(stop_then_run_forever, 3);
}

static void stopped_early_then_closed(weft::testing::child_checks& check) {
    weft::loop l;
    bool cleaned_up = false;
    try {
        (void)l.run_until_complete([](bool& cleaned_up) -> weft::task<int> {
            weft::current_loop().stop();
            try {
                co_await weft::sleep(10ms);
            } catch (const weft::cancelled_error&) {
                cleaned_up = true;
                throw;
            }
            co_return 1;
        }(cleaned_up));
        check(false, "run_until_complete returned although its task was not done");
    } catch (const weft::invalid_state_error&) {
        check(true, "");
    } catch (const std::exception& e) {
        std::cerr << "run_until_complete threw: " << e.what() << std::endl;
        check(false, "BUG: run_until_complete should throw invalid_state_error");
    }
    l.close(); // cancels and unwinds the unfinished main task
    check(cleaned_up, "BUG: close() did not unwind the unfinished main task");
}

TEST(loop, run_until_complete_stopped_early_throws_invalid_state) {
    // asyncio: "Event loop stopped before Future completed." The main task is not done, so there
    // is no result to return; close() then cancels and unwinds it like any other task.
    WEFT_EXPECT_IN_CHILD_PROCESS(stopped_early_then_closed);
}

TEST(loop, tasks_left_pending_continue_on_the_next_run) {
    weft::loop l;
    weft::promise<int> gate;
    weft::future<int> gate_f = gate.get_future();
    weft::future<int> pending =
        l.run_until_complete([](weft::future<int> gate_f) -> weft::task<weft::future<int>> {
            auto f = weft::create_task(
                [](weft::future<int> g) -> weft::task<int> { co_return 1 + co_await g; }(gate_f));
            co_await weft::yield();
            co_return f;
        }(gate_f));
    EXPECT_FALSE(pending.done());
    EXPECT_EQ(l.task_count(), 1u);
    gate.set_value(41);
    int v = l.run_until_complete(pending);
    EXPECT_EQ(v, 42);
    EXPECT_EQ(l.task_count(), 0u);
}

static void close_with_a_sleeping_task(weft::testing::child_checks& check) {
    weft::loop l;
    bool started = false;
    bool cleaned_up = false;
    weft::future<int> f =
        l.run_until_complete([](bool& started, bool& cleaned_up) -> weft::task<weft::future<int>> {
            auto f = weft::create_task(sleep_and_clean_up(started, cleaned_up));
            co_await weft::yield();
            co_return f;
        }(started, cleaned_up));
    check(started, "the task started");
    check(!f.done(), "the task is still pending after run_until_complete");
    l.close();
    check(cleaned_up, "close() let the task's catch (cancelled_error) block run");
    check(f.done() && f.cancelled(), "the task ended cancelled");
    check(l.task_count() == 0, "no task is left");
}

TEST(loop, close_cancels_and_unwinds_pending_tasks) {
    WEFT_EXPECT_IN_CHILD_PROCESS(close_with_a_sleeping_task);
}

static void destroy_with_a_sleeping_task(weft::testing::child_checks& check) {
    bool started = false;
    bool cleaned_up = false;
    {
        weft::loop l;
        (void)l.run_until_complete(
            [](bool& started, bool& cleaned_up) -> weft::task<weft::future<int>> {
                auto f = weft::create_task(sleep_and_clean_up(started, cleaned_up));
                co_await weft::yield();
                co_return f;
            }(started, cleaned_up));
    } // ~loop closes it
    check(started, "the task started");
    check(cleaned_up, "~loop let the task's catch (cancelled_error) block run");
}

TEST(loop, destructor_closes_and_unwinds_pending_tasks) {
    WEFT_EXPECT_IN_CHILD_PROCESS(destroy_with_a_sleeping_task);
}

static void close_with_an_unstarted_task(weft::testing::child_checks& check) {
    // The main task creates a task and returns before it could start; close() must still finish
    // it (cancelled, its body never run) instead of dropping it with the ready queue.
    weft::loop l;
    bool ran = false;
    weft::future<int> f = l.run_until_complete([](bool& ran) -> weft::task<weft::future<int>> {
        co_return weft::create_task(record_run(ran));
    }(ran));
    l.close();
    check(!ran, "the task never ran");
    check(f.done(), "BUG: close() left the never-started task's future pending (the task leaks)");
    check(!f.done() || f.cancelled(), "the never-started task ended cancelled");
}

TEST(loop, close_cancels_tasks_that_were_created_but_not_started) {
    WEFT_EXPECT_IN_CHILD_PROCESS(close_with_an_unstarted_task);
}

TEST(loop, task_count_counts_live_tasks) {
    weft::loop l;
    l.run_until_complete([]() -> weft::task<void> {
        weft::loop& here = weft::current_loop();
        const std::size_t base = here.task_count(); // the main task
        weft::testing::event gate;
        auto a = weft::create_task(gate.wait());
        auto b = weft::create_task(gate.wait());
        co_await weft::yield();
        EXPECT_EQ(here.task_count(), base + 2);
        gate.set();
        co_await a;
        co_await b;
        EXPECT_EQ(here.task_count(), base);
    }());
}
