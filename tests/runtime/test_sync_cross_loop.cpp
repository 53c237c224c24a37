// The synchronisation primitives with waiters on several loops, wake-ups from other loops and
// plain threads, and the lost-wakeup races between a release and a cancellation. Built into
// weft-concurrency-tests, which also runs under ThreadSanitizer.

#include <weft/runtime/barrier.hpp>
#include <weft/runtime/condition.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/lock.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/queue.hpp>
#include <weft/runtime/semaphore.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr std::size_t loops = 4;

struct loop_ref {
    std::size_t id;
    std::thread::id thread;
    bool operator==(const loop_ref&) const = default;
};

loop_ref here() {
    return {weft::current_loop().id(), std::this_thread::get_id()};
}

/// Spins on a flag, so that two threads act at (nearly) the same moment.
void spin_until(const std::atomic<bool>& go) {
    while (!go.load(std::memory_order_acquire)) {
    }
}

} // namespace

WEFT_CO_TEST_LOOPS(sync_cross_loop, event_set_from_a_plain_thread_resumes_each_waiter_on_its_loop,
                   loops) {
    weft::event e;
    std::atomic<int> started{0};
    std::vector<weft::future<bool>> fs;
    for (std::size_t i = 0; i < loops; ++i) {
        for (int k = 0; k < 3; ++k) {
            fs.push_back(weft::spawn_on(
                i, [](weft::event& e, std::atomic<int>& started) -> weft::task<bool> {
                    const loop_ref before = here();
                    started.fetch_add(1);
                    co_await e.wait();
                    co_return before == here();
                }(e, started)));
        }
    }
    while (started.load() < static_cast<int>(fs.size())) {
        co_await weft::yield();
    }
    std::thread setter([&e] { e.set(); });
    std::vector<bool> ok = co_await weft::wait_for(weft::gather(fs), 60s);
    setter.join();
    for (bool b : ok) {
        EXPECT_TRUE(b);
    }
}

WEFT_CO_TEST_LOOPS(sync_cross_loop, lock_excludes_tasks_on_every_loop, loops) {
    constexpr int per_loop = 8;
    constexpr int rounds = 200;
    weft::lock l;
    long counter = 0; // plain: the lock is its only protection (TSan checks)
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    std::vector<weft::future<void>> fs;
    for (std::size_t i = 0; i < loops; ++i) {
        for (int k = 0; k < per_loop; ++k) {
            fs.push_back(
                weft::spawn_on(i,
                               [](weft::lock& l, long& counter, std::atomic<int>& inside,
                                  std::atomic<int>& overlaps) -> weft::task<void> {
                                   for (int r = 0; r < rounds; ++r) {
                                       auto g = co_await l.scoped_acquire();
                                       if (inside.fetch_add(1) != 0) {
                                           overlaps.fetch_add(1);
                                       }
                                       long v = counter;
                                       if (r % 4 == 0) {
                                           co_await weft::yield(); // hold it across a suspension
                                       }
                                       counter = v + 1;
                                       inside.fetch_sub(1);
                                   }
                               }(l, counter, inside, overlaps)));
        }
    }
    co_await weft::wait_for(weft::gather(fs), 120s);
    EXPECT_EQ(counter, static_cast<long>(loops * per_loop * rounds));
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_FALSE(l.locked());
}

WEFT_CO_TEST_LOOPS(sync_cross_loop, semaphore_never_admits_more_than_its_permits, loops) {
    constexpr std::size_t permits = 3;
    constexpr int per_loop = 6;
    constexpr int rounds = 150;
    weft::bounded_semaphore s(permits);
    std::atomic<int> inside{0};
    std::atomic<int> peak{0};
    std::vector<weft::future<void>> fs;
    for (std::size_t i = 0; i < loops; ++i) {
        for (int k = 0; k < per_loop; ++k) {
            fs.push_back(weft::spawn_on(i,
                                        [](weft::semaphore& s, std::atomic<int>& inside,
                                           std::atomic<int>& peak) -> weft::task<void> {
                                            for (int r = 0; r < rounds; ++r) {
                                                co_await s.acquire();
                                                int now = inside.fetch_add(1) + 1;
                                                int p = peak.load();
                                                while (now > p &&
                                                       !peak.compare_exchange_weak(p, now)) {
                                                }
                                                co_await weft::yield();
                                                inside.fetch_sub(1);
                                                s.release();
                                            }
                                        }(s, inside, peak)));
        }
    }
    co_await weft::wait_for(weft::gather(fs), 120s);
    EXPECT_LE(peak.load(), static_cast<int>(permits));
    EXPECT_GE(peak.load(), 1);
    EXPECT_EQ(s.value(), permits);
}

WEFT_CO_TEST_LOOPS(sync_cross_loop, queue_producers_and_consumers_on_different_loops, loops) {
    constexpr int producers = 2;
    constexpr int per_producer = 2000;
    weft::queue<int> q(4);
    std::vector<weft::future<void>> prod;
    for (int p = 0; p < producers; ++p) {
        prod.push_back(weft::spawn_on(static_cast<std::size_t>(p),
                                      [](weft::queue<int>& q, int p) -> weft::task<void> {
                                          for (int i = 0; i < per_producer; ++i) {
                                              co_await q.put(p * per_producer + i);
                                          }
                                      }(q, p)));
    }
    std::vector<weft::future<std::vector<int>>> cons;
    for (std::size_t c = 2; c < loops; ++c) {
        cons.push_back(weft::spawn_on(c, [](weft::queue<int>& q) -> weft::task<std::vector<int>> {
            std::vector<int> got;
            for (;;) {
                try {
                    got.push_back(co_await q.get());
                } catch (const weft::queue_shut_down&) {
                    co_return got;
                }
                q.task_done();
            }
        }(q)));
    }
    co_await weft::wait_for(weft::gather(prod), 120s);
    co_await weft::wait_for(q.join(), 120s);
    q.shutdown();
    std::vector<std::vector<int>> got = co_await weft::wait_for(weft::gather(cons), 120s);
    std::vector<int> seen(producers * per_producer, 0);
    for (auto& g : got) {
        std::vector<int> last(producers, -1);
        for (int v : g) {
            ++seen[v];
            // Each producer's items reach any one consumer in the order they were put.
            EXPECT_GT(v, last[v / per_producer]);
            last[v / per_producer] = v;
        }
    }
    for (int v = 0; v < producers * per_producer; ++v) {
        EXPECT_EQ(seen[v], 1) << v;
    }
}

// The lost-wakeup race: a permit is released (from a plain thread) while its only waiter (on
// another loop) is being cancelled (from a third thread). Whatever the interleaving, the permit
// must end up with exactly one holder: the waiter, or the semaphore itself.
WEFT_CO_TEST_LOOPS(sync_cross_loop, semaphore_release_racing_cancel_keeps_exactly_one_permit, 2) {
    constexpr int iterations = 400;
    int waiter_won = 0;
    int cancel_won = 0;
    for (int it = 0; it < iterations; ++it) {
        weft::semaphore s(0);
        std::atomic<bool> waiting{false};
        std::atomic<bool> holds{false};
        weft::future<void> f = weft::spawn_on(1,
                                              [](weft::semaphore& s, std::atomic<bool>& waiting,
                                                 std::atomic<bool>& holds) -> weft::task<void> {
                                                  waiting.store(true);
                                                  co_await s.acquire();
                                                  holds.store(true);
                                              }(s, waiting, holds));
        while (!waiting.load()) {
            co_await weft::yield();
        }
        std::atomic<bool> go{false};
        std::thread releaser([&] {
            spin_until(go);
            s.release();
        });
        std::thread canceller([&] {
            spin_until(go);
            f.cancel();
        });
        go.store(true, std::memory_order_release);
        releaser.join();
        canceller.join();
        try {
            co_await weft::wait_for(f, 60s);
        } catch (const weft::cancelled_error&) {
        }
        const std::size_t left = s.value();
        if (holds.load()) {
            ++waiter_won;
            EXPECT_EQ(left, 0u) << "iteration " << it << ": the permit was duplicated";
        } else {
            ++cancel_won;
            EXPECT_EQ(left, 1u) << "iteration " << it << ": the permit was lost";
        }
    }
    EXPECT_EQ(waiter_won + cancel_won, iterations);
}

// The same race for a lock hand-off and for an item handed to a getter.
WEFT_CO_TEST_LOOPS(sync_cross_loop, lock_and_queue_hand_offs_racing_cancel_lose_nothing, 3) {
    constexpr int iterations = 300;
    for (int it = 0; it < iterations; ++it) {
        weft::lock l;
        weft::queue<int> q;
        co_await l.acquire();
        std::atomic<int> waiting{0};
        std::atomic<bool> got_lock{false};
        std::atomic<int> got_item{-1};
        weft::future<void> lf = weft::spawn_on(1,
                                               [](weft::lock& l, std::atomic<int>& waiting,
                                                  std::atomic<bool>& got_lock) -> weft::task<void> {
                                                   waiting.fetch_add(1);
                                                   co_await l.acquire();
                                                   got_lock.store(true);
                                                   l.release();
                                               }(l, waiting, got_lock));
        weft::future<void> qf = weft::spawn_on(2,
                                               [](weft::queue<int>& q, std::atomic<int>& waiting,
                                                  std::atomic<int>& got_item) -> weft::task<void> {
                                                   waiting.fetch_add(1);
                                                   got_item.store(co_await q.get());
                                               }(q, waiting, got_item));
        while (waiting.load() < 2) {
            co_await weft::yield();
        }
        std::atomic<bool> go{false};
        std::thread releaser([&] {
            spin_until(go);
            l.release();
            q.put_nowait(it);
        });
        std::thread canceller([&] {
            spin_until(go);
            lf.cancel();
            qf.cancel();
        });
        go.store(true, std::memory_order_release);
        releaser.join();
        canceller.join();
        try {
            co_await weft::wait_for(lf, 60s);
        } catch (const weft::cancelled_error&) {
        }
        try {
            co_await weft::wait_for(qf, 60s);
        } catch (const weft::cancelled_error&) {
        }
        // The lock is free again either way (the waiter released it, or never got it).
        EXPECT_FALSE(l.locked()) << "iteration " << it;
        // The item is with the getter or still in the queue, never both, never neither.
        const bool in_queue = q.size() == 1;
        EXPECT_NE(in_queue, got_item.load() == it) << "iteration " << it;
    }
}

WEFT_CO_TEST_LOOPS(sync_cross_loop,
                   many_waiters_on_many_loops_some_cancelled_account_for_every_permit, loops) {
    constexpr int per_loop = 25;
    constexpr int total = static_cast<int>(loops) * per_loop;
    weft::semaphore s(0);
    std::atomic<int> waiting{0};
    std::atomic<int> holders{0};
    std::vector<weft::future<void>> fs;
    for (std::size_t i = 0; i < loops; ++i) {
        for (int k = 0; k < per_loop; ++k) {
            fs.push_back(weft::spawn_on(i,
                                        [](weft::semaphore& s, std::atomic<int>& waiting,
                                           std::atomic<int>& holders) -> weft::task<void> {
                                            waiting.fetch_add(1);
                                            co_await s.acquire();
                                            holders.fetch_add(1);
                                        }(s, waiting, holders)));
        }
    }
    while (waiting.load() < total) {
        co_await weft::yield();
    }
    // Release half as many permits as there are waiters while every other waiter is cancelled.
    std::atomic<bool> go{false};
    std::thread releaser([&] {
        spin_until(go);
        for (int i = 0; i < total / 2; ++i) {
            s.release();
        }
    });
    std::thread canceller([&] {
        spin_until(go);
        for (std::size_t i = 0; i < fs.size(); i += 2) {
            fs[i].cancel();
        }
    });
    go.store(true, std::memory_order_release);
    releaser.join();
    canceller.join();
    // Whoever still waits gets a permit of its own now; then every task is done.
    const int extra = total;
    for (int i = 0; i < extra; ++i) {
        s.release();
    }
    for (auto& f : fs) {
        try {
            co_await weft::wait_for(f, 60s);
        } catch (const weft::cancelled_error&) {
        }
    }
    EXPECT_EQ(static_cast<int>(s.value()) + holders.load(), total / 2 + extra);
}

WEFT_CO_TEST_LOOPS(sync_cross_loop, condition_and_barrier_across_loops, loops) {
    weft::condition c;
    int ready = 0; // guarded by c's lock
    weft::barrier b(loops);
    std::vector<weft::future<std::size_t>> fs;
    for (std::size_t i = 0; i < loops; ++i) {
        fs.push_back(weft::spawn_on(
            i, [](weft::condition& c, int& ready, weft::barrier& b) -> weft::task<std::size_t> {
                const loop_ref me = here();
                {
                    auto g = co_await c.scoped_acquire();
                    co_await c.wait_for([&] { return ready == 1; });
                }
                EXPECT_EQ(me, here());
                std::size_t sum = 0;
                for (int round = 0; round < 50; ++round) {
                    sum += co_await b.wait();
                    EXPECT_EQ(me, here());
                }
                co_return sum;
            }(c, ready, b)));
    }
    co_await weft::yield();
    {
        auto g = co_await c.scoped_acquire();
        ready = 1;
        c.notify_all();
    }
    std::vector<std::size_t> sums = co_await weft::wait_for(weft::gather(fs), 120s);
    std::size_t total = 0;
    for (std::size_t s : sums) {
        total += s;
    }
    EXPECT_EQ(total, 50 * (loops * (loops - 1) / 2)) << "each round hands out 0..parties-1";
}

// Rounds that drain across loops while the tasks come straight back (they block and retry on
// their own loops), then an abort from the test task: every task ends with broken_barrier_error,
// none hangs, and every completed round handed out each index once.
WEFT_CO_TEST_LOOPS(sync_cross_loop, barrier_rounds_draining_across_loops_then_abort, loops) {
    weft::barrier b(loops);
    std::atomic<int> rounds_done{0};
    std::vector<weft::future<std::size_t>> fs;
    for (std::size_t i = 0; i < loops; ++i) {
        fs.push_back(weft::spawn_on(
            i, [](weft::barrier& b, std::atomic<int>& rounds_done) -> weft::task<std::size_t> {
                std::size_t sum = 0;
                for (;;) {
                    std::size_t index = 0;
                    try {
                        index = co_await b.wait();
                    } catch (const weft::broken_barrier_error&) {
                        co_return sum;
                    }
                    sum += index;
                    if (index == 0) {
                        rounds_done.fetch_add(1);
                    }
                }
            }(b, rounds_done)));
    }
    bool ok =
        co_await weft::testing::yield_until([&] { return rounds_done.load() >= 200; }, 10'000'000);
    EXPECT_TRUE(ok);
    b.abort();
    std::vector<std::size_t> sums = co_await weft::wait_for(weft::gather(fs), 120s);
    EXPECT_TRUE(b.broken());
    std::size_t total = 0;
    for (std::size_t s : sums) {
        total += s;
    }
    // A round fills only once the one before has drained, so every round but the last one counted
    // was complete: each added 0 + 1 + ... + loops - 1 (the last may have been broken as it
    // drained).
    EXPECT_GE(total, 199 * (loops * (loops - 1) / 2));
}
