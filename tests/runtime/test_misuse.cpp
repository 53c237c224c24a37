// Misuse fails at the call site with invalid_state_error (or the documented error) and a message
// that says what to do.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/outcome.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task.hpp>
#include <weft/runtime/task_group.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>

namespace {

weft::task<int> answer() {
    co_await weft::yield();
    co_return 42;
}

bool contains(const char* haystack, const char* needle) {
    return std::string(haystack).find(needle) != std::string::npos;
}

} // namespace

static_assert(std::is_base_of_v<weft::error, weft::invalid_state_error>);
static_assert(std::is_base_of_v<weft::error, weft::timeout_error>);
static_assert(std::is_base_of_v<weft::error, weft::broken_promise_error>);
static_assert(std::is_base_of_v<std::runtime_error, weft::error>);

WEFT_CO_TEST(misuse, awaiting_a_task_twice_throws_invalid_state_with_a_message) {
    weft::task<int> t = answer();
    int v = co_await t;
    EXPECT_EQ(v, 42);
    try {
        (void)co_await t;
        ADD_FAILURE() << "awaiting a task twice must throw";
    } catch (const weft::invalid_state_error& e) {
        EXPECT_TRUE(contains(e.what(), "twice")) << e.what();
    }
}

WEFT_CO_TEST(misuse, scheduling_an_awaited_task_throws_invalid_state) {
    weft::task<int> t = answer();
    (void)co_await t;
    EXPECT_THROW((void)weft::create_task(std::move(t)), weft::invalid_state_error);
}

WEFT_CO_TEST(misuse, awaiting_a_moved_from_task_throws_invalid_state) {
    weft::task<int> t = answer();
    weft::task<int> other = std::move(t);
    try {
        (void)co_await t; // NOLINT(bugprone-use-after-move): the behaviour under test
        ADD_FAILURE() << "awaiting a moved-from task must throw";
    } catch (const weft::invalid_state_error& e) {
        EXPECT_TRUE(contains(e.what(), "moved from")) << e.what();
    }
    int v = co_await std::move(other);
    EXPECT_EQ(v, 42);
}

WEFT_CO_TEST(misuse, awaiting_a_default_constructed_task_throws_invalid_state) {
    weft::task<int> t;
    EXPECT_THROW((void)co_await t, weft::invalid_state_error);
}

TEST(misuse, future_result_before_done_throws_invalid_state) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    try {
        (void)f.result();
        ADD_FAILURE() << "result() before done must throw";
    } catch (const weft::invalid_state_error& e) {
        EXPECT_TRUE(contains(e.what(), "before the future is done")) << e.what();
    }
    EXPECT_THROW((void)f.exception(), weft::invalid_state_error);
    p.set_value(1);
    EXPECT_EQ(f.result(), 1);
}

TEST(misuse, setting_a_promise_twice_throws_invalid_state) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    EXPECT_TRUE(p.set_value(1));
    try {
        p.set_value(2);
        ADD_FAILURE() << "a second set_value must throw";
    } catch (const weft::invalid_state_error& e) {
        EXPECT_TRUE(contains(e.what(), "twice")) << e.what();
    }
    EXPECT_THROW(p.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                 weft::invalid_state_error);
    EXPECT_EQ(f.result(), 1) << "the first value stays";
}

TEST(misuse, destroyed_promise_breaks_its_future) {
    weft::future<std::string> f;
    {
        weft::promise<std::string> p;
        f = p.get_future();
    }
    ASSERT_TRUE(f.done());
    EXPECT_THROW((void)f.result(), weft::broken_promise_error);
    EXPECT_THROW(std::rethrow_exception(f.exception()), weft::broken_promise_error);
}

WEFT_CO_TEST(misuse, awaiting_a_broken_promise_throws_broken_promise_error) {
    auto p = std::make_unique<weft::promise<int>>();
    weft::future<int> f = p->get_future();
    auto waiter =
        weft::create_task([](weft::future<int> f) -> weft::task<int> { co_return co_await f; }(f));
    co_await weft::yield();
    p.reset();
    EXPECT_THROW((void)co_await waiter, weft::broken_promise_error);
}

TEST(misuse, promise_set_after_the_future_was_cancelled_returns_false) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    EXPECT_TRUE(f.cancel());
    EXPECT_FALSE(p.set_value(1));
    EXPECT_FALSE(p.set_exception(std::make_exception_ptr(std::runtime_error("late"))));
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW((void)f.result(), weft::cancelled_error);
}

TEST(misuse, moved_from_promise_throws_invalid_state) {
    weft::promise<int> p;
    weft::promise<int> q = std::move(p);
    EXPECT_THROW(p.set_value(1), weft::invalid_state_error); // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(q.set_value(1));
}

TEST(misuse, empty_outcome_value_throws_invalid_state) {
    weft::outcome<int> o;
    EXPECT_FALSE(o.has_value());
    EXPECT_FALSE(o.has_exception());
    EXPECT_FALSE(o.cancelled());
    EXPECT_THROW((void)o.value(), weft::invalid_state_error);
    EXPECT_EQ(o.exception(), nullptr);
}

WEFT_CO_TEST(misuse, joining_a_task_group_from_two_tasks_throws_invalid_state) {
    weft::task_group g;
    weft::promise<void> gate;
    (void)g.create_task(gate.get_future());
    auto first =
        weft::create_task([](weft::task_group& g) -> weft::task<void> { co_await g.join(); }(g));
    co_await weft::yield(); // first is now waiting in join()
    EXPECT_THROW(co_await g.join(), weft::invalid_state_error);
    gate.set_value();
    co_await first;
}
