// tbb_pool's hand-off between submitters and drainer tasks (executors/src/tbb_pool.cpp), checked
// in every interleaving by the model in drain_model.hpp: every call runs exactly once, no
// wake-up is lost, and every schedule ends. Each broken variant must be caught, so that a
// model too weak to see a missing fence or a dropped re-check fails here.

#include "check.hpp"
#include "drain_model.hpp"

#include <gtest/gtest.h>

using namespace weft_model;

namespace {

drain_config two_submitters(drain_bug bug = drain_bug::none) {
    return {.submitters = 2, .jobs_each = 1, .max_drainers = 2, .bug = bug};
}

drain_config blocking_calls(drain_bug bug = drain_bug::none) {
    return {.submitters = 2, .jobs_each = 1, .max_drainers = 2, .barrier_jobs = true, .bug = bug};
}

drain_config one_drainer(drain_bug bug = drain_bug::none) {
    return {.submitters = 2, .jobs_each = 1, .max_drainers = 1, .bug = bug};
}

/// With park's timeout, drainers leave: the leaving path and its re-check get explored.
drain_config leaving_drainers(drain_bug bug = drain_bug::none) {
    return {.submitters = 2, .jobs_each = 1, .max_drainers = 1, .park_timeout = true, .bug = bug};
}

drain_config sequentially_consistent(drain_config c) {
    c.weak = false;
    return c;
}

} // namespace

TEST(tbb_pool_model, every_call_runs_once_and_no_wake_up_is_lost) {
    expect_holds(drain_model(two_submitters()), "two_submitters");
    expect_holds(drain_model({.submitters = 1, .jobs_each = 2, .max_drainers = 2}),
                 "one_submitter");
    expect_holds(drain_model(one_drainer()), "one_drainer");
    expect_holds(drain_model({.submitters = 3, .jobs_each = 1, .max_drainers = 1}),
                 "three_submitters_one_drainer");
}

TEST(tbb_pool_model, blocking_calls_each_get_a_drainer_while_there_is_room) {
    expect_holds(drain_model(blocking_calls()), "blocking_calls");
}

TEST(tbb_pool_model, a_leaving_drainer_never_strands_a_call) {
    expect_holds(drain_model(leaving_drainers()), "leaving_drainer");
    drain_config two = two_submitters();
    two.park_timeout = true;
    expect_holds(drain_model(two), "leaving_drainers");
}

TEST(tbb_pool_model, three_submitters_under_sequential_consistency) {
    expect_holds(
        drain_model(sequentially_consistent({.submitters = 3, .jobs_each = 1, .max_drainers = 2})),
        "three_submitters_sc");
}

// ---- broken variants ----------------------------------------------------------------------------

TEST(tbb_pool_model, catches_a_submitter_without_its_fence) {
    expect_caught(drain_model(two_submitters(drain_bug::no_submit_fence)), stuck);
    // The fence matters only where stores wait in a buffer: the model must have them to see it.
    EXPECT_TRUE(
        explore(drain_model(sequentially_consistent(two_submitters(drain_bug::no_submit_fence))))
            .ok());
}

TEST(tbb_pool_model, catches_a_submitter_reading_idle_before_it_pushes) {
    expect_caught(drain_model(two_submitters(drain_bug::idle_read_before_push)), stuck);
}

TEST(tbb_pool_model, catches_a_submitter_that_never_wakes_the_parked_drainer) {
    expect_caught(drain_model(two_submitters(drain_bug::no_wake_parked)), stuck);
}

TEST(tbb_pool_model, catches_a_notify_without_taking_the_park_mutex) {
    expect_caught(drain_model(two_submitters(drain_bug::no_wake_lock)), stuck);
}

TEST(tbb_pool_model, catches_a_drainer_that_starts_no_helper) {
    expect_caught(drain_model(blocking_calls(drain_bug::no_helper_start)), stuck);
}

TEST(tbb_pool_model, catches_a_helper_check_without_its_fence) {
    expect_caught(drain_model(blocking_calls(drain_bug::no_pop_fence)), stuck);
    EXPECT_TRUE(
        explore(drain_model(sequentially_consistent(blocking_calls(drain_bug::no_pop_fence))))
            .ok());
}

TEST(tbb_pool_model, catches_a_park_without_its_fence) {
    expect_caught(drain_model(one_drainer(drain_bug::no_park_fence)), stuck);
}

TEST(tbb_pool_model, catches_a_park_that_sleeps_without_a_re_check) {
    expect_caught(drain_model(two_submitters(drain_bug::park_without_recheck)), stuck);
}

TEST(tbb_pool_model, catches_a_leaving_drainer_without_its_fence) {
    expect_caught(drain_model(leaving_drainers(drain_bug::no_leave_fence)), stuck);
}

TEST(tbb_pool_model, catches_a_drainer_that_leaves_without_a_last_look) {
    expect_caught(drain_model(leaving_drainers(drain_bug::no_leave_recheck)), stuck);
}

// Why the model leaves park's 50 ms timeout out: with it, a lost wake-up is a stall, not a hang,
// and the explorer would pass a broken park.
TEST(tbb_pool_model, the_park_timeout_would_hide_a_lost_wake_up) {
    drain_config c = one_drainer(drain_bug::no_park_fence);
    c.park_timeout = true;
    EXPECT_TRUE(explore(drain_model(c)).ok());
}
