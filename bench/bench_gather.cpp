// One-loop gather of trivial tasks (asyncio.gather(*[trivial(i) for i in range(n)])).
// Each iteration creates the n task frames and gathers them, as the Python baseline does.

#include "common.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

weft::task<void> gather_body(benchmark::State& state) {
    const auto n = static_cast<int>(state.range(0));
    for (auto _ : state) {
        std::vector<weft::task<int>> tasks;
        tasks.reserve(n);
        for (int i = 0; i < n; ++i) {
            tasks.push_back(weft_bench::trivial(i));
        }
        std::vector<int> results = co_await weft::gather(tasks);
        benchmark::DoNotOptimize(results.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

void gather_trivial_tasks(benchmark::State& state) {
    weft::run(gather_body(state), {.loops = 1});
}

} // namespace

BENCHMARK(gather_trivial_tasks)->Arg(200'000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
