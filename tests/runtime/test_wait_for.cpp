// wait_for: results in time, timeouts that cancel and wait, swallowed cancellation, outer cancel.
// The timeouts run on virtual time (clock_kind::manual): a background task advances the clock, so
// each deadline fires exactly when due, instantly and deterministically.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/virtual_time.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

weft::task<int> value_now(int v) {
    co_return v;
}

weft::task<int> value_after_yield(int v) {
    co_await weft::yield();
    co_return v;
}

struct inner_log {
    bool started = false;
    bool saw_cancel = false;
    bool unwound = false;
};

/// Never finishes by itself; on cancellation, cleans up (suspending) and rethrows.
weft::task<int> slow_inner(inner_log& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.saw_cancel = true;
        throw;
    }
    co_return 0;
}

weft::task<int> slow_inner_with_cleanup(inner_log& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.saw_cancel = true;
    }
    co_await weft::sleep(2ms); // cleanup that suspends
    log.unwound = true;
    throw weft::cancelled_error("inner unwound");
}

/// Swallows the cancellation and returns a value instead.
weft::task<int> stubborn_inner(inner_log& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.saw_cancel = true;
    }
    co_await weft::yield();
    log.unwound = true;
    co_return 99;
}

weft::task<int> fails_soon() {
    co_await weft::yield();
    throw std::domain_error("inner failure");
}

constexpr weft::options manual_clock{.loops = 1, .clock = weft::clock_kind::manual};

/// Moves virtual time forward by d in the background while the test body waits on a deadline.
weft::future<void> drive_time(weft::clock::duration d) {
    return weft::create_task(weft::advance(d));
}

} // namespace

WEFT_CO_TEST(wait_for, returns_the_result_when_in_time) {
    int v = co_await weft::wait_for(value_after_yield(3), 10s);
    EXPECT_EQ(v, 3);
    int w = co_await weft::wait_for(value_now(4), 10s);
    EXPECT_EQ(w, 4);
}

// As asyncio: a zero timeout leaves a task no time at all, so it is not started, even one that
// would finish at once (test_asyncio_waitfor.cpp has the CPython cases).
WEFT_CO_TEST(wait_for, zero_timeout_does_not_start_even_a_task_that_is_ready_at_once) {
    EXPECT_THROW((void)co_await weft::wait_for(value_now(5), 0ms), weft::timeout_error);
}

WEFT_CO_TEST(wait_for, propagates_the_inner_exception) {
    EXPECT_THROW((void)co_await weft::wait_for(fails_soon(), 10s), std::domain_error);
}

WEFT_CO_TEST_OPTIONS(wait_for, timeout_throws_timeout_error_after_the_inner_unwound, manual_clock) {
    inner_log log;
    const auto start = weft::current_loop().time();
    auto driver = drive_time(1s);
    try {
        (void)co_await weft::wait_for(slow_inner_with_cleanup(log), 10ms);
        ADD_FAILURE() << "expected timeout_error";
    } catch (const weft::timeout_error& e) {
        EXPECT_TRUE(log.saw_cancel) << "the inner saw cancelled_error";
        EXPECT_TRUE(log.unwound) << "and finished unwinding before wait_for threw";
        EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    }
    // The deadline at 10 ms, then the inner's 2 ms cleanup sleep.
    EXPECT_EQ(weft::current_loop().time() - start, 12ms);
    co_await driver;
}

WEFT_CO_TEST_OPTIONS(wait_for, timeout_error_is_a_weft_error_not_a_cancellation, manual_clock) {
    inner_log log;
    auto driver = drive_time(1ms);
    try {
        (void)co_await weft::wait_for(slow_inner(log), 1ms);
        ADD_FAILURE() << "expected timeout_error";
    } catch (const weft::error&) {
        SUCCEED();
    } catch (const weft::cancelled_error&) {
        ADD_FAILURE() << "a timeout must not surface as cancelled_error";
    }
    EXPECT_TRUE(log.saw_cancel);
    co_await driver;
}

WEFT_CO_TEST_OPTIONS(wait_for, inner_that_swallows_cancellation_returns_its_value, manual_clock) {
    inner_log log;
    auto driver = drive_time(5ms);
    int v = co_await weft::wait_for(stubborn_inner(log), 5ms);
    EXPECT_EQ(v, 99);
    EXPECT_TRUE(log.saw_cancel);
    EXPECT_TRUE(log.unwound);
    co_await driver;
}

WEFT_CO_TEST(wait_for, cancelling_the_outer_task_raises_cancelled_error) {
    inner_log log;
    auto outer = weft::create_task([](inner_log& log) -> weft::task<int> {
        co_return co_await weft::wait_for(slow_inner_with_cleanup(log), 1h);
    }(log));
    bool started = co_await weft::testing::yield_until([&] { return log.started; });
    WEFT_CO_ASSERT_TRUE(started);
    EXPECT_TRUE(outer.cancel());
    EXPECT_THROW((void)co_await outer, weft::cancelled_error);
    EXPECT_TRUE(outer.cancelled());
    EXPECT_TRUE(log.saw_cancel);
    EXPECT_TRUE(log.unwound) << "wait_for waits for the inner even when it is cancelled itself";
}

WEFT_CO_TEST_OPTIONS(wait_for, timeout_on_a_future_cancels_that_future, manual_clock) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    auto driver = drive_time(2ms);
    EXPECT_THROW((void)co_await weft::wait_for(f, 2ms), weft::timeout_error);
    EXPECT_TRUE(f.cancelled()) << "as asyncio.wait_for, the awaited future is cancelled";
    EXPECT_FALSE(p.set_value(1));
    co_await driver;
}

WEFT_CO_TEST_OPTIONS(wait_for, timeout_on_a_task_future_cancels_the_task, manual_clock) {
    inner_log log;
    weft::future<int> f = weft::create_task(slow_inner(log));
    auto driver = drive_time(2ms);
    EXPECT_THROW((void)co_await weft::wait_for(f, 2ms), weft::timeout_error);
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    EXPECT_TRUE(log.saw_cancel);
    co_await driver;
}

WEFT_CO_TEST_OPTIONS(wait_for, nested_wait_for_inner_deadline_fires_first, manual_clock) {
    inner_log log;
    auto driver = drive_time(2ms);
    try {
        (void)co_await weft::wait_for(weft::wait_for(slow_inner(log), 2ms), 10s);
        ADD_FAILURE() << "expected timeout_error";
    } catch (const weft::timeout_error&) {
        SUCCEED();
    }
    EXPECT_TRUE(log.saw_cancel);
    co_await driver;
}
