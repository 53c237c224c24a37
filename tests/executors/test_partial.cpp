// weft::partial (partial.hpp): functools.partial for C++.

#include "executor_kinds.hpp"

#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

namespace {

std::string join_words(const std::string& a, const std::string& b, const std::string& c) {
    return a + "-" + b + "-" + c;
}

int subtract(int a, int b) {
    return a - b;
}

struct account {
    int balance = 0;
    int deposit(int amount) {
        balance += amount;
        return balance;
    }
    [[nodiscard]] int with_interest(int percent) const { return balance + balance * percent / 100; }
};

} // namespace

TEST(partial, binds_the_first_arguments_of_a_free_function) {
    auto from_ten = weft::partial(subtract, 10);
    EXPECT_EQ(from_ten(3), 7);
    EXPECT_EQ(from_ten(10), 0);
    auto nothing_bound = weft::partial(subtract);
    EXPECT_EQ(nothing_bound(5, 2), 3);
    auto all_bound = weft::partial(&subtract, 5, 2); // a function pointer works as well
    EXPECT_EQ(all_bound(), 3);
}

TEST(partial, appends_the_arguments_of_each_call) {
    // Seed 6: partial(print, 'Hello', 'Python') called again with 'Script'.
    auto hello = weft::partial(join_words, "Hello", "Python");
    EXPECT_EQ(hello("Script"), "Hello-Python-Script");
    EXPECT_EQ(hello("C++"), "Hello-Python-C++"); // callable again: the bound arguments remain
    auto nested = weft::partial(weft::partial(join_words, "a"), "b");
    EXPECT_EQ(nested("c"), "a-b-c");
}

TEST(partial, binds_a_lambda) {
    auto scale = weft::partial([](double factor, double x) { return factor * x; }, 2.5);
    EXPECT_DOUBLE_EQ(scale(4.0), 10.0);
    int calls = 0;
    auto counting = weft::partial(
        [&calls](int a, int b) {
            ++calls;
            return a * b;
        },
        6);
    EXPECT_EQ(counting(7), 42);
    EXPECT_EQ(calls, 1);
}

TEST(partial, binds_a_member_function_with_the_object_first) {
    const account rich{1000};
    auto interest = weft::partial(&account::with_interest, rich); // the object, copied
    EXPECT_EQ(interest(5), 1050);

    account mine{10};
    auto deposit = weft::partial(&account::deposit, &mine); // through a pointer: the same object
    EXPECT_EQ(deposit(5), 15);
    EXPECT_EQ(mine.balance, 15);

    auto by_ref = weft::partial(&account::deposit, std::ref(mine)); // through std::ref
    EXPECT_EQ(by_ref(1), 16);
    EXPECT_EQ(mine.balance, 16);

    auto on_copy = weft::partial(&account::deposit, mine); // a copy of the object
    EXPECT_EQ(on_copy(100), 116);
    EXPECT_EQ(mine.balance, 16);

    auto member_later = weft::partial(&account::with_interest); // the object comes with the call
    EXPECT_EQ(member_later(rich, 10), 1100);
}

TEST(partial, bound_values_are_copies) {
    std::string word = "Hello, a string too long for the small-string buffer";
    auto echo =
        weft::partial([](const std::string& w, const std::string& tail) { return w + tail; }, word);
    word.assign("changed");
    EXPECT_EQ(echo("!"), "Hello, a string too long for the small-string buffer!");

    std::optional<decltype(weft::partial(join_words, std::string(), std::string()))> later;
    {
        std::string a = "made in a scope";
        std::string b = "that ended";
        later.emplace(weft::partial(join_words, a, b));
    } // a and b are gone; the partial kept its own copies
    EXPECT_EQ((*later)("fine"), "made in a scope-that ended-fine");

    static_assert(
        std::is_same_v<std::tuple_element_t<0, std::decay_t<decltype(echo.args())>>, std::string>,
        "a bound std::string is stored as a std::string");
}

TEST(partial, std_ref_binds_a_reference_on_purpose) {
    int total = 0;
    auto add_to = weft::partial([](int& t, int x) { t += x; }, std::ref(total));
    add_to(2);
    add_to(3);
    EXPECT_EQ(total, 5);
}

TEST(partial, exposes_func_and_args) {
    auto hello = weft::partial(join_words, std::string("Hello"), std::string("Python"));
    EXPECT_EQ(std::get<0>(hello.args()), "Hello");
    EXPECT_EQ(std::get<1>(hello.args()), "Python");
    EXPECT_EQ(hello.func()("x", "y", "z"), "x-y-z");
}

TEST(partial, const_and_rvalue_calls) {
    const auto from_ten = weft::partial(subtract, 10);
    EXPECT_EQ(from_ten(4), 6);

    // Called as an rvalue, a partial moves its bound values into fn: move-only values work.
    auto take = weft::partial([](std::unique_ptr<int> p, int add) { return *p + add; },
                              std::make_unique<int>(40));
    EXPECT_EQ(std::move(take)(2), 42);
}

TEST(partial, runs_through_run_in_executor_with_more_arguments) {
    weft::thread_pool pool({.threads = 2});
    weft_exec_test::run_body([&pool]() -> weft::task<void> {
        auto hello = weft::partial(join_words, "Hello", "Python");
        const std::string a = co_await weft::run_in_executor(pool, hello, "Script");
        EXPECT_EQ(a, "Hello-Python-Script");
        const int d = co_await weft::run_in_executor(pool, weft::partial(subtract, 50), 8);
        EXPECT_EQ(d, 42);
        account mine{1};
        const int e =
            co_await weft::run_in_executor(pool, weft::partial(&account::deposit, &mine), 1);
        EXPECT_EQ(e, 2);
        EXPECT_EQ(mine.balance, 2);
    });
}

TEST(partial, runs_on_the_default_executor) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    weft_exec_test::run_body([]() -> weft::task<void> {
        auto hello = weft::partial(join_words, "Hello", "Python");
        const std::string b = co_await weft::run_in_executor(nullptr, hello, std::string("Go"));
        EXPECT_EQ(b, "Hello-Python-Go");
        const std::string c = co_await weft::to_thread(weft::partial(hello, "Rust"));
        EXPECT_EQ(c, "Hello-Python-Rust");
    });
}
