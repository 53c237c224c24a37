// wait: each return_when mode, timeouts that leave the pending futures running, cancellation of the
// waiting task, and late completions after wait() returned.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Three promises and their futures.
struct trio {
    std::array<weft::promise<int>, 3> p;
    std::vector<weft::future<int>> f;
    trio() {
        for (auto& x : p) {
            f.push_back(x.get_future());
        }
    }
};

/// Whether `got` holds exactly the futures of `want`, in that order (same shared state).
bool same(const std::vector<weft::future<int>>& got, const std::vector<weft::future<int>>& want) {
    if (got.size() != want.size()) {
        return false;
    }
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (&got[i].state() != &want[i].state()) {
            return false;
        }
    }
    return true;
}

/// Lets the other tasks of this loop run a few rounds.
weft::task<void> settle() {
    for (int i = 0; i < 5; ++i) {
        co_await weft::yield();
    }
}

weft::task<int> wait_for_event(weft::event& e, int v, bool& started) {
    started = true;
    co_await e.wait();
    co_return v;
}

} // namespace

WEFT_CO_TEST(wait, all_completed_returns_once_every_future_is_done) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f));
    t.p[1].set_value(1);
    co_await settle();
    EXPECT_FALSE(w.done()) << "two are still pending";
    t.p[0].set_value(0);
    t.p[2].set_exception(std::make_exception_ptr(std::runtime_error("x")));
    weft::wait_result<int> r = co_await w;
    EXPECT_TRUE(same(r.done, t.f)) << "done keeps argument order";
    EXPECT_TRUE(r.pending.empty());
}

WEFT_CO_TEST(wait, first_completed_returns_the_first_and_leaves_the_rest_pending) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f, weft::return_when::first_completed));
    co_await settle();
    EXPECT_FALSE(w.done());
    t.p[2].set_value(2);
    weft::wait_result<int> r = co_await w;
    EXPECT_TRUE(same(r.done, {t.f[2]}));
    EXPECT_TRUE(same(r.pending, {t.f[0], t.f[1]}));
    // The pending ones are untouched and complete later as usual.
    EXPECT_FALSE(r.pending[0].cancelled());
    t.p[0].set_value(10);
    t.p[1].set_value(11);
    int a = co_await r.pending[0];
    int b = co_await r.pending[1];
    EXPECT_EQ(a, 10);
    EXPECT_EQ(b, 11);
}

WEFT_CO_TEST(wait, first_completed_counts_a_cancellation_as_completion) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f, weft::return_when::first_completed));
    co_await settle();
    t.f[1].cancel();
    weft::wait_result<int> r = co_await w;
    EXPECT_TRUE(same(r.done, {t.f[1]}));
    EXPECT_EQ(r.pending.size(), 2u);
    t.p[0].set_value(0);
    t.p[2].set_value(2);
}

WEFT_CO_TEST(wait, first_exception_ignores_values_and_cancellations) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f, weft::return_when::first_exception));
    t.p[0].set_value(0);
    co_await settle();
    EXPECT_FALSE(w.done()) << "a value is not an exception";
    t.f[1].cancel();
    co_await settle();
    EXPECT_FALSE(w.done()) << "a cancellation is not an exception (as in asyncio)";
    t.p[2].set_exception(std::make_exception_ptr(std::runtime_error("boom")));
    weft::wait_result<int> r = co_await w;
    EXPECT_TRUE(same(r.done, t.f));
    EXPECT_TRUE(r.pending.empty());
}

WEFT_CO_TEST(wait, first_exception_returns_early_on_a_failure) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f, weft::return_when::first_exception));
    co_await settle();
    t.p[1].set_exception(std::make_exception_ptr(std::runtime_error("early")));
    weft::wait_result<int> r = co_await w;
    WEFT_CO_ASSERT_EQ(r.done.size(), 1u);
    EXPECT_THROW((void)r.done[0].result(), std::runtime_error);
    EXPECT_TRUE(same(r.pending, {t.f[0], t.f[2]}));
    t.p[0].set_value(0);
    t.p[2].set_value(2);
}

WEFT_CO_TEST(wait, first_exception_without_failures_waits_for_all) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f, weft::return_when::first_exception));
    t.p[0].set_value(0);
    t.p[1].set_value(1);
    co_await settle();
    EXPECT_FALSE(w.done());
    t.p[2].set_value(2);
    weft::wait_result<int> r = co_await w;
    EXPECT_EQ(r.done.size(), 3u);
    EXPECT_TRUE(r.pending.empty());
}

WEFT_CO_TEST(wait, returns_at_once_when_the_condition_already_holds) {
    trio t;
    t.p[0].set_value(0);
    weft::wait_result<int> r1 = co_await weft::wait(t.f, weft::return_when::first_completed);
    EXPECT_TRUE(same(r1.done, {t.f[0]}));
    t.p[1].set_exception(std::make_exception_ptr(std::runtime_error("x")));
    weft::wait_result<int> r2 = co_await weft::wait(t.f, weft::return_when::first_exception);
    EXPECT_TRUE(same(r2.done, {t.f[0], t.f[1]}));
    t.p[2].set_value(2);
    weft::wait_result<int> r3 = co_await weft::wait(t.f);
    EXPECT_EQ(r3.done.size(), 3u);
}

WEFT_CO_TEST(wait, empty_range_returns_at_once) {
    std::vector<weft::future<int>> none;
    weft::wait_result<int> r = co_await weft::wait(none, weft::return_when::first_completed);
    EXPECT_TRUE(r.done.empty());
    EXPECT_TRUE(r.pending.empty());
}

WEFT_CO_TEST(wait, empty_future_is_rejected_at_the_call) {
    std::vector<weft::future<int>> fs(1);
    EXPECT_THROW((void)weft::wait(fs), weft::invalid_state_error);
    co_return;
}

WEFT_CO_TEST(wait, timeout_returns_with_the_pending_tasks_still_running) {
    weft::event go;
    bool started[3] = {};
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 3; ++i) {
        fs.push_back(weft::create_task(wait_for_event(go, i, started[i])));
    }
    const auto t0 = weft::clock::now();
    weft::wait_result<int> r = co_await weft::wait(fs, weft::return_when::all_completed, 5ms);
    EXPECT_GE(weft::clock::now() - t0, 5ms);
    EXPECT_TRUE(r.done.empty());
    WEFT_CO_ASSERT_EQ(r.pending.size(), 3u);
    for (auto& f : r.pending) {
        EXPECT_FALSE(f.done()) << "the timeout cancels nothing";
    }
    EXPECT_TRUE(started[0] && started[1] && started[2]);
    go.set();
    for (int i = 0; i < 3; ++i) {
        int v = co_await r.pending[static_cast<std::size_t>(i)];
        EXPECT_EQ(v, i);
    }
}

WEFT_CO_TEST(wait, timeout_reports_what_finished_in_time) {
    trio t;
    t.p[1].set_value(1);
    weft::wait_result<int> r = co_await weft::wait(t.f, weft::return_when::all_completed, 1ms);
    EXPECT_TRUE(same(r.done, {t.f[1]}));
    EXPECT_TRUE(same(r.pending, {t.f[0], t.f[2]}));
    t.p[0].set_value(0);
    t.p[2].set_value(2);
}

WEFT_CO_TEST(wait, condition_before_the_timeout_returns_early) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f, weft::return_when::first_completed, 1h));
    co_await settle();
    t.p[0].set_value(0);
    weft::wait_result<int> r = co_await w;
    EXPECT_EQ(r.done.size(), 1u);
    t.p[1].set_value(1);
    t.p[2].set_value(2);
}

WEFT_CO_TEST(wait, cancelling_the_waiting_task_cancels_only_the_wait) {
    trio t;
    auto w = weft::create_task(weft::wait(t.f, weft::return_when::all_completed, 1h));
    co_await settle();
    EXPECT_TRUE(w.cancel());
    EXPECT_THROW((void)co_await w, weft::cancelled_error);
    for (auto& f : t.f) {
        EXPECT_FALSE(f.done()) << "asyncio.wait does not cancel what it waits for";
    }
    // Completions after the wait's frame is gone reach only its shared block (ASan checks).
    for (int i = 0; i < 3; ++i) {
        t.p[static_cast<std::size_t>(i)].set_value(i);
    }
    co_await settle();
    int v = co_await t.f[2];
    EXPECT_EQ(v, 2);
}

WEFT_CO_TEST(wait, late_completions_after_first_completed_are_harmless) {
    for (int round = 0; round < 20; ++round) {
        trio t;
        auto w = weft::create_task(weft::wait(t.f, weft::return_when::first_completed));
        co_await weft::yield();
        // Two complete in the same step: one wins, the other's callback outlives the wait.
        t.p[0].set_value(0);
        t.p[1].set_value(1);
        weft::wait_result<int> r = co_await w;
        EXPECT_EQ(r.done.size() + r.pending.size(), 3u);
        EXPECT_GE(r.done.size(), 1u);
        t.p[2].set_value(2);
    }
}

WEFT_CO_TEST(wait, void_futures_and_tasks_scheduled_with_create_task) {
    weft::event go;
    bool started = false;
    std::vector<weft::future<void>> fs;
    fs.push_back(weft::create_task([]() -> weft::task<void> { co_await weft::yield(); }()));
    auto waits = [](weft::event& e, bool& s) -> weft::task<void> {
        s = true;
        co_await e.wait();
    };
    fs.push_back(weft::create_task(waits(go, started)));
    weft::wait_result<void> r = co_await weft::wait(fs, weft::return_when::first_completed);
    WEFT_CO_ASSERT_EQ(r.done.size(), 1u);
    EXPECT_EQ(&r.done[0].state(), &fs[0].state());
    EXPECT_EQ(r.pending.size(), 1u);
    go.set();
    co_await r.pending[0];
}

WEFT_CO_TEST(wait, braced_list_of_futures) {
    weft::promise<int> a;
    weft::promise<int> b;
    weft::future<int> fa = a.get_future();
    weft::future<int> fb = b.get_future();
    b.set_value(2);
    // Built before the co_await: g++ 12 rejects a braced list inside a co_await expression.
    auto w = weft::wait({fa, fb}, weft::return_when::first_completed);
    weft::wait_result<int> r = co_await std::move(w);
    EXPECT_TRUE(same(r.done, {fb}));
    EXPECT_TRUE(same(r.pending, {fa}));
    a.set_value(1);
}
