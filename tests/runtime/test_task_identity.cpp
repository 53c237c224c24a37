// Task identity: cancel(message), task names, current_task(), all_tasks(), cancelling() and
// uncancel(). Cases named test_* port CPython's Lib/test/test_asyncio/test_tasks.py cases of the
// same name; the others pin down weft's own rules (names default to empty, thread rules).

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/current_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Sets `started`, then waits (for ever, unless cancelled) for `never`.
weft::task<int> parked(weft::event& started, weft::event& never) {
    started.set();
    co_await never.wait();
    co_return 1;
}

/// Parks on a long sleep; reports the cancelled_error it met through `seen`.
weft::task<void> sleeper(weft::event& started, std::string& seen) {
    started.set();
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error& e) {
        seen = e.message();
        throw;
    }
}

/// The id of the task it runs in (not its handle: a task whose result holds a handle on itself
/// would keep its own state alive).
weft::task<const void*> whoami() {
    weft::task_handle self = co_await weft::current_task();
    co_return self.id();
}

} // namespace

// ---- cancel(message) ---------------------------------------------------------------------------

// test_cancel_with_message_then_future_result: awaiting the task raises CancelledError(msg).
WEFT_CO_TEST(task_identity, test_cancel_with_message_then_future_result) {
    weft::event started;
    std::string seen;
    auto f = weft::create_task(sleeper(started, seen));
    co_await started.wait();
    EXPECT_TRUE(f.cancel("my message"));
    try {
        co_await f;
        ADD_FAILURE() << "the task was not cancelled";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "my message");
        EXPECT_NE(std::string(e.what()).find("my message"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(f.cancelled());
    EXPECT_EQ(seen, "my message"); // the task itself saw it at its sleep
}

// test_cancel_with_message_then_future_exception: exception() holds CancelledError(msg).
WEFT_CO_TEST(task_identity, test_cancel_with_message_then_future_exception) {
    weft::event started;
    weft::event never;
    auto f = weft::create_task(parked(started, never));
    co_await started.wait();
    f.cancel("my message");
    try {
        co_await f;
    } catch (const weft::cancelled_error&) {
    }
    try {
        std::rethrow_exception(f.exception());
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "my message");
    }
}

// test_cancel_with_message_before_starting_task: the task never runs; its error has the message.
WEFT_CO_TEST(task_identity, test_cancel_with_message_before_starting_task) {
    weft::event started;
    weft::event never;
    auto f = weft::create_task(parked(started, never));
    f.cancel("my message");
    try {
        co_await f;
        ADD_FAILURE() << "the task was not cancelled";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "my message");
    }
    EXPECT_FALSE(started.is_set());
}

// A task cancelled while awaiting another future sees the message there too.
WEFT_CO_TEST(task_identity, cancel_message_reaches_a_task_awaiting_a_future) {
    weft::promise<int> p;
    weft::future<int> inner = p.get_future();
    std::string seen;
    weft::event started;
    auto f = weft::create_task(
        [](weft::future<int> in, weft::event& st, std::string& out) -> weft::task<int> {
            st.set();
            try {
                co_return co_await in;
            } catch (const weft::cancelled_error& e) {
                out = e.message();
                throw;
            }
        }(inner, started, seen));
    co_await started.wait();
    f.cancel("stop waiting");
    try {
        co_await f;
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "stop waiting");
    }
    EXPECT_EQ(seen, "stop waiting");
    EXPECT_TRUE(inner.cancelled());
}

// A promise's future cancelled with a message holds it; plain cancel() carries none.
TEST(task_identity, promise_future_cancel_with_message) {
    weft::promise<int> p;
    auto f = p.get_future();
    EXPECT_TRUE(f.cancel("no longer needed"));
    EXPECT_FALSE(f.cancel("again"));
    try {
        (void)f.result();
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "no longer needed");
    }
    weft::promise<int> q;
    auto g = q.get_future();
    g.cancel();
    try {
        (void)g.result();
    } catch (const weft::cancelled_error& e) {
        EXPECT_TRUE(e.message().empty());
        EXPECT_STREQ(e.what(), "future was cancelled");
    }
}

// ---- names -------------------------------------------------------------------------------------

// test_task_set_name / get_name: create_task(name=...), then set_name.
WEFT_CO_TEST(task_identity, test_task_set_name) {
    weft::event started;
    weft::event never;
    auto f = weft::create_task(parked(started, never), {.name = "fetch"});
    EXPECT_EQ(f.name(), "fetch");
    f.set_name("renamed");
    EXPECT_EQ(f.name(), "renamed");
    EXPECT_EQ(weft::task_handle(f).name(), "renamed");
    f.cancel();
    try {
        co_await f;
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_EQ(f.name(), "renamed"); // a finished task keeps its name
}

// weft's rule: an unnamed task's name is empty (asyncio would say "Task-N").
WEFT_CO_TEST(task_identity, unnamed_task_has_an_empty_name) {
    auto f = weft::create_task(whoami());
    EXPECT_EQ(f.name(), "");
    const void* id = co_await f;
    EXPECT_EQ(id, weft::task_handle(f).id());
    weft::promise<int> p;
    EXPECT_EQ(p.get_future().name(), "");
    EXPECT_THROW(p.get_future().set_name("x"), weft::invalid_state_error);
}

WEFT_CO_TEST_LOOPS(task_identity, spawn_on_takes_a_name, 2) {
    auto f = weft::spawn_on(1, whoami(), {.name = "remote"});
    const void* id = co_await f;
    EXPECT_EQ(id, weft::task_handle(f).id());
    EXPECT_THROW(f.set_name("here"), weft::invalid_state_error); // not its loop
}

// ---- current_task / all_tasks ------------------------------------------------------------------

// test_current_task: inside a task, current_task() is that task.
WEFT_CO_TEST(task_identity, test_current_task) {
    auto f = weft::create_task(whoami(), {.name = "me"});
    const void* id = co_await f;
    weft::task_handle h(f);
    EXPECT_TRUE(h);
    EXPECT_EQ(id, h.id());
    EXPECT_EQ(h.name(), "me");
    EXPECT_TRUE(h.done());
    weft::task_handle main = co_await weft::current_task(); // the test body, run()'s main task
    EXPECT_TRUE(main);
    EXPECT_NE(main, h);
}

// test_current_task_with_interleaving_tasks: each of two interleaved tasks sees itself.
WEFT_CO_TEST(task_identity, test_current_task_with_interleaving_tasks) {
    weft::event go;
    auto body = [](weft::event& e) -> weft::task<bool> {
        weft::task_handle before = co_await weft::current_task();
        co_await e.wait();
        weft::task_handle after = co_await weft::current_task();
        co_return before == after&& before.name() == after.name();
    };
    auto a = weft::create_task(body(go), {.name = "a"});
    auto b = weft::create_task(body(go), {.name = "b"});
    co_await weft::yield();
    go.set();
    EXPECT_TRUE(co_await a);
    EXPECT_TRUE(co_await b);
}

// test_all_tasks (asyncio.all_tasks()): the live tasks of this loop, the running one included.
WEFT_CO_TEST(task_identity, test_all_tasks) {
    weft::event started;
    weft::event never;
    auto f = weft::create_task(parked(started, never), {.name = "parked"});
    co_await started.wait();
    std::vector<weft::task_handle> live = weft::all_tasks();
    weft::task_handle self = co_await weft::current_task();
    EXPECT_NE(std::find(live.begin(), live.end(), self), live.end());
    EXPECT_NE(std::find(live.begin(), live.end(), weft::task_handle(f)), live.end());
    f.cancel();
    try {
        co_await f;
    } catch (const weft::cancelled_error&) {
    }
    live = weft::all_tasks();
    EXPECT_EQ(std::find(live.begin(), live.end(), weft::task_handle(f)), live.end());
}

TEST(task_identity, all_tasks_off_a_loop_throws) {
    EXPECT_THROW((void)weft::all_tasks(), weft::invalid_state_error);
}

// ---- cancelling / uncancel ---------------------------------------------------------------------

// test_uncancel_basic: a task that absorbs its cancellation and uncancels goes on.
WEFT_CO_TEST(task_identity, test_uncancel_basic) {
    weft::event started;
    auto spam = [](weft::event& st) -> weft::task<int> {
        weft::task_handle self = co_await weft::current_task();
        st.set();
        try {
            co_await weft::sleep(1h);
        } catch (const weft::cancelled_error&) {
            EXPECT_EQ(self.cancelling(), 1u);
            EXPECT_EQ(self.uncancel(), 0u);
            EXPECT_EQ(self.cancelling(), 0u);
        }
        co_await weft::yield(); // uncancelled: awaiting works again
        co_return 42;
    };
    auto f = weft::create_task(spam(started));
    co_await started.wait();
    f.cancel();
    EXPECT_EQ(co_await f, 42);
    EXPECT_FALSE(f.cancelled());
}

// test_cancelling: every cancel() counts, even while one is on its way.
WEFT_CO_TEST(task_identity, test_cancelling) {
    weft::event started;
    weft::event never;
    auto f = weft::create_task(parked(started, never));
    weft::task_handle h(f);
    co_await started.wait();
    EXPECT_EQ(h.cancelling(), 0u);
    h.cancel();
    EXPECT_EQ(h.cancelling(), 1u);
    h.cancel("twice");
    EXPECT_EQ(h.cancelling(), 2u);
    try {
        co_await f;
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_TRUE(h.cancelled());
}

// uncancel() down to zero drops a request the task has not met yet.
WEFT_CO_TEST(task_identity, uncancel_drops_a_pending_request) {
    auto body = []() -> weft::task<int> {
        weft::task_handle self = co_await weft::current_task();
        self.cancel(); // pending until this chain's next suspension point
        EXPECT_EQ(self.cancelling(), 1u);
        EXPECT_EQ(self.uncancel(), 0u);
        co_await weft::yield(); // no cancelled_error here
        co_return 7;
    };
    EXPECT_EQ(co_await weft::create_task(body()), 7);
}

WEFT_CO_TEST_LOOPS(task_identity, cancelling_off_the_home_loop_throws, 2) {
    weft::event never; // never set: the task waits until cancelled
    auto f =
        weft::spawn_on(1, [](weft::event& e) -> weft::task<void> { co_await e.wait(); }(never));
    weft::task_handle h(f);
    EXPECT_THROW((void)h.cancelling(), weft::invalid_state_error);
    EXPECT_THROW((void)h.uncancel(), weft::invalid_state_error);
    f.cancel("from loop 0");
    try {
        co_await f;
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "from loop 0");
    }
}
