// weft::condition: wait/notify, notify counts, misuse, and re-acquiring the lock when cancelled.

#include <weft/runtime/condition.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

weft::task<void> wait_once(weft::condition& c, int& started, int& woke) {
    auto g = co_await c.scoped_acquire();
    ++started;
    co_await c.wait();
    EXPECT_TRUE(c.locked());
    ++woke;
}

} // namespace

WEFT_CO_TEST(condition, wait_for_returns_once_the_predicate_holds) {
    weft::condition c;
    int value = 0;
    auto consumer = weft::create_task([](weft::condition& c, int& value) -> weft::task<int> {
        auto g = co_await c.scoped_acquire();
        co_await c.wait_for([&] { return value >= 3; });
        co_return value;
    }(c, value));
    for (int i = 1; i <= 3; ++i) {
        co_await weft::yield();
        auto g = co_await c.scoped_acquire();
        value = i;
        c.notify();
    }
    int v = co_await consumer;
    EXPECT_EQ(v, 3);
    EXPECT_FALSE(c.locked());
}

WEFT_CO_TEST(condition, notify_wakes_n_and_notify_all_wakes_the_rest) {
    weft::condition c;
    int started = 0;
    int woke = 0;
    std::vector<weft::future<void>> fs;
    for (int i = 0; i < 4; ++i) {
        fs.push_back(weft::create_task(wait_once(c, started, woke)));
    }
    bool ok = co_await weft::testing::yield_until([&] { return started == 4; });
    WEFT_CO_ASSERT_TRUE(ok);
    {
        auto g = co_await c.scoped_acquire();
        c.notify(1);
    }
    ok = co_await weft::testing::yield_until([&] { return woke == 1; });
    WEFT_CO_ASSERT_TRUE(ok);
    for (int i = 0; i < 10; ++i) {
        co_await weft::yield();
    }
    EXPECT_EQ(woke, 1);
    {
        auto g = co_await c.scoped_acquire();
        c.notify(2);
    }
    ok = co_await weft::testing::yield_until([&] { return woke == 3; });
    WEFT_CO_ASSERT_TRUE(ok);
    {
        auto g = co_await c.scoped_acquire();
        c.notify_all();
    }
    for (auto& f : fs) {
        co_await f;
    }
    EXPECT_EQ(woke, 4);
}

WEFT_CO_TEST(condition, wait_and_notify_without_the_lock_throw_invalid_state) {
    weft::condition c;
    EXPECT_THROW(c.notify(), weft::invalid_state_error);
    EXPECT_THROW(c.notify_all(), weft::invalid_state_error);
    EXPECT_THROW(co_await c.wait(), weft::invalid_state_error);
}

WEFT_CO_TEST(condition, works_over_a_given_lock) {
    weft::lock l;
    weft::condition c(l);
    co_await c.acquire();
    EXPECT_TRUE(l.locked());
    EXPECT_EQ(&c.underlying_lock(), &l);
    c.release();
    EXPECT_FALSE(l.locked());
}

WEFT_CO_TEST(condition, cancelled_waiter_holds_the_lock_again_when_it_sees_the_cancel) {
    weft::condition c;
    bool started = false;
    bool held_in_handler = false;
    auto f = weft::create_task(
        [](weft::condition& c, bool& started, bool& held_in_handler) -> weft::task<void> {
            co_await c.acquire();
            started = true;
            try {
                co_await c.wait();
            } catch (const weft::cancelled_error&) {
                held_in_handler = c.locked();
                c.release();
                throw;
            }
            c.release();
        }(c, started, held_in_handler));
    bool ok = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(ok);
    co_await c.acquire(); // the waiter released it
    f.cancel();
    co_await weft::yield();
    co_await weft::yield();
    EXPECT_FALSE(f.done()) << "it must wait for the lock before it leaves";
    c.release();
    EXPECT_THROW(co_await f, weft::cancelled_error);
    EXPECT_TRUE(held_in_handler);
    EXPECT_FALSE(c.locked());
}

WEFT_CO_TEST(condition, waiter_cancelled_after_notify_passes_the_notification_on) {
    weft::condition c;
    int started = 0;
    int woke = 0;
    auto a = weft::create_task(wait_once(c, started, woke));
    auto b = weft::create_task(wait_once(c, started, woke));
    bool ok = co_await weft::testing::yield_until([&] { return started == 2; });
    WEFT_CO_ASSERT_TRUE(ok);
    co_await c.acquire();
    c.notify(1); // to a
    a.cancel();  // a was notified; it sees the cancel while it waits for the lock we hold
    for (int i = 0; i < 5; ++i) {
        co_await weft::yield();
    }
    EXPECT_FALSE(a.done());
    c.release();
    EXPECT_THROW(co_await a, weft::cancelled_error);
    co_await b; // woken by the notification a passed on
    EXPECT_EQ(woke, 1);
}

WEFT_CO_TEST(condition, waiter_cancelled_after_notify_with_the_lock_free_keeps_the_notification) {
    weft::condition c;
    int started = 0;
    int woke = 0;
    auto a = weft::create_task(wait_once(c, started, woke));
    bool ok = co_await weft::testing::yield_until([&] { return started == 1; });
    WEFT_CO_ASSERT_TRUE(ok);
    {
        auto g = co_await c.scoped_acquire();
        c.notify(1);
    }
    a.cancel(); // too late for the wait, and the lock is free: wait() returns normally
    try {
        co_await a;
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_EQ(woke, 1);
    EXPECT_FALSE(c.locked());
}
