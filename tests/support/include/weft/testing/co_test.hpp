#pragma once

/// Coroutine test bodies for GoogleTest (folly's CO_TEST idea).
///
///     WEFT_CO_TEST(gather, keeps_argument_order) {
///         auto [a, b] = co_await weft::gather(one(), two());
///         EXPECT_EQ(a, 1);
///         WEFT_CO_ASSERT_EQ(b, 2); // co_return on failure
///     }
///
/// The body is a `weft::task<void>` run by weft::run() on a fresh runtime; WEFT_CO_TEST_LOOPS picks
/// how many loops it has (WEFT_CO_TEST uses one).
///
/// gtest's ASSERT_* expand to `return`, which a coroutine cannot do: use EXPECT_* freely, and the
/// WEFT_CO_ASSERT_* below where a failure must end the body (they `co_return`). EXPECT_THROW and
/// WEFT_CO_ASSERT_THROW accept a statement with co_await in it. Bind `co_await x` to a local before
/// comparing it, rather than writing co_await inside an assertion's arguments: g++ 12 mishandles
/// some co_await expressions inside conditions.

#include <weft/runtime/error.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/task.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <utility>

namespace weft::testing {

/// Runs aw with weft::run() on a runtime of `loops` loops and returns its result; rethrows.
template <class A>
requires awaitable<A> await_result_t<A> run_test(A&& aw, std::size_t loops = 1) {
    return weft::run(std::forward<A>(aw), options{.loops = loops});
}

namespace detail {

/// Runs a WEFT_CO_TEST body: a cancelled_error that escapes it (not a std::exception, so gtest
/// would only say "unknown exception") becomes a failure with its message.
inline void run_test_body(task<void> body, const options& opts) {
    try {
        weft::run(std::move(body), opts);
    } catch (const cancelled_error& e) {
        ADD_FAILURE() << "weft::cancelled_error escaped the test body: " << e.what();
    }
}

inline void run_test_body(task<void> body, std::size_t loops) {
    run_test_body(std::move(body), options{.loops = loops});
}

} // namespace detail

} // namespace weft::testing

#define WEFT_TESTING_CAT_(a, b) a##b
#define WEFT_TESTING_BODY_NAME_(suite, name) WEFT_TESTING_CAT_(weft_co_test_##suite##_, name)

/// A gtest TEST(suite, name) whose body is a weft::task<void> coroutine, run on `loops` loops.
#define WEFT_CO_TEST_LOOPS(suite, name, loops)                                                     \
    static ::weft::task<void> WEFT_TESTING_BODY_NAME_(suite, name)();                              \
    TEST(suite, name) {                                                                            \
        ::weft::testing::detail::run_test_body(WEFT_TESTING_BODY_NAME_(suite, name)(), (loops));   \
    }                                                                                              \
    static ::weft::task<void> WEFT_TESTING_BODY_NAME_(suite, name)()

/// A gtest TEST(suite, name) whose body is a weft::task<void> coroutine, run with the given
/// weft::options (e.g. `(weft::options{.loops = 1, .clock = weft::clock_kind::manual})`).
#define WEFT_CO_TEST_OPTIONS(suite, name, opts)                                                    \
    static ::weft::task<void> WEFT_TESTING_BODY_NAME_(suite, name)();                              \
    TEST(suite, name) {                                                                            \
        ::weft::testing::detail::run_test_body(WEFT_TESTING_BODY_NAME_(suite, name)(), opts);      \
    }                                                                                              \
    static ::weft::task<void> WEFT_TESTING_BODY_NAME_(suite, name)()

/// A gtest TEST(suite, name) whose body is a weft::task<void> coroutine, run on one loop.
#define WEFT_CO_TEST(suite, name) WEFT_CO_TEST_LOOPS(suite, name, 1)

// ---- fatal assertions that leave a coroutine with co_return
// --------------------------------------

/// Records a fatal failure and leaves the coroutine (the coroutine's ASSERT_* "return").
#define WEFT_CO_FATAL_FAILURE_(message)                                                            \
    co_return GTEST_MESSAGE_(message, ::testing::TestPartResult::kFatalFailure)

#define WEFT_CO_FAIL() WEFT_CO_FATAL_FAILURE_("Failed")

#define WEFT_CO_ASSERT_TRUE(condition)                                                             \
    GTEST_TEST_BOOLEAN_(condition, #condition, false, true, WEFT_CO_FATAL_FAILURE_)
#define WEFT_CO_ASSERT_FALSE(condition)                                                            \
    GTEST_TEST_BOOLEAN_(!(condition), #condition, true, false, WEFT_CO_FATAL_FAILURE_)

#define WEFT_CO_ASSERT_EQ(val1, val2)                                                              \
    GTEST_PRED_FORMAT2_(::testing::internal::EqHelper::Compare, val1, val2, WEFT_CO_FATAL_FAILURE_)
#define WEFT_CO_ASSERT_NE(val1, val2)                                                              \
    GTEST_PRED_FORMAT2_(::testing::internal::CmpHelperNE, val1, val2, WEFT_CO_FATAL_FAILURE_)
#define WEFT_CO_ASSERT_LT(val1, val2)                                                              \
    GTEST_PRED_FORMAT2_(::testing::internal::CmpHelperLT, val1, val2, WEFT_CO_FATAL_FAILURE_)
#define WEFT_CO_ASSERT_LE(val1, val2)                                                              \
    GTEST_PRED_FORMAT2_(::testing::internal::CmpHelperLE, val1, val2, WEFT_CO_FATAL_FAILURE_)
#define WEFT_CO_ASSERT_GT(val1, val2)                                                              \
    GTEST_PRED_FORMAT2_(::testing::internal::CmpHelperGT, val1, val2, WEFT_CO_FATAL_FAILURE_)
#define WEFT_CO_ASSERT_GE(val1, val2)                                                              \
    GTEST_PRED_FORMAT2_(::testing::internal::CmpHelperGE, val1, val2, WEFT_CO_FATAL_FAILURE_)

/// `statement` (which may co_await) must throw `expected_exception`, else the coroutine ends.
#define WEFT_CO_ASSERT_THROW(statement, expected_exception)                                        \
    GTEST_TEST_THROW_(statement, expected_exception, WEFT_CO_FATAL_FAILURE_)
#define WEFT_CO_ASSERT_NO_THROW(statement) GTEST_TEST_NO_THROW_(statement, WEFT_CO_FATAL_FAILURE_)
