// create_task + await on one loop: schedule n trivial tasks, then await each future in turn
// (tasks = [asyncio.create_task(trivial(i)) for i in range(n)]; for t in tasks: await t).

#include "common.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

weft::task<void> create_task_body(benchmark::State& state) {
    const auto n = static_cast<int>(state.range(0));
    std::vector<weft::future<int>> futures;
    futures.reserve(n);
    for (auto _ : state) {
        for (int i = 0; i < n; ++i) {
            futures.push_back(weft::create_task(weft_bench::trivial(i)));
        }
        long sum = 0;
        for (auto& f : futures) {
            sum += co_await std::move(f);
        }
        futures.clear();
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * n);
}

void create_task_and_await(benchmark::State& state) {
    weft::run(create_task_body(state), {.loops = 1});
}

} // namespace

BENCHMARK(create_task_and_await)->Arg(200'000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
