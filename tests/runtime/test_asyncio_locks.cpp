// weft::barrier and weft::semaphore against the behaviours CPython's
// Lib/test/test_asyncio/test_locks.py pins down (BarrierTests, SemaphoreTests): one case per
// CPython test, named after it. `async with barrier` is `co_await b.wait()` (its exit does
// nothing); asyncio's `await asyncio.sleep(0)` is `co_await weft::yield()`.
//
// Not ported: test_barrier and test_repr (weft's barrier has no repr; awaiting the barrier itself
// does not compile), test_barrier_parties' negative count (the count is unsigned; zero is checked
// in test_barrier.cpp), test_draining_state (it reads the state from repr; the draining state is
// checked through its effects by test_blocking_tasks_while_draining and the reset/abort cases).

#include <weft/runtime/barrier.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/semaphore.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/virtual_time.hpp>
#include <weft/runtime/wait.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr std::size_t n_parties = 5; // CPython's self.N

/// n tasks of coro(); coro must outlive them (a coroutine lambda's captures live in the lambda).
template <class F>
std::vector<weft::future<void>> make_tasks(std::size_t n, F& coro) {
    std::vector<weft::future<void>> tasks;
    for (std::size_t i = 0; i < n; ++i) {
        tasks.push_back(weft::create_task(coro()));
    }
    return tasks;
}

template <class F>
weft::task<void> gather_tasks(std::size_t n, F coro) {
    (void)co_await weft::gather(make_tasks(n, coro));
}

std::vector<std::size_t> iota(std::size_t n) {
    std::vector<std::size_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = i;
    }
    return v;
}

} // namespace

// ---- Barrier
// -------------------------------------------------------------------------------------

// test_context_manager: each task of the round gets a distinct index.
WEFT_CO_TEST(barrier_asyncio, test_context_manager) {
    weft::barrier barrier(3);
    std::vector<std::size_t> results;
    co_await gather_tasks(
        3, [&]() -> weft::task<void> { results.push_back(co_await barrier.wait()); });
    std::sort(results.begin(), results.end());
    EXPECT_EQ(results, iota(3));
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_filling_one_task: a barrier of one lets its task through at once.
WEFT_CO_TEST(barrier_asyncio, test_filling_one_task) {
    weft::barrier barrier(1);
    std::size_t i = co_await barrier.wait();
    EXPECT_EQ(i, 0u);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_filling_one_task_twice: and again, each time with index 0.
WEFT_CO_TEST(barrier_asyncio, test_filling_one_task_twice) {
    weft::barrier barrier(1);
    weft::future<std::size_t> t1 = weft::create_task(barrier.wait());
    co_await weft::yield();
    EXPECT_EQ(barrier.n_waiting(), 0u);
    weft::future<std::size_t> t2 = weft::create_task(barrier.wait());
    co_await weft::yield();
    EXPECT_EQ(t1.done(), t2.done());
    EXPECT_EQ(t1.result(), t2.result());
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_filling_task_by_task: n_waiting counts the round as it fills.
WEFT_CO_TEST(barrier_asyncio, test_filling_task_by_task) {
    weft::barrier barrier(3);
    weft::future<std::size_t> t1 = weft::create_task(barrier.wait());
    co_await weft::yield();
    EXPECT_EQ(barrier.n_waiting(), 1u);
    weft::future<std::size_t> t2 = weft::create_task(barrier.wait());
    co_await weft::yield();
    EXPECT_EQ(barrier.n_waiting(), 2u);
    weft::future<std::size_t> t3 = weft::create_task(barrier.wait());
    co_await weft::yield();
    auto w = weft::wait({t1, t2, t3});
    (void)co_await std::move(w);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_filling_tasks_wait_twice: two rounds back to back.
WEFT_CO_TEST(barrier_asyncio, test_filling_tasks_wait_twice) {
    weft::barrier barrier(n_parties);
    int first = 0;
    int second = 0;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        (void)co_await barrier.wait();
        ++first;
        (void)co_await barrier.wait();
        ++second;
    });
    EXPECT_EQ(first, static_cast<int>(n_parties));
    EXPECT_EQ(second, static_cast<int>(n_parties));
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_filling_tasks_check_return_value: the second round hands out every index once.
WEFT_CO_TEST(barrier_asyncio, test_filling_tasks_check_return_value) {
    weft::barrier barrier(n_parties);
    std::vector<std::size_t> res;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        (void)co_await barrier.wait();
        res.push_back(co_await barrier.wait());
    });
    std::sort(res.begin(), res.end());
    EXPECT_EQ(res, iota(n_parties));
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_blocking_tasks_while_draining: tasks that wait again while the round drains are held back
// until it has drained, then form the next round with the late ones.
WEFT_CO_TEST(barrier_asyncio, test_blocking_tasks_while_draining) {
    const std::size_t rewait = 2;
    weft::barrier barrier(n_parties);
    weft::barrier barrier_nowaiting(n_parties - rewait);
    std::size_t rewait_n = rewait;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        (void)co_await barrier.wait();
        if (rewait_n > 0) {
            --rewait_n;
            (void)co_await barrier.wait(); // blocks while the first round drains
        } else {
            (void)co_await barrier_nowaiting.wait();
            (void)co_await barrier.wait();
        }
    });
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_EQ(barrier_nowaiting.n_waiting(), 0u);
}

// test_filling_tasks_cancel_one: a cancelled waiter leaves the round.
WEFT_CO_TEST(barrier_asyncio, test_filling_tasks_cancel_one) {
    weft::barrier barrier(3);
    int results = 0;
    auto coro = [&]() -> weft::task<void> {
        (void)co_await barrier.wait();
        ++results;
    };
    weft::future<void> t1 = weft::create_task(coro());
    co_await weft::yield();
    EXPECT_EQ(barrier.n_waiting(), 1u);
    weft::future<void> t2 = weft::create_task(coro());
    co_await weft::yield();
    EXPECT_EQ(barrier.n_waiting(), 2u);
    t1.cancel();
    co_await weft::yield();
    EXPECT_EQ(barrier.n_waiting(), 1u);
    EXPECT_THROW(co_await t1, weft::cancelled_error);
    EXPECT_TRUE(t1.cancelled());
    weft::future<void> t3 = weft::create_task(coro());
    co_await weft::yield();
    EXPECT_EQ(barrier.n_waiting(), 2u);
    weft::future<void> t4 = weft::create_task(coro());
    std::vector<weft::future<void>> rest{t2, t3, t4};
    (void)co_await weft::gather(rest);
    EXPECT_EQ(results, 3);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_reset_barrier: resetting an idle barrier changes nothing.
TEST(barrier_asyncio, test_reset_barrier) {
    weft::barrier barrier(1);
    barrier.reset();
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_reset_barrier_while_tasks_waiting: reset() breaks the round for its waiters.
WEFT_CO_TEST(barrier_asyncio, test_reset_barrier_while_tasks_waiting) {
    weft::barrier barrier(n_parties);
    int results = 0;
    auto coro = [&]() -> weft::task<void> {
        try {
            (void)co_await barrier.wait();
        } catch (const weft::broken_barrier_error&) {
            ++results;
        }
    };
    auto tasks = make_tasks(n_parties - 1, coro);
    co_await weft::yield();
    barrier.reset();
    (void)co_await weft::gather(tasks);
    EXPECT_EQ(results, static_cast<int>(n_parties - 1));
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_reset_barrier_when_tasks_half_draining: a reset while the round drains breaks it for the
// tasks that have not resumed yet. (CPython reads the private count: here the drained tasks count
// themselves; the releasing task is out first, then the others in arrival order.)
WEFT_CO_TEST(barrier_asyncio, test_reset_barrier_when_tasks_half_draining) {
    weft::barrier barrier(n_parties);
    int results1 = 0;
    const std::size_t rest_of_tasks = n_parties / 2;
    std::size_t out = 0;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        try {
            (void)co_await barrier.wait();
        } catch (const weft::broken_barrier_error&) {
            ++results1; // still draining when the reset came
            co_return;
        }
        if (++out == n_parties - rest_of_tasks) {
            barrier.reset();
        }
    });
    EXPECT_EQ(results1, static_cast<int>(rest_of_tasks));
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_reset_barrier_when_tasks_half_draining_half_blocking: tasks that waited again while the
// round drained are blocked, not in a round, so a reset does not break them.
WEFT_CO_TEST(barrier_asyncio, test_reset_barrier_when_tasks_half_draining_half_blocking) {
    weft::barrier barrier(n_parties);
    int results1 = 0;
    int results2 = 0;
    const std::size_t blocking_tasks = n_parties / 2;
    std::size_t count = 0;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        bool broken = false;
        try {
            (void)co_await barrier.wait();
        } catch (const weft::broken_barrier_error&) {
            broken = true;
        }
        if (broken) {
            ++results1; // still draining when the reset came: wait again
            (void)co_await barrier.wait();
            co_return;
        }
        if (++count > blocking_tasks) {
            barrier.reset();
            (void)co_await barrier.wait();
        } else {
            try {
                (void)co_await barrier.wait();
            } catch (const weft::broken_barrier_error&) {
                ++results2; // must not happen: blocked tasks are not in the round
            }
        }
    });
    EXPECT_EQ(results1, static_cast<int>(blocking_tasks));
    EXPECT_EQ(results2, 0);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_reset_barrier_while_tasks_waiting_and_waiting_again: after a reset the same tasks fill a
// new round. (CPython waits again in `finally`; C++ has none: the wait follows the try.)
WEFT_CO_TEST(barrier_asyncio, test_reset_barrier_while_tasks_waiting_and_waiting_again) {
    weft::barrier barrier(n_parties);
    int results1 = 0;
    int results2 = 0;
    auto coro1 = [&]() -> weft::task<void> {
        try {
            (void)co_await barrier.wait();
        } catch (const weft::broken_barrier_error&) {
            ++results1;
        }
        (void)co_await barrier.wait();
        ++results2;
    };
    auto tasks = make_tasks(n_parties - 1, coro1);
    co_await weft::yield();
    barrier.reset();
    co_await weft::yield();
    auto coro2 = [&]() -> weft::task<void> {
        (void)co_await barrier.wait();
        ++results2;
    };
    auto last = weft::create_task(coro2());
    (void)co_await weft::gather(tasks);
    co_await last;
    EXPECT_FALSE(barrier.broken());
    EXPECT_EQ(results1, static_cast<int>(n_parties - 1));
    EXPECT_EQ(results2, static_cast<int>(n_parties));
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

// test_reset_barrier_while_tasks_draining: a reset by the last task out of a drained round breaks
// nobody; the rounds that follow complete.
WEFT_CO_TEST(barrier_asyncio, test_reset_barrier_while_tasks_draining) {
    weft::barrier barrier(n_parties);
    int results1 = 0;
    int results2 = 0;
    int results3 = 0;
    std::size_t count = 0;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        (void)co_await barrier.wait();
        if (++count == n_parties) {
            barrier.reset(); // the last task out: the round has drained
            (void)co_await barrier.wait();
        } else {
            try {
                (void)co_await barrier.wait();
                ++results1;
            } catch (const std::exception&) {
                ++results2;
            }
        }
        (void)co_await barrier.wait();
        ++results3;
    });
    EXPECT_FALSE(barrier.broken());
    EXPECT_EQ(results1, static_cast<int>(n_parties - 1));
    EXPECT_EQ(results2, 0);
    EXPECT_EQ(results3, static_cast<int>(n_parties));
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

// test_abort_barrier: abort() breaks an idle barrier.
TEST(barrier_asyncio, test_abort_barrier) {
    weft::barrier barrier(1);
    barrier.abort();
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_TRUE(barrier.broken());
}

// test_abort_barrier_when_tasks_half_draining_half_blocking: abort() breaks the tasks still
// draining and the ones blocked behind the round.
WEFT_CO_TEST(barrier_asyncio, test_abort_barrier_when_tasks_half_draining_half_blocking) {
    weft::barrier barrier(n_parties);
    int results1 = 0;
    int results2 = 0;
    const std::size_t blocking_tasks = n_parties / 2;
    std::size_t count = 0;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        try {
            (void)co_await barrier.wait();
        } catch (const weft::broken_barrier_error&) {
            ++results1; // still draining
            co_return;
        }
        if (++count > blocking_tasks) {
            barrier.abort();
        } else {
            try {
                (void)co_await barrier.wait();
            } catch (const weft::broken_barrier_error&) {
                ++results2; // blocked behind the draining round
            }
        }
    });
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(results1, static_cast<int>(blocking_tasks));
    EXPECT_EQ(results2, static_cast<int>(n_parties - blocking_tasks - 1));
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

// test_abort_barrier_when_exception: a task that fails inside a round aborts it for the others.
WEFT_CO_TEST(barrier_asyncio, test_abort_barrier_when_exception) {
    weft::barrier barrier(n_parties);
    int results1 = 0;
    int results2 = 0;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        try {
            std::size_t i = co_await barrier.wait();
            if (i == n_parties / 2) {
                throw std::runtime_error("RuntimeError");
            }
            (void)co_await barrier.wait();
            ++results1;
        } catch (const weft::broken_barrier_error&) {
            ++results2;
        } catch (const std::runtime_error&) {
            barrier.abort();
        }
    });
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(results1, 0);
    EXPECT_EQ(results2, static_cast<int>(n_parties - 1));
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

// test_abort_barrier_when_exception_then_resetting: abort, then a synchronised reset mends it.
WEFT_CO_TEST(barrier_asyncio, test_abort_barrier_when_exception_then_resetting) {
    weft::barrier barrier1(n_parties);
    weft::barrier barrier2(n_parties);
    int results1 = 0;
    int results2 = 0;
    int results3 = 0;
    co_await gather_tasks(n_parties, [&]() -> weft::task<void> {
        try {
            std::size_t i = co_await barrier1.wait();
            if (i == n_parties / 2) {
                throw std::runtime_error("RuntimeError");
            }
            (void)co_await barrier1.wait();
            ++results1;
        } catch (const weft::broken_barrier_error&) {
            ++results2;
        } catch (const std::runtime_error&) {
            barrier1.abort();
        }
        std::size_t i = co_await barrier2.wait();
        if (i == n_parties / 2) {
            barrier1.reset();
        }
        (void)co_await barrier2.wait();
        (void)co_await barrier1.wait();
        ++results3;
    });
    EXPECT_FALSE(barrier1.broken());
    EXPECT_EQ(results1, 0);
    EXPECT_EQ(results2, static_cast<int>(n_parties - 1));
    EXPECT_EQ(results3, static_cast<int>(n_parties));
    EXPECT_EQ(barrier1.n_waiting(), 0u);
}

// ---- Semaphore
// -----------------------------------------------------------------------------------

// test_acquire_fifo_order: tasks that release and acquire again queue behind the others.
WEFT_CO_TEST_OPTIONS(semaphore_asyncio, test_acquire_fifo_order,
                     (weft::options{.loops = 1, .clock = weft::clock_kind::manual})) {
    weft::semaphore sem(1);
    std::vector<std::string> result;
    auto coro = [&](std::string tag) -> weft::task<void> {
        co_await sem.acquire();
        result.push_back(tag + "_1");
        co_await weft::sleep(10ms);
        sem.release();
        co_await sem.acquire();
        result.push_back(tag + "_2");
        co_await weft::sleep(10ms);
        sem.release();
    };
    auto driver = weft::create_task(weft::advance(1s));
    (void)co_await weft::gather(coro("c1"), coro("c2"), coro("c3"));
    EXPECT_EQ(result, (std::vector<std::string>{"c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"}));
}

// test_acquire_fifo_order_2: a task that releases and acquires again before a waiter that was
// handed a permit has run queues behind it (1, 2, 3, 4, not 1, 2, 4, 3).
WEFT_CO_TEST(semaphore_asyncio, test_acquire_fifo_order_2) {
    weft::semaphore sem(1);
    std::vector<int> result;
    auto c1 = [&]() -> weft::task<void> {
        co_await sem.acquire();
        result.push_back(1);
    };
    auto c2 = [&]() -> weft::task<void> {
        co_await sem.acquire();
        result.push_back(2);
        sem.release();
        co_await sem.acquire();
        result.push_back(4);
    };
    auto c3 = [&]() -> weft::task<void> {
        co_await sem.acquire();
        result.push_back(3);
    };
    weft::future<void> t1 = weft::create_task(c1());
    weft::future<void> t2 = weft::create_task(c2());
    weft::future<void> t3 = weft::create_task(c3());
    co_await weft::yield();
    sem.release();
    sem.release();
    std::vector<weft::future<void>> tasks{t1, t2, t3};
    (void)co_await weft::gather(tasks);
    EXPECT_EQ(result, (std::vector<int>{1, 2, 3, 4}));
}

// test_acquire_fifo_order_3: a cancelled waiter takes no permit.
WEFT_CO_TEST(semaphore_asyncio, test_acquire_fifo_order_3) {
    weft::semaphore sem(0);
    std::vector<int> result;
    auto c = [&](int v) -> weft::task<void> {
        co_await sem.acquire();
        result.push_back(v);
    };
    weft::future<void> t1 = weft::create_task(c(1));
    weft::future<void> t2 = weft::create_task(c(2));
    weft::future<void> t3 = weft::create_task(c(3));
    co_await weft::yield();
    t1.cancel();
    co_await weft::yield();
    sem.release();
    sem.release();
    std::vector<weft::future<void>> tasks{t1, t2, t3};
    (void)co_await weft::gather_settled(tasks);
    EXPECT_EQ(result, (std::vector<int>{2, 3}));
}

// A permit released while a woken waiter is on its way is not taken by a newcomer: locked()
// stays true, and try_acquire() fails, until the waiters have run.
WEFT_CO_TEST(semaphore_asyncio, woken_waiter_keeps_the_semaphore_locked_until_it_runs) {
    weft::semaphore sem(1);
    co_await sem.acquire();
    bool got = false;
    auto body = [&]() -> weft::task<void> {
        co_await sem.acquire();
        got = true;
        sem.release();
    };
    auto waiter = weft::create_task(body());
    co_await weft::yield();
    sem.release(); // handed to the waiter, which has not run yet
    EXPECT_TRUE(sem.locked());
    EXPECT_FALSE(sem.try_acquire());
    co_await waiter;
    EXPECT_TRUE(got);
    EXPECT_FALSE(sem.locked());
    EXPECT_TRUE(sem.try_acquire());
}
