// weft::lock: mutual exclusion, FIFO hand-off, the scoped guard, misuse, cancellation while waiting
// and the lost-wakeup case (released to a waiter that is cancelled before it runs).
// Cross-loop: test_sync_cross_loop.cpp.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/lock.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

weft::task<void> take_and_record(weft::lock& l, int& started, std::vector<int>& order, int id) {
    ++started;
    co_await l.acquire();
    order.push_back(id);
    co_await weft::yield(); // hold it across a suspension
    l.release();
}

} // namespace

WEFT_CO_TEST(lock, acquire_and_release_without_contention) {
    weft::lock l;
    EXPECT_FALSE(l.locked());
    co_await l.acquire();
    EXPECT_TRUE(l.locked());
    EXPECT_FALSE(l.try_acquire());
    l.release();
    EXPECT_FALSE(l.locked());
    EXPECT_TRUE(l.try_acquire());
    l.release();
}

WEFT_CO_TEST(lock, waiters_get_it_in_arrival_order_one_at_a_time) {
    weft::lock l;
    co_await l.acquire();
    int started = 0;
    std::vector<int> order;
    std::vector<weft::future<void>> fs;
    for (int i = 0; i < 4; ++i) {
        fs.push_back(weft::create_task(take_and_record(l, started, order, i)));
    }
    bool ok = co_await weft::testing::yield_until([&] { return started == 4; });
    WEFT_CO_ASSERT_TRUE(ok);
    EXPECT_TRUE(order.empty());
    l.release();
    EXPECT_TRUE(l.locked()) << "released straight to the first waiter";
    EXPECT_FALSE(l.try_acquire()) << "no barging past the waiters";
    for (auto& f : fs) {
        co_await f;
    }
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_FALSE(l.locked());
}

WEFT_CO_TEST(lock, scoped_guard_releases_at_scope_exit_and_on_unlock) {
    weft::lock l;
    {
        weft::lock::guard g = co_await l.scoped_acquire();
        EXPECT_TRUE(g.owns_lock());
        EXPECT_TRUE(l.locked());
    }
    EXPECT_FALSE(l.locked());
    weft::lock::guard g = co_await l.scoped_acquire();
    weft::lock::guard moved = std::move(g);
    EXPECT_FALSE(g.owns_lock());
    EXPECT_TRUE(l.locked());
    moved.unlock();
    EXPECT_FALSE(l.locked());
    moved.unlock(); // once only
    EXPECT_FALSE(l.locked());
}

WEFT_CO_TEST(lock, release_when_not_held_throws_invalid_state) {
    weft::lock l;
    EXPECT_THROW(l.release(), weft::invalid_state_error);
    co_await l.acquire();
    l.release();
    EXPECT_THROW(l.release(), weft::invalid_state_error);
}

WEFT_CO_TEST(lock, cancelled_waiter_never_holds_it_and_the_next_waiter_does) {
    weft::lock l;
    co_await l.acquire();
    int started = 0;
    std::vector<int> order;
    auto a = weft::create_task(take_and_record(l, started, order, 1));
    auto b = weft::create_task(take_and_record(l, started, order, 2));
    bool ok = co_await weft::testing::yield_until([&] { return started == 2; });
    WEFT_CO_ASSERT_TRUE(ok);
    EXPECT_TRUE(a.cancel());
    EXPECT_THROW(co_await a, weft::cancelled_error);
    EXPECT_TRUE(l.locked()); // still ours
    l.release();
    co_await b;
    EXPECT_EQ(order, (std::vector<int>{2}));
    EXPECT_FALSE(l.locked());
}

WEFT_CO_TEST(lock, waiter_cancelled_after_the_hand_off_keeps_the_lock_and_sees_the_cancel_later) {
    weft::lock l;
    co_await l.acquire();
    bool started = false;
    bool acquired = false;
    bool cancelled_later = false;
    auto f = weft::create_task([](weft::lock& l, bool& started, bool& acquired,
                                  bool& cancelled_later) -> weft::task<void> {
        started = true;
        co_await l.acquire();
        acquired = true;
        try {
            co_await weft::yield();
        } catch (const weft::cancelled_error&) {
            cancelled_later = true;
        }
        l.release();
    }(l, started, acquired, cancelled_later));
    bool ok = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(ok);
    l.release(); // hands it over; the waiter's resumption is queued on this loop
    f.cancel();  // arrives before it runs: the hand-off must not be lost
    co_await f;
    EXPECT_TRUE(acquired);
    EXPECT_TRUE(cancelled_later);
    EXPECT_FALSE(l.locked());
}
