// task_group: join waits for every member; first failure cancels the rest; cancelling the joiner.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task_group.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<int> finish_after(int v, std::chrono::milliseconds d, std::vector<int>& done) {
    co_await weft::sleep(d);
    done.push_back(v);
    co_return v;
}

struct member_log {
    bool started = false;
    bool caught_cancel = false;
    bool cleanup_finished = false;
};

weft::task<void> member_until_cancelled(member_log& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.caught_cancel = true;
    }
    co_await weft::sleep(1ms);
    co_await weft::yield();
    log.cleanup_finished = true;
    throw weft::cancelled_error("member unwound");
}

weft::task<void> fail_after(int yields, std::string what) {
    for (int i = 0; i < yields; ++i) {
        co_await weft::yield();
    }
    throw std::runtime_error(what);
}

} // namespace

WEFT_CO_TEST(task_group, join_waits_for_every_member) {
    std::vector<int> done;
    weft::task_group g;
    auto a = g.create_task(finish_after(1, 15ms, done));
    auto b = g.create_task(finish_after(2, 5ms, done));
    auto c = g.create_task(finish_after(3, 10ms, done));
    EXPECT_EQ(g.size(), 3u);
    co_await g.join();
    EXPECT_EQ(done.size(), 3u);
    EXPECT_TRUE(a.done() && b.done() && c.done());
    EXPECT_EQ(a.result() + b.result() + c.result(), 6);
    EXPECT_EQ(g.size(), 0u);
}

WEFT_CO_TEST(task_group, join_with_no_members_returns_at_once) {
    weft::task_group g;
    co_await g.join();
    EXPECT_EQ(g.size(), 0u);
}

WEFT_CO_TEST(task_group, first_failure_cancels_the_rest_and_is_rethrown_after_all_finished) {
    member_log logs[3];
    weft::task_group g;
    auto m0 = g.create_task(member_until_cancelled(logs[0]));
    auto bad = g.create_task(fail_after(2, "member failed"));
    auto m1 = g.create_task(member_until_cancelled(logs[1]));
    auto m2 = g.create_task(member_until_cancelled(logs[2]));
    try {
        co_await g.join();
        ADD_FAILURE() << "join() should rethrow the member's failure";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "member failed");
    }
    for (const member_log& l : logs) {
        EXPECT_TRUE(l.caught_cancel);
        EXPECT_TRUE(l.cleanup_finished) << "join() waited for the cancelled members to unwind";
    }
    EXPECT_TRUE(m0.cancelled() && m1.cancelled() && m2.cancelled());
    EXPECT_FALSE(bad.cancelled());
}

WEFT_CO_TEST(task_group, failure_before_join_cancels_the_rest_and_join_rethrows_it) {
    member_log log;
    weft::task_group g;
    weft::future<void> other = g.create_task(member_until_cancelled(log));
    co_await weft::yield();
    WEFT_CO_ASSERT_TRUE(log.started);
    (void)g.create_task(fail_after(0, "early"));
    // Not joined yet: the failure alone cancels the other member.
    EXPECT_THROW(co_await other, weft::cancelled_error);
    EXPECT_TRUE(log.caught_cancel);
    EXPECT_TRUE(log.cleanup_finished);
    EXPECT_THROW(co_await g.join(), std::runtime_error);
}

WEFT_CO_TEST(task_group, cancelling_the_joiner_cancels_members_and_waits_for_them) {
    member_log logs[2];
    weft::future<void> joiner = weft::create_task([](member_log* logs) -> weft::task<void> {
        weft::task_group g;
        (void)g.create_task(member_until_cancelled(logs[0]));
        (void)g.create_task(member_until_cancelled(logs[1]));
        co_await g.join();
    }(logs));
    bool started =
        co_await weft::testing::yield_until([&] { return logs[0].started && logs[1].started; });
    WEFT_CO_ASSERT_TRUE(started);
    EXPECT_TRUE(joiner.cancel());
    EXPECT_THROW(co_await joiner, weft::cancelled_error);
    EXPECT_TRUE(joiner.cancelled());
    for (const member_log& l : logs) {
        EXPECT_TRUE(l.caught_cancel);
        EXPECT_TRUE(l.cleanup_finished);
    }
}

WEFT_CO_TEST(task_group, cancel_stops_members_and_join_returns) {
    member_log logs[2];
    weft::task_group g;
    auto a = g.create_task(member_until_cancelled(logs[0]));
    auto b = g.create_task(member_until_cancelled(logs[1]));
    co_await weft::yield();
    g.cancel();
    co_await g.join(); // cancelled members are not failures
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    EXPECT_TRUE(logs[0].cleanup_finished && logs[1].cleanup_finished);
}

WEFT_CO_TEST(task_group, member_cancelled_on_its_own_is_not_a_failure) {
    member_log log;
    std::vector<int> done;
    weft::task_group g;
    auto victim = g.create_task(member_until_cancelled(log));
    auto other = g.create_task(finish_after(5, 2ms, done));
    co_await weft::yield();
    victim.cancel();
    co_await g.join();
    EXPECT_TRUE(victim.cancelled());
    EXPECT_EQ(other.result(), 5) << "the other member was not cancelled";
}

WEFT_CO_TEST(task_group, create_task_after_join_throws_invalid_state) {
    std::vector<int> done;
    weft::task_group g;
    (void)g.create_task(finish_after(1, 1ms, done));
    co_await g.join();
    EXPECT_THROW((void)g.create_task(finish_after(2, 1ms, done)), weft::invalid_state_error);
    weft::task_group empty;
    co_await empty.join();
    EXPECT_THROW((void)empty.create_task(finish_after(3, 1ms, done)), weft::invalid_state_error);
}

WEFT_CO_TEST_LOOPS(task_group, create_task_from_another_loop_throws_invalid_state, 2) {
    weft::task_group g;
    bool threw = co_await weft::spawn_on(1, [](weft::task_group& g) -> weft::task<bool> {
        try {
            (void)g.create_task([]() -> weft::task<void> { co_return; }());
        } catch (const weft::invalid_state_error&) {
            co_return true;
        }
        co_return false;
    }(g));
    EXPECT_TRUE(threw);
    co_await g.join();
}

TEST(task_group, outside_a_loop_throws_invalid_state) {
    EXPECT_THROW(weft::task_group{}, weft::invalid_state_error);
}

WEFT_CO_TEST(task_group, destroyed_without_join_cancels_its_members) {
    member_log log;
    weft::future<void> member;
    {
        weft::task_group g;
        member = g.create_task(member_until_cancelled(log));
        co_await weft::yield();
        WEFT_CO_ASSERT_TRUE(log.started);
    } // logs an error: the group was not joined
    EXPECT_THROW(co_await member, weft::cancelled_error);
    EXPECT_TRUE(log.cleanup_finished);
}
