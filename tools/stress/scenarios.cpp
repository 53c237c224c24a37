// The runtime scenarios of `weft stress` (scenarios.hpp), one section each: spawn-storm,
// cancel-storm, timer-storm, cross-loop, gather-fanout and queue-pingpong, and run_scenario(),
// which starts the chosen one in a cell. Every operation reports to the cell, so that the
// exactly-once check covers the runtime as it does an executor.
#include "scenarios.hpp"

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/queue.hpp>
#include <weft/runtime/sleep.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace weft::stress {

namespace {

using namespace std::chrono_literals;

/// An operation that only reports that it ran.
task<void> mark(cell_context& ctx, std::uint64_t id) {
    ctx.ran(id);
    co_return;
}

// ---- spawn-storm: waves of `concurrency` tasks spawned on the least busy loops, then awaited.

task<void> spawn_storm(cell_context& ctx, std::size_t concurrency) {
    std::vector<std::uint64_t> ids;
    std::vector<future<void>> futures;
    for (;;) {
        ids.clear();
        futures.clear();
        const auto start = clock::now();
        while (ids.size() < concurrency) {
            const auto id = ctx.take_id();
            if (!id) {
                break;
            }
            ids.push_back(*id);
            futures.push_back(weft::spawn(mark(ctx, *id)));
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            try {
                co_await futures[i];
            } catch (const std::exception&) {
                ctx.error();
            }
            ctx.done(ids[i], clock::now() - start);
        }
        if (ids.size() < concurrency) {
            co_return;
        }
    }
}

// ---- cancel-storm: waves of sleeping tasks on every loop, all cancelled at once.

task<void> sleeper(cell_context& ctx, std::uint64_t id, std::atomic<std::size_t>& started) {
    ctx.ran(id);
    started.fetch_add(1, std::memory_order_release);
    co_await weft::sleep(1h);
}

task<void> cancel_storm(cell_context& ctx, std::size_t concurrency, std::size_t loops) {
    std::vector<std::uint64_t> ids;
    std::vector<future<void>> futures;
    for (;;) {
        ids.clear();
        futures.clear();
        std::atomic<std::size_t> started{0};
        while (ids.size() < concurrency) {
            const auto id = ctx.take_id();
            if (!id) {
                break;
            }
            futures.push_back(weft::spawn_on(ids.size() % loops, sleeper(ctx, *id, started)));
            ids.push_back(*id);
        }
        // Every task reaches its sleep before the storm: a task cancelled before it starts never
        // runs its body, and the check would count it lost. Other loops start theirs meanwhile.
        for (std::size_t spins = 0; started.load(std::memory_order_acquire) < ids.size(); ++spins) {
            co_await weft::yield();
        }
        const auto start = clock::now();
        for (auto& f : futures) {
            f.cancel();
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            try {
                co_await futures[i];
                ctx.error(); // finished its hour-long sleep: the cancellation was lost
            } catch (const cancelled_error&) {
            } catch (const std::exception&) {
                ctx.error();
            }
            ctx.done(ids[i], clock::now() - start);
        }
        if (ids.size() < concurrency) {
            co_return;
        }
    }
}

// ---- timer-storm: `concurrency` tasks each sleeping 0-1000 us again and again; the latency is
// how late each timer fired.

task<void> timer_worker(cell_context& ctx, std::uint64_t salt) {
    std::uint64_t x = salt * 0x9e3779b97f4a7c15ull + 1;
    while (const auto id = ctx.take_id()) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const auto deadline = clock::now() + std::chrono::microseconds(x % 1000);
        co_await weft::sleep_until(deadline);
        ctx.ran(*id);
        ctx.done(*id, clock::now() - deadline);
    }
}

// ---- cross-loop: each task awaits, again and again, a task it starts on the next loop.

task<void> cross_worker(cell_context& ctx, std::size_t target) {
    while (const auto id = ctx.take_id()) {
        const auto start = clock::now();
        try {
            co_await weft::spawn_on(target, mark(ctx, *id));
        } catch (const std::exception&) {
            ctx.error();
        }
        ctx.done(*id, clock::now() - start);
    }
}

// ---- gather-fanout: on every loop, gathers of `concurrency` children, one after another.

task<void> fanout_worker(cell_context& ctx, std::size_t fanout) {
    std::vector<std::uint64_t> ids;
    std::vector<task<void>> children;
    for (;;) {
        ids.clear();
        children.clear();
        while (ids.size() < fanout) {
            const auto id = ctx.take_id();
            if (!id) {
                break;
            }
            ids.push_back(*id);
            children.push_back(mark(ctx, *id));
        }
        if (ids.empty()) {
            co_return;
        }
        const auto start = clock::now();
        try {
            co_await weft::gather(children);
        } catch (const std::exception&) {
            ctx.error();
        }
        const auto took = clock::now() - start;
        for (std::uint64_t id : ids) {
            ctx.done(id, took);
        }
    }
}

// ---- queue-pingpong: pairs of tasks on neighbouring loops bounce ids through two queues.

struct queue_pair {
    weft::queue<std::uint64_t> ping;
    weft::queue<std::uint64_t> pong;
};

constexpr std::uint64_t stop_token = std::numeric_limits<std::uint64_t>::max();

task<void> ponger(cell_context& ctx, std::shared_ptr<queue_pair> q) {
    for (;;) {
        const std::uint64_t id = co_await q->ping.get();
        if (id == stop_token) {
            co_return;
        }
        ctx.ran(id);
        q->pong.put_nowait(id);
    }
}

task<void> pinger(cell_context& ctx, std::shared_ptr<queue_pair> q, std::size_t pong_loop) {
    future<void> other = weft::spawn_on(pong_loop, ponger(ctx, q));
    while (const auto id = ctx.take_id()) {
        const auto start = clock::now();
        q->ping.put_nowait(*id);
        const std::uint64_t back = co_await q->pong.get();
        if (back != *id) {
            ctx.error();
        }
        ctx.done(*id, clock::now() - start);
    }
    q->ping.put_nowait(stop_token);
    co_await other;
}

} // namespace

task<void> run_scenario(scenario_kind s, cell_context& ctx, std::size_t concurrency,
                        std::size_t loops) {
    std::vector<future<void>> workers;
    switch (s) {
    case scenario_kind::spawn_storm:
        co_await spawn_storm(ctx, concurrency);
        co_return;
    case scenario_kind::cancel_storm:
        co_await cancel_storm(ctx, concurrency, loops);
        co_return;
    case scenario_kind::timer_storm:
        for (std::size_t i = 0; i < concurrency; ++i) {
            workers.push_back(weft::spawn_on(i % loops, timer_worker(ctx, i)));
        }
        break;
    case scenario_kind::cross_loop:
        for (std::size_t i = 0; i < concurrency; ++i) {
            workers.push_back(weft::spawn_on(i % loops, cross_worker(ctx, (i + 1) % loops)));
        }
        break;
    case scenario_kind::gather_fanout:
        for (std::size_t i = 0; i < loops; ++i) {
            workers.push_back(weft::spawn_on(i, fanout_worker(ctx, concurrency)));
        }
        break;
    case scenario_kind::queue_pingpong:
        for (std::size_t i = 0; i < concurrency; ++i) {
            workers.push_back(weft::spawn_on(
                i % loops, pinger(ctx, std::make_shared<queue_pair>(), (i + 1) % loops)));
        }
        break;
    }
    co_await weft::gather(workers);
}

} // namespace weft::stress
