// weft::task<T>: lazy start, results and exceptions through co_await, ownership.

#include <weft/runtime/error.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

weft::task<void> set_flag(bool& flag) {
    flag = true;
    co_return;
}

weft::task<int> answer() {
    co_return 42;
}

weft::task<int> add_one(int x) {
    co_return x + 1;
}

weft::task<int> add_via_chain(int a, int b) {
    int x = co_await add_one(a);
    co_await weft::yield();
    co_return x - 1 + b;
}

struct custom_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

weft::task<int> throws_custom() {
    co_await weft::yield();
    throw custom_error("custom failure");
}

weft::task<void> throws_in_void() {
    throw std::logic_error("void failure");
    co_return;
}

weft::task<std::unique_ptr<int>> make_unique_int(int v) {
    co_return std::make_unique<int>(v);
}

weft::task<std::string> hold(std::shared_ptr<int> keep, bool& ran) {
    ran = true;
    co_return std::to_string(*keep);
}

weft::task<int> recurse(int depth) {
    if (depth == 0) {
        co_return 0;
    }
    co_return 1 + co_await recurse(depth - 1);
}

} // namespace

static_assert(!std::is_copy_constructible_v<weft::task<int>>, "task is move-only");
static_assert(std::is_nothrow_move_constructible_v<weft::task<int>>);

WEFT_CO_TEST(task, does_not_run_until_awaited) {
    bool flag = false;
    weft::task<void> t = set_flag(flag);
    co_await weft::yield();
    EXPECT_FALSE(flag) << "a task must be lazy: nothing runs before it is awaited";
    co_await std::move(t);
    EXPECT_TRUE(flag);
}

WEFT_CO_TEST(task, returns_its_value) {
    int v = co_await answer();
    EXPECT_EQ(v, 42);
}

WEFT_CO_TEST(task, awaits_chain_of_tasks) {
    int v = co_await add_via_chain(1, 2);
    EXPECT_EQ(v, 3);
}

WEFT_CO_TEST(task, propagates_exception_type_and_message) {
    try {
        (void)co_await throws_custom();
        ADD_FAILURE() << "expected custom_error";
    } catch (const custom_error& e) {
        EXPECT_STREQ(e.what(), "custom failure");
    }
    EXPECT_THROW(co_await throws_in_void(), std::logic_error);
}

WEFT_CO_TEST(task, returns_move_only_values) {
    std::unique_ptr<int> p = co_await make_unique_int(7);
    WEFT_CO_ASSERT_TRUE(p != nullptr);
    EXPECT_EQ(*p, 7);
}

WEFT_CO_TEST(task, is_done_after_being_awaited) {
    weft::task<int> t = answer();
    EXPECT_TRUE(t.valid());
    EXPECT_FALSE(t.done());
    int v = co_await t;
    EXPECT_EQ(v, 42);
    EXPECT_TRUE(t.done());
}

WEFT_CO_TEST(task, awaiting_an_lvalue_task_works_once) {
    weft::task<int> t = add_one(1);
    int v = co_await t;
    EXPECT_EQ(v, 2);
}

WEFT_CO_TEST(task, deep_recursion_completes) {
    // Each level suspends into the next and resumes its parent by symmetric transfer.
    int depth = co_await recurse(10'000);
    EXPECT_EQ(depth, 10'000);
}

WEFT_CO_TEST(task, many_sequential_awaits_in_one_step_complete) {
    // Synchronous child completions in one loop step. Kept at 10'000: g++ 12 below -O2 does not
    // turn symmetric transfer into a tail call, so every await of a task that completes without
    // suspending costs stack until the step ends (about 100'000 such awaits overflow an 8 MiB
    // stack at -O0, 1'000'000 at -O1; -O2 is flat).
    long sum = 0;
    for (int i = 0; i < 10'000; ++i) {
        sum += co_await add_one(0);
    }
    EXPECT_EQ(sum, 10'000);
}

TEST(task, move_transfers_ownership) {
    weft::task<int> a = answer();
    ASSERT_TRUE(a.valid());
    weft::task<int> b = std::move(a);
    EXPECT_FALSE(a.valid()); // NOLINT(bugprone-use-after-move): the behaviour under test
    EXPECT_TRUE(b.valid());
    weft::task<int> c;
    EXPECT_FALSE(c.valid());
    c = std::move(b);
    EXPECT_TRUE(c.valid());
    EXPECT_FALSE(b.valid()); // NOLINT(bugprone-use-after-move)
}

TEST(task, destroying_an_unawaited_task_destroys_its_frame_without_running_it) {
    auto keep = std::make_shared<int>(5);
    bool ran = false;
    {
        weft::task<std::string> t = hold(keep, ran);
        EXPECT_EQ(keep.use_count(), 2) << "the frame holds its own copy of the argument";
    }
    EXPECT_FALSE(ran);
    EXPECT_EQ(keep.use_count(), 1) << "the frame (and its arguments) must be freed";
}

TEST(task, move_assignment_destroys_the_previous_frame) {
    auto keep = std::make_shared<int>(1);
    bool ran = false;
    weft::task<std::string> t = hold(keep, ran);
    EXPECT_EQ(keep.use_count(), 2);
    t = weft::task<std::string>{};
    EXPECT_EQ(keep.use_count(), 1);
    EXPECT_FALSE(ran);
}

TEST(task, result_reaches_the_caller_of_run) {
    EXPECT_EQ(weft::testing::run_test(add_via_chain(20, 22)), 42);
}
