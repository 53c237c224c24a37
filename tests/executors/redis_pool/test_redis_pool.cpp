// weft::redis_pool against a real redis-server and real worker processes: values, user types and
// exceptions crossing, cancellation before and during a call, call timeouts, an unreachable
// Redis, and logging in.

#include "fixture.hpp"
#include "functions.hpp"

#include <weft/executors/redis_pool.hpp>
#include <weft/runtime.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace rp_test;

namespace {

std::string calls_key(const std::string& q) {
    return "weft:{" + q + "}:calls";
}

int read_pid(const std::string& path) {
    std::ifstream in(path);
    int pid = -1;
    in >> pid;
    return pid;
}

} // namespace

TEST(RedisPool, ValuesUserTypesAndExceptionsCross) {
    redis_server redis;
    const std::string q = queue_name();
    workers w(redis.url(), q, 2);
    w.start_one();
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q});
        EXPECT_EQ(co_await weft::run_in_executor(pool, add, 2, 3), 5);
        EXPECT_EQ(co_await weft::run_in_executor(pool, weft::partial(add, 40), 2), 42);
        point in{1, 2, "a"}; // named: g++ 12 mishandles a temporary built inside co_await
        const point p = co_await weft::run_in_executor(pool, mirror, in);
        EXPECT_EQ(p, (point{2, 1, "a'"}));
        co_await weft::run_in_executor(pool, nothing);
        EXPECT_THROW(co_await weft::run_in_executor(pool, refuse, true), quota_exceeded);
        try {
            (void)co_await weft::run_in_executor(pool, refuse, false);
            ADD_FAILURE() << "no exception";
        } catch (const weft::remote_error& e) {
            EXPECT_EQ(e.type_name(), "std::out_of_range");
            EXPECT_EQ(e.remote_what(), "index 7");
            EXPECT_EQ(e.function(), "rp_test::refuse");
        }
        pool.shutdown(); // counts settle once every call has ended
        const weft::executor_stats s = pool.stats();
        EXPECT_EQ(s.submitted, 6u);
        EXPECT_EQ(s.completed, 4u);
        EXPECT_EQ(s.failed, 2u);
        EXPECT_TRUE(pool.connected());
    }());
    EXPECT_EQ(w.stop_all(), "");
    // Every call was acknowledged and deleted, and the worker left the group when it drained.
    EXPECT_EQ(redis.integer({"XLEN", calls_key(q)}), 0);
}

TEST(RedisPool, ManyCallsInFlightAllArrive) {
    redis_server redis;
    const std::string q = queue_name();
    workers w(redis.url(), q, 2);
    w.start_one();
    w.start_one();
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q, .max_in_flight = 64});
        constexpr int n = 3000;
        std::vector<weft::future<int>> fs;
        for (int i = 0; i < n; ++i) {
            fs.push_back(weft::run_in_executor(pool, add, i, i));
        }
        for (int i = 0; i < n; ++i) {
            EXPECT_EQ(co_await std::move(fs[static_cast<std::size_t>(i)]), 2 * i);
        }
        pool.shutdown(); // counts settle once every call has ended
        EXPECT_EQ(pool.stats().completed, static_cast<std::uint64_t>(n));
    }());
    EXPECT_EQ(w.stop_all(), "");
}

TEST(RedisPool, CancelledBeforeAWorkerTakesItNeverRuns) {
    redis_server redis;
    const std::string q = queue_name();
    const std::string dir = temp_dir("rp");
    const std::string marker = dir + "/runs";
    workers w(redis.url(), q, 1);
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q});
        auto f = weft::run_in_executor(pool, count_and_double, marker, 1);
        EXPECT_TRUE(eventually([&] { return redis.integer({"XLEN", calls_key(q)}) == 1; }));
        EXPECT_TRUE(f.cancel());
        EXPECT_TRUE(eventually([&] { return redis.integer({"XLEN", calls_key(q)}) == 0; }));
        w.start_one(); // no worker existed until now
        EXPECT_EQ(co_await weft::run_in_executor(pool, count_and_double, marker, 2), 4);
        pool.shutdown();
        EXPECT_EQ(pool.stats().cancelled, 1u);
    }());
    EXPECT_EQ(count_lines(marker), 1u); // only the second call ran
    EXPECT_EQ(w.stop_all(), "");
    remove_tree(dir);
}

TEST(RedisPool, CancelledWhileRunningKillsTheChild) {
    redis_server redis;
    const std::string q = queue_name();
    const std::string dir = temp_dir("rp");
    const std::string pidfile = dir + "/pid";
    workers w(redis.url(), q, 1);
    w.start_one();
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q});
        auto f = weft::run_in_executor(pool, report_and_nap, pidfile, 600000);
        EXPECT_TRUE(eventually([&] { return std::filesystem::exists(pidfile); }));
        const int child = read_pid(pidfile);
        EXPECT_GT(child, 0);
        EXPECT_TRUE(f.cancel());
        EXPECT_TRUE(eventually([&] { return process_gone(child); }));
        // The worker goes on with the next call.
        EXPECT_EQ(co_await weft::run_in_executor(pool, add, 1, 1), 2);
    }());
    EXPECT_EQ(w.stop_all(), "");
    remove_tree(dir);
}

TEST(RedisPool, CallTimeoutRaisesAndKillsTheChild) {
    redis_server redis;
    const std::string q = queue_name();
    const std::string dir = temp_dir("rp");
    const std::string pidfile = dir + "/pid";
    workers w(redis.url(), q, 1);
    w.start_one();
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = redis.url(), .queue = q, .call_timeout = 1500ms});
        EXPECT_THROW(co_await weft::run_in_executor(pool, report_and_nap, pidfile, 600000),
                     weft::timeout_error);
        EXPECT_TRUE(eventually([&] { return std::filesystem::exists(pidfile); }));
        const int child = read_pid(pidfile);
        EXPECT_TRUE(eventually([&] { return process_gone(child); }));
        EXPECT_EQ(co_await weft::run_in_executor(pool, add, 2, 2), 4);
    }());
    EXPECT_EQ(w.stop_all(), "");
    remove_tree(dir);
}

TEST(RedisPool, UnreachableRedisFailsTypedAfterConnectTimeout) {
    const std::string dir = temp_dir("rp");
    weft::run([&]() -> weft::task<void> {
        weft::redis_pool pool({.url = "unix://" + dir + "/nobody.sock",
                               .queue = queue_name(),
                               .connect_timeout = 300ms});
        const auto start = std::chrono::steady_clock::now();
        try {
            (void)co_await weft::run_in_executor(pool, add, 1, 2);
            ADD_FAILURE() << "no exception";
        } catch (const weft::broker_error& e) {
            EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos) << e.what();
        }
        EXPECT_LT(std::chrono::steady_clock::now() - start, 20s); // generous: about 0.3 s
        EXPECT_FALSE(pool.connected());
    }());
    remove_tree(dir);
}

TEST(RedisPool, LogsInAndNeverShowsThePassword) {
    redis_server redis({.password = "s3cret-pw"});
    const std::string q = queue_name();
    ::setenv("WEFT_REDIS_PASSWORD", "s3cret-pw", 1); // the workers inherit it
    workers w(redis.url(), q, 1);
    w.start_one();
    ::unsetenv("WEFT_REDIS_PASSWORD");
    weft::run([&]() -> weft::task<void> {
        {
            weft::redis_pool wrong(
                {.url = redis.url(), .password = "nope", .queue = q, .connect_timeout = 300ms});
            try {
                (void)co_await weft::run_in_executor(wrong, add, 1, 2);
                ADD_FAILURE() << "no exception";
            } catch (const weft::broker_error& e) {
                const std::string what = e.what();
                EXPECT_NE(what.find("AUTH"), std::string::npos) << what;
                EXPECT_EQ(what.find("nope"), std::string::npos) << what;
            }
        }
        weft::redis_pool right({.url = redis.url(), .password = "s3cret-pw", .queue = q});
        EXPECT_EQ(co_await weft::run_in_executor(right, add, 20, 22), 42);
    }());
    EXPECT_EQ(w.stop_all(), "");
}
