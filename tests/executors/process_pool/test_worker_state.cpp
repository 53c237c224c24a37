// The worker state machine of the process pool (executors/src/process_pool/worker_state.hpp,
// private): every transition of its table, and the predicates the pool decides by.

#include "worker_state.hpp"

#include <gtest/gtest.h>

#include <array>

namespace pp = weft::detail::pp;
using ws = pp::worker_state;
using ev = pp::worker_event;

namespace {

constexpr std::array all_states{ws::spawning, ws::starting, ws::ready,
                                ws::retiring, ws::killed,   ws::faulted};
constexpr std::array all_events{ev::spawned, ev::said_ready, ev::closed, ev::killed, ev::faulted};

} // namespace

TEST(process_pool_worker_state, starts_up_through_spawned_and_ready) {
    EXPECT_EQ(pp::next_state(ws::spawning, ev::spawned), ws::starting);
    EXPECT_EQ(pp::next_state(ws::starting, ev::said_ready), ws::ready);
    // The ready frame may be read before the fork server's record of the pid.
    EXPECT_EQ(pp::next_state(ws::spawning, ev::said_ready), ws::ready);
    EXPECT_EQ(pp::next_state(ws::ready, ev::spawned), ws::ready);
    EXPECT_EQ(pp::next_state(ws::ready, ev::said_ready), ws::ready);
    EXPECT_EQ(pp::next_state(ws::starting, ev::spawned), ws::starting);
}

TEST(process_pool_worker_state, closing_retires_a_live_worker_only) {
    for (ws s : {ws::spawning, ws::starting, ws::ready, ws::retiring}) {
        EXPECT_EQ(pp::next_state(s, ev::closed), ws::retiring);
    }
    EXPECT_EQ(pp::next_state(ws::killed, ev::closed), ws::killed);
    EXPECT_EQ(pp::next_state(ws::faulted, ev::closed), ws::faulted);
    // A retiring worker does not come back.
    EXPECT_EQ(pp::next_state(ws::retiring, ev::spawned), ws::retiring);
    EXPECT_EQ(pp::next_state(ws::retiring, ev::said_ready), ws::retiring);
}

TEST(process_pool_worker_state, a_kill_reaches_every_state_but_the_killed_ones) {
    for (ws s : {ws::spawning, ws::starting, ws::ready, ws::retiring}) {
        EXPECT_EQ(pp::next_state(s, ev::killed), ws::killed);
        EXPECT_EQ(pp::next_state(s, ev::faulted), ws::faulted);
    }
}

TEST(process_pool_worker_state, killed_and_faulted_are_final) {
    for (ev e : all_events) {
        EXPECT_EQ(pp::next_state(ws::killed, e), ws::killed);
        EXPECT_EQ(pp::next_state(ws::faulted, e), ws::faulted);
    }
}

TEST(process_pool_worker_state, predicates_split_the_states) {
    for (ws s : all_states) {
        const bool live = s == ws::spawning || s == ws::starting || s == ws::ready;
        EXPECT_EQ(pp::is_live(s), live);
        EXPECT_EQ(pp::is_starting(s), s == ws::spawning || s == ws::starting);
        EXPECT_EQ(pp::is_killed(s), s == ws::killed || s == ws::faulted);
        // Only a kill for a call the pool settled itself spares the call from a crash report.
        EXPECT_EQ(pp::head_settled(s), s == ws::killed);
    }
}

TEST(process_pool_worker_state, no_event_makes_a_worker_live_again) {
    for (ws s : all_states) {
        for (ev e : all_events) {
            if (!pp::is_live(s)) {
                EXPECT_FALSE(pp::is_live(pp::next_state(s, e)));
            }
        }
    }
}
