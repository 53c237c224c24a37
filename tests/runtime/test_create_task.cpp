// create_task / ensure_future / spawn / spawn_on: scheduling, results, loop affinity.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<void> set_flag(bool& flag) {
    flag = true;
    co_return;
}

weft::task<int> triple(int x) {
    co_await weft::yield();
    co_return 3 * x;
}

weft::task<int> fails() {
    co_await weft::yield();
    throw std::invalid_argument("bad argument");
}

weft::task<void> step(std::string& log, char c, int steps) {
    for (int i = 0; i < steps; ++i) {
        log.push_back(c);
        co_await weft::yield();
    }
}

struct where {
    std::size_t loop;
    std::thread::id thread;
};

where here() {
    return {weft::current_loop().id(), std::this_thread::get_id()};
}

weft::task<where> where_am_i() {
    co_await weft::yield();
    co_return here();
}

weft::task<where> blocked_where(weft::future<void> gate) {
    where w = here();
    co_await gate;
    co_return w;
}

weft::task<void> complete_later(weft::promise<int> p, int v) {
    co_await weft::yield();
    p.set_value(v);
}

} // namespace

WEFT_CO_TEST(create_task, starts_soon_and_not_inline) {
    bool flag = false;
    weft::future<void> f = weft::create_task(set_flag(flag));
    EXPECT_FALSE(flag) << "create_task schedules; the task runs once the caller suspends";
    EXPECT_FALSE(f.done());
    co_await weft::yield();
    EXPECT_TRUE(flag);
    EXPECT_TRUE(f.done());
}

WEFT_CO_TEST(create_task, runs_concurrently_with_the_caller) {
    std::string log;
    weft::future<void> f = weft::create_task(step(log, 't', 3));
    co_await step(log, 'm', 3);
    co_await f;
    EXPECT_EQ(log, "mtmtmt") << "each yield lets the other ready task run once";
}

WEFT_CO_TEST(create_task, delivers_the_result_through_its_future) {
    weft::future<int> f = weft::create_task(triple(4));
    int v = co_await f;
    EXPECT_EQ(v, 12);
    EXPECT_EQ(f.result(), 12);
    int again = co_await f;
    EXPECT_EQ(again, 12);
}

WEFT_CO_TEST(create_task, delivers_the_exception_through_its_future) {
    weft::future<int> f = weft::create_task(fails());
    EXPECT_THROW(co_await f, std::invalid_argument);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_NE(f.exception(), nullptr);
}

WEFT_CO_TEST(create_task, unawaited_task_still_runs_to_completion) {
    bool flag = false;
    (void)weft::create_task(set_flag(flag));
    bool ran = co_await weft::testing::yield_until([&] { return flag; });
    EXPECT_TRUE(ran);
}

WEFT_CO_TEST(create_task, accepts_any_awaitable) {
    weft::promise<int> p;
    weft::future<int> wrapped = weft::create_task(p.get_future());
    weft::future<void> slept = weft::create_task(weft::sleep(1ms));
    p.set_value(2);
    int v = co_await wrapped;
    EXPECT_EQ(v, 2);
    co_await slept;
    EXPECT_TRUE(slept.done());
}

TEST(create_task, outside_a_loop_throws_invalid_state) {
    EXPECT_THROW((void)weft::create_task(triple(1)), weft::invalid_state_error);
    EXPECT_THROW((void)weft::spawn(triple(1)), weft::invalid_state_error);
    EXPECT_THROW((void)weft::spawn_on(0, triple(1)), weft::invalid_state_error);
}

WEFT_CO_TEST(ensure_future, returns_a_future_unchanged) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    weft::future<int> same = weft::ensure_future(f);
    EXPECT_EQ(&same.state(), &f.state());
    p.set_value(1);
    int v = co_await same;
    EXPECT_EQ(v, 1);
}

WEFT_CO_TEST(ensure_future, schedules_a_task) {
    bool flag = false;
    weft::future<void> f = weft::ensure_future(set_flag(flag));
    EXPECT_FALSE(flag);
    co_await f;
    EXPECT_TRUE(flag);
}

WEFT_CO_TEST(spawn_on, stand_alone_loop_has_only_loop_zero) {
    // WEFT_CO_TEST runs on a one-loop runtime; spawn_on(0) is the current loop.
    where w = co_await weft::spawn_on(0, where_am_i());
    EXPECT_EQ(w.loop, 0u);
    EXPECT_THROW((void)weft::spawn_on(1, where_am_i()), weft::invalid_state_error);
}

TEST(spawn_on, stand_alone_loop_rejects_other_indices) {
    weft::loop l;
    bool threw = l.run_until_complete([]() -> weft::task<bool> {
        where w = co_await weft::spawn_on(0, where_am_i());
        EXPECT_EQ(w.loop, 0u);
        w = co_await weft::spawn(where_am_i());
        EXPECT_EQ(w.loop, 0u);
        try {
            (void)weft::spawn_on(1, where_am_i());
        } catch (const weft::invalid_state_error&) {
            co_return true;
        }
        co_return false;
    }());
    EXPECT_TRUE(threw);
}

WEFT_CO_TEST_LOOPS(spawn_on, runs_the_task_on_the_chosen_loop, 3) {
    for (std::size_t i = 0; i < 3; ++i) {
        where w = co_await weft::spawn_on(i, where_am_i());
        EXPECT_EQ(w.loop, i);
    }
}

WEFT_CO_TEST_LOOPS(spawn_on, awaiting_task_resumes_on_its_own_loop, 3) {
    const where before = here();
    EXPECT_EQ(before.loop, 0u);
    where other = co_await weft::spawn_on(2, where_am_i());
    const where after = here();
    EXPECT_EQ(other.loop, 2u);
    EXPECT_NE(other.thread, before.thread);
    EXPECT_EQ(after.loop, before.loop);
    EXPECT_EQ(after.thread, before.thread);
}

WEFT_CO_TEST_LOOPS(spawn_on, task_on_another_loop_resumes_there_after_awaiting_a_future, 3) {
    // A task on loop 1 awaits a future that a task on loop 2 completes: it resumes on loop 1.
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    auto observer = weft::spawn_on(1, [](weft::future<int> f) -> weft::task<std::vector<where>> {
        std::vector<where> seen{here()};
        int v = co_await f;
        EXPECT_EQ(v, 5);
        seen.push_back(here());
        co_return seen;
    }(f));
    (void)co_await weft::spawn_on(2, complete_later(std::move(p), 5));
    std::vector<where> seen = co_await observer;
    WEFT_CO_ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].loop, 1u);
    EXPECT_EQ(seen[1].loop, 1u);
    EXPECT_EQ(seen[0].thread, seen[1].thread);
}

WEFT_CO_TEST_LOOPS(spawn, places_tasks_on_the_least_busy_loops, 2) {
    // Tasks that stay alive count as load: eight of them cannot all land on one loop.
    weft::testing::event gate;
    std::vector<weft::future<where>> fs;
    for (int i = 0; i < 8; ++i) {
        fs.push_back(weft::spawn(blocked_where(gate.wait())));
    }
    gate.set();
    std::vector<where> ws = co_await weft::gather(fs);
    std::set<std::size_t> loops;
    for (const where& w : ws) {
        loops.insert(w.loop);
    }
    EXPECT_EQ(loops.size(), 2u);
}

WEFT_CO_TEST_LOOPS(spawn, result_and_exception_cross_loops, 2) {
    int v = co_await weft::spawn_on(1, triple(5));
    EXPECT_EQ(v, 15);
    EXPECT_THROW(co_await weft::spawn_on(1, fails()), std::invalid_argument);
}
