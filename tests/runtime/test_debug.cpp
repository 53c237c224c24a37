// Debug mode (options.debug / WEFT_DEBUG): never-awaited tasks, slow steps, unretrieved
// exceptions.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/log_capture.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;

namespace debug_test {

weft::task<int> forgotten_coroutine() {
    co_return 7;
}

weft::task<void> blocking_step_coroutine() {
    co_await weft::yield();
    // Deliberately blocks its loop: the behaviour under test.
    std::this_thread::sleep_for(60ms);
    co_return;
}

weft::task<void> failing_coroutine() {
    throw std::runtime_error("nobody looked at me");
    co_return;
}

weft::task<void> drop_a_task() {
    auto t = forgotten_coroutine();
    co_return; // t is destroyed here, never awaited
}

weft::task<void> drop_a_failed_future() {
    auto f = weft::create_task(failing_coroutine());
    while (!f.done()) {
        co_await weft::yield();
    }
    // f is dropped with its exception unseen
}

weft::task<void> see_a_failed_future() {
    auto f = weft::create_task(failing_coroutine());
    try {
        co_await f;
    } catch (const std::runtime_error&) {
    }
}

/// Blocks its loop in its very first step (the behaviour under test).
weft::task<void> slow_first_step_coroutine() {
    std::this_thread::sleep_for(60ms);
    co_return;
}

weft::task<void> create_a_slow_task() {
    co_await weft::create_task(slow_first_step_coroutine());
}

weft::task<void> create_a_slow_named_task() {
    auto f = weft::create_task(slow_first_step_coroutine(), {.name = "slowpoke"});
    co_await f; // (g++ 12 mishandles a braced list inside a co_await expression)
}

weft::task<void> spawn_a_slow_task_on_loop_1() {
    co_await weft::spawn_on(1, slow_first_step_coroutine());
}

} // namespace debug_test

namespace {

using namespace debug_test;

constexpr weft::options debug_on{.loops = 1, .debug = true, .slow_callback = 20ms};

} // namespace

TEST(debug, warns_about_a_task_never_awaited_naming_it) {
    weft::testing::log_capture log;
    weft::run(drop_a_task(), debug_on);
    EXPECT_EQ(log.count({"never", "forgotten_coroutine"}), 1u)
        << ::testing::PrintToString(log.messages());
}

TEST(debug, no_never_awaited_warning_outside_debug_mode) {
    weft::testing::log_capture log;
    weft::run(drop_a_task(), weft::options{.loops = 1});
    EXPECT_EQ(log.count({"never"}), 0u);
}

TEST(debug, weft_debug_environment_variable_turns_it_on) {
    weft::testing::log_capture log;
    ::setenv("WEFT_DEBUG", "1", 1);
    weft::run(drop_a_task(), weft::options{.loops = 1});
    ::unsetenv("WEFT_DEBUG");
    EXPECT_EQ(log.count({"never", "forgotten_coroutine"}), 1u);
}

TEST(debug, warns_about_a_slow_step_with_loop_and_duration) {
    weft::testing::log_capture log;
    weft::run(blocking_step_coroutine(), debug_on);
    EXPECT_GE(log.count({"loop 0", "slow_callback is 20 ms", "blocking_step_coroutine"}), 1u)
        << ::testing::PrintToString(log.messages());
}

// The first step of a scheduled task is named after its coroutine, not after the runnable that
// starts it, whether it was created on its own loop or posted to another one.
TEST(debug, names_the_coroutine_of_a_slow_first_step) {
    weft::testing::log_capture log;
    weft::run(create_a_slow_task(), debug_on);
    EXPECT_GE(log.count({"slow_callback", "coroutine", "slow_first_step_coroutine"}), 1u)
        << ::testing::PrintToString(log.messages());
    EXPECT_EQ(log.count({"start_runnable"}), 0u) << ::testing::PrintToString(log.messages());
}

TEST(debug, names_the_task_of_a_slow_first_step) {
    weft::testing::log_capture log;
    weft::run(create_a_slow_named_task(), debug_on);
    EXPECT_GE(log.count({"slow_callback", "task 'slowpoke'", "slow_first_step_coroutine"}), 1u)
        << ::testing::PrintToString(log.messages());
}

TEST(debug, names_the_coroutine_of_a_slow_first_step_spawned_on_another_loop) {
    weft::testing::log_capture log;
    weft::run(spawn_a_slow_task_on_loop_1(),
              weft::options{.loops = 2, .debug = true, .slow_callback = 20ms});
    EXPECT_GE(log.count({"loop 1", "coroutine", "slow_first_step_coroutine"}), 1u)
        << ::testing::PrintToString(log.messages());
}

TEST(debug, no_slow_step_warning_outside_debug_mode) {
    weft::testing::log_capture log;
    weft::run(blocking_step_coroutine(), weft::options{.loops = 1, .slow_callback = 20ms});
    EXPECT_EQ(log.count({"slow_callback"}), 0u);
}

TEST(debug, logs_an_exception_nobody_retrieved) {
    weft::testing::log_capture log("weft.runtime", spdlog::level::err);
    weft::run(drop_a_failed_future(), debug_on);
    EXPECT_EQ(log.count({"never retrieved", "nobody looked at me"}), 1u)
        << ::testing::PrintToString(log.messages());
}

TEST(debug, a_retrieved_exception_is_not_logged) {
    weft::testing::log_capture log("weft.runtime", spdlog::level::err);
    weft::run(see_a_failed_future(), debug_on);
    EXPECT_EQ(log.count({"never retrieved"}), 0u);
}

TEST(debug, stand_alone_loop_follows_weft_debug) {
    weft::testing::log_capture log;
    ::setenv("WEFT_DEBUG", "1", 1);
    {
        weft::loop l;
        l.run_until_complete(drop_a_task());
    }
    ::unsetenv("WEFT_DEBUG");
    EXPECT_EQ(log.count({"never", "forgotten_coroutine"}), 1u);
}
