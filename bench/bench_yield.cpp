// co_await weft::yield() on one loop (asyncio.sleep(0)): one task alone, and 64 tasks taking
// turns. items/s counts yields.

#include "common.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

constexpr int yields_per_task = 1000;

weft::task<void> yield_alone_body(benchmark::State& state) {
    for (auto _ : state) {
        co_await weft::yield();
    }
    state.SetItemsProcessed(state.iterations());
}

void yield_one_task(benchmark::State& state) {
    weft::run(yield_alone_body(state), {.loops = 1});
}

weft::task<void> yielder(int times) {
    for (int i = 0; i < times; ++i) {
        co_await weft::yield();
    }
}

weft::task<void> yield_concurrent_body(benchmark::State& state) {
    const auto tasks = static_cast<int>(state.range(0));
    for (auto _ : state) {
        std::vector<weft::task<void>> v;
        v.reserve(tasks);
        for (int t = 0; t < tasks; ++t) {
            v.push_back(yielder(yields_per_task));
        }
        co_await weft::gather(v);
    }
    state.SetItemsProcessed(state.iterations() * tasks * yields_per_task);
}

void yield_concurrent_tasks(benchmark::State& state) {
    weft::run(yield_concurrent_body(state), {.loops = 1});
}

} // namespace

BENCHMARK(yield_one_task)->UseRealTime();
BENCHMARK(yield_concurrent_tasks)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
