// wait / as_completed / gather_bounded with futures completed on other loops and plain threads:
// the waiting task resumes on its own loop, and cancelling it while completions race in from other
// threads detaches cleanly. Built into weft-concurrency-tests, which also runs under TSan.

#include <weft/runtime/as_completed.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/gather_bounded.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr std::size_t loops = 4;

struct loop_ref {
    std::size_t id;
    std::thread::id thread;
    bool operator==(const loop_ref&) const = default;
};

loop_ref here() {
    return {weft::current_loop().id(), std::this_thread::get_id()};
}

/// A task on another loop that finishes when `go` is set, returning its loop's id.
weft::task<std::size_t> loop_id_when(weft::event& go) {
    co_await go.wait();
    co_return weft::current_loop().id();
}

} // namespace

WEFT_CO_TEST_LOOPS(wait_cross_loop, futures_of_other_loops_resume_the_waiter_on_its_loop, loops) {
    std::vector<weft::event> go(loops);
    std::vector<weft::future<std::size_t>> fs;
    for (std::size_t i = 1; i < loops; ++i) {
        fs.push_back(weft::spawn_on(i, loop_id_when(go[i])));
    }
    const loop_ref before = here();
    auto first = weft::create_task(weft::wait(fs, weft::return_when::first_completed));
    std::thread setter([&go] { go[2].set(); });
    weft::wait_result<std::size_t> r = co_await weft::wait_for(std::move(first), 60s);
    setter.join();
    EXPECT_EQ(here(), before);
    WEFT_CO_ASSERT_EQ(r.done.size(), 1u);
    EXPECT_EQ(r.done[0].result(), 2u);
    EXPECT_EQ(r.pending.size(), loops - 2);

    for (std::size_t i = 1; i < loops; ++i) {
        go[i].set();
    }
    weft::wait_result<std::size_t> all = co_await weft::wait(fs);
    EXPECT_EQ(here(), before);
    EXPECT_EQ(all.done.size(), loops - 1);
}

WEFT_CO_TEST_LOOPS(wait_cross_loop, as_completed_over_promises_set_by_threads, loops) {
    constexpr int n = 32;
    std::vector<weft::promise<int>> ps(n);
    std::vector<weft::future<int>> fs;
    for (auto& p : ps) {
        fs.push_back(p.get_future());
    }
    // Waiters on every loop, each with its own sequence over the same futures.
    std::atomic<int> wrong_loop{0};
    std::vector<weft::future<int>> consumers;
    for (std::size_t l = 0; l < loops; ++l) {
        consumers.push_back(weft::spawn_on(
            l, [](std::vector<weft::future<int>> fs, std::atomic<int>& wrong) -> weft::task<int> {
                const loop_ref me = here();
                int sum = 0;
                for (auto& next : weft::as_completed(fs, 60s)) {
                    int v = co_await next;
                    sum += v;
                    if (!(here() == me)) {
                        wrong.fetch_add(1);
                    }
                }
                co_return sum;
            }(fs, wrong_loop)));
    }
    std::vector<std::thread> setters;
    for (int t = 0; t < 4; ++t) {
        setters.emplace_back([&ps, t] {
            for (int i = t; i < n; i += 4) {
                ps[static_cast<std::size_t>(i)].set_value(i);
            }
        });
    }
    std::vector<int> sums = co_await weft::gather(consumers);
    for (auto& s : setters) {
        s.join();
    }
    for (int s : sums) {
        EXPECT_EQ(s, n * (n - 1) / 2);
    }
    EXPECT_EQ(wrong_loop.load(), 0);
}

WEFT_CO_TEST_LOOPS(wait_cross_loop, cancelling_the_waiter_races_completions_from_threads, loops) {
    // Each round: a waiter (wait or as_completed) on loop 1 is cancelled from here while a thread
    // completes the futures. Whichever wins, the waiter ends (value or cancelled_error), the
    // futures all complete, and no callback reaches a dead frame (ASan/TSan check the rest).
    constexpr int rounds = 200;
    int cancelled = 0;
    int finished = 0;
    for (int round = 0; round < rounds; ++round) {
        auto ps = std::make_shared<std::vector<weft::promise<int>>>(3);
        std::vector<weft::future<int>> fs;
        for (auto& p : *ps) {
            fs.push_back(p.get_future());
        }
        std::atomic<bool> waiting{false};
        weft::future<int> waiter;
        if (round % 2 == 0) {
            waiter = weft::spawn_on(
                1, [](std::vector<weft::future<int>> fs, std::atomic<bool>& w) -> weft::task<int> {
                    w.store(true);
                    auto r = co_await weft::wait(fs, weft::return_when::all_completed, 60s);
                    co_return static_cast<int>(r.done.size());
                }(fs, waiting));
        } else {
            waiter = weft::spawn_on(
                1, [](std::vector<weft::future<int>> fs, std::atomic<bool>& w) -> weft::task<int> {
                    w.store(true);
                    int sum = 0;
                    auto seq = weft::as_completed(fs, 60s);
                    while (seq.remaining() > 0) {
                        int v = co_await seq.next();
                        sum += v;
                    }
                    co_return sum;
                }(fs, waiting));
        }
        while (!waiting.load()) {
            co_await weft::yield();
        }
        std::thread completer([ps] {
            for (std::size_t i = 0; i < ps->size(); ++i) {
                (*ps)[i].set_value(static_cast<int>(i) + 1);
            }
        });
        waiter.cancel();
        try {
            int v = co_await weft::wait_for(waiter, 60s);
            EXPECT_TRUE(v == 3 || v == 6) << v;
            ++finished;
        } catch (const weft::cancelled_error&) {
            ++cancelled;
        }
        completer.join();
        for (auto& f : fs) {
            int v = co_await f;
            EXPECT_GT(v, 0);
        }
    }
    EXPECT_EQ(cancelled + finished, rounds);
}

WEFT_CO_TEST_LOOPS(wait_cross_loop, gather_bounded_over_work_on_other_loops, loops) {
    constexpr int n = 64;
    constexpr std::size_t limit = 5;
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < n; ++i) {
        tasks.push_back(
            [](int i, std::atomic<int>& running, std::atomic<int>& most) -> weft::task<int> {
                const int now = running.fetch_add(1) + 1;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {
                }
                // The work runs on another loop; this task waits for it on gather_bounded's loop.
                const std::size_t target = 1 + static_cast<std::size_t>(i) % (loops - 1);
                int v = co_await weft::spawn_on(target, [](int i) -> weft::task<int> {
                    co_await weft::yield();
                    co_return i * 2;
                }(i));
                running.fetch_sub(1);
                co_return v;
            }(i, running, most));
    }
    const loop_ref before = here();
    std::vector<int> r = co_await weft::gather_bounded(tasks, limit);
    EXPECT_EQ(here(), before);
    WEFT_CO_ASSERT_EQ(r.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(r[static_cast<std::size_t>(i)], i * 2);
    }
    EXPECT_LE(most.load(), static_cast<int>(limit));
    EXPECT_EQ(running.load(), 0);
}
