// weft::run(): results, exceptions, shutdown of pending tasks, options.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/child_process.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<int> add(int a, int b) {
    co_await weft::sleep(1ms);
    co_return a + b;
}

weft::task<void> fail() {
    co_await weft::yield();
    throw std::runtime_error("main failed");
}

/// What a pending task saw when weft::run() shut down.
struct unwind_log {
    std::atomic<int> started{0};
    std::atomic<int> caught_cancel{0};
    std::atomic<int> cleanup_finished{0};
};

/// Waits until cancelled; its cleanup itself suspends before it finishes.
weft::task<void> pending_with_cleanup(unwind_log& log) {
    log.started.fetch_add(1);
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.caught_cancel.fetch_add(1);
    }
    co_await weft::sleep(1ms); // cleanup that needs the loop
    log.cleanup_finished.fetch_add(1);
    throw weft::cancelled_error("unwound");
}

/// Starts `per_loop` pending tasks on each of `loops` loops and returns once they all started.
weft::task<int> start_pending_everywhere(unwind_log& log, std::size_t loops, int per_loop) {
    std::vector<weft::future<void>> fs;
    for (std::size_t l = 0; l < loops; ++l) {
        for (int i = 0; i < per_loop; ++i) {
            fs.push_back(weft::spawn_on(l, pending_with_cleanup(log)));
        }
    }
    // A marker task per loop: once it ran, the pending tasks queued before it on that loop started.
    for (std::size_t l = 0; l < loops; ++l) {
        co_await weft::spawn_on(l, []() -> weft::task<void> { co_return; }());
    }
    co_return static_cast<int>(fs.size());
}

weft::task<std::size_t> loop_id() {
    co_await weft::yield();
    co_return weft::current_loop().id();
}

weft::task<std::thread::id> thread_id() {
    co_await weft::yield();
    co_return std::this_thread::get_id();
}

/// Restores an environment variable when it goes out of scope.
class env_guard {
public:
    explicit env_guard(const char* name) : name_(name) {
        if (const char* v = std::getenv(name)) {
            old_ = v;
        }
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
    ~env_guard() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

} // namespace

TEST(run, returns_the_result) {
    EXPECT_EQ(weft::run(add(1, 2), {.loops = 1}), 3);
    EXPECT_EQ(weft::run(add(2, 2), {.loops = 3}), 4);
}

TEST(run, returns_move_only_results) {
    auto p = weft::run(
        []() -> weft::task<std::unique_ptr<int>> {
            co_await weft::yield();
            co_return std::make_unique<int>(11);
        }(),
        {.loops = 1});
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 11);
}

TEST(run, propagates_the_exception) {
    EXPECT_THROW(weft::run(fail(), {.loops = 1}), std::runtime_error);
    EXPECT_THROW(weft::run(fail(), {.loops = 2}), std::runtime_error);
}

TEST(run, propagates_cancelled_error_from_the_main_task) {
    EXPECT_THROW(weft::run(
                     []() -> weft::task<void> {
                         co_await weft::yield();
                         throw weft::cancelled_error("main gave up");
                     }(),
                     {.loops = 1}),
                 weft::cancelled_error);
}

TEST(run, accepts_any_awaitable) {
    weft::promise<int> p;
    p.set_value(8);
    EXPECT_EQ(weft::run(p.get_future(), {.loops = 1}), 8);
}

TEST(run, can_run_again_after_returning) {
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(weft::run(add(i, 1), {.loops = 2}), i + 1);
    }
}

TEST(run, inside_a_running_loop_throws_invalid_state) {
    bool threw = weft::run(
        []() -> weft::task<bool> {
            try {
                (void)weft::run(add(1, 1), {.loops = 1});
            } catch (const weft::invalid_state_error& e) {
                EXPECT_NE(std::string(e.what()).find("inside a running loop"), std::string::npos)
                    << e.what();
                co_return true;
            }
            co_return false;
        }(),
        {.loops = 1});
    EXPECT_TRUE(threw);
}

TEST(run, cancels_and_unwinds_pending_tasks_on_exit) {
    unwind_log log;
    int n = weft::run(start_pending_everywhere(log, 1, 3), {.loops = 1});
    EXPECT_EQ(n, 3);
    EXPECT_EQ(log.started.load(), 3);
    EXPECT_EQ(log.caught_cancel.load(), 3) << "every pending task's catch(cancelled_error) ran";
    EXPECT_EQ(log.cleanup_finished.load(), 3) << "and its cleanup finished before run() returned";
}

TEST(run, cancels_and_unwinds_pending_tasks_on_every_loop) {
    unwind_log log;
    int n = weft::run(start_pending_everywhere(log, 3, 4), {.loops = 3});
    EXPECT_EQ(n, 12);
    EXPECT_EQ(log.started.load(), 12);
    EXPECT_EQ(log.caught_cancel.load(), 12);
    EXPECT_EQ(log.cleanup_finished.load(), 12);
}

TEST(run, unwinds_pending_tasks_before_rethrowing_the_main_exception) {
    unwind_log log;
    EXPECT_THROW(weft::run(
                     [](unwind_log& log) -> weft::task<void> {
                         (void)co_await start_pending_everywhere(log, 2, 2);
                         throw std::runtime_error("main failed");
                     }(log),
                     {.loops = 2}),
                 std::runtime_error);
    EXPECT_EQ(log.caught_cancel.load(), 4);
    EXPECT_EQ(log.cleanup_finished.load(), 4);
}

TEST(run, cancels_tasks_that_never_started) {
    std::atomic<bool> ran{false};
    weft::future<void> f;
    weft::run(
        [](std::atomic<bool>& ran, weft::future<void>& f) -> weft::task<void> {
            f = weft::create_task([](std::atomic<bool>& ran) -> weft::task<void> {
                ran = true;
                co_return;
            }(ran));
            co_return;
        }(ran, f),
        {.loops = 1});
    EXPECT_TRUE(f.done()) << "every task is finished when run() returns";
    // Whether it ran before the shutdown reached it is the loop's business; it finished either way.
    if (f.done() && !ran) {
        EXPECT_TRUE(f.cancelled());
    }
}

namespace {

weft::task<void> spawns_while_unwinding(unwind_log& log) {
    log.started.fetch_add(1);
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.caught_cancel.fetch_add(1);
        // A task created by cleanup code, after the shutdown began.
        (void)weft::create_task(pending_with_cleanup(log));
        throw;
    }
}

void task_created_during_shutdown(weft::testing::child_checks& check) {
    unwind_log log;
    weft::run(
        [](unwind_log& log) -> weft::task<void> {
            (void)weft::create_task(spawns_while_unwinding(log));
            co_await weft::yield();
        }(log),
        {.loops = 1});
    check(log.started.load() == 2, "both tasks started");
    check(log.caught_cancel.load() == 2, "both saw cancelled_error");
    check(log.cleanup_finished.load() == 1, "the task created during shutdown finished unwinding");
}

} // namespace

TEST(run, cancels_tasks_created_while_shutting_down) {
    // run() returns only when every task is finished, those created by cleanup code included.
    WEFT_EXPECT_IN_CHILD_PROCESS_WITHIN(task_created_during_shutdown, 30);
}

TEST(run, honours_options_loops) {
    for (std::size_t loops : {1u, 2u, 4u}) {
        auto ids = weft::run(
            [](std::size_t loops) -> weft::task<std::vector<std::size_t>> {
                std::vector<weft::future<std::size_t>> fs;
                for (std::size_t i = 0; i < loops; ++i) {
                    fs.push_back(weft::spawn_on(i, loop_id()));
                }
                co_return co_await weft::gather(fs);
            }(loops),
            {.loops = loops});
        ASSERT_EQ(ids.size(), loops);
        for (std::size_t i = 0; i < loops; ++i) {
            EXPECT_EQ(ids[i], i);
        }
    }
}

TEST(run, runs_each_loop_on_its_own_thread_and_loop_zero_on_the_caller) {
    const auto caller = std::this_thread::get_id();
    auto threads = weft::run(
        []() -> weft::task<std::vector<std::thread::id>> {
            std::vector<weft::future<std::thread::id>> fs;
            for (std::size_t i = 0; i < 3; ++i) {
                fs.push_back(weft::spawn_on(i, thread_id()));
            }
            co_return co_await weft::gather(fs);
        }(),
        {.loops = 3});
    ASSERT_EQ(threads.size(), 3u);
    EXPECT_EQ(threads[0], caller);
    EXPECT_EQ(std::set<std::thread::id>(threads.begin(), threads.end()).size(), 3u);
}

TEST(run, spawn_on_out_of_range_throws_invalid_state) {
    bool threw = weft::run(
        []() -> weft::task<bool> {
            try {
                (void)weft::spawn_on(2, loop_id());
            } catch (const weft::invalid_state_error&) {
                co_return true;
            }
            co_return false;
        }(),
        {.loops = 2});
    EXPECT_TRUE(threw);
}

TEST(run, reads_WEFT_LOOPS_when_options_loops_is_zero) {
    env_guard guard("WEFT_LOOPS");
    ::setenv("WEFT_LOOPS", "3", 1);
    auto ids = weft::run(
        []() -> weft::task<std::vector<std::size_t>> {
            std::vector<weft::future<std::size_t>> fs;
            for (std::size_t i = 0; i < 3; ++i) {
                fs.push_back(weft::spawn_on(i, loop_id()));
            }
            bool out_of_range = false;
            try {
                (void)weft::spawn_on(3, loop_id());
            } catch (const weft::invalid_state_error&) {
                out_of_range = true;
            }
            EXPECT_TRUE(out_of_range);
            co_return co_await weft::gather(fs);
        }(),
        {});
    EXPECT_EQ(ids, (std::vector<std::size_t>{0, 1, 2}));
}

TEST(run, rejects_a_malformed_WEFT_LOOPS) {
    env_guard guard("WEFT_LOOPS");
    for (const char* bad : {"zero", "0", "-1", "3x"}) {
        ::setenv("WEFT_LOOPS", bad, 1);
        EXPECT_THROW(weft::run(add(1, 1), {}), weft::error) << "WEFT_LOOPS=" << bad;
    }
}
