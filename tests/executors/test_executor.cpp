// One grid of operations run against every executor (executor.hpp): tbb_pool, thread_pool,
// inline_executor and the runtime's default executor (run_in_executor(nullptr, ...) / to_thread).
// Built into weft-executors-tests, which also runs under ThreadSanitizer.

#include "executor_kinds.hpp"

#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace weft_exec_test;

static_assert(weft::executor<weft::tbb_pool>);
static_assert(weft::executor<weft::thread_pool>);
static_assert(weft::executor<weft::inline_executor>);

namespace {

/// Thrown by calls: not derived from std::exception, so only its own type can catch it.
struct not_a_std_exception {
    int code;
};

/// Counts its copies (moves are free), to see how many times an argument is copied.
struct copy_counter {
    std::atomic<int>* copies;
    explicit copy_counter(std::atomic<int>* c) : copies(c) {}
    copy_counter(const copy_counter& o) : copies(o.copies) { ++*copies; }
    copy_counter(copy_counter&& o) noexcept = default;
    copy_counter& operator=(const copy_counter&) = delete;
    copy_counter& operator=(copy_counter&&) = delete;
    ~copy_counter() = default;
};

/// Awaits run(fn) on k from the current loop; returns {loop id before, loop id after, value}.
template <class K>
weft::task<std::array<std::size_t, 3>> loop_ids_around_a_call(K& k) {
    const std::size_t before = weft::current_loop().id();
    const int v = co_await k.run([](int x) { return x + 1; }, 41);
    const std::size_t after = weft::current_loop().id();
    co_return std::array<std::size_t, 3>{before, after, static_cast<std::size_t>(v)};
}

} // namespace

template <class K>
class executors : public ::testing::Test {
protected:
    void SetUp() override {
        if constexpr (K::is_tbb) {
            WEFT_SKIP_TBB_UNDER_TSAN();
        }
    }
};
TYPED_TEST_SUITE(executors, all_kinds, kind_names);

TYPED_TEST(executors, submit_returns_a_future_with_the_value) {
    TypeParam k;
    run_with(k, [&]() -> weft::task<void> {
        const std::thread::id loop_thread = std::this_thread::get_id();
        std::thread::id call_thread;
        weft::future<int> f = k.submit([&call_thread] {
            call_thread = std::this_thread::get_id();
            return 6 * 7;
        });
        const int v = co_await f;
        EXPECT_EQ(v, 42);
        // The call ran off the loop, except on the inline executor.
        EXPECT_EQ(call_thread == loop_thread, TypeParam::is_inline);

        bool ran = false;
        weft::future<void> g = k.submit([&ran] { ran = true; });
        co_await g;
        EXPECT_TRUE(ran);
        EXPECT_TRUE(g.done());
    });
}

TYPED_TEST(executors, run_in_executor_passes_the_arguments_and_returns_the_value) {
    TypeParam k;
    run_with(k, [&]() -> weft::task<void> {
        const double sum =
            co_await k.run([](int a, long b, double c) { return a + b + c; }, 1, 2L, 0.5);
        EXPECT_EQ(sum, 3.5);
        const std::string s = co_await k.run([](const std::string& a, char b) { return a + b; },
                                             std::string("ab"), 'c');
        EXPECT_EQ(s, "abc");
        int out = 0;
        co_await k.run([](int* p) { *p = 9; }, &out); // void result
        EXPECT_EQ(out, 9);
    });
}

TYPED_TEST(executors, arguments_are_bound_by_value_at_the_call) {
    TypeParam k;
    gate g;
    if constexpr (TypeParam::is_inline) {
        g.open(); // the inline executor runs the call inside run_in_executor
    }
    run_with(k, [&]() -> weft::task<void> {
        weft::future<std::string> from_lvalue;
        weft::future<std::string> from_rvalue;
        {
            // Longer than the small-string buffer, so that a dangling reference reads freed heap
            // memory (ASan) rather than a stale stack copy.
            std::string original = "an argument long enough to live on the heap, not inline";
            std::string moved = original + " (moved)";
            auto echo = [&g](std::string v) {
                g.wait(); // runs only after the originals below were changed and destroyed
                return v;
            };
            from_lvalue = k.run(echo, original);
            from_rvalue = k.run(echo, std::move(moved));
            original.assign("modified after the call");
            moved.assign("reused after the move");
        } // both originals destroyed while the calls wait
        g.open();
        const std::string a = co_await from_lvalue;
        const std::string b = co_await from_rvalue;
        EXPECT_EQ(a, "an argument long enough to live on the heap, not inline");
        EXPECT_EQ(b, "an argument long enough to live on the heap, not inline (moved)");
    });
    EXPECT_FALSE(g.timed_out());
}

TYPED_TEST(executors, an_argument_is_copied_once_at_the_call_then_moved) {
    TypeParam k;
    run_with(k, [&]() -> weft::task<void> {
        std::atomic<int> copies{0};
        const copy_counter counted{&copies};
        const int seen = co_await k.run([](copy_counter c) { return c.copies->load(); }, counted);
        EXPECT_EQ(seen, 1); // the copy bound at the call; fn's parameter was moved from it
        EXPECT_EQ(copies.load(), 1);
    });
}

TYPED_TEST(executors, std_ref_passes_a_reference_on_purpose) {
    TypeParam k;
    run_with(k, [&]() -> weft::task<void> {
        int counter = 0;
        co_await k.run([](int& c, int by) { c += by; }, std::ref(counter), 5);
        co_await k.run([](int& c, int by) { c += by; }, std::ref(counter), 6);
        EXPECT_EQ(counter, 11);

        std::string text = "seen through std::cref";
        const std::size_t len =
            co_await k.run([](const std::string& s) { return s.size(); }, std::cref(text));
        EXPECT_EQ(len, text.size());
    });
}

TYPED_TEST(executors, move_only_arguments_callables_and_results) {
    TypeParam k;
    run_with(k, [&]() -> weft::task<void> {
        // A move-only argument is moved into the call's storage, then into fn's by-value
        // parameter (as std::thread and std::async do).
        const int by_value =
            co_await k.run([](std::unique_ptr<int> q) { return *q; }, std::make_unique<int>(6));
        EXPECT_EQ(by_value, 6);
        // fn may also look at it through a const reference ...
        auto p = std::make_unique<int>(7);
        const int a =
            co_await k.run([](const std::unique_ptr<int>& q) { return *q; }, std::move(p));
        EXPECT_EQ(a, 7);
        EXPECT_EQ(p, nullptr);

        // ... or take it over through a non-const reference to the stored value.
        std::unique_ptr<int> c = co_await k.run(
            [](std::unique_ptr<int>& q) { return std::move(q); }, std::make_unique<int>(9));
        EXPECT_TRUE(c != nullptr && *c == 9); // a move-only result, awaited once as an rvalue

        // A move-only callable. (Named first: g++ 12 destroys a lambda temporary that owns a
        // unique_ptr twice when it appears inside a co_await expression, whatever the callee.)
        auto owning = [q = std::make_unique<int>(8)] { return *q; };
        weft::future<int> fb = k.run(std::move(owning));
        const int b = co_await fb;
        EXPECT_EQ(b, 8);

        // A partial holding a move-only value is called once, as an rvalue.
        auto add_to_owned = weft::partial([](std::unique_ptr<int> q, int add) { return *q + add; },
                                          std::make_unique<int>(40));
        weft::future<int> fd = k.run(std::move(add_to_owned), 2);
        const int d = co_await fd;
        EXPECT_EQ(d, 42);
    });
}

// Each failed call is awaited only once a later call on the same one-worker executor has run,
// so that the worker has dropped its reference to the exception before the test reads it. Not
// needed for correctness: libstdc++ counts exception references with atomics TSan cannot see
// (libstdc++.so is not instrumented), so a worker freeing the exception after the awaiter read it
// is otherwise reported as a race now and then.
TYPED_TEST(executors, exceptions_reach_the_awaiter_with_their_type) {
    TypeParam k{1};
    run_with(k, [&]() -> weft::task<void> {
        weft::future<int> out_of_range =
            k.run([](int i) -> int { throw std::out_of_range("index " + std::to_string(i)); }, 7);
        weft::future<void> custom = k.submit([] { throw not_a_std_exception{42}; });
        weft::future<std::string> an_int = k.run([]() -> std::string { throw 5; });
        // The executor survives its calls' exceptions (and this call runs after theirs).
        const int after = co_await k.run([] { return 1; });
        EXPECT_EQ(after, 1);

        bool caught_std = false;
        try {
            (void)co_await std::move(out_of_range);
        } catch (const std::out_of_range& e) {
            caught_std = std::string(e.what()) == "index 7";
        } catch (...) {
            ADD_FAILURE() << "std::out_of_range arrived as another type";
        }
        EXPECT_TRUE(caught_std);

        bool caught_custom = false;
        try {
            co_await std::move(custom);
        } catch (const not_a_std_exception& e) {
            caught_custom = e.code == 42;
        } catch (...) {
            ADD_FAILURE() << "a type not derived from std::exception arrived as another type";
        }
        EXPECT_TRUE(caught_custom);

        bool caught_int = false;
        try {
            (void)co_await std::move(an_int);
        } catch (int e) {
            caught_int = e == 5;
        } catch (...) {
            ADD_FAILURE() << "an int arrived as another type";
        }
        EXPECT_TRUE(caught_int);

        const bool counted = co_await eventually([&] { return k.stats().failed == 3; });
        EXPECT_TRUE(counted) << "stats().failed = " << k.stats().failed;
    });
}

TYPED_TEST(executors, stats_count_the_calls) {
    TypeParam k{2};
    run_with(k, [&]() -> weft::task<void> {
        for (int i = 0; i < 10; ++i) {
            (void)co_await k.run([] { return 0; });
        }
        for (int i = 0; i < 2; ++i) {
            try {
                co_await k.run([] { throw std::runtime_error("boom"); });
            } catch (const std::runtime_error&) {
            }
        }
        const bool settled = co_await eventually([&] {
            const weft::executor_stats s = k.stats();
            return s.completed == 10 && s.failed == 2 && s.running == 0;
        });
        const weft::executor_stats s = k.stats();
        EXPECT_TRUE(settled) << "completed " << s.completed << ", failed " << s.failed;
        EXPECT_EQ(s.submitted, 12U);
        EXPECT_EQ(s.cancelled, 0U);
        EXPECT_EQ(s.discarded, 0U);
        EXPECT_EQ(s.queued, 0U);
        EXPECT_EQ(s.running, 0U);
        EXPECT_EQ(s.max_workers, k.max_workers());
        EXPECT_EQ(k.max_workers(), TypeParam::is_inline ? 1U : 2U);
    });
}

TYPED_TEST(executors, many_calls_in_flight_gather_in_argument_order) {
    TypeParam k;
    run_with(k, [&]() -> weft::task<void> {
        std::vector<weft::future<int>> calls;
        for (int i = 0; i < 64; ++i) {
            calls.push_back(k.run([](int x) { return x * x; }, i));
        }
        const std::vector<int> results = co_await weft::gather(calls);
        WEFT_CO_ASSERT_EQ(results.size(), 64U);
        for (int i = 0; i < 64; ++i) {
            EXPECT_EQ(results[static_cast<std::size_t>(i)], i * i);
        }
    });
}

// ---- cancellation ------------------------------------------------------------------------------

namespace {

/// Occupies the only worker of k with a call blocked on g, queues a second call behind it, and
/// cancels the task awaiting the second. Returns whether that task saw cancelled_error.
template <class K>
weft::task<bool> cancel_a_queued_call(K& k, gate& g, std::atomic<bool>& second_ran) {
    weft::testing::event started;
    weft::future<int> blocker = k.run([&] {
        started.set();
        g.wait();
        return 1;
    });
    co_await started.wait();
    weft::testing::event suspended;
    weft::future<int> second = k.run([&second_ran] {
        second_ran = true;
        return 2;
    });
    weft::future<int> awaiting = weft::create_task(await_future(std::move(second), suspended));
    co_await suspended.wait(); // the task is suspended on the queued call
    EXPECT_TRUE(awaiting.cancel());
    bool saw_cancel = false;
    try {
        (void)co_await awaiting;
    } catch (const weft::cancelled_error&) {
        saw_cancel = true;
    }
    g.open();
    const int b = co_await blocker;
    EXPECT_EQ(b, 1);
    co_return saw_cancel;
}

} // namespace

TYPED_TEST(executors, cancel_before_start_the_call_never_runs) {
    TypeParam k{1};
    gate g;
    std::atomic<bool> second_ran{false};
    run_with(k, [&]() -> weft::task<void> {
        if constexpr (TypeParam::is_inline) {
            // Nothing is ever pending on the inline executor: the call ran inside
            // run_in_executor, and its future is done, so there is nothing left to cancel.
            weft::future<int> f = k.run([] { return 1; });
            EXPECT_TRUE(f.done());
            EXPECT_FALSE(f.cancel());
            co_return;
        }
        const bool saw_cancel = co_await cancel_a_queued_call(k, g, second_ran);
        EXPECT_TRUE(saw_cancel);
        const bool counted = co_await eventually([&] { return k.stats().cancelled == 1; });
        EXPECT_TRUE(counted) << "stats().cancelled = " << k.stats().cancelled;
        EXPECT_FALSE(second_ran);
        EXPECT_EQ(k.stats().discarded, 0U);
    });
    EXPECT_FALSE(g.timed_out());
}

TYPED_TEST(executors, stats_settle_after_a_call_cancelled_before_start) {
    if constexpr (TypeParam::is_inline) {
        GTEST_SKIP() << "no call is ever pending on the inline executor";
    }
    TypeParam k{1};
    gate g;
    std::atomic<bool> second_ran{false};
    run_with(k, [&]() -> weft::task<void> {
        (void)co_await cancel_a_queued_call(k, g, second_ran);
        (void)co_await eventually([&] { return k.stats().cancelled == 1; });
        const weft::executor_stats s = k.stats();
        EXPECT_EQ(s.submitted, 2U);
        EXPECT_EQ(s.completed, 1U);
        EXPECT_EQ(s.cancelled, 1U);
        EXPECT_EQ(s.queued, 0U);
        // Nothing runs any more: the skipped call must not stay counted as running.
        EXPECT_EQ(s.running, 0U) << "a call cancelled before it started is still counted in "
                                    "stats().running";
    });
}

TYPED_TEST(executors, cancel_while_running_the_awaiter_sees_cancelled_error_at_once) {
    TypeParam k{1};
    gate g;
    std::atomic<bool> finished{false};
    run_with(k, [&]() -> weft::task<void> {
        if constexpr (TypeParam::is_inline) {
            // The call runs to its end inside run_in_executor: it cannot be running while awaited.
            weft::future<int> f = k.run([] { return 1; });
            const int v = co_await f;
            EXPECT_EQ(v, 1);
            co_return;
        }
        weft::testing::event started;
        weft::testing::event suspended;
        weft::future<int> call = k.run([&] {
            started.set();
            g.wait();
            finished = true;
            return 3;
        });
        weft::future<int> awaiting = weft::create_task(await_future(std::move(call), suspended));
        co_await started.wait();   // the call runs (and waits at the gate) ...
        co_await suspended.wait(); // ... and the task awaits it
        EXPECT_TRUE(awaiting.cancel());
        bool saw_cancel = false;
        try {
            (void)co_await awaiting; // must not wait for the call, which is still blocked on g
        } catch (const weft::cancelled_error&) {
            saw_cancel = true;
        }
        EXPECT_TRUE(saw_cancel);
        EXPECT_TRUE(awaiting.cancelled());
        EXPECT_FALSE(g.is_open());
        EXPECT_FALSE(finished);
        EXPECT_EQ(k.stats().running, 1U);

        g.open(); // the call finishes on its thread; its result is dropped
        const bool counted =
            co_await eventually([&] { return k.stats().discarded == 1 && k.stats().running == 0; });
        EXPECT_TRUE(counted) << "stats().discarded = " << k.stats().discarded;
        EXPECT_TRUE(finished);
        EXPECT_EQ(k.stats().completed, 0U);
        EXPECT_EQ(k.stats().running, 0U);
    });
    EXPECT_FALSE(g.timed_out());
}

// ---- shutdown ----------------------------------------------------------------------------------

TYPED_TEST(executors, shutdown_wait_finishes_the_queued_calls) {
    TypeParam k{1};
    gate g;
    run_with(k, [&]() -> weft::task<void> {
        if constexpr (TypeParam::is_inline) {
            const int v = co_await k.run([] { return 1; });
            EXPECT_EQ(v, 1);
            k.shutdown(true, false); // nothing queued: returns at once
            EXPECT_TRUE(k.core().is_shut_down());
            co_return;
        }
        weft::testing::event started;
        std::atomic<int> done_count{0};
        weft::future<int> blocker = k.run([&] {
            started.set();
            g.wait();
            return -1;
        });
        co_await started.wait();
        std::vector<weft::future<int>> queued;
        for (int i = 0; i < 5; ++i) {
            queued.push_back(k.run(
                [&done_count](int x) {
                    ++done_count;
                    return x;
                },
                i));
        }
        weft::detail::executor_core& core = k.core(); // on the loop: the default executor needs it
        std::jthread closer([&k] { k.shutdown(true, false); });
        const bool closed = co_await eventually([&] { return core.is_shut_down(); });
        EXPECT_TRUE(closed);
        EXPECT_EQ(done_count, 0); // nothing ran yet: the worker is still blocked
        g.open();
        closer.join(); // shutdown(wait) returns once every queued call finished
        EXPECT_EQ(done_count, 5);
        const int b = co_await blocker;
        EXPECT_EQ(b, -1);
        for (int i = 0; i < 5; ++i) {
            auto& f = queued[static_cast<std::size_t>(i)];
            EXPECT_TRUE(f.done());
            const int v = co_await f;
            EXPECT_EQ(v, i);
        }
    });
    EXPECT_FALSE(g.timed_out());
}

TYPED_TEST(executors, shutdown_cancel_pending_cancels_the_queued_calls) {
    TypeParam k{1};
    gate g;
    run_with(k, [&]() -> weft::task<void> {
        if constexpr (TypeParam::is_inline) {
            const int v = co_await k.run([] { return 1; });
            EXPECT_EQ(v, 1);
            k.shutdown(false, true);
            EXPECT_TRUE(k.core().is_shut_down());
            co_return;
        }
        weft::testing::event started;
        std::atomic<int> ran{0};
        weft::future<int> blocker = k.run([&] {
            started.set();
            g.wait();
            return -1;
        });
        co_await started.wait();
        std::vector<weft::future<int>> queued;
        for (int i = 0; i < 5; ++i) {
            queued.push_back(k.run(
                [&ran](int x) {
                    ++ran;
                    return x;
                },
                i));
        }
        k.shutdown(false, true);
        g.open();
        const int b = co_await blocker; // the running call finishes normally
        EXPECT_EQ(b, -1);
        for (auto& f : queued) {
            bool cancelled = false;
            try {
                (void)co_await f;
            } catch (const weft::cancelled_error&) {
                cancelled = true;
            }
            EXPECT_TRUE(cancelled);
            EXPECT_TRUE(f.cancelled());
        }
        EXPECT_EQ(ran, 0);
        const bool counted = co_await eventually([&] { return k.stats().cancelled == 5; });
        EXPECT_TRUE(counted) << "stats().cancelled = " << k.stats().cancelled;
    });
    EXPECT_FALSE(g.timed_out());
}

TYPED_TEST(executors, submit_after_shutdown_throws_executor_shut_down) {
    TypeParam k;
    run_with(k, [&]() -> weft::task<void> {
        const int before = co_await k.run([] { return 1; });
        EXPECT_EQ(before, 1);
        k.shutdown(true, false);
        std::string message;
        try {
            (void)k.submit([] { return 2; });
            ADD_FAILURE() << "submit after shutdown did not throw";
        } catch (const weft::executor_shut_down& e) {
            message = e.what();
        }
        EXPECT_NE(message.find("shut down"), std::string::npos) << message;

        bool threw = false;
        try {
            (void)k.run([](int x) { return x; }, 3);
        } catch (const weft::error& e) { // executor_shut_down is a weft::error
            threw = dynamic_cast<const weft::executor_shut_down*>(&e) != nullptr;
        }
        EXPECT_TRUE(threw);
        EXPECT_EQ(k.stats().submitted, 1U);
    });
}

// ---- where things run --------------------------------------------------------------------------

TYPED_TEST(executors, nested_tbb_parallel_for_inside_a_call) {
    WEFT_SKIP_TBB_UNDER_TSAN();
    TypeParam k{4};
    run_with(k, [&]() -> weft::task<void> {
        constexpr std::size_t n = 200'000;
        int arena_concurrency = -1;
        const long long sum = co_await k.run(
            [&arena_concurrency](std::size_t count) {
                arena_concurrency = tbb::this_task_arena::max_concurrency();
                std::atomic<long long> total{0};
                tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count),
                                  [&total](const tbb::blocked_range<std::size_t>& r) {
                                      long long local = 0;
                                      for (std::size_t i = r.begin(); i != r.end(); ++i) {
                                          local += static_cast<long long>(i);
                                      }
                                      total += local;
                                  });
                return total.load();
            },
            n);
        EXPECT_EQ(sum, static_cast<long long>(n * (n - 1) / 2));
        if constexpr (TypeParam::is_tbb) {
            // The nested loop runs in the pool's own arena, not in oneTBB's default one.
            EXPECT_EQ(static_cast<std::size_t>(arena_concurrency), k.max_workers());
        }
    });
}

TYPED_TEST(executors, the_awaiting_task_resumes_on_its_own_loop) {
    TypeParam k;
    run_with(
        k,
        [&]() -> weft::task<void> {
            for (int i = 0; i < 20; ++i) {
                const auto on_1 = co_await weft::spawn_on(1, loop_ids_around_a_call(k));
                EXPECT_EQ(on_1[0], 1U);
                EXPECT_EQ(on_1[1], 1U);
                EXPECT_EQ(on_1[2], 42U);
                const auto on_0 = co_await loop_ids_around_a_call(k);
                EXPECT_EQ(on_0[0], 0U);
                EXPECT_EQ(on_0[1], 0U);
            }
        },
        /*loops=*/2);
}
