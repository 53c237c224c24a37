// weft::queue, priority_queue, lifo_queue: order, nowait errors, backpressure, task_done/join,
// shutdown, cancellation without lost items. Cross-loop producers/consumers:
// test_sync_cross_loop.cpp.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/queue.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

static_assert(std::is_base_of_v<weft::error, weft::queue_full>);
static_assert(std::is_base_of_v<weft::error, weft::queue_empty>);
static_assert(std::is_base_of_v<weft::error, weft::queue_shut_down>);

WEFT_CO_TEST(queue, fifo_order) {
    weft::queue<int> q;
    for (int i : {3, 1, 2}) {
        co_await q.put(i);
    }
    EXPECT_EQ(q.size(), 3u);
    std::vector<int> got;
    for (int i = 0; i < 3; ++i) {
        got.push_back(co_await q.get());
    }
    EXPECT_EQ(got, (std::vector<int>{3, 1, 2}));
    EXPECT_TRUE(q.empty());
}

WEFT_CO_TEST(lifo_queue, last_in_first_out) {
    weft::lifo_queue<int> q;
    for (int i : {3, 1, 2}) {
        q.put_nowait(i);
    }
    std::vector<int> got;
    for (int i = 0; i < 3; ++i) {
        got.push_back(co_await q.get());
    }
    EXPECT_EQ(got, (std::vector<int>{2, 1, 3}));
}

WEFT_CO_TEST(priority_queue, smallest_first_and_a_custom_order) {
    weft::priority_queue<std::pair<int, int>> q;
    for (auto p : {std::pair{5, 0}, std::pair{1, 1}, std::pair{3, 2}, std::pair{1, 0}}) {
        co_await q.put(p);
    }
    std::vector<std::pair<int, int>> got;
    while (!q.empty()) {
        got.push_back(q.get_nowait());
    }
    EXPECT_EQ(got, (std::vector<std::pair<int, int>>{{1, 0}, {1, 1}, {3, 2}, {5, 0}}));

    weft::priority_queue<int, std::greater<int>> largest_first;
    for (int i : {2, 9, 4}) {
        largest_first.put_nowait(i);
    }
    int a = co_await largest_first.get();
    EXPECT_EQ(a, 9);
}

WEFT_CO_TEST(queue, nowait_throws_queue_full_and_queue_empty) {
    weft::queue<int> q(1);
    EXPECT_THROW((void)q.get_nowait(), weft::queue_empty);
    q.put_nowait(1);
    EXPECT_TRUE(q.full());
    EXPECT_THROW(q.put_nowait(2), weft::queue_full);
    EXPECT_EQ(q.get_nowait(), 1);
    weft::queue<int> unbounded;
    for (int i = 0; i < 1000; ++i) {
        unbounded.put_nowait(i);
    }
    EXPECT_FALSE(unbounded.full());
    co_return;
}

WEFT_CO_TEST(queue, get_waits_for_a_put) {
    weft::queue<int> q;
    bool started = false;
    auto f = weft::create_task([](weft::queue<int>& q, bool& started) -> weft::task<int> {
        started = true;
        co_return co_await q.get();
    }(q, started));
    bool ok = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(ok);
    co_await weft::yield();
    EXPECT_FALSE(f.done());
    q.put_nowait(42);
    EXPECT_EQ(q.size(), 0u) << "handed straight to the waiting getter";
    int v = co_await f;
    EXPECT_EQ(v, 42);
}

WEFT_CO_TEST(queue, backpressure_holds_a_fast_producer_to_maxsize) {
    constexpr int n = 50;
    weft::queue<int> q(3);
    std::size_t max_seen = 0;
    int produced = 0;
    auto producer = weft::create_task([](weft::queue<int>& q, int& produced) -> weft::task<void> {
        for (int i = 0; i < n; ++i) {
            co_await q.put(i);
            ++produced;
        }
    }(q, produced));
    std::vector<int> got;
    for (int i = 0; i < n; ++i) {
        // A slow consumer: let the producer run as far as it can first.
        for (int k = 0; k < 5; ++k) {
            co_await weft::yield();
        }
        max_seen = std::max(max_seen, q.size());
        EXPECT_LE(produced, i + 3 + 1);
        got.push_back(co_await q.get());
    }
    co_await producer;
    EXPECT_EQ(max_seen, 3u);
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(got[i], i);
    }
}

WEFT_CO_TEST(queue, join_waits_for_task_done_on_every_item) {
    weft::queue<int> q;
    co_await q.join(); // nothing put: at once
    q.put_nowait(1);
    q.put_nowait(2);
    bool joined = false;
    auto j = weft::create_task([](weft::queue<int>& q, bool& joined) -> weft::task<void> {
        co_await q.join();
        joined = true;
    }(q, joined));
    (void)q.get_nowait();
    (void)q.get_nowait();
    q.task_done();
    co_await weft::yield();
    co_await weft::yield();
    EXPECT_FALSE(joined);
    q.task_done();
    co_await j;
    EXPECT_TRUE(joined);
    EXPECT_THROW(q.task_done(), weft::invalid_state_error);
}

WEFT_CO_TEST(queue, shutdown_wakes_getters_and_putters_with_queue_shut_down) {
    weft::queue<int> empty;
    weft::queue<int> full(1);
    full.put_nowait(0);
    int started = 0;
    auto getter = weft::create_task([](weft::queue<int>& q, int& started) -> weft::task<int> {
        ++started;
        co_return co_await q.get();
    }(empty, started));
    auto putter = weft::create_task([](weft::queue<int>& q, int& started) -> weft::task<void> {
        ++started;
        co_await q.put(1);
    }(full, started));
    bool ok = co_await weft::testing::yield_until([&] { return started == 2; });
    WEFT_CO_ASSERT_TRUE(ok);
    empty.shutdown();
    full.shutdown();
    EXPECT_THROW((void)co_await getter, weft::queue_shut_down);
    EXPECT_THROW(co_await putter, weft::queue_shut_down);
    EXPECT_TRUE(full.is_shut_down());
    EXPECT_THROW(full.put_nowait(2), weft::queue_shut_down);
    EXPECT_THROW(co_await full.put(2), weft::queue_shut_down);
    // What is left can still be taken; then get() throws.
    int left = co_await full.get();
    EXPECT_EQ(left, 0);
    EXPECT_THROW((void)co_await full.get(), weft::queue_shut_down);
    EXPECT_THROW((void)full.get_nowait(), weft::queue_shut_down);
}

WEFT_CO_TEST(queue, immediate_shutdown_drops_the_items_and_releases_join) {
    weft::queue<int> q;
    q.put_nowait(1);
    q.put_nowait(2);
    auto j =
        weft::create_task([](weft::queue<int>& q) -> weft::task<void> { co_await q.join(); }(q));
    co_await weft::yield();
    EXPECT_FALSE(j.done());
    q.shutdown(true);
    EXPECT_EQ(q.size(), 0u);
    co_await j;
    EXPECT_THROW((void)co_await q.get(), weft::queue_shut_down);
}

WEFT_CO_TEST(queue, cancelled_getter_loses_no_item) {
    weft::queue<int> q;
    int started = 0;
    auto getter = [](weft::queue<int>& q, int& started) -> weft::task<int> {
        ++started;
        co_return co_await q.get();
    };
    auto a = weft::create_task(getter(q, started));
    auto b = weft::create_task(getter(q, started));
    bool ok = co_await weft::testing::yield_until([&] { return started == 2; });
    WEFT_CO_ASSERT_TRUE(ok);
    a.cancel();
    EXPECT_THROW((void)co_await a, weft::cancelled_error);
    q.put_nowait(7);
    q.put_nowait(8);
    int v = co_await b;
    EXPECT_EQ(v, 7);
    EXPECT_EQ(q.get_nowait(), 8);
}

WEFT_CO_TEST(queue, getter_cancelled_after_the_hand_off_keeps_the_item) {
    weft::queue<std::unique_ptr<int>> q; // move-only items
    bool started = false;
    int seen = 0;
    auto f = weft::create_task(
        [](weft::queue<std::unique_ptr<int>>& q, bool& started, int& seen) -> weft::task<void> {
            started = true;
            std::unique_ptr<int> p = co_await q.get();
            seen = *p;
            co_await weft::yield(); // the cancellation surfaces here
            seen = -1;
        }(q, started, seen));
    bool ok = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(ok);
    q.put_nowait(std::make_unique<int>(11));
    f.cancel();
    EXPECT_THROW(co_await f, weft::cancelled_error);
    EXPECT_EQ(seen, 11);
    EXPECT_TRUE(q.empty());
}

WEFT_CO_TEST(queue, cancelled_putter_adds_nothing) {
    weft::queue<int> q(1);
    q.put_nowait(1);
    bool started = false;
    auto f = weft::create_task([](weft::queue<int>& q, bool& started) -> weft::task<void> {
        started = true;
        co_await q.put(2);
    }(q, started));
    bool ok = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(ok);
    f.cancel();
    EXPECT_THROW(co_await f, weft::cancelled_error);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_TRUE(q.empty());
}

WEFT_CO_TEST(queue, a_get_makes_room_for_the_waiting_putter_at_once) {
    weft::queue<int> q(1);
    q.put_nowait(1);
    bool started = false;
    auto f = weft::create_task([](weft::queue<int>& q, bool& started) -> weft::task<void> {
        started = true;
        co_await q.put(2);
    }(q, started));
    bool ok = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(ok);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.size(), 1u) << "the waiting put landed";
    f.cancel(); // too late: its item is in
    try {
        co_await f; // no suspension point left in it: finishes, or reports the cancel
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_EQ(q.get_nowait(), 2);
}
