// Cross-loop round trip on a two-loop runtime: loop 0 runs a trivial task on loop 1 with
// spawn_on and awaits its future (the result comes back to loop 0). One at a time, then a batch of
// 64 in flight. items/s counts round trips.

#include "common.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

weft::task<void> one_at_a_time_body(benchmark::State& state) {
    int i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(co_await weft::spawn_on(1, weft_bench::trivial(i++)));
    }
    state.SetItemsProcessed(state.iterations());
}

void spawn_on_round_trip(benchmark::State& state) {
    weft::run(one_at_a_time_body(state), {.loops = 2});
}

weft::task<void> in_flight_body(benchmark::State& state) {
    const auto batch = static_cast<int>(state.range(0));
    std::vector<weft::future<int>> futures;
    futures.reserve(batch);
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i) {
            futures.push_back(weft::spawn_on(1, weft_bench::trivial(i)));
        }
        long sum = 0;
        for (auto& f : futures) {
            sum += co_await std::move(f);
        }
        futures.clear();
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * batch);
}

void spawn_on_in_flight(benchmark::State& state) {
    weft::run(in_flight_body(state), {.loops = 2});
}

} // namespace

BENCHMARK(spawn_on_round_trip)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(spawn_on_in_flight)->Arg(64)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
