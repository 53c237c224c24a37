// thread_pool (thread_pool.hpp): dedicated threads, FIFO order, and the bounded queue's
// backpressure, which must never block a loop.

#include "executor_kinds.hpp"

#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace weft_exec_test;

namespace {

/// Counts how many times the loop let it run before it was told to stop.
weft::task<int> ticker(const std::atomic<bool>& stop, int limit) {
    int ticks = 0;
    while (!stop.load() && ticks < limit) {
        ++ticks;
        co_await weft::yield();
    }
    co_return ticks;
}

} // namespace

TEST(thread_pool, max_workers_is_the_thread_count) {
    weft::thread_pool three({.threads = 3});
    EXPECT_EQ(three.max_workers(), 3U);
    EXPECT_EQ(three.stats().max_workers, 3U);
    weft::thread_pool per_core;
    EXPECT_EQ(per_core.max_workers(), std::max(1U, std::thread::hardware_concurrency()));
}

TEST(thread_pool, one_thread_runs_calls_in_submission_order) {
    weft::thread_pool pool({.threads = 1});
    std::vector<int> order; // touched by the pool's one thread only, then read after the futures
    std::vector<weft::future<void>> calls;
    for (int i = 0; i < 50; ++i) {
        calls.push_back(pool.submit([&order, i] { order.push_back(i); }));
    }
    pool.shutdown(true, false);
    for (auto& f : calls) {
        EXPECT_TRUE(f.done());
    }
    std::vector<int> want(50);
    for (int i = 0; i < 50; ++i) {
        want[static_cast<std::size_t>(i)] = i;
    }
    EXPECT_EQ(order, want);
}

TEST(thread_pool, full_bounded_queue_does_not_block_the_loop_and_every_call_runs_once) {
    constexpr int extra = 12; // far more than the queue holds
    weft::thread_pool pool({.threads = 1, .max_queue = 2});
    gate g;
    std::array<std::atomic<int>, extra + 1> runs{};
    weft::run(
        [](weft::thread_pool& pool, gate& g,
           std::array<std::atomic<int>, extra + 1>& runs) -> weft::task<void> {
            weft::testing::event started;
            std::vector<weft::future<int>> calls;
            calls.push_back(weft::run_in_executor(pool, [&] {
                started.set();
                g.wait();
                ++runs[0];
                return 0;
            }));
            co_await started.wait();
            // The worker is busy; two calls fill the queue, the rest must wait for room without
            // blocking this loop (run_in_executor returns at once).
            for (int i = 1; i <= extra; ++i) {
                calls.push_back(weft::run_in_executor(
                    pool,
                    [&runs](int x) {
                        ++runs[static_cast<std::size_t>(x)];
                        return x;
                    },
                    i));
            }
            EXPECT_EQ(pool.stats().queued, 2U);

            // Another task on this loop keeps running meanwhile.
            std::atomic<bool> stop{false};
            weft::future<int> other = weft::create_task(ticker(stop, 100));
            const int ticks = co_await other;
            EXPECT_EQ(ticks, 100);
            EXPECT_FALSE(g.is_open());
            for (auto& r : runs) {
                EXPECT_EQ(r.load(), 0);
            }

            g.open();
            const std::vector<int> results = co_await weft::gather(calls);
            for (int i = 0; i <= extra; ++i) {
                EXPECT_EQ(results[static_cast<std::size_t>(i)], i);
                EXPECT_EQ(runs[static_cast<std::size_t>(i)].load(), 1) << "call " << i;
            }
            // The counters move just after each future completes.
            const bool settled = co_await eventually([&pool] {
                return pool.stats().completed == static_cast<std::uint64_t>(extra + 1);
            });
            EXPECT_TRUE(settled) << "stats().completed = " << pool.stats().completed;
            EXPECT_EQ(pool.stats().submitted, static_cast<std::uint64_t>(extra + 1));
        }(pool, g, runs),
        {.loops = 1});
    EXPECT_FALSE(g.timed_out()) << "the loop was blocked while the queue was full";
}

TEST(thread_pool, a_call_cancelled_while_waiting_for_room_never_runs) {
    weft::thread_pool pool({.threads = 1, .max_queue = 1});
    gate g;
    std::atomic<int> waiting_ran{0};
    weft::run(
        [](weft::thread_pool& pool, gate& g, std::atomic<int>& waiting_ran) -> weft::task<void> {
            weft::testing::event started;
            weft::future<int> blocker = weft::run_in_executor(pool, [&] {
                started.set();
                g.wait();
                return 0;
            });
            co_await started.wait();
            weft::future<int> queued = weft::run_in_executor(pool, [] { return 1; });
            weft::future<int> waiting = weft::run_in_executor(pool, [&waiting_ran] {
                ++waiting_ran;
                return 2;
            });
            EXPECT_FALSE(waiting.done());
            EXPECT_TRUE(waiting.cancel());
            g.open();
            const int b = co_await blocker;
            const int q = co_await queued;
            EXPECT_EQ(b + q, 1);
            pool.shutdown(true, false);
            for (int i = 0; i < 10; ++i) {
                co_await weft::yield(); // let the task that waited for room see the cancel
            }
            EXPECT_EQ(waiting_ran.load(), 0);
            EXPECT_TRUE(waiting.cancelled());
        }(pool, g, waiting_ran),
        {.loops = 1});
    EXPECT_FALSE(g.timed_out());
}

TEST(thread_pool, shutdown_while_calls_wait_for_room_fails_them_with_executor_shut_down) {
    weft::thread_pool pool({.threads = 1, .max_queue = 1});
    gate g;
    weft::run(
        [](weft::thread_pool& pool, gate& g) -> weft::task<void> {
            weft::testing::event started;
            weft::future<int> blocker = weft::run_in_executor(pool, [&] {
                started.set();
                g.wait();
                return 0;
            });
            co_await started.wait();
            weft::future<int> queued = weft::run_in_executor(pool, [] { return 1; });
            weft::future<int> waiting = weft::run_in_executor(pool, [] { return 2; });
            pool.shutdown(false, false);
            bool shut_down = false;
            try {
                (void)co_await waiting;
            } catch (const weft::executor_shut_down&) {
                shut_down = true;
            }
            EXPECT_TRUE(shut_down);
            g.open();
            const int b = co_await blocker; // accepted before the shutdown: they still run
            const int q = co_await queued;
            EXPECT_EQ(b + q, 1);
        }(pool, g),
        {.loops = 1});
    EXPECT_FALSE(g.timed_out());
}

TEST(thread_pool, submit_blocks_for_room_off_the_loop) {
    weft::thread_pool pool({.threads = 1, .max_queue = 1});
    gate g;
    std::promise<void> started;
    weft::future<int> blocker = pool.submit([&] {
        started.set_value();
        g.wait();
        return 0;
    });
    started.get_future().wait();
    weft::future<int> queued = pool.submit([] { return 1; }); // fills the queue
    std::atomic<bool> third_returned{false};
    std::jthread submitter([&] {
        weft::future<int> third = pool.submit([] { return 2; });
        third_returned = true;
    });
    // The third call has entered submit() once it is counted; with the worker blocked and the
    // queue full it cannot return before the gate opens.
    const auto deadline = std::chrono::steady_clock::now() + gate::safety_limit;
    while (pool.stats().submitted < 3 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    EXPECT_EQ(pool.stats().submitted, 3U);
    EXPECT_FALSE(third_returned);
    g.open();
    submitter.join();
    EXPECT_TRUE(third_returned);
    pool.shutdown(true, false);
    EXPECT_EQ(pool.stats().completed, 3U);
    EXPECT_FALSE(g.timed_out());
}

namespace {

/// Whether a thread named `name` lives in this process (/proc/self/task/*/comm).
bool thread_named(const std::string& name) {
    for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(t.path() / "comm");
        std::string n;
        if (std::getline(comm, n) && n == name) {
            return true;
        }
    }
    return false;
}

weft::thread_pool* racing_pool = nullptr;
thread_local bool racing_submitter = false;

/// Runs in the submitter after its call is counted: shuts the pool down without waiting and
/// waits for its only worker to leave, the worst case of a submit racing shutdown(wait=false).
void shut_down_and_let_the_worker_leave() {
    if (!racing_submitter) {
        return;
    }
    racing_pool->shutdown(false, false);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (thread_named("stranding/0") && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
}

} // namespace

// A call counted just before shutdown(wait=false) and queued after the last worker left is
// failed with executor_shut_down at once, not stranded in the queue until the pool is destroyed.
TEST(thread_pool, a_call_queued_after_the_last_worker_left_fails_with_executor_shut_down) {
    weft::thread_pool pool({.threads = 1, .name = "stranding"});
    // The worker names itself once it runs: wait for that (bounded), not for a fixed time.
    const auto named_by = std::chrono::steady_clock::now() + 60s;
    while (!thread_named("stranding/0") && std::chrono::steady_clock::now() < named_by) {
        std::this_thread::yield();
    }
    ASSERT_TRUE(thread_named("stranding/0"));
    racing_pool = &pool;
    weft::detail::executor_core::before_enqueue_hook.store(&shut_down_and_let_the_worker_leave);
    std::optional<weft::future<int>> f;
    std::thread submitter([&] {
        racing_submitter = true;
        f = pool.submit([] { return 7; });
    });
    submitter.join();
    weft::detail::executor_core::before_enqueue_hook.store(nullptr);
    EXPECT_FALSE(thread_named("stranding/0"));
    ASSERT_TRUE(f.has_value());
    ASSERT_TRUE(f->done()) << "the call was left in the queue with no worker to run it";
    EXPECT_THROW(std::rethrow_exception(f->exception()), weft::executor_shut_down);
    EXPECT_EQ(pool.stats().cancelled, 1u);
}

// A submit racing shutdown(wait=false) from another thread either throws executor_shut_down or
// returns a future that completes while the pool still exists: the call runs (its worker stays
// for it) or fails with executor_shut_down. It is never left queued with no worker to run it,
// waiting for the pool's destruction.
TEST(thread_pool, a_submit_racing_shutdown_is_never_stranded) {
    int ran = 0, refused = 0, rejected = 0;
    for (int round = 0; round < 300; ++round) {
        weft::thread_pool pool({.threads = 1});
        std::atomic<int> ready{0};
        std::optional<weft::future<int>> f;
        std::thread submitter([&] {
            ready.fetch_add(1);
            while (ready.load() < 2) {
            }
            try {
                f = pool.submit([] { return 7; });
            } catch (const weft::executor_shut_down&) {
                ++rejected;
            }
        });
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        pool.shutdown(false, false);
        submitter.join();
        if (!f) {
            continue;
        }
        const auto deadline = std::chrono::steady_clock::now() + 60s; // generous: a loaded CI
        while (!f->done() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
        ASSERT_TRUE(f->done()) << "round " << round << ": the call was stranded in the queue";
        if (f->exception() == nullptr) {
            ++ran;
            continue;
        }
        try {
            std::rethrow_exception(f->exception());
        } catch (const weft::executor_shut_down&) {
            ++refused;
        } catch (...) {
            ADD_FAILURE() << "round " << round << ": an error other than executor_shut_down";
        }
    }
    EXPECT_EQ(ran + refused + rejected, 300);
}
