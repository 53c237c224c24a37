// weft::redis_pool under faults: workers killed with SIGKILL mid-run and started again, a call that
// crashes every child it runs in, and Redis killed and restarted (AOF on) mid-run. In each, every
// call's result must reach its caller, right, and no call may be lost.

#include "fixture.hpp"
#include "functions.hpp"

#include <weft/executors/redis_pool.hpp>
#include <weft/runtime.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace rp_test;

namespace {

/// Awaits fs, checking each result is its index; returns how many were right.
weft::task<int> collect(std::vector<weft::future<int>>& fs) {
    int right = 0;
    for (std::size_t i = 0; i < fs.size(); ++i) {
        const int v = co_await std::move(fs[i]);
        right += v == static_cast<int>(i) ? 1 : 0;
    }
    co_return right;
}

/// Waits until pool has completed at least n calls.
weft::task<void> until_completed(weft::redis_pool& pool, std::uint64_t n) {
    while (pool.stats().completed < n) {
        co_await weft::sleep(5ms);
    }
}

} // namespace

TEST(RedisPoolFaults, WorkersKilledMidRunLoseNoCall) {
    redis_server redis;
    const std::string q = queue_name();
    workers w(redis.url(), q, 2, 400ms);
    for (int i = 0; i < 4; ++i) {
        w.start_one();
    }
    constexpr int n = 4000;
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q, .max_in_flight = 64});
        std::vector<weft::future<int>> fs;
        for (int i = 0; i < n; ++i) {
            fs.push_back(weft::run_in_executor(pool, nap_then, i, 1));
        }
        co_await until_completed(pool, n / 4);
        w.kill(0);
        w.kill(1);
        w.start_one();
        co_await until_completed(pool, n / 2);
        w.start_one();
        EXPECT_EQ(co_await collect(fs), n);
        pool.shutdown(); // counts settle once every call has ended
        const weft::executor_stats s = pool.stats();
        EXPECT_EQ(s.completed, static_cast<std::uint64_t>(n));
        EXPECT_EQ(s.failed, 0u);
    }());
    EXPECT_EQ(w.stop_all(), "");
    EXPECT_EQ(redis.integer({"XLEN", "weft:{" + q + "}:calls"}), 0);
}

TEST(RedisPoolFaults, APoisonCallEndsInTheDeadLetterStream) {
    redis_server redis;
    const std::string q = queue_name();
    const std::string dir = temp_dir("rp");
    const std::string runs = dir + "/runs";
    workers w(redis.url(), q, 1, 300ms);
    w.start_one();
    w.start_one();
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q, .max_attempts = 3});
        try {
            (void)co_await weft::run_in_executor(pool, crash_always, runs);
            ADD_FAILURE() << "no exception";
        } catch (const weft::dead_letter_error& e) {
            EXPECT_EQ(e.attempts(), 3u);
        }
        // The workers are fine: the next call runs.
        EXPECT_EQ(co_await weft::run_in_executor(pool, add, 1, 2), 3);
    }());
    EXPECT_EQ(count_lines(runs), 3u);
    EXPECT_EQ(redis.integer({"XLEN", "weft:{" + q + "}:dead"}), 1);
    EXPECT_EQ(redis.integer({"XLEN", "weft:{" + q + "}:calls"}), 0);
    EXPECT_EQ(w.stop_all(), "");
    remove_tree(dir);
}

TEST(RedisPoolFaults, RedisRestartedMidRunLosesNoCall) {
    redis_server redis({.aof = true});
    const std::string q = queue_name();
    workers w(redis.url(), q, 2, 500ms);
    w.start_one();
    w.start_one();
    constexpr int n = 1500;
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q, .max_in_flight = 64});
        std::vector<weft::future<int>> fs;
        for (int i = 0; i < n; ++i) {
            fs.push_back(weft::run_in_executor(pool, nap_then, i, 1));
        }
        co_await until_completed(pool, n / 3);
        redis.kill();
        redis.start();
        EXPECT_EQ(co_await collect(fs), n);
        pool.shutdown(); // counts settle once every call has ended
        EXPECT_EQ(pool.stats().completed, static_cast<std::uint64_t>(n));
    }());
    EXPECT_EQ(w.stop_all(), "");
}
