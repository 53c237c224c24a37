// weft::future / weft::promise on one loop (cross-thread completion: test_cross_thread.cpp).

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

weft::task<int> await_and_record(weft::future<int> f, std::vector<int>& order, int id) {
    int v = co_await f;
    order.push_back(id);
    co_return v + id;
}

weft::task<std::unique_ptr<int>> make_unique_int(int v) {
    co_await weft::yield();
    co_return std::make_unique<int>(v);
}

} // namespace

WEFT_CO_TEST(future, promise_value_reaches_the_awaiter) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    EXPECT_FALSE(f.done());
    auto setter = weft::create_task([](weft::promise<int> p) -> weft::task<void> {
        co_await weft::yield();
        EXPECT_TRUE(p.set_value(5));
    }(std::move(p)));
    int v = co_await f;
    EXPECT_EQ(v, 5);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 5);
    EXPECT_EQ(f.exception(), nullptr);
    co_await setter;
}

WEFT_CO_TEST(future, void_promise_completes_its_future) {
    weft::promise<void> p;
    weft::future<void> f = p.get_future();
    EXPECT_TRUE(p.set_value());
    co_await f;
    EXPECT_TRUE(f.done());
    EXPECT_NO_THROW(f.result());
}

WEFT_CO_TEST(future, exception_reaches_the_awaiter_with_its_type) {
    weft::promise<std::string> p;
    weft::future<std::string> f = p.get_future();
    EXPECT_TRUE(p.set_exception(std::make_exception_ptr(std::out_of_range("range"))));
    EXPECT_THROW(co_await f, std::out_of_range);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_NE(f.exception(), nullptr);
    EXPECT_THROW(f.result(), std::out_of_range);
}

WEFT_CO_TEST(future, is_awaited_by_many_tasks_and_many_times) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    std::vector<int> order;
    auto a = weft::create_task(await_and_record(f, order, 1));
    auto b = weft::create_task(await_and_record(f, order, 2));
    auto c = weft::create_task(await_and_record(f, order, 3));
    co_await weft::yield(); // a, b and c start, in that order, and suspend on f
    EXPECT_TRUE(order.empty());
    p.set_value(10);
    auto [ra, rb, rc] = co_await weft::gather(a, b, c);
    EXPECT_EQ(ra, 11);
    EXPECT_EQ(rb, 12);
    EXPECT_EQ(rc, 13);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3})) << "waiters resume in the order they arrived";
    // Done futures are awaited again without suspending, and keep their value.
    int again = co_await f;
    EXPECT_EQ(again, 10);
    int again_copy = co_await weft::future<int>(f);
    EXPECT_EQ(again_copy, 10);
}

WEFT_CO_TEST(future, get_future_twice_shares_one_state) {
    weft::promise<int> p;
    weft::future<int> f1 = p.get_future();
    weft::future<int> f2 = p.get_future();
    EXPECT_EQ(&f1.state(), &f2.state());
    p.set_value(3);
    EXPECT_TRUE(f1.done());
    EXPECT_TRUE(f2.done());
    int v = co_await f2;
    EXPECT_EQ(v, 3);
}

TEST(future, cancelling_a_promise_future_completes_it_at_once) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW(f.result(), weft::cancelled_error);
    EXPECT_FALSE(f.cancel()) << "cancel() on a done future returns false";
    EXPECT_FALSE(p.set_value(1)) << "the consumer cancelled first";
}

WEFT_CO_TEST(future, cancel_wakes_awaiters_with_cancelled_error) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    auto waiter =
        weft::create_task([](weft::future<int> f) -> weft::task<int> { co_return co_await f; }(f));
    co_await weft::yield(); // the waiter is now suspended on f
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW(co_await waiter, weft::cancelled_error);
    EXPECT_TRUE(waiter.cancelled()) << "as in asyncio, a task that ends with cancelled_error is "
                                       "cancelled";
}

TEST(future, default_constructed_future_is_empty) {
    weft::future<int> f;
    EXPECT_FALSE(f.valid());
    EXPECT_THROW((void)f.done(), weft::invalid_state_error);
    EXPECT_THROW(f.cancel(), weft::invalid_state_error);
    weft::promise<int> p;
    weft::future<int> g = p.get_future();
    weft::future<int> h = std::move(g);
    EXPECT_FALSE(g.valid()); // NOLINT(bugprone-use-after-move): the behaviour under test
    EXPECT_TRUE(h.valid());
}

TEST(future, done_callback_without_a_loop_runs_on_the_completing_thread) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    int seen = 0;
    f.add_done_callback([&](const weft::future<int>& done) { seen = done.result(); });
    EXPECT_EQ(seen, 0);
    p.set_value(9);
    EXPECT_EQ(seen, 9);
}

WEFT_CO_TEST(future, done_callbacks_run_soon_in_registration_order) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    std::vector<int> calls;
    f.add_done_callback([&](const weft::future<int>& done) { calls.push_back(done.result()); });
    f.add_done_callback([&] { calls.push_back(-1); });
    p.set_value(4);
    EXPECT_TRUE(calls.empty()) << "callbacks run on the loop, not inside set_value";
    bool ran = co_await weft::testing::yield_until([&] { return calls.size() == 2; });
    EXPECT_TRUE(ran);
    EXPECT_EQ(calls, (std::vector<int>{4, -1}));
}

WEFT_CO_TEST(future, done_callback_on_a_done_future_runs_soon_not_inline) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    p.set_value(1);
    bool called = false;
    f.add_done_callback([&] { called = true; });
    EXPECT_FALSE(called);
    bool ran = co_await weft::testing::yield_until([&] { return called; });
    EXPECT_TRUE(ran);
}

WEFT_CO_TEST(future, move_only_task_result_is_taken_by_its_only_owner) {
    weft::future<std::unique_ptr<int>> f = weft::create_task(make_unique_int(8));
    std::unique_ptr<int> v = co_await std::move(f);
    WEFT_CO_ASSERT_TRUE(v != nullptr);
    EXPECT_EQ(*v, 8);
}

WEFT_CO_TEST(future, move_only_result_awaited_as_lvalue_throws_invalid_state) {
    weft::future<std::unique_ptr<int>> f = weft::create_task(make_unique_int(8));
    EXPECT_THROW((void)co_await f, weft::invalid_state_error);
}

WEFT_CO_TEST(future, move_only_promise_value_is_taken_while_the_promise_lives) {
    // The producer (promise) is not a consumer: a satisfied promise that still exists must not
    // stop the future's only owner from taking the value. Otherwise whether `co_await
    // std::move(f)` works depends on when the producer (often another thread) drops its promise.
    weft::promise<std::unique_ptr<int>> p;
    weft::future<std::unique_ptr<int>> f = p.get_future();
    p.set_value(std::make_unique<int>(6));
    std::unique_ptr<int> v;
    try {
        v = co_await std::move(f);
    } catch (const weft::invalid_state_error& e) {
        ADD_FAILURE() << "BUG: co_await std::move(future) of a move-only value throws while the "
                         "satisfied promise is alive: "
                      << e.what();
    }
    EXPECT_TRUE(v != nullptr && *v == 6);
}

TEST(future, broken_promise_completes_the_future_with_broken_promise_error) {
    weft::future<int> f;
    {
        weft::promise<int> p;
        f = p.get_future();
    }
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_THROW(f.result(), weft::broken_promise_error);
}
