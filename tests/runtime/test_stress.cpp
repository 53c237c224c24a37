// Many tasks on several loops at once, with cancellations from other loops and from a plain
// thread, promises completed from foreign threads, and gathers across loops. The invariant: every
// task completes exactly once (value, cancellation, broken promise or timeout), and every future's
// done callback runs exactly once.
//
// Size: WEFT_STRESS_TASKS tasks (default 200'000, 100'000 under TSan): about 1-4 s in a debug
// build, with or without ASan, and under TSan, on two cores.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task_group.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr std::size_t default_tasks = 100'000;
#else
constexpr std::size_t default_tasks = 200'000;
#endif

std::size_t stress_tasks() {
    if (const char* env = std::getenv("WEFT_STRESS_TASKS"); env != nullptr && *env != '\0') {
        return std::strtoull(env, nullptr, 10);
    }
    return default_tasks;
}

/// A queue drained by plain threads (not loops); blocks on a condition variable, never sleeps.
template <class Item>
class worker_threads {
public:
    template <class Handle>
    worker_threads(std::size_t n, Handle handle) {
        for (std::size_t i = 0; i < n; ++i) {
            threads_.emplace_back([this, handle, i]() mutable {
                std::mt19937 rng(static_cast<unsigned>(1000 + i));
                for (;;) {
                    std::unique_lock lock(mtx_);
                    cv_.wait(lock, [&] { return stop_ || !items_.empty(); });
                    if (items_.empty()) {
                        return; // stopping, and drained
                    }
                    Item item = std::move(items_.front());
                    items_.pop_front();
                    lock.unlock();
                    handle(item, rng);
                }
            });
        }
    }
    worker_threads(const worker_threads&) = delete;
    worker_threads& operator=(const worker_threads&) = delete;
    ~worker_threads() { stop(); }

    void push(Item item) {
        {
            std::lock_guard lock(mtx_);
            items_.push_back(std::move(item));
        }
        cv_.notify_one();
    }

    /// Drains what is queued, then joins.
    void stop() {
        {
            std::lock_guard lock(mtx_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
    }

private:
    std::mutex mtx_;
    std::condition_variable cv_;
    std::deque<Item> items_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

struct stats {
    explicit stats(std::size_t n) : completions(n), observed(n), callbacks_left(n) {}

    std::atomic<std::size_t> spawned{0};
    std::atomic<std::size_t> values{0};
    std::atomic<std::size_t> cancels{0};
    std::atomic<std::size_t> broken{0};
    std::atomic<std::size_t> timeouts{0};
    std::atomic<std::size_t> other_errors{0};
    std::atomic<std::size_t> wrong_values{0};
    std::atomic<std::size_t> bodies_returned{0};
    std::atomic<std::size_t> cancel_requests{0};
    std::vector<std::atomic<std::uint8_t>> completions; // done callbacks per task
    std::vector<std::atomic<std::uint8_t>> observed;    // outcomes seen by the drivers per task
    weft::testing::countdown callbacks_left;            // done callbacks still to run
};

struct shared_env {
    stats& st;
    std::size_t loops;
    worker_threads<weft::promise<int>>& completers;
    worker_threads<weft::future<int>>& canceller;
};

weft::task<int> sub_value(int v) {
    co_await weft::yield();
    co_return v;
}

weft::task<int> sleepy_value(int v, std::chrono::microseconds d) {
    co_await weft::sleep(d);
    co_return v;
}

/// One task of the stress, of one of eight kinds; returns i unless it fails or is cancelled.
weft::task<int> worker(shared_env env, int i, unsigned seed) {
    std::minstd_rand rng(seed);
    int result = i;
    switch (i % 8) {
    case 0: // returns at once
        break;
    case 1: // yields a few times
        for (unsigned k = rng() % 4; k > 0; --k) {
            co_await weft::yield();
        }
        break;
    case 2: // sleeps a little
        co_await weft::sleep(std::chrono::microseconds(rng() % 300));
        break;
    case 3: { // awaits a promise a plain thread completes (or drops: broken_promise_error)
        weft::promise<int> p;
        weft::future<int> f = p.get_future();
        env.completers.push(std::move(p));
        if (co_await f != 1) {
            result = -1; // a wrong value
        }
        break;
    }
    case 4: { // gathers tasks spawned on two loops
        auto [a, b] = co_await weft::gather(weft::spawn_on(rng() % env.loops, sub_value(i)),
                                            weft::spawn_on(rng() % env.loops, sub_value(0)));
        result = a + b;
        break;
    }
    case 5: // races a timeout
        result = co_await weft::wait_for(sleepy_value(i, std::chrono::microseconds(rng() % 400)),
                                         std::chrono::microseconds(rng() % 400));
        break;
    case 6: { // a task group of two
        weft::task_group g;
        auto a = g.create_task(sub_value(i));
        (void)g.create_task(sleepy_value(0, std::chrono::microseconds(rng() % 200)));
        co_await g.join();
        result = a.result();
        break;
    }
    case 7: // shielded work, then a cancellation point
        result = co_await weft::shield(sub_value(i));
        co_await weft::yield();
        break;
    }
    env.st.bodies_returned.fetch_add(1, std::memory_order_relaxed);
    co_return result;
}

/// Spawns its share of the workers in batches, cancels some (itself, from another loop than the
/// worker's, or through the canceller thread) and records every outcome.
weft::task<void> driver(shared_env env, std::size_t first, std::size_t count, unsigned seed) {
    constexpr std::size_t batch = 256;
    std::mt19937 rng(seed);
    stats& st = env.st;
    for (std::size_t base = first; base < first + count; base += batch) {
        const std::size_t end = std::min(base + batch, first + count);
        std::vector<weft::future<int>> fs;
        fs.reserve(end - base);
        for (std::size_t i = base; i < end; ++i) {
            const int id = static_cast<int>(i);
            weft::task<int> w = worker(env, id, static_cast<unsigned>(rng()));
            weft::future<int> f = (rng() % 2 == 0)
                                      ? weft::spawn(std::move(w))
                                      : weft::spawn_on(rng() % env.loops, std::move(w));
            st.spawned.fetch_add(1, std::memory_order_relaxed);
            f.add_done_callback([&st, i] {
                st.completions[i].fetch_add(1, std::memory_order_relaxed);
                st.callbacks_left.count_down();
            });
            switch (rng() % 10) {
            case 0: // cancel at once, from this loop (often not the worker's)
                f.cancel();
                st.cancel_requests.fetch_add(1, std::memory_order_relaxed);
                break;
            case 1: // cancel from the plain canceller thread, some time later
                env.canceller.push(f);
                st.cancel_requests.fetch_add(1, std::memory_order_relaxed);
                break;
            default:
                break;
            }
            fs.push_back(std::move(f));
        }
        if (rng() % 4 == 0) {
            co_await weft::yield(); // let some start before the late cancellations below
        }
        // Cancel a few of the batch once they may be running.
        for (std::size_t k = 0; k < fs.size(); k += 17) {
            fs[k].cancel();
        }
        for (std::size_t k = 0; k < fs.size(); ++k) {
            const std::size_t i = base + k;
            try {
                int v = co_await fs[k];
                st.values.fetch_add(1, std::memory_order_relaxed);
                if (v != static_cast<int>(i)) {
                    st.wrong_values.fetch_add(1, std::memory_order_relaxed);
                }
            } catch (const weft::cancelled_error&) {
                st.cancels.fetch_add(1, std::memory_order_relaxed);
            } catch (const weft::broken_promise_error&) {
                st.broken.fetch_add(1, std::memory_order_relaxed);
            } catch (const weft::timeout_error&) {
                st.timeouts.fetch_add(1, std::memory_order_relaxed);
            } catch (...) {
                st.other_errors.fetch_add(1, std::memory_order_relaxed);
            }
            st.observed[i].fetch_add(1, std::memory_order_relaxed);
        }
    }
}

} // namespace

TEST(stress, every_task_completes_exactly_once) {
    const std::size_t n = stress_tasks();
    constexpr std::size_t loops = 4;
    constexpr std::size_t drivers_per_loop = 2;
    stats st(n);
    worker_threads<weft::promise<int>> completers(2, [](weft::promise<int>& p, std::mt19937& rng) {
        if (rng() % 16 == 0) {
            weft::promise<int> dropped = std::move(p); // broken promise
        } else {
            (void)p.set_value(1); // false when the awaiting worker was cancelled first
        }
    });
    worker_threads<weft::future<int>> canceller(
        1, [](weft::future<int>& f, std::mt19937&) { (void)f.cancel(); });
    shared_env env{st, loops, completers, canceller};

    const bool settled = weft::run(
        [](shared_env env, std::size_t n) -> weft::task<bool> {
            const std::size_t drivers = loops * drivers_per_loop;
            std::vector<weft::future<void>> ds;
            for (std::size_t d = 0; d < drivers; ++d) {
                const std::size_t first = n * d / drivers;
                const std::size_t last = n * (d + 1) / drivers;
                ds.push_back(weft::spawn_on(
                    d % loops, driver(env, first, last - first, static_cast<unsigned>(d + 1))));
            }
            (void)co_await weft::gather(ds); // a gather across every loop
            try {
                co_await weft::wait_for(env.st.callbacks_left.wait(), 60s);
            } catch (const weft::timeout_error&) {
                co_return false;
            }
            co_return true;
        }(env, n),
        {.loops = loops});
    completers.stop();
    canceller.stop();

    EXPECT_TRUE(settled) << st.callbacks_left.left() << " done callbacks never ran";
    EXPECT_EQ(st.spawned.load(), n);
    const std::size_t finished = st.values + st.cancels + st.broken + st.timeouts + st.other_errors;
    EXPECT_EQ(finished, n) << "values " << st.values << ", cancellations " << st.cancels
                           << ", broken promises " << st.broken << ", timeouts " << st.timeouts
                           << ", other errors " << st.other_errors;
    EXPECT_EQ(st.other_errors.load(), 0u);
    EXPECT_EQ(st.wrong_values.load(), 0u);
    EXPECT_EQ(st.bodies_returned.load(), st.values.load())
        << "a task whose body returned must deliver its value";
    std::size_t not_once = 0;
    std::size_t callbacks_not_once = 0;
    for (std::size_t i = 0; i < n; ++i) {
        not_once += st.observed[i].load() != 1 ? 1 : 0;
        callbacks_not_once += st.completions[i].load() != 1 ? 1 : 0;
    }
    EXPECT_EQ(not_once, 0u) << "tasks whose outcome was not seen exactly once";
    EXPECT_EQ(callbacks_not_once, 0u) << "futures whose done callback did not run exactly once";
    // The mix must really have exercised each path.
    EXPECT_GT(st.values.load(), 0u);
    EXPECT_GT(st.cancels.load(), 0u);
    EXPECT_GT(st.broken.load(), 0u);
    std::printf(
        "[ stress   ] %zu tasks: %zu values, %zu cancelled (%zu cancel requests), %zu broken "
        "promises, %zu timeouts\n",
        n, st.values.load(), st.cancels.load(), st.cancel_requests.load(), st.broken.load(),
        st.timeouts.load());
    RecordProperty("tasks", static_cast<int>(n));
}

TEST(stress, gather_across_loops_with_cancellation_from_a_thread) {
    // Gathers of futures from every loop, cancelled from a plain thread once they run: each gather
    // ends cancelled, and every child it waited for has finished.
    constexpr std::size_t loops = 3;
    const int rounds = static_cast<int>(std::max<std::size_t>(stress_tasks() / 2000, 10));
    std::atomic<int> children_finished{0};
    std::atomic<int> children_started{0};
    weft::run(
        [](int rounds, std::atomic<int>& started, std::atomic<int>& finished) -> weft::task<void> {
            for (int r = 0; r < rounds; ++r) {
                weft::testing::countdown all_started(3 * loops);
                auto child = [](weft::testing::countdown& all_started, std::atomic<int>& started,
                                std::atomic<int>& finished) -> weft::task<int> {
                    started.fetch_add(1);
                    all_started.count_down();
                    try {
                        co_await weft::testing::until_cancelled();
                    } catch (const weft::cancelled_error&) {
                        finished.fetch_add(1);
                        throw;
                    }
                    co_return 0;
                };
                std::vector<weft::future<int>> fs;
                for (std::size_t k = 0; k < 3 * loops; ++k) {
                    fs.push_back(weft::spawn_on(k % loops, child(all_started, started, finished)));
                }
                weft::future<std::vector<int>> g =
                    weft::spawn_on(static_cast<std::size_t>(r) % loops, weft::gather(fs));
                co_await weft::wait_for(all_started.wait(), 60s);
                std::thread canceller([g]() mutable { g.cancel(); });
                EXPECT_THROW((void)co_await weft::wait_for(g, 60s), weft::cancelled_error);
                canceller.join();
                for (auto& f : fs) {
                    EXPECT_TRUE(f.done()) << "a child outlived the cancelled gather";
                }
            }
        }(rounds, children_started, children_finished),
        {.loops = loops});
    EXPECT_EQ(children_started.load(), rounds * 3 * static_cast<int>(loops));
    EXPECT_EQ(children_finished.load(), children_started.load());
}
