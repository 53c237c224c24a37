// The loop inbox (runtime/src/loop_impl.cpp, post and drain_inbox), where every executor's
// completion lands: checked in every interleaving by the model in inbox_model.hpp. Each broken
// variant must be caught.

#include "check.hpp"
#include "inbox_model.hpp"

#include <gtest/gtest.h>

using namespace weft_model;

TEST(loop_inbox_model, every_post_runs_once_in_order_with_one_wake_up_per_batch) {
    expect_holds(inbox_model({.producers = 2, .posts_each = 2}), "two_producers");
    expect_holds(inbox_model({.producers = 3, .posts_each = 1}), "three_producers");
    expect_holds(inbox_model({.producers = 2, .posts_each = 2, .weak = false}), "two_producers_sc");
}

TEST(loop_inbox_model, catches_a_flag_cleared_after_the_batch_is_taken) {
    expect_caught(inbox_model({.bug = inbox_bug::clear_after_swap}), stuck);
}

TEST(loop_inbox_model, catches_a_flag_never_cleared) {
    expect_caught(inbox_model({.bug = inbox_bug::never_clear}), stuck);
}

TEST(loop_inbox_model, catches_a_post_to_the_io_context_after_the_unlock) {
    expect_caught(inbox_model({.bug = inbox_bug::post_after_unlock}),
                  "a producer touched the loop after");
}

TEST(loop_inbox_model, catches_a_flag_tested_and_set_outside_the_lock) {
    expect_caught(inbox_model({.bug = inbox_bug::flag_outside_lock}), "two drains queued");
}
