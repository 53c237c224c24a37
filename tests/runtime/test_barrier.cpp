// weft::barrier: rounds, arrival indices, abort/reset, and a cancelled waiter leaving its round.

#include <weft/runtime/barrier.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace {

weft::task<std::size_t> arrive(weft::barrier& b, int& started) {
    ++started;
    co_return co_await b.wait();
}

} // namespace

WEFT_CO_TEST(barrier, releases_a_round_when_every_party_arrived_and_is_cyclic) {
    weft::barrier b(3);
    EXPECT_EQ(b.parties(), 3u);
    for (int round = 0; round < 2; ++round) {
        int started = 0;
        auto x = weft::create_task(arrive(b, started));
        auto y = weft::create_task(arrive(b, started));
        bool ok = co_await weft::testing::yield_until([&] { return started == 2; });
        WEFT_CO_ASSERT_TRUE(ok);
        co_await weft::yield();
        EXPECT_FALSE(x.done());
        EXPECT_EQ(b.n_waiting(), 2u);
        std::size_t last = co_await b.wait();
        EXPECT_EQ(last, 2u);
        std::size_t ix = co_await x;
        std::size_t iy = co_await y;
        EXPECT_EQ(std::min(ix, iy), 0u);
        EXPECT_EQ(std::max(ix, iy), 1u);
        EXPECT_EQ(b.n_waiting(), 0u);
    }
}

WEFT_CO_TEST(barrier, abort_breaks_it_for_waiters_and_later_calls_and_reset_mends_it) {
    weft::barrier b(2);
    int started = 0;
    auto x = weft::create_task(arrive(b, started));
    bool ok = co_await weft::testing::yield_until([&] { return started == 1; });
    WEFT_CO_ASSERT_TRUE(ok);
    b.abort();
    EXPECT_TRUE(b.broken());
    EXPECT_THROW((void)co_await x, weft::broken_barrier_error);
    EXPECT_THROW((void)co_await b.wait(), weft::broken_barrier_error);
    b.reset();
    EXPECT_FALSE(b.broken());
    auto y = weft::create_task(arrive(b, started));
    std::size_t i = co_await b.wait();
    std::size_t j = co_await y;
    EXPECT_EQ(i + j, 1u);
}

WEFT_CO_TEST(barrier, cancelled_waiter_no_longer_counts) {
    weft::barrier b(2);
    int started = 0;
    auto x = weft::create_task(arrive(b, started));
    bool ok = co_await weft::testing::yield_until([&] { return started == 1; });
    WEFT_CO_ASSERT_TRUE(ok);
    x.cancel();
    EXPECT_THROW((void)co_await x, weft::cancelled_error);
    EXPECT_EQ(b.n_waiting(), 0u);
    auto y = weft::create_task(arrive(b, started));
    ok = co_await weft::testing::yield_until([&] { return started == 2; });
    WEFT_CO_ASSERT_TRUE(ok);
    co_await weft::yield();
    EXPECT_FALSE(y.done()) << "the cancelled waiter must not complete the round";
    std::size_t i = co_await b.wait();
    EXPECT_EQ(i, 1u);
    std::size_t j = co_await y;
    EXPECT_EQ(j, 0u);
}

TEST(barrier, zero_parties_is_refused) {
    EXPECT_THROW(weft::barrier b(0), weft::invalid_state_error);
}
