// tbb_pool (tbb_pool.hpp): a oneTBB arena sized for blocking calls, not for the core count, in
// which nested parallelism works.

#include "executor_kinds.hpp"

#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace weft_exec_test;

TEST(tbb_pool, default_max_workers_is_max_of_32_and_cores_plus_4) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    const std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
    EXPECT_EQ(weft::tbb_pool::default_max_workers(), std::max<std::size_t>(32, cores + 4));
    weft::tbb_pool pool;
    EXPECT_EQ(pool.max_workers(), weft::tbb_pool::default_max_workers());
    weft::tbb_pool sized({.max_workers = 16});
    EXPECT_EQ(sized.max_workers(), 16U);
    EXPECT_EQ(sized.stats().max_workers, 16U);
}

// Blocking calls, unlike CPU work, need more threads than cores: max_workers calls must all be
// running at once even on this 2-core machine.
TEST(tbb_pool, runs_max_workers_blocking_calls_at_once_beyond_the_core_count) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    weft::tbb_pool pool({.max_workers = 8});
    EXPECT_EQ(
        calls_at_once([&](auto fn) { return pool.submit(std::move(fn)); }, 8, gate::safety_limit),
        8U);
}

// oneTBB applies the smallest max_allowed_parallelism of all live global_control objects. Each
// tbb_pool raises the limit with one of its own, so a smaller pool that is alive caps every larger
// one made after it (TBB warns "The number of workers is currently limited to 2"), the default
// executor included: a user's tbb_pool({.max_workers = 2}) makes seed 5's six blocking calls run
// two at a time.
TEST(tbb_pool, a_smaller_pool_alive_does_not_cap_a_larger_one) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    weft::tbb_pool small({.max_workers = 2});
    weft::tbb_pool large({.max_workers = 8});
    EXPECT_EQ(calls_at_once([&](auto fn) { return large.submit(std::move(fn)); }, 8, 3s), 8U);
    small.shutdown(true, false);
}

TEST(tbb_pool, nested_parallel_reduce_completes_in_a_one_worker_pool) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    weft::tbb_pool pool({.max_workers = 1});
    weft::future<long long> f = pool.submit([] {
        return tbb::parallel_reduce(
            tbb::blocked_range<int>(0, 100'000), 0LL,
            [](const tbb::blocked_range<int>& r, long long acc) {
                for (int i = r.begin(); i != r.end(); ++i) {
                    acc += i;
                }
                return acc;
            },
            [](long long a, long long b) { return a + b; });
    });
    pool.shutdown(true, false);
    EXPECT_EQ(f.result(), 100'000LL * 99'999 / 2);
}

TEST(tbb_pool, pools_are_independent) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    weft::tbb_pool a({.max_workers = 2});
    weft::tbb_pool b({.max_workers = 3});
    weft::future<int> fa = a.submit([] { return 1; });
    weft::future<int> fb = b.submit([] { return 2; });
    a.shutdown(true, false);
    EXPECT_THROW((void)a.submit([] { return 0; }), weft::executor_shut_down);
    weft::future<int> fb2 = b.submit([] { return 3; }); // b still open
    b.shutdown(true, false);
    EXPECT_EQ(fa.result() + fb.result() + fb2.result(), 6);
    EXPECT_EQ(a.stats().submitted, 1U);
    EXPECT_EQ(b.stats().submitted, 2U);
}

// Calls wait in the pool's queue for drainer tasks, and a drainer that finds the queue empty
// leaves. A call submitted while every drainer is busy with a long call must start one more
// (there is room for it) instead of waiting behind them.
TEST(tbb_pool, a_call_submitted_while_every_worker_is_busy_starts_on_a_free_one) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    weft::tbb_pool pool({.max_workers = 4});
    gate release;
    std::atomic<int> running{0};
    std::vector<weft::future<void>> long_calls;
    for (int i = 0; i < 3; ++i) {
        long_calls.push_back(pool.submit([&] {
            ++running;
            release.wait();
        }));
    }
    const auto limit = std::chrono::steady_clock::now() + gate::safety_limit;
    while (running.load() < 3 && std::chrono::steady_clock::now() < limit) {
        std::this_thread::yield();
    }
    ASSERT_EQ(running.load(), 3);
    weft::future<int> quick = pool.submit([] { return 42; });
    while (!quick.done() && std::chrono::steady_clock::now() < limit) {
        std::this_thread::yield();
    }
    EXPECT_TRUE(quick.done()) << "the call waited behind three blocked ones with a worker free";
    EXPECT_FALSE(release.is_open());
    release.open();
    pool.shutdown(true, false);
    EXPECT_EQ(quick.result(), 42);
    EXPECT_FALSE(release.timed_out());
}

// Submitters on several threads, in bursts, against drainers that come and go: no call is ever
// left in the queue with no drainer to run it (every future completes), and each runs once.
TEST(tbb_pool, bursts_from_several_threads_all_run_exactly_once) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    constexpr int threads = 4;
    constexpr int per_thread = 5000;
    weft::tbb_pool pool({.max_workers = 3});
    std::vector<std::atomic<int>> runs(threads * per_thread);
    std::vector<std::vector<weft::future<void>>> futures(threads);
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t) {
        submitters.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                const int id = t * per_thread + i;
                futures[t].push_back(pool.submit([&runs, id] { ++runs[id]; }));
                if (i % (7 + t) == 0) {
                    // Let the queue run dry now and then, so drainers leave and come back.
                    while (!futures[t].back().done()) {
                        std::this_thread::yield();
                    }
                }
            }
        });
    }
    for (auto& s : submitters) {
        s.join();
    }
    const auto limit = std::chrono::steady_clock::now() + gate::safety_limit;
    std::size_t done = 0;
    for (auto& v : futures) {
        for (auto& f : v) {
            while (!f.done() && std::chrono::steady_clock::now() < limit) {
                std::this_thread::yield();
            }
            done += f.done() ? 1 : 0;
        }
    }
    EXPECT_EQ(done, static_cast<std::size_t>(threads * per_thread));
    pool.shutdown(true, false);
    EXPECT_EQ(pool.stats().completed, static_cast<std::uint64_t>(threads * per_thread));
    EXPECT_EQ(std::count_if(runs.begin(), runs.end(), [](const auto& r) { return r.load() != 1; }),
              0);
}

// A worker still touches the pool after the call's future completed: it counts the call as
// ended, and its drainer task looks at the queue again. shutdown(wait = true) may return, and
// ~tbb_pool free the core, at any point after the count: the count is the call's last touch of the
// core (or happens under the core's mutex once shutdown waits), and what the drainer touches
// afterwards it owns a share of. Under ASan a regression shows as a heap-use-after-free.
TEST(tbb_pool, destroying_the_pool_as_a_call_completes_is_safe) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    const auto stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < stop_at) {
        std::atomic<bool> go{false};
        std::atomic<bool> running{false};
        auto pool = std::make_unique<weft::tbb_pool>(weft::tbb_pool::options{.max_workers = 1});
        weft::future<int> f = pool->submit([&] {
            running = true;
            while (!go.load()) {
            }
            return 1;
        });
        while (!running.load()) {
        }
        go = true;
        pool.reset(); // shutdown(wait = true), then the core is freed
        EXPECT_EQ(f.result(), 1);
    }
}
