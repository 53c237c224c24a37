// weft::process_pool: calls, partials, user types, exceptions, the initializer, shutdown, large
// payloads and the max_message limit, the spawn start method.

#include "remote_functions.hpp"

#include <weft/executors/process_pool.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

using namespace pp_test;
using namespace std::chrono_literals;

namespace {

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + i % 26);
    }
    return s;
}

} // namespace

WEFT_CO_TEST(process_pool, runs_registered_functions_and_partials) {
    weft::process_pool pool({.workers = 2});
    int sum = co_await weft::run_in_executor(pool, add, 2, 3);
    EXPECT_EQ(sum, 5);
    // Arguments convert to the parameter types at the call (const char* -> std::string).
    const std::string python = "Python";
    std::string s = co_await weft::run_in_executor(pool, join, "Hello", python);
    EXPECT_EQ(s, "Hello Python");
    // partial: bound arguments first, more appended (seed example 6, out of process).
    auto hello = weft::partial(join, "Hello");
    std::string s2 = co_await weft::run_in_executor(pool, hello, "Script");
    EXPECT_EQ(s2, "Hello Script");
    int seven = co_await pool.submit(weft::partial(&add, 3, 4));
    EXPECT_EQ(seven, 7);
    std::vector<int> sq = co_await weft::run_in_executor(pool, squares, 5);
    EXPECT_EQ(sq, (std::vector<int>{0, 1, 4, 9, 16}));
    point p{1, 2, "p"}; // a named argument: g++ 12 mishandles class temporaries in co_await
    point m = co_await weft::run_in_executor(pool, mirror, p);
    EXPECT_EQ(m, (point{2, 1, "p'"}));
    // The calls ran in other processes.
    int pid = co_await weft::run_in_executor(pool, worker_pid);
    EXPECT_NE(pid, ::getpid());
    pool.shutdown(true, false); // the counters are final once every call has left the pool
    auto st = pool.stats();
    EXPECT_EQ(st.submitted, 7U);
    EXPECT_EQ(st.completed, 7U);
    EXPECT_EQ(st.max_workers, 2U);
}

WEFT_CO_TEST(process_pool, many_calls_in_flight_all_complete_in_any_order) {
    weft::process_pool pool({.workers = 2, .max_batch = 8});
    std::vector<weft::future<int>> calls;
    for (int i = 0; i < 200; ++i) {
        calls.push_back(weft::run_in_executor(pool, add, i, 1000));
    }
    for (int i = 0; i < 200; ++i) {
        int v = co_await calls[static_cast<std::size_t>(i)];
        EXPECT_EQ(v, i + 1000);
    }
    pool.shutdown(true, false);
    EXPECT_EQ(pool.stats().completed, 200U);
}

WEFT_CO_TEST(process_pool, exceptions_reach_the_awaiter) {
    weft::process_pool pool({.workers = 1});
    try {
        co_await weft::run_in_executor(pool, throw_runtime, "bad row 7");
        ADD_FAILURE() << "expected remote_error";
    } catch (const weft::remote_error& e) {
        EXPECT_EQ(e.type_name(), "std::runtime_error");
        EXPECT_EQ(e.remote_what(), "bad row 7");
        EXPECT_EQ(e.function(), "pp_test::throw_runtime");
        EXPECT_NE(std::string(e.what()).find("bad row 7"), std::string::npos);
    }
    // A registered exception type comes back as itself.
    try {
        co_await weft::run_in_executor(pool, throw_quota, "over 10 GB");
        ADD_FAILURE() << "expected quota_exceeded";
    } catch (const quota_exceeded& e) {
        EXPECT_STREQ(e.what(), "over 10 GB");
    }
    // Not a std::exception: its type still crosses.
    try {
        co_await weft::run_in_executor(pool, throw_int);
        ADD_FAILURE() << "expected remote_error";
    } catch (const weft::remote_error& e) {
        EXPECT_EQ(e.type_name(), "int");
    }
    // The worker survived all three.
    int v = co_await weft::run_in_executor(pool, add, 1, 1);
    EXPECT_EQ(v, 2);
    EXPECT_EQ(pool.workers_started(), 1U);
    pool.shutdown(true, false);
    EXPECT_EQ(pool.stats().failed, 3U);
}

WEFT_CO_TEST(process_pool, an_unregistered_function_fails_at_the_call_site) {
    weft::process_pool pool({.workers = 1});
    EXPECT_THROW((void)weft::run_in_executor(pool, not_registered, 1),
                 weft::remote_registration_error);
    EXPECT_EQ(pool.stats().submitted, 0U);
    co_return;
}

WEFT_CO_TEST(process_pool, the_initializer_runs_once_in_each_worker) {
    weft::process_pool pool({.workers = 2, .initializer = &init_ok});
    for (int i = 0; i < 4; ++i) {
        int v = co_await weft::run_in_executor(pool, initialized_value, i);
        EXPECT_EQ(v, 1000 + i);
    }
}

WEFT_CO_TEST(process_pool, a_failing_initializer_is_reported_and_not_retried_forever) {
    weft::process_pool pool({.workers = 2, .initializer = &init_fails, .max_init_failures = 3});
    try {
        co_await weft::run_in_executor(pool, add, 1, 2);
        ADD_FAILURE() << "expected worker_init_error";
    } catch (const weft::worker_init_error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("pp_test::init_fails"), std::string::npos) << what;
        EXPECT_NE(what.find("no database at db.invalid"), std::string::npos) << what;
        EXPECT_NE(what.find("3 times in a row"), std::string::npos) << what;
    }
    // The pool gave up: later calls fail at once, and no more workers start.
    const auto started = pool.workers_started();
    EXPECT_LE(started, 4U); // 2 at first, then replacements until the third failure
    EXPECT_THROW((void)weft::run_in_executor(pool, add, 1, 2), weft::worker_init_error);
    EXPECT_EQ(pool.workers_started(), started);
}

WEFT_CO_TEST(process_pool, shutdown_wait_finishes_queued_calls) {
    weft::process_pool pool({.workers = 1});
    std::vector<weft::future<int>> calls;
    for (int i = 0; i < 5; ++i) {
        calls.push_back(weft::run_in_executor(pool, nap_ms, 10));
    }
    pool.shutdown(true, false);
    for (auto& f : calls) {
        EXPECT_TRUE(f.done());
        int v = co_await f;
        EXPECT_EQ(v, 10);
    }
    EXPECT_THROW((void)weft::run_in_executor(pool, add, 1, 2), weft::executor_shut_down);
    EXPECT_THROW((void)pool.submit(weft::partial(add, 1, 2)), weft::executor_shut_down);
}

WEFT_CO_TEST(process_pool, shutdown_cancel_pending_cancels_calls_not_started) {
    weft::process_pool pool({.workers = 1, .max_batch = 1});
    int warm = co_await weft::run_in_executor(pool, add, 0, 0); // the worker is ready
    EXPECT_EQ(warm, 0);
    auto running = weft::run_in_executor(pool, nap_ms, 200);
    std::vector<weft::future<int>> queued;
    for (int i = 0; i < 4; ++i) {
        queued.push_back(weft::run_in_executor(pool, add, i, i));
    }
    pool.shutdown(true, true);
    int v = co_await running;
    EXPECT_EQ(v, 200);
    for (auto& f : queued) {
        EXPECT_TRUE(f.cancelled());
    }
    auto st = pool.stats();
    EXPECT_EQ(st.cancelled, 4U);
    EXPECT_EQ(st.completed, 2U);
}

WEFT_CO_TEST(process_pool, shutdown_without_wait_returns_and_calls_still_finish) {
    weft::process_pool pool({.workers = 1});
    auto call = weft::run_in_executor(pool, nap_ms, 100);
    pool.shutdown(false, false);
    EXPECT_FALSE(call.done());
    int v = co_await call;
    EXPECT_EQ(v, 100);
}

WEFT_CO_TEST(process_pool, large_arguments_and_results_cross) {
    weft::process_pool pool({.workers = 1});
    const std::size_t n = std::size_t{40} << 20; // 40 MiB each way
    const std::string big = pattern(n);
    std::size_t checked = co_await weft::run_in_executor(pool, blob_check, big);
    EXPECT_EQ(checked, n);
    std::string back = co_await weft::run_in_executor(pool, blob, n, 'z');
    EXPECT_EQ(back.size(), n);
    EXPECT_EQ(back.find_first_not_of('z'), std::string::npos);
}

WEFT_CO_TEST(process_pool, messages_over_max_message_are_clear_errors) {
    weft::process_pool pool({.workers = 1, .max_message = 1 << 20});
    // Too large to send: thrown at the call.
    try {
        (void)weft::run_in_executor(pool, blob_check, pattern(2 << 20));
        ADD_FAILURE() << "expected message_too_large";
    } catch (const weft::message_too_large& e) {
        EXPECT_NE(std::string(e.what()).find("max_message"), std::string::npos) << e.what();
    }
    // Too large to come back: the call raises it; the worker keeps serving.
    try {
        co_await weft::run_in_executor(pool, blob, std::size_t{2} << 20, 'x');
        ADD_FAILURE() << "expected message_too_large";
    } catch (const weft::message_too_large& e) {
        EXPECT_NE(std::string(e.what()).find("max_message"), std::string::npos) << e.what();
    }
    std::string small = co_await weft::run_in_executor(pool, blob, std::size_t{1000}, 'x');
    EXPECT_EQ(small.size(), 1000U);
    EXPECT_EQ(pool.workers_started(), 1U);
}

WEFT_CO_TEST(process_pool, the_spawn_start_method_re_executes_the_program) {
    weft::process_pool pool(
        {.workers = 1, .initializer = &init_ok, .start = weft::process_pool::start_method::spawn});
    int v = co_await weft::run_in_executor(pool, initialized_value, 1);
    EXPECT_EQ(v, 1001);
    int pid = co_await weft::run_in_executor(pool, worker_pid);
    std::string exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe");
    EXPECT_EQ(exe, std::filesystem::read_symlink("/proc/self/exe"));
}

TEST(process_pool, submit_works_outside_a_loop) {
    weft::process_pool pool({.workers = 1});
    auto f = pool.submit(weft::partial(add, 20, 22));
    pool.shutdown(true, false);
    EXPECT_EQ(f.result(), 42);
}
