// Cancellation of a task in each state it can be in, shield, and cancelled_error's place in the
// exception hierarchy. Cancelling from other threads: test_cross_thread.cpp.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <type_traits>

using namespace std::chrono_literals;

static_assert(!std::is_base_of_v<std::exception, weft::cancelled_error>,
              "cancelled_error must not be caught by catch (const std::exception&)");
static_assert(!std::is_base_of_v<weft::error, weft::cancelled_error>);

namespace {

struct log_t {
    bool started = false;
    bool caught = false;
    bool after_suspension = false;
    int catches = 0;
};

weft::task<int> body_that_records(log_t& log) {
    log.started = true;
    co_await weft::yield();
    log.after_suspension = true;
    co_return 1;
}

weft::task<int> sleeps_until_cancelled(log_t& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.caught = true;
        ++log.catches;
        throw;
    }
    co_return 0;
}

weft::task<int> awaits_child(log_t& child_log, log_t& parent_log) {
    parent_log.started = true;
    try {
        co_return co_await sleeps_until_cancelled(child_log);
    } catch (const weft::cancelled_error&) {
        parent_log.caught = true;
        throw;
    }
}

weft::task<int> awaits_future(weft::future<int> f, log_t& log) {
    log.started = true;
    try {
        co_return co_await f;
    } catch (const weft::cancelled_error&) {
        log.caught = true;
        throw;
    }
}

weft::task<int> cleans_up_then_returns(log_t& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.caught = true;
        ++log.catches;
    }
    // Awaiting again after catching the cancellation works: the request was consumed.
    co_await weft::sleep(1ms);
    co_await weft::yield();
    log.after_suspension = true;
    co_return 7;
}

weft::task<int> generic_catch(log_t& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const std::exception&) {
        log.caught = true; // must not happen
    }
    co_return 0;
}

} // namespace

WEFT_CO_TEST(cancel, pending_task_never_runs) {
    log_t log;
    weft::future<int> f = weft::create_task(body_that_records(log));
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(log.started) << "a task cancelled before it started never runs";
}

WEFT_CO_TEST(cancel, running_task_cancelling_itself_sees_it_at_the_next_suspension) {
    log_t log;
    auto self = std::make_shared<weft::future<int>>();
    *self = weft::create_task(
        [](std::shared_ptr<weft::future<int>> self, log_t& log) -> weft::task<int> {
            log.started = true;
            EXPECT_TRUE(self->cancel()) << "a running task is not done";
            log.after_suspension = false; // the code up to the next suspension still runs
            try {
                co_await weft::yield();
            } catch (const weft::cancelled_error&) {
                log.caught = true;
                throw;
            }
            log.after_suspension = true;
            co_return 1;
        }(self, log));
    EXPECT_THROW((void)co_await *self, weft::cancelled_error);
    EXPECT_TRUE(log.started);
    EXPECT_TRUE(log.caught);
    EXPECT_FALSE(log.after_suspension);
    EXPECT_TRUE(self->cancelled());
}

WEFT_CO_TEST(cancel, task_awaiting_a_sleep) {
    log_t log;
    weft::future<int> f = weft::create_task(sleeps_until_cancelled(log));
    co_await weft::yield();
    WEFT_CO_ASSERT_TRUE(log.started);
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_TRUE(log.caught);
    EXPECT_TRUE(f.cancelled());
}

WEFT_CO_TEST(cancel, task_awaiting_a_child_task_cancels_the_child) {
    log_t child;
    log_t parent;
    weft::future<int> f = weft::create_task(awaits_child(child, parent));
    co_await weft::yield();
    WEFT_CO_ASSERT_TRUE(child.started);
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_TRUE(child.caught) << "the cancellation reached the child's suspension point";
    EXPECT_TRUE(parent.caught) << "and surfaced in the parent";
}

WEFT_CO_TEST(cancel, task_awaiting_a_future) {
    weft::promise<int> p;
    log_t log;
    weft::future<int> f = weft::create_task(awaits_future(p.get_future(), log));
    co_await weft::yield();
    WEFT_CO_ASSERT_TRUE(log.started);
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_TRUE(log.caught);
    EXPECT_FALSE(p.set_value(1)) << "as in asyncio, the awaited future was cancelled too";
}

WEFT_CO_TEST(cancel, task_awaiting_another_task_future_cancels_that_task) {
    log_t inner;
    log_t outer;
    weft::future<int> inner_f = weft::create_task(sleeps_until_cancelled(inner));
    weft::future<int> outer_f = weft::create_task(awaits_future(inner_f, outer));
    co_await weft::yield();
    WEFT_CO_ASSERT_TRUE(inner.started && outer.started);
    outer_f.cancel();
    EXPECT_THROW((void)co_await outer_f, weft::cancelled_error);
    EXPECT_TRUE(outer.caught);
    EXPECT_TRUE(inner.caught);
    EXPECT_TRUE(inner_f.cancelled());
}

WEFT_CO_TEST(cancel, done_task_returns_false_and_keeps_its_result) {
    log_t log;
    weft::future<int> f = weft::create_task(body_that_records(log));
    int v = co_await f;
    EXPECT_EQ(v, 1);
    EXPECT_FALSE(f.cancel());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 1);
}

WEFT_CO_TEST(cancel, catch_to_clean_up_then_await_again_works) {
    log_t log;
    weft::future<int> f = weft::create_task(cleans_up_then_returns(log));
    co_await weft::yield();
    EXPECT_TRUE(f.cancel());
    int v = co_await f;
    EXPECT_EQ(v, 7) << "a task that swallows its cancellation completes normally";
    EXPECT_TRUE(log.caught);
    EXPECT_TRUE(log.after_suspension);
    EXPECT_FALSE(f.cancelled());
}

WEFT_CO_TEST(cancel, is_idempotent) {
    // Two cancel() calls before the task runs again have the effect of one: the task sees one
    // cancelled_error, and its cleanup can still suspend.
    log_t log;
    weft::future<int> f = weft::create_task(cleans_up_then_returns(log));
    co_await weft::yield();
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.cancel()) << "still not done";
    try {
        int v = co_await f;
        EXPECT_EQ(v, 7);
    } catch (const weft::cancelled_error&) {
        ADD_FAILURE() << "BUG: the second cancel() was delivered again, at the cleanup's "
                         "suspension point (cancel is not idempotent)";
    }
    EXPECT_EQ(log.catches, 1);
}

WEFT_CO_TEST(cancel, is_idempotent_on_a_pending_task) {
    log_t log;
    weft::future<int> f = weft::create_task(body_that_records(log));
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_FALSE(log.started);
    EXPECT_FALSE(f.cancel()) << "done now";
}

WEFT_CO_TEST(cancel, cancelled_error_is_not_caught_as_std_exception) {
    log_t log;
    weft::future<int> f = weft::create_task(generic_catch(log));
    co_await weft::yield();
    f.cancel();
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_FALSE(log.caught);
    EXPECT_TRUE(f.cancelled());
}

WEFT_CO_TEST(cancel, cancelled_error_carries_a_message) {
    weft::cancelled_error plain;
    EXPECT_STRNE(plain.what(), "");
    weft::cancelled_error named("stopping the fetch");
    EXPECT_STREQ(named.what(), "stopping the fetch");
    co_return;
}

WEFT_CO_TEST(cancel, yield_is_a_cancellation_point) {
    log_t log;
    weft::future<int> f = weft::create_task([](log_t& log) -> weft::task<int> {
        log.started = true;
        for (;;) {
            co_await weft::yield();
        }
    }(log));
    bool started = co_await weft::testing::yield_until([&] { return log.started; });
    WEFT_CO_ASSERT_TRUE(started);
    f.cancel();
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
}

WEFT_CO_TEST(cancel, request_after_a_sleep_fired_surfaces_at_the_next_suspension) {
    // The task's timer fires (its resumption is queued), then cancel() arrives before the task ran:
    // the sleep returns normally and the cancellation surfaces at the next suspension point.
    log_t log;
    weft::future<int> f = weft::create_task([](log_t& log) -> weft::task<int> {
        log.started = true;
        co_await weft::sleep(0ms);
        log.after_suspension = true; // the sleep completed normally
        try {
            co_await weft::yield();
        } catch (const weft::cancelled_error&) {
            log.caught = true;
            throw;
        }
        co_return 1;
    }(log));
    co_await weft::yield(); // the task arms its timer first...
    WEFT_CO_ASSERT_TRUE(log.started);
    // ...so in the timer pass that fires it, this callback comes right after it.
    weft::current_loop().call_later(0ms, [f]() mutable { f.cancel(); });
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_TRUE(log.after_suspension) << "the fired sleep was not turned into a cancellation";
    EXPECT_TRUE(log.caught) << "the request waited for the next suspension point";
}

WEFT_CO_TEST(shield, inner_completes_and_the_outer_cancel_surfaces_at_the_next_suspension) {
    weft::promise<int> release;
    weft::future<int> release_f = release.get_future();
    struct state {
        bool inner_started = false;
        bool inner_done = false;
        int outer_got = 0;
        bool outer_saw_cancel = false;
    } st;
    weft::future<int> outer =
        weft::create_task([](weft::future<int> release_f, state& st) -> weft::task<int> {
            int v = co_await weft::shield(
                [](weft::future<int> release_f, state& st) -> weft::task<int> {
                    st.inner_started = true;
                    int v = co_await release_f;
                    co_await weft::yield();
                    st.inner_done = true;
                    co_return v;
                }(release_f, st));
            st.outer_got = v;
            try {
                co_await weft::yield();
            } catch (const weft::cancelled_error&) {
                st.outer_saw_cancel = true;
                throw;
            }
            co_return -1;
        }(release_f, st));
    bool started = co_await weft::testing::yield_until([&] { return st.inner_started; });
    WEFT_CO_ASSERT_TRUE(started);
    EXPECT_TRUE(outer.cancel());
    co_await weft::yield();
    EXPECT_FALSE(st.inner_done) << "the shielded work is still waiting";
    EXPECT_FALSE(release_f.cancelled()) << "the cancel did not reach through the shield";
    release.set_value(21);
    EXPECT_THROW((void)co_await outer, weft::cancelled_error);
    EXPECT_TRUE(st.inner_done);
    EXPECT_EQ(st.outer_got, 21) << "the shielded result reached the outer task";
    EXPECT_TRUE(st.outer_saw_cancel);
}

WEFT_CO_TEST(shield, returns_the_result_when_nothing_is_cancelled) {
    int v = co_await weft::shield([]() -> weft::task<int> {
        co_await weft::sleep(1ms);
        co_return 4;
    }());
    EXPECT_EQ(v, 4);
}

WEFT_CO_TEST(shield, propagates_the_inner_exception) {
    EXPECT_THROW((void)co_await weft::shield([]() -> weft::task<int> {
                     co_await weft::yield();
                     throw std::length_error("inner");
                 }()),
                 std::length_error);
}
