// wait_for, as_completed, wait and gather against behaviours CPython's test_asyncio pins down
// (test_waitfor.py, test_tasks.py): one case per CPython test, named after it.

#include <weft/runtime/as_completed.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/virtual_time.hpp>
#include <weft/runtime/wait.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<std::string> coro(std::string s) {
    co_return s;
}

} // namespace

// ---- test_waitfor.py ---------------------------------------------------------------------------

// test_wait_for_timeout_less_then_0_or_0_future_done: a done future's result comes back.
WEFT_CO_TEST(waitfor, test_wait_for_timeout_less_then_0_or_0_future_done) {
    for (auto timeout : {0ms, -1ms}) {
        weft::promise<std::string> p;
        weft::future<std::string> fut = p.get_future();
        p.set_value("done");
        std::string v = co_await weft::wait_for(fut, timeout);
        EXPECT_EQ(v, "done");
        EXPECT_TRUE(fut.done());
    }
}

// test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started: no time, so it never starts.
WEFT_CO_TEST(waitfor, test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started) {
    for (auto timeout : {0ms, -1ms}) {
        bool foo_started = false;
        auto foo = [&]() -> weft::task<void> {
            foo_started = true;
            co_return;
        };
        EXPECT_THROW(co_await weft::wait_for(foo(), timeout), weft::timeout_error);
        EXPECT_FALSE(foo_started);
    }
}

// test_wait_for_timeout_less_then_0_or_0: a running task's future is cancelled and waited for.
WEFT_CO_TEST(waitfor, test_wait_for_timeout_less_then_0_or_0) {
    for (auto timeout : {0ms, -1ms}) {
        bool foo_running = false;
        weft::promise<void> started;
        auto foo = [&]() -> weft::task<std::string> {
            foo_running = true;
            started.set_value();
            try {
                co_await weft::sleep(10s);
            } catch (...) {
                foo_running = false;
                throw;
            }
            foo_running = false;
            co_return "done";
        };
        weft::future<std::string> fut = weft::create_task(foo());
        co_await started.get_future();
        EXPECT_THROW((void)co_await weft::wait_for(fut, timeout), weft::timeout_error);
        EXPECT_TRUE(fut.done());
        EXPECT_TRUE(fut.cancelled());
        EXPECT_FALSE(foo_running);
    }
}

// Not from CPython: a future that ignores the cancellation and completes is returned (asyncio's
// wait_for returns fut.result() after _cancel_and_wait).
WEFT_CO_TEST(waitfor, zero_timeout_returns_the_value_of_a_future_that_completes_anyway) {
    auto stubborn = []() -> weft::task<int> {
        try {
            co_await weft::testing::until_cancelled();
        } catch (const weft::cancelled_error&) {
        }
        co_return 7;
    };
    weft::future<int> fut = weft::create_task(stubborn());
    co_await weft::yield();
    int v = co_await weft::wait_for(fut, 0ms);
    EXPECT_EQ(v, 7);
}

// ---- test_tasks.py: duplicates
// -------------------------------------------------------------------

// test_as_completed_duplicate_coroutines: a future listed twice is handed out once. (CPython
// passes one coroutine object twice; weft takes futures, so one future is listed twice.)
WEFT_CO_TEST(tasks, test_as_completed_duplicate_coroutines) {
    weft::future<std::string> c = weft::create_task(coro("ham"));
    std::vector<weft::future<std::string>> fs{c, c, weft::create_task(coro("spam"))};
    auto seq = weft::as_completed(fs);
    EXPECT_EQ(seq.size(), 2u);
    std::multiset<std::string> result;
    for (auto& next : seq) {
        result.insert(co_await next);
    }
    EXPECT_EQ(result, (std::multiset<std::string>{"ham", "spam"}));
}

// test_wait_duplicate_coroutines: wait() takes a set, as as_completed does.
WEFT_CO_TEST(tasks, test_wait_duplicate_coroutines) {
    weft::future<std::string> c = weft::create_task(coro("test"));
    std::vector<weft::future<std::string>> fs{c, c, weft::create_task(coro("spam"))};
    auto [done, pending] = co_await weft::wait(fs);
    EXPECT_TRUE(pending.empty());
    std::multiset<std::string> results;
    for (auto& f : done) {
        results.insert(f.result());
    }
    EXPECT_EQ(results, (std::multiset<std::string>{"test", "spam"}));
}

// ---- test_tasks.py: gather and a cancelled child
// ---------------------------------------------------

// test_one_cancellation (FutureGatherTests): a cancelled child ends the gather with
// cancelled_error as its exception, as in asyncio. Deliberate difference: asyncio's gather is a
// plain future whose cancelled() stays false; weft's gather is a task, and a task that ends with
// cancelled_error counts as cancelled (as an asyncio Task does), so cancelled() is true.
WEFT_CO_TEST(tasks, test_one_cancellation) {
    weft::promise<int> a;
    weft::promise<int> b;
    weft::promise<int> c;
    std::vector<weft::future<int>> children{a.get_future(), b.get_future(), c.get_future()};
    weft::future<std::vector<int>> fut = weft::create_task(weft::gather(children));
    co_await weft::yield();
    a.set_value(1);
    b.cancel();
    bool ok = co_await weft::testing::yield_until([&] { return fut.done(); });
    WEFT_CO_ASSERT_TRUE(ok);
    EXPECT_TRUE(weft::detail::is_cancellation(fut.exception()));
    EXPECT_TRUE(fut.cancelled()); // asyncio: false (see above)
}
