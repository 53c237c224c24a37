// The async primitives against themselves, one workload per asyncio baseline in
// bench/python/asyncio_primitives.py (same names, same batch sizes; bench/primitives_run.sh runs
// both and prints the ratios):
//   lock_uncontended       acquire + release by one task                  (`async with lock: pass`)
//   lock_contended         two tasks taking turns, each holding the lock across a yield
//   event_ping_pong        two tasks, two events: set -> wait -> clear, one round trip per item
//   queue_same_loop        producer and consumer on one loop, queue(maxsize=128)
//   queue_cross_loop       producer on loop 0, consumer on loop 1 (two threads), queue(128)
// Each benchmark iteration runs one batch; items_per_second counts operations (acquisitions,
// round trips, items).

#include <weft/weft.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

constexpr int batch = 10'000;

// ---- lock ----

weft::task<void> lock_uncontended_body(benchmark::State& state) {
    weft::lock l;
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i) {
            co_await l.acquire();
            l.release();
        }
    }
    state.SetItemsProcessed(state.iterations() * batch);
}

weft::task<void> lock_taker(weft::lock& l, int rounds, std::int64_t& held) {
    for (int i = 0; i < rounds; ++i) {
        auto g = co_await l.scoped_acquire();
        ++held;
        co_await weft::yield();
    }
}

weft::task<void> lock_contended_body(benchmark::State& state) {
    weft::lock l;
    std::int64_t held = 0;
    for (auto _ : state) {
        co_await weft::gather(lock_taker(l, batch / 2, held), lock_taker(l, batch / 2, held));
    }
    benchmark::DoNotOptimize(held);
    state.SetItemsProcessed(state.iterations() * batch);
}

// ---- event ----

weft::task<void> pong(weft::event& ping, weft::event& reply, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        co_await ping.wait();
        ping.clear();
        reply.set();
    }
}

weft::task<void> event_ping_pong_body(benchmark::State& state) {
    weft::event ping;
    weft::event reply;
    for (auto _ : state) {
        weft::future<void> partner = weft::create_task(pong(ping, reply, batch));
        for (int i = 0; i < batch; ++i) {
            ping.set();
            co_await reply.wait();
            reply.clear();
        }
        co_await partner;
    }
    state.SetItemsProcessed(state.iterations() * batch);
}

// ---- queue ----

weft::task<std::int64_t> consume(weft::queue<int>& q, int n) {
    std::int64_t sum = 0;
    for (int i = 0; i < n; ++i) {
        sum += co_await q.get();
    }
    co_return sum;
}

weft::task<void> queue_body(benchmark::State& state, bool cross_loop) {
    weft::queue<int> q(128);
    std::int64_t total = 0;
    for (auto _ : state) {
        weft::future<std::int64_t> consumer = cross_loop ? weft::spawn_on(1, consume(q, batch))
                                                         : weft::create_task(consume(q, batch));
        for (int i = 0; i < batch; ++i) {
            co_await q.put(i);
        }
        const std::int64_t sum = co_await consumer;
        total += sum;
    }
    benchmark::DoNotOptimize(total);
    state.SetItemsProcessed(state.iterations() * batch);
}

void lock_uncontended(benchmark::State& state) {
    weft::run(lock_uncontended_body(state), {.loops = 1});
}

void lock_contended(benchmark::State& state) {
    weft::run(lock_contended_body(state), {.loops = 1});
}

void event_ping_pong(benchmark::State& state) {
    weft::run(event_ping_pong_body(state), {.loops = 1});
}

void queue_same_loop(benchmark::State& state) {
    weft::run(queue_body(state, false), {.loops = 1});
}

void queue_cross_loop(benchmark::State& state) {
    weft::run(queue_body(state, true), {.loops = 2});
}

} // namespace

BENCHMARK(lock_uncontended)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(lock_contended)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(event_ping_pong)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(queue_same_loop)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(queue_cross_loop)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
