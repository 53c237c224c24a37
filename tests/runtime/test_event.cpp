// weft::event: set/clear/wait, waking every waiter, cancellation. Cross-loop:
// test_sync_cross_loop.cpp.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

weft::task<int> wait_then(weft::event& e, int& started, int v) {
    ++started;
    co_await e.wait();
    co_return v;
}

} // namespace

WEFT_CO_TEST(event, wait_returns_at_once_when_set) {
    weft::event e;
    EXPECT_FALSE(e.is_set());
    e.set();
    EXPECT_TRUE(e.is_set());
    co_await e.wait();
    co_await e.wait();
}

WEFT_CO_TEST(event, set_wakes_every_waiter) {
    weft::event e;
    int started = 0;
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 5; ++i) {
        fs.push_back(weft::create_task(wait_then(e, started, i)));
    }
    bool all_started = co_await weft::testing::yield_until([&] { return started == 5; });
    WEFT_CO_ASSERT_TRUE(all_started);
    co_await weft::yield();
    for (auto& f : fs) {
        EXPECT_FALSE(f.done());
    }
    e.set();
    for (int i = 0; i < 5; ++i) {
        int v = co_await fs[i];
        EXPECT_EQ(v, i);
    }
}

WEFT_CO_TEST(event, clear_makes_wait_suspend_again) {
    weft::event e;
    e.set();
    e.clear();
    EXPECT_FALSE(e.is_set());
    int started = 0;
    auto f = weft::create_task(wait_then(e, started, 7));
    co_await weft::yield();
    co_await weft::yield();
    EXPECT_EQ(started, 1);
    EXPECT_FALSE(f.done());
    e.set();
    int v = co_await f;
    EXPECT_EQ(v, 7);
}

WEFT_CO_TEST(event, cancelled_waiter_throws_and_the_others_still_wake) {
    weft::event e;
    int started = 0;
    auto a = weft::create_task(wait_then(e, started, 1));
    auto b = weft::create_task(wait_then(e, started, 2));
    bool ok = co_await weft::testing::yield_until([&] { return started == 2; });
    WEFT_CO_ASSERT_TRUE(ok);
    EXPECT_TRUE(a.cancel());
    EXPECT_THROW((void)co_await a, weft::cancelled_error);
    EXPECT_FALSE(b.done());
    e.set();
    int v = co_await b;
    EXPECT_EQ(v, 2);
}

WEFT_CO_TEST(event, pending_cancellation_surfaces_before_suspending) {
    // A task that cancels itself, then waits on an unset event: the pending request is consumed
    // there, so it must not hang.
    weft::event e;
    weft::future<void> me;
    bool reached = false;
    auto g = weft::create_task(
        [](weft::event& e, weft::future<void>& me, bool& reached) -> weft::task<void> {
            me.cancel();
            reached = true;
            co_await e.wait();
        }(e, me, reached));
    me = g; // before the task starts
    EXPECT_THROW(co_await g, weft::cancelled_error);
    EXPECT_TRUE(reached);
}
