// weft::timeout / timeout_at against the behaviours CPython's Lib/test/test_asyncio/
// test_timeouts.py pins down for asyncio.timeout: one case per CPython test, named after it.
// `async with asyncio.timeout(d) as cm: body` is `co_await weft::timeout(d,
// [&](weft::timeout_scope& cm) -> weft::task<> { body })`. Time is virtual (clock_kind::manual),
// driven in the background.
//
// Not ported: test_repr_* (no repr), the tests of exception chaining (__cause__, __context__) and
// of ExceptionGroup handling (C++ exceptions do not chain), and test_timeout_double_enter /
// test_timeout_finished (the scope is a call, so it cannot be entered twice or reused).

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/timeout.hpp>
#include <weft/runtime/virtual_time.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/virtual_clock.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>

using namespace std::chrono_literals;

namespace {

using weft::testing::drive_time;

constexpr weft::options manual{.loops = 1, .clock = weft::clock_kind::manual};

weft::clock::time_point now() {
    return weft::current_loop().time();
}

} // namespace

// test_timeout_basic: the deadline cancels the sleep; the scope throws timeout_error.
WEFT_CO_TEST_OPTIONS(timeouts, test_timeout_basic, manual) {
    auto driver = drive_time();
    bool expired = false;
    auto scope = weft::timeout(10ms, [&](weft::timeout_scope& cm) -> weft::task<void> {
        try {
            co_await weft::sleep(10s);
        } catch (const weft::cancelled_error&) {
            expired = cm.expired();
            throw;
        }
    });
    EXPECT_THROW(co_await std::move(scope), weft::timeout_error);
    EXPECT_TRUE(expired);
}

// test_timeout_at_basic: the same with an absolute deadline, which when() reports.
WEFT_CO_TEST_OPTIONS(timeouts, test_timeout_at_basic, manual) {
    auto driver = drive_time();
    const auto deadline = now() + 10ms;
    std::optional<weft::clock::time_point> when;
    auto scope = weft::timeout_at(deadline, [&](weft::timeout_scope& cm) -> weft::task<void> {
        when = cm.when();
        co_await weft::sleep(10s);
    });
    EXPECT_THROW(co_await std::move(scope), weft::timeout_error);
    EXPECT_EQ(when, deadline);
    EXPECT_LT(now() - deadline, 1s) << "the 10 s sleep was cut short";
}

// test_nested_timeouts: of two nested scopes with one deadline, only the outer one throws
// timeout_error; the inner one lets the cancellation through.
WEFT_CO_TEST_OPTIONS(timeouts, test_nested_timeouts, manual) {
    auto driver = drive_time();
    const auto deadline = now() + 10ms;
    bool cancelled = false;
    auto outer = weft::timeout_at(deadline, [&]() -> weft::task<void> {
        auto inner =
            weft::timeout_at(deadline, []() -> weft::task<void> { co_await weft::sleep(10s); });
        try {
            co_await std::move(inner);
        } catch (const weft::cancelled_error&) {
            cancelled = true;
            throw;
        }
    });
    EXPECT_THROW(co_await std::move(outer), weft::timeout_error);
    EXPECT_TRUE(cancelled);
}

// test_waiter_cancelled: the body sees cancelled_error at its await; the scope then throws
// timeout_error.
WEFT_CO_TEST_OPTIONS(timeouts, test_waiter_cancelled, manual) {
    auto driver = drive_time();
    bool saw_cancel = false;
    auto scope = weft::timeout(10ms, [&]() -> weft::task<void> {
        try {
            co_await weft::sleep(10s);
        } catch (const weft::cancelled_error&) {
            saw_cancel = true;
            throw;
        }
    });
    EXPECT_THROW(co_await std::move(scope), weft::timeout_error);
    EXPECT_TRUE(saw_cancel);
}

// test_timeout_not_called: a body that finishes in time returns normally, not expired.
WEFT_CO_TEST_OPTIONS(timeouts, test_timeout_not_called, manual) {
    auto driver = drive_time();
    const auto t0 = now();
    bool expired = true;
    std::optional<weft::clock::time_point> when;
    auto scope = weft::timeout(10s, [&](weft::timeout_scope& cm) -> weft::task<int> {
        co_await weft::sleep(10ms);
        expired = cm.expired();
        when = cm.when();
        co_return 5;
    });
    int v = co_await std::move(scope);
    EXPECT_EQ(v, 5);
    EXPECT_FALSE(expired);
    WEFT_CO_ASSERT_TRUE(when.has_value());
    EXPECT_GT(*when, t0);
}

// test_timeout_disabled / test_timeout_at_disabled: no deadline, nothing expires.
WEFT_CO_TEST_OPTIONS(timeouts, test_timeout_at_disabled, manual) {
    auto driver = drive_time();
    bool expired = true;
    std::optional<weft::clock::time_point> when = now();
    auto scope = weft::timeout_at(std::nullopt, [&](weft::timeout_scope& cm) -> weft::task<void> {
        co_await weft::sleep(10ms);
        expired = cm.expired();
        when = cm.when();
    });
    co_await std::move(scope);
    EXPECT_FALSE(expired);
    EXPECT_FALSE(when.has_value());
}

// test_timeout_zero: a zero timeout cancels the body at its first await.
WEFT_CO_TEST_OPTIONS(timeouts, test_timeout_zero, manual) {
    auto driver = drive_time();
    auto scope = weft::timeout(0ms, []() -> weft::task<void> { co_await weft::sleep(10s); });
    EXPECT_THROW(co_await std::move(scope), weft::timeout_error);
}

// test_timeout_in_the_past_sleep_zero: a deadline in the past cancels even a yield.
WEFT_CO_TEST_OPTIONS(timeouts, test_timeout_in_the_past_sleep_zero, manual) {
    auto driver = drive_time();
    auto scope = weft::timeout(-11s, []() -> weft::task<void> {
        for (int i = 0; i < 100; ++i) {
            co_await weft::yield();
        }
    });
    EXPECT_THROW(co_await std::move(scope), weft::timeout_error);
}

// test_foreign_exception_passed: the body's own exception passes through, nothing expired.
WEFT_CO_TEST_OPTIONS(timeouts, test_foreign_exception_passed, manual) {
    bool expired = true;
    auto scope = weft::timeout(10ms, [&](weft::timeout_scope& cm) -> weft::task<void> {
        expired = cm.expired();
        throw std::out_of_range("KeyError");
        co_return;
    });
    EXPECT_THROW(co_await std::move(scope), std::out_of_range);
    EXPECT_FALSE(expired);
}

// test_foreign_cancel_doesnt_timeout_if_not_expired: a cancel from outside is cancelled_error.
WEFT_CO_TEST_OPTIONS(timeouts, test_foreign_cancel_doesnt_timeout_if_not_expired, manual) {
    auto runner = []() -> weft::task<void> {
        auto scope = weft::timeout(10s, []() -> weft::task<void> { co_await weft::sleep(20s); });
        co_await std::move(scope);
    };
    weft::future<void> t = weft::create_task(runner());
    co_await weft::advance(10ms);
    t.cancel();
    EXPECT_THROW(co_await t, weft::cancelled_error);
}

// test_outer_task_is_not_cancelled: the scope's own cancellation does not leak: the task goes on
// awaiting normally afterwards.
WEFT_CO_TEST_OPTIONS(timeouts, test_outer_task_is_not_cancelled, manual) {
    auto driver = drive_time();
    auto scope = weft::timeout(10ms, []() -> weft::task<void> { co_await weft::sleep(10s); });
    EXPECT_THROW(co_await std::move(scope), weft::timeout_error);
    co_await weft::sleep(10ms); // not cancelled
    SUCCEED();
}

// test_timeout_swallow (asyncio's "swallowed" case): a body that catches the cancellation and
// returns gives its value; the scope is expired and throws nothing.
WEFT_CO_TEST_OPTIONS(timeouts, body_that_swallows_the_cancellation_returns_its_value, manual) {
    auto driver = drive_time();
    bool expired = false;
    auto scope = weft::timeout(10ms, [&](weft::timeout_scope& cm) -> weft::task<int> {
        try {
            co_await weft::sleep(10s);
        } catch (const weft::cancelled_error&) {
        }
        expired = cm.expired();
        co_return 3;
    });
    int v = co_await std::move(scope);
    EXPECT_EQ(v, 3);
    EXPECT_TRUE(expired);
    co_await weft::sleep(10ms); // and the task is not left cancelled
}

// test_reschedule: a disabled deadline set later, then moved, then expiring.
WEFT_CO_TEST_OPTIONS(timeouts, test_reschedule, manual) {
    auto driver = drive_time();
    const auto t0 = now();
    bool rejected = false;
    auto scope = weft::timeout_at(std::nullopt, [&](weft::timeout_scope& cm) -> weft::task<void> {
        cm.reschedule(now() + 10s);
        cm.reschedule(now() + 20ms); // moved earlier
        try {
            co_await weft::sleep(10s);
        } catch (const weft::cancelled_error&) {
            try {
                cm.reschedule(now() + 1s); // too late: it expired
            } catch (const weft::invalid_state_error&) {
                rejected = true;
            }
            throw;
        }
    });
    EXPECT_THROW(co_await std::move(scope), weft::timeout_error);
    EXPECT_TRUE(rejected);
    EXPECT_LT(now() - t0, 1s);
}

// An outer scope's deadline passing while an inner scope with a later deadline runs: the inner one
// lets the cancellation through, the outer one throws timeout_error (asyncio's nesting rule).
WEFT_CO_TEST_OPTIONS(timeouts, outer_deadline_passes_through_an_inner_scope, manual) {
    auto driver = drive_time();
    bool inner_timed_out = false;
    auto outer = weft::timeout(10ms, [&]() -> weft::task<void> {
        auto inner = weft::timeout(10s, []() -> weft::task<void> { co_await weft::sleep(20s); });
        try {
            co_await std::move(inner);
        } catch (const weft::timeout_error&) {
            inner_timed_out = true;
        }
    });
    EXPECT_THROW(co_await std::move(outer), weft::timeout_error);
    EXPECT_FALSE(inner_timed_out);
}
