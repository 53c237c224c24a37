// weft::semaphore and weft::bounded_semaphore: counting, FIFO hand-off, over-release, cancellation
// and the lost-wakeup case. Cross-loop races: test_sync_cross_loop.cpp.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/semaphore.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

weft::task<int> acquire_then(weft::semaphore& s, int& started, int v) {
    ++started;
    co_await s.acquire();
    co_return v;
}

} // namespace

WEFT_CO_TEST(semaphore, counts_permits) {
    weft::semaphore s(2);
    EXPECT_EQ(s.value(), 2u);
    co_await s.acquire();
    EXPECT_TRUE(s.try_acquire());
    EXPECT_EQ(s.value(), 0u);
    EXPECT_TRUE(s.locked());
    EXPECT_FALSE(s.try_acquire());
    s.release();
    s.release();
    s.release(); // a plain semaphore may grow
    EXPECT_EQ(s.value(), 3u);
}

WEFT_CO_TEST(semaphore, release_wakes_waiters_in_arrival_order) {
    weft::semaphore s(0);
    int started = 0;
    std::vector<int> order;
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 3; ++i) {
        fs.push_back(weft::create_task(acquire_then(s, started, i)));
        fs.back().add_done_callback([&order, i] { order.push_back(i); });
    }
    bool ok = co_await weft::testing::yield_until([&] { return started == 3; });
    WEFT_CO_ASSERT_TRUE(ok);
    s.release();
    EXPECT_EQ(s.value(), 0u) << "the permit went to the waiter, not the counter";
    (void)co_await fs[0];
    EXPECT_FALSE(fs[1].done());
    s.release();
    s.release();
    (void)co_await fs[1];
    (void)co_await fs[2];
    co_await weft::yield();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(s.value(), 0u);
}

WEFT_CO_TEST(bounded_semaphore, release_past_the_initial_value_throws_invalid_state) {
    weft::bounded_semaphore s(2);
    EXPECT_THROW(s.release(), weft::invalid_state_error);
    co_await s.acquire();
    s.release();
    EXPECT_THROW(s.release(), weft::invalid_state_error);
    EXPECT_EQ(s.value(), 2u);
    weft::semaphore& base = s;
    EXPECT_THROW(base.release(), weft::invalid_state_error) << "also through the base class";
}

WEFT_CO_TEST(bounded_semaphore, release_to_a_waiter_is_allowed) {
    weft::bounded_semaphore s(1);
    co_await s.acquire();
    int started = 0;
    auto f = weft::create_task(acquire_then(s, started, 5));
    bool ok = co_await weft::testing::yield_until([&] { return started == 1; });
    WEFT_CO_ASSERT_TRUE(ok);
    s.release();
    int v = co_await f;
    EXPECT_EQ(v, 5);
    s.release();
    EXPECT_EQ(s.value(), 1u);
}

WEFT_CO_TEST(semaphore, cancelled_waiter_takes_no_permit) {
    weft::semaphore s(0);
    int started = 0;
    auto a = weft::create_task(acquire_then(s, started, 1));
    auto b = weft::create_task(acquire_then(s, started, 2));
    bool ok = co_await weft::testing::yield_until([&] { return started == 2; });
    WEFT_CO_ASSERT_TRUE(ok);
    a.cancel();
    EXPECT_THROW((void)co_await a, weft::cancelled_error);
    s.release();
    int v = co_await b;
    EXPECT_EQ(v, 2);
    EXPECT_EQ(s.value(), 0u);
    s.release();
    EXPECT_EQ(s.value(), 1u);
}

WEFT_CO_TEST(semaphore, permit_released_to_a_waiter_being_cancelled_has_exactly_one_holder) {
    weft::semaphore s(0);
    bool started = false;
    bool holds = false;
    auto f =
        weft::create_task([](weft::semaphore& s, bool& started, bool& holds) -> weft::task<void> {
            started = true;
            co_await s.acquire();
            holds = true;
        }(s, started, holds));
    bool ok = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(ok);
    s.release(); // to the waiter, whose resumption is queued
    f.cancel();  // too late to take it back: the waiter keeps the permit
    try {
        co_await f;
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_TRUE(holds);
    EXPECT_EQ(s.value(), 0u) << "one permit, one holder";
}
