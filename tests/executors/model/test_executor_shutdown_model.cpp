// How shutdown(wait) learns that the last call ended, and a submit racing it
// (executors/src/executor_core.cpp: end_job, shutdown, accept and count_submitted), checked in
// every interleaving by the model in shutdown_model.hpp. Each broken variant must be caught.

#include "check.hpp"
#include "shutdown_model.hpp"

#include <gtest/gtest.h>

using namespace weft_model;

// shutdown's wait re-checks every millisecond, so a schedule that never runs a worker polls
// forever: the state graph has cycles. The end must still be reachable from every state.
constexpr bool acyclic = false;

TEST(executor_shutdown_model, returns_after_the_last_call_ended_and_never_under_a_worker) {
    expect_holds(shutdown_model({.running = 2}), "two_calls", acyclic);
    expect_holds(shutdown_model({.running = 2, .weak = false}), "two_calls_sc", acyclic);
}

TEST(executor_shutdown_model, a_racing_submit_throws_or_is_waited_for) {
    expect_holds(shutdown_model({.running = 1, .racing_submit = true}), "racing_submit", acyclic);
    expect_holds(shutdown_model({.running = 2, .racing_submit = true}), "racing_submit_two",
                 acyclic);
}

TEST(executor_shutdown_model, catches_a_notify_after_the_unlock) {
    expect_caught(shutdown_model({.bug = shutdown_bug::notify_after_unlock}),
                  "a worker touched the executor after");
}

TEST(executor_shutdown_model, catches_a_call_counted_before_waiting_is_read) {
    expect_caught(shutdown_model({.bug = shutdown_bug::count_before_check}),
                  "a worker touched the executor after");
}

TEST(executor_shutdown_model, catches_a_wait_without_its_re_check) {
    expect_caught(shutdown_model({.bug = shutdown_bug::untimed_wait}), stuck);
}

// accept() before its re-check of shut_down_: a submit could return a future that nobody runs.
TEST(executor_shutdown_model, catches_an_accept_without_its_re_check) {
    expect_caught(shutdown_model({.running = 0,
                                  .racing_submit = true,
                                  .weak = false,
                                  .bug = shutdown_bug::accept_without_recheck}),
                  "shutdown(wait) returned before a call it accepted ended");
}
