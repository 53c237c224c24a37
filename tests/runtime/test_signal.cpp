// Signals: add_signal_handler/remove_signal_handler, and SIGINT/SIGTERM cancelling the main task.
// The signals are raised by the test process at itself (raise()), so they arrive at once.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/signal.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <thread>

namespace {

weft::task<void> raise_then_wait_forever(int sig) {
    weft::event never;
    std::raise(sig);
    co_await never.wait();
}

weft::task<int> finish_cleanly_on_cancel(int sig) {
    weft::event never;
    std::raise(sig);
    try {
        co_await never.wait();
    } catch (const weft::cancelled_error&) {
        co_return 42; // cleaned up and decided to finish
    }
    co_return 0;
}

weft::task<std::thread::id> handler_thread_on_this_loop(int sig) {
    weft::event got;
    std::thread::id ran_on;
    weft::add_signal_handler(sig, [&] {
        ran_on = std::this_thread::get_id();
        got.set();
    });
    std::raise(sig);
    co_await got.wait();
    EXPECT_TRUE(weft::remove_signal_handler(sig));
    co_return ran_on;
}

weft::task<std::thread::id> this_thread_id() {
    co_return std::this_thread::get_id();
}

} // namespace

WEFT_CO_TEST(signal, handler_runs_on_its_loop_each_time) {
    int count = 0;
    weft::event twice;
    weft::add_signal_handler(SIGUSR1, [&] {
        if (++count == 2) {
            twice.set();
        }
    });
    std::raise(SIGUSR1);
    std::raise(SIGUSR1);
    // Two raises may coalesce into one delivery (POSIX signals are not queued): raise until seen.
    while (!twice.is_set()) {
        co_await weft::yield();
        if (count == 1) {
            std::raise(SIGUSR1);
        }
    }
    EXPECT_GE(count, 2);
    EXPECT_TRUE(weft::remove_signal_handler(SIGUSR1));
    EXPECT_FALSE(weft::remove_signal_handler(SIGUSR1));
}

WEFT_CO_TEST_LOOPS(signal, handler_added_on_loop_1_runs_on_loop_1, 2) {
    const std::thread::id here = std::this_thread::get_id();
    const std::thread::id ran_on = co_await weft::spawn_on(1, handler_thread_on_this_loop(SIGUSR2));
    EXPECT_NE(ran_on, here);
    const std::thread::id loop1 = co_await weft::spawn_on(1, this_thread_id());
    EXPECT_EQ(ran_on, loop1);
}

// By default the process would then die by SIGINT (test_signal_exit.cpp checks that in a child).
TEST(signal, sigint_cancels_the_main_task) {
    EXPECT_THROW(
        weft::run(
            raise_then_wait_forever(SIGINT),
            weft::options{.loops = 1, .on_interrupt = weft::interrupt_action::throw_interrupted}),
        weft::interrupted);
}

TEST(signal, sigterm_cancels_the_main_task_which_may_finish_cleanly) {
    EXPECT_EQ(weft::run(finish_cleanly_on_cancel(SIGTERM), weft::options{.loops = 2}), 42);
}

WEFT_CO_TEST(signal, a_handler_replaces_the_default_for_sigint) {
    weft::event got;
    weft::add_signal_handler(SIGINT, [&] { got.set(); });
    std::raise(SIGINT);
    co_await got.wait(); // the main task was not cancelled
    EXPECT_TRUE(weft::remove_signal_handler(SIGINT));
}

WEFT_CO_TEST(signal, rejects_signals_it_cannot_handle) {
    EXPECT_THROW(weft::add_signal_handler(SIGKILL, [] {}), std::invalid_argument);
    EXPECT_THROW(weft::add_signal_handler(SIGSTOP, [] {}), std::invalid_argument);
    EXPECT_THROW(weft::add_signal_handler(SIGSEGV, [] {}), std::invalid_argument);
    EXPECT_THROW(weft::add_signal_handler(0, [] {}), std::invalid_argument);
    EXPECT_THROW(weft::add_signal_handler(SIGUSR1, nullptr), std::invalid_argument);
    co_return;
}

TEST(signal, needs_a_loop) {
    EXPECT_THROW(weft::add_signal_handler(SIGUSR1, [] {}), weft::invalid_state_error);
}
