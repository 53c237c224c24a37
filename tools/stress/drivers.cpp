// The drivers of a `weft stress` cell (drivers.hpp): closed-loop callers, and the open loop's
// fixed-rate arrivals with latency counted from the intended send time.
#include "drivers.hpp"

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/semaphore.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task_group.hpp>

#include <chrono>
#include <exception>
#include <vector>

namespace weft::stress {

namespace {

using seconds_d = std::chrono::duration<double>;

// ---- closed loop: `concurrency` callers, each submitting its next call when the last returns.

task<void> closed_caller(cell_context& ctx, pool& p, const workload_spec& w) {
    while (const auto id = ctx.take_id()) {
        const auto start = clock::now();
        try {
            co_await p.call(ctx, w, *id);
        } catch (const std::exception&) {
            ctx.error();
        }
        ctx.done(*id, clock::now() - start);
    }
}

} // namespace

task<void> closed_loop(cell_context& ctx, pool& p, const workload_spec& w, std::size_t concurrency,
                       std::size_t loops) {
    std::vector<future<void>> callers;
    callers.reserve(concurrency);
    for (std::size_t i = 0; i < concurrency; ++i) {
        callers.push_back(weft::spawn_on(i % loops, closed_caller(ctx, p, w)));
    }
    co_await weft::gather(callers);
}

// ---- open loop: arrivals at a fixed rate whatever the executor does; each call's latency runs
// from the moment it was meant to be sent, so a stalled executor shows as latency instead of
// silently lowering the offered load (no coordinated omission). At most `concurrency` calls are
// in flight; an arrival waiting for a slot is already late, and its latency says so.

namespace {

task<void> open_call(cell_context& ctx, pool& p, const workload_spec& w, std::uint64_t id,
                     clock::time_point intended, semaphore& slots) {
    try {
        co_await p.call(ctx, w, id);
    } catch (const std::exception&) {
        ctx.error();
    }
    ctx.done(id, clock::now() - intended);
    slots.release();
}

} // namespace

task<void> open_loop(cell_context& ctx, pool& p, const workload_spec& w, std::size_t concurrency,
                     double rate) {
    semaphore slots(concurrency);
    task_group calls;
    const auto start = clock::now();
    const auto interval = seconds_d(1.0 / rate);
    for (std::uint64_t i = 0;; ++i) {
        const auto intended =
            start + std::chrono::duration_cast<clock::duration>(interval * static_cast<double>(i));
        if (ctx.deadline() && intended >= *ctx.deadline()) {
            break;
        }
        if (intended > clock::now()) {
            co_await weft::sleep_until(intended);
        }
        co_await slots.acquire();
        const auto id = ctx.take_id();
        if (!id) {
            slots.release();
            break;
        }
        (void)calls.create_task(open_call(ctx, p, w, *id, intended, slots));
    }
    co_await calls.join();
}

} // namespace weft::stress
