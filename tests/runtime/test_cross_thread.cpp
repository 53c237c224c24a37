// What other threads may do to a loop, a future or a task: call_soon_threadsafe, stop, promises
// completed elsewhere, cancel from any thread. Built into weft-concurrency-tests, which also runs
// under ThreadSanitizer.

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

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Joins its threads on destruction, whatever happened.
class thread_set {
public:
    thread_set() = default;
    thread_set(const thread_set&) = delete;
    thread_set& operator=(const thread_set&) = delete;
    ~thread_set() { join(); }
    template <class F>
    void spawn(F f) {
        threads_.emplace_back(std::move(f));
    }
    void join() {
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
        threads_.clear();
    }

private:
    std::vector<std::thread> threads_;
};

struct loop_ref {
    std::size_t id;
    std::thread::id thread;
};

loop_ref here() {
    return {weft::current_loop().id(), std::this_thread::get_id()};
}

} // namespace

TEST(loop, call_soon_threadsafe_from_many_threads_runs_every_callback_on_the_loop_in_order) {
    constexpr int threads = 4;
    constexpr int per_thread = 2000;
    weft::loop l;
    // Loop-thread-only state: plain ints; TSan reports any callback that runs elsewhere.
    int total = 0;
    int off_loop = 0;
    std::vector<int> last_seen(threads, -1);
    int out_of_order = 0;
    weft::testing::event all_done;
    thread_set ts;
    l.run_until_complete([](weft::loop& l, thread_set& ts, int& total, int& off_loop,
                            std::vector<int>& last_seen, int& out_of_order,
                            weft::testing::event& all_done) -> weft::task<void> {
        for (int t = 0; t < threads; ++t) {
            ts.spawn([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    l.call_soon_threadsafe([&, t, i] {
                        if (weft::detail::current_loop_ptr() != &l) {
                            ++off_loop;
                        }
                        if (last_seen[t] != i - 1) {
                            ++out_of_order;
                        }
                        last_seen[t] = i;
                        if (++total == threads * per_thread) {
                            all_done.set();
                        }
                    });
                }
            });
        }
        co_await weft::wait_for(all_done.wait(), 60s);
    }(l, ts, total, off_loop, last_seen, out_of_order, all_done));
    ts.join();
    EXPECT_EQ(total, threads * per_thread);
    EXPECT_EQ(off_loop, 0);
    EXPECT_EQ(out_of_order, 0) << "callbacks from one thread run in the order they were queued";
}

TEST(loop, call_soon_threadsafe_before_the_loop_runs_is_kept) {
    weft::loop l;
    std::atomic<int> ran{0};
    std::thread t([&] {
        for (int i = 0; i < 100; ++i) {
            l.call_soon_threadsafe([&] { ran.fetch_add(1); });
        }
    });
    t.join();
    l.run_until_complete([](std::atomic<int>& ran) -> weft::task<void> {
        bool all = co_await weft::testing::yield_until([&] { return ran.load() == 100; });
        EXPECT_TRUE(all);
    }(ran));
    EXPECT_EQ(ran.load(), 100);
}

TEST(loop, call_soon_from_a_foreign_thread_throws_invalid_state) {
    weft::loop l;
    std::atomic<bool> call_soon_threw{false};
    std::atomic<bool> call_later_threw{false};
    thread_set ts;
    l.run_until_complete([](weft::loop& l, thread_set& ts, std::atomic<bool>& soon,
                            std::atomic<bool>& later) -> weft::task<void> {
        weft::testing::event done;
        ts.spawn([&] {
            try {
                l.call_soon([] {});
            } catch (const weft::invalid_state_error&) {
                soon = true;
            }
            try {
                (void)l.call_later(1ms, [] {});
            } catch (const weft::invalid_state_error&) {
                later = true;
            }
            l.call_soon_threadsafe([&] { done.set(); });
        });
        co_await weft::wait_for(done.wait(), 60s);
    }(l, ts, call_soon_threw, call_later_threw));
    ts.join();
    EXPECT_TRUE(call_soon_threw);
    EXPECT_TRUE(call_later_threw);
}

TEST(loop, stop_from_another_thread_ends_run_forever) {
    weft::loop l;
    std::promise<void> running;
    std::future<void> running_f = running.get_future();
    l.call_soon([&] { running.set_value(); });
    std::thread stopper([&] {
        running_f.wait(); // the loop runs: stop() now cannot be undone by its start
        l.stop();
    });
    l.run_forever();
    stopper.join();
    EXPECT_FALSE(l.is_running());
}

TEST(loop, timer_handle_cancelled_from_another_thread_never_runs) {
    weft::loop l;
    std::atomic<bool> cancelled_ran{false};
    weft::timer_handle h = l.call_later(1ms, [&] { cancelled_ran = true; });
    std::thread t([&h] { h.cancel(); });
    t.join();
    EXPECT_TRUE(h.cancelled());
    weft::testing::event done;
    l.call_later(20ms, [&] { done.set(); }); // well after the cancelled one was due
    l.run_until_complete(done.wait());
    EXPECT_FALSE(cancelled_ran);
}

WEFT_CO_TEST_LOOPS(future, promise_completed_on_a_plain_thread_resumes_each_awaiter_on_its_loop,
                   3) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    auto watch = [](weft::future<int> f) -> weft::task<bool> {
        const loop_ref before = here();
        int v = co_await f;
        const loop_ref after = here();
        co_return v == 17 && before.id == after.id&& before.thread == after.thread;
    };
    std::vector<weft::future<bool>> watchers;
    for (std::size_t i = 0; i < 3; ++i) {
        for (int k = 0; k < 4; ++k) {
            watchers.push_back(weft::spawn_on(i, watch(f)));
        }
    }
    // Every watcher is waiting once a marker on each loop ran after it.
    for (std::size_t i = 0; i < 3; ++i) {
        co_await weft::spawn_on(i, []() -> weft::task<void> { co_return; }());
    }
    std::thread producer([&p] { p.set_value(17); });
    std::vector<bool> ok = co_await weft::wait_for(weft::gather(watchers), 60s);
    producer.join();
    for (bool b : ok) {
        EXPECT_TRUE(b);
    }
}

WEFT_CO_TEST_LOOPS(future, many_promises_completed_from_threads, 2) {
    constexpr int n = 2000;
    constexpr int producers = 4;
    std::vector<weft::promise<int>> ps(n);
    std::vector<weft::future<int>> fs;
    for (auto& p : ps) {
        fs.push_back(p.get_future());
    }
    thread_set ts;
    for (int t = 0; t < producers; ++t) {
        ts.spawn([&ps, t] {
            for (int i = t; i < n; i += producers) {
                if (i % 10 == 0) {
                    ps[i].set_exception(std::make_exception_ptr(std::runtime_error("odd one")));
                } else {
                    ps[i].set_value(i);
                }
            }
        });
    }
    auto results = co_await weft::wait_for(weft::gather_settled(fs), 60s);
    ts.join();
    WEFT_CO_ASSERT_EQ(results.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        if (i % 10 == 0) {
            EXPECT_TRUE(results[i].has_exception()) << i;
        } else {
            EXPECT_EQ(results[i].value(), i);
        }
    }
}

WEFT_CO_TEST_LOOPS(future, done_callback_runs_on_the_loop_that_added_it, 2) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    const loop_ref registered = here();
    weft::testing::event called;
    std::thread::id callback_thread;
    std::size_t callback_loop = 99;
    f.add_done_callback([&] {
        callback_thread = std::this_thread::get_id();
        callback_loop = weft::current_loop().id();
        called.set();
    });
    std::thread producer([&p] { p.set_value(1); });
    co_await weft::wait_for(called.wait(), 60s);
    producer.join();
    EXPECT_EQ(callback_thread, registered.thread);
    EXPECT_EQ(callback_loop, registered.id);
}

TEST(future, set_value_racing_cancel_completes_it_exactly_once) {
    // A producer thread sets, a consumer thread cancels: the future completes once, either way.
    int set_won = 0;
    int cancel_won = 0;
    for (int round = 0; round < 500; ++round) {
        weft::promise<int> p;
        weft::future<int> f = p.get_future();
        std::atomic<bool> go{false};
        bool set_ok = false;
        bool cancel_ok = false;
        std::thread a([&] {
            while (!go.load(std::memory_order_acquire)) {
            }
            set_ok = p.set_value(round);
        });
        std::thread b([&] {
            while (!go.load(std::memory_order_acquire)) {
            }
            cancel_ok = f.cancel();
        });
        go.store(true, std::memory_order_release);
        a.join();
        b.join();
        EXPECT_NE(set_ok, cancel_ok) << "round " << round;
        EXPECT_TRUE(f.done());
        EXPECT_EQ(f.cancelled(), cancel_ok);
        if (set_ok) {
            EXPECT_EQ(f.result(), round);
            ++set_won;
        } else {
            ++cancel_won;
        }
    }
    EXPECT_EQ(set_won + cancel_won, 500);
}

WEFT_CO_TEST_LOOPS(future, move_only_result_from_another_loop_is_taken_by_its_only_owner, 2) {
    // The awaiting task may resume on its loop before the finished task's loop has dropped the
    // task's own reference to the shared state; taking the value must not depend on that race.
    int spurious = 0;
    for (int round = 0; round < 2000; ++round) {
        weft::future<std::unique_ptr<int>> f =
            weft::spawn_on(1, [](int v) -> weft::task<std::unique_ptr<int>> {
                co_return std::make_unique<int>(v);
            }(round));
        try {
            std::unique_ptr<int> p = co_await std::move(f);
            EXPECT_TRUE(p != nullptr && *p == round);
        } catch (const weft::invalid_state_error&) {
            ++spurious;
        }
    }
    EXPECT_EQ(spurious, 0) << "BUG: co_await std::move(f) of a move-only result threw "
                              "invalid_state_error although f was the only future";
}

WEFT_CO_TEST_LOOPS(future, move_only_result_is_taken_before_the_producer_loop_lets_go, 2) {
    // The deterministic form of the race above. A waiter that holds no reference (a bare
    // detail::waiter_node, which fires after the awaiting task's) keeps the producing loop inside
    // the completion until the awaiting task on loop 0 has resumed: the task's own reference to
    // the shared state is still held then, although `f` is the only future.
    struct blocker : weft::detail::waiter_node {
        std::mutex m;
        std::condition_variable cv;
        bool consumer_resumed = false;
    } hold;
    hold.fire = [](weft::detail::waiter_node* w) noexcept {
        auto* self = static_cast<blocker*>(w);
        std::unique_lock lock(self->m);
        self->cv.wait_for(lock, 30s, [self] { return self->consumer_resumed; });
    };
    weft::promise<void> gate;
    weft::future<std::unique_ptr<int>> f =
        weft::spawn_on(1, [](weft::future<void> gate) -> weft::task<std::unique_ptr<int>> {
            co_await gate;
            co_return std::make_unique<int>(5);
        }(gate.get_future()));
    weft::future<std::unique_ptr<int>>::state_type* state = &f.state();
    weft::future<bool> consumer = weft::create_task(
        [](weft::future<std::unique_ptr<int>> f, blocker& hold) -> weft::task<bool> {
            bool took = false;
            try {
                std::unique_ptr<int> v = co_await std::move(f);
                took = v != nullptr && *v == 5;
            } catch (const weft::invalid_state_error&) {
                took = false;
            }
            {
                std::lock_guard lock(hold.m);
                hold.consumer_resumed = true;
            }
            hold.cv.notify_all();
            co_return took;
        }(std::move(f), hold));
    co_await weft::yield(); // the consumer now waits on the state
    EXPECT_TRUE(state->add_waiter(&hold));
    gate.set_value();
    bool took = co_await consumer;
    EXPECT_TRUE(took) << "BUG: co_await std::move(f) threw invalid_state_error: the finishing "
                         "task's own reference still counted as an owner";
}

namespace {

struct sleeper_log {
    std::atomic<bool> caught{false};
    std::atomic<bool> cleaned{false};
};

weft::task<int> sleeper(weft::testing::event& started, sleeper_log& log) {
    started.set();
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.caught = true;
    }
    co_await weft::yield();
    log.cleaned = true;
    throw weft::cancelled_error("sleeper unwound");
}

weft::task<int> waits_for_promise(weft::testing::event& started, weft::future<int> f,
                                  sleeper_log& log) {
    started.set();
    try {
        co_return co_await f;
    } catch (const weft::cancelled_error&) {
        log.caught = true;
        throw;
    }
}

} // namespace

WEFT_CO_TEST_LOOPS(cancel, from_a_plain_thread_reaches_a_sleeping_task, 2) {
    for (std::size_t loop : {0u, 1u}) {
        weft::testing::event started;
        sleeper_log log;
        weft::future<int> f = weft::spawn_on(loop, sleeper(started, log));
        co_await weft::wait_for(started.wait(), 60s);
        bool cancel_result = false;
        std::thread canceller([&] { cancel_result = f.cancel(); });
        canceller.join();
        EXPECT_TRUE(cancel_result);
        EXPECT_THROW((void)co_await f, weft::cancelled_error);
        EXPECT_TRUE(f.cancelled());
        EXPECT_TRUE(log.caught);
        EXPECT_TRUE(log.cleaned);
    }
}

WEFT_CO_TEST_LOOPS(cancel, from_another_loop_reaches_a_task_awaiting_a_promise, 3) {
    weft::promise<int> p;
    weft::testing::event started;
    sleeper_log log;
    weft::future<int> f = weft::spawn_on(1, waits_for_promise(started, p.get_future(), log));
    co_await weft::wait_for(started.wait(), 60s);
    // Cancel from a task on loop 2: neither the task's loop nor ours.
    bool cancel_result = co_await weft::spawn_on(
        2, [](weft::future<int> f) -> weft::task<bool> { co_return f.cancel(); }(f));
    EXPECT_TRUE(cancel_result);
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_TRUE(log.caught);
    EXPECT_FALSE(p.set_value(3)) << "the awaited promise future was cancelled with the task";
}

WEFT_CO_TEST_LOOPS(cancel, from_many_threads_at_once_is_delivered_once, 2) {
    // Eight threads cancel the same sleeping task while its loop is held busy, so that all eight
    // requests reach the loop together: the task must see one cancelled_error, and its cleanup
    // (which suspends) must run to the end.
    weft::testing::event started;
    sleeper_log log;
    weft::future<int> f = weft::spawn_on(1, sleeper(started, log));
    co_await weft::wait_for(started.wait(), 60s);
    weft::loop* task_loop = co_await weft::spawn_on(
        1, []() -> weft::task<weft::loop*> { co_return &weft::current_loop(); }());
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    task_loop->call_soon_threadsafe([released] { released.wait(); }); // holds loop 1
    std::atomic<int> accepted{0};
    {
        thread_set ts;
        for (int i = 0; i < 8; ++i) {
            ts.spawn([&] {
                if (f.cancel()) {
                    accepted.fetch_add(1);
                }
            });
        }
    }
    release.set_value();
    EXPECT_EQ(accepted.load(), 8) << "the task was not done when each cancel() was called";
    EXPECT_THROW((void)co_await weft::wait_for(f, 60s), weft::cancelled_error);
    EXPECT_TRUE(log.caught);
    EXPECT_TRUE(log.cleaned) << "BUG: a second cancel() request was delivered to the cleanup";
}

WEFT_CO_TEST_LOOPS(cancel, pending_task_on_another_loop_cancelled_from_a_thread_finishes, 2) {
    // Whether it started or not when the request arrives, the task ends cancelled, exactly once.
    for (int round = 0; round < 200; ++round) {
        weft::testing::event started;
        sleeper_log log;
        weft::future<int> f = weft::spawn_on(1, sleeper(started, log));
        std::thread canceller([f]() mutable { f.cancel(); });
        EXPECT_THROW((void)co_await weft::wait_for(f, 60s), weft::cancelled_error);
        canceller.join();
        EXPECT_TRUE(f.cancelled());
        EXPECT_EQ(started.is_set(), log.caught.load()) << "a started task saw the cancellation";
    }
}
