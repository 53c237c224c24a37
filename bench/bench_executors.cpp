// run_in_executor round trips with a trivial call (`[] { return 1; }`) on one loop, beside raw
// oneTBB and Asio baselines in the same binary (issue 3):
//
//   sequential/IMPL        one call at a time: submit, await, repeat; items/s = calls/s, and the
//                          time per iteration is the latency of one round trip
//   in_flight/IMPL/64      64 calls submitted, then their 64 futures gathered (weft::gather);
//                          items/s = calls/s
//
// IMPL:
//   weft_tbb_pool/N          run_in_executor(pool, fn) on a weft::tbb_pool({.max_workers = N})
//   weft_tbb_pool_default/N  the same with tbb_pool's default size (N = max(32, cores + 4))
//   weft_thread_pool/2       run_in_executor(pool, fn) on a weft::thread_pool({.threads = 2})
//   weft_to_thread/N         weft::to_thread(fn): the runtime's default executor (N workers)
//   raw_tbb_promise/N        tbb::task_arena(N, 0).enqueue(functor); the functor completes a
//                            weft::promise<int> whose future the loop awaits (in flight: the same
//                            weft::gather of 64 futures as weft's)
//   raw_tbb_post/N           the same enqueue, and the functor posts back with
//                            weft::current_loop().call_soon_threadsafe(...): sequential resumes
//                            the awaiting coroutine directly; in flight counts the 64 post-backs
//                            and resumes once, with no future, no task and no gather at all
//   asio_thread_pool_promise/2  asio::post(asio::thread_pool(2), functor completing a promise)
//
// The raw arenas hold the same oneTBB worker cap as a weft::tbb_pool of N workers (a
// global_control of max_allowed_parallelism = N + 1), without which oneTBB would start one worker
// per core at most. Every pool is built before weft::run() and torn down after it, so no two pools
// of different sizes are alive at once, and only the timing loop is timed. Before the benchmarks,
// main() runs 1000 to_thread calls: oneTBB's worker threads then exist, as in any weft program
// that has used its default executor, whichever benchmark runs first.

#include <weft/weft.hpp>

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <coroutine>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr int in_flight = 64;

// ---- the two timing loops, shared by every implementation ---------------------------------------

// submit() returns something awaitable that yields an int.
template <class Submit>
weft::task<void> sequential_body(benchmark::State& state, Submit submit) {
    long sum = 0;
    for (auto _ : state) {
        sum += co_await submit();
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations());
}

// submit() returns a weft::future<int>.
template <class Submit>
weft::task<void> in_flight_body(benchmark::State& state, Submit submit) {
    const auto batch = static_cast<int>(state.range(0));
    std::vector<weft::future<int>> futures;
    futures.reserve(batch);
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i) {
            futures.push_back(submit());
        }
        std::vector<int> results = co_await weft::gather(futures);
        futures.clear();
        benchmark::DoNotOptimize(results.data());
    }
    state.SetItemsProcessed(state.iterations() * batch);
}

const weft::options one_loop{.loops = 1};

// ---- weft executors -----------------------------------------------------------------------------

template <class Pool>
void weft_sequential(benchmark::State& state, Pool& pool) {
    weft::run(
        sequential_body(state, [&pool] { return weft::run_in_executor(pool, [] { return 1; }); }),
        one_loop);
}

template <class Pool>
void weft_in_flight(benchmark::State& state, Pool& pool) {
    weft::run(
        in_flight_body(state, [&pool] { return weft::run_in_executor(pool, [] { return 1; }); }),
        one_loop);
}

void weft_tbb_pool_sequential(benchmark::State& state, std::size_t workers) {
    weft::tbb_pool pool({.max_workers = workers});
    weft_sequential(state, pool);
}

void weft_tbb_pool_in_flight(benchmark::State& state, std::size_t workers) {
    weft::tbb_pool pool({.max_workers = workers});
    weft_in_flight(state, pool);
}

void weft_thread_pool_sequential(benchmark::State& state, std::size_t threads) {
    weft::thread_pool pool({.threads = threads});
    weft_sequential(state, pool);
}

void weft_thread_pool_in_flight(benchmark::State& state, std::size_t threads) {
    weft::thread_pool pool({.threads = threads});
    weft_in_flight(state, pool);
}

// The default executor is the runtime's: made on the first to_thread, shut down at run()'s exit.
void weft_to_thread_sequential(benchmark::State& state, std::size_t workers) {
    weft::options opts = one_loop;
    opts.blocking_threads = workers;
    weft::run(sequential_body(state, [] { return weft::to_thread([] { return 1; }); }), opts);
}

void weft_to_thread_in_flight(benchmark::State& state, std::size_t workers) {
    weft::options opts = one_loop;
    opts.blocking_threads = workers;
    weft::run(in_flight_body(state, [] { return weft::to_thread([] { return 1; }); }), opts);
}

// ---- raw oneTBB ---------------------------------------------------------------------------------

/// A task_arena of n workers, enqueue() only, with the worker cap a weft::tbb_pool of n holds.
struct raw_arena {
    explicit raw_arena(std::size_t n)
        : limit(tbb::global_control::max_allowed_parallelism, n + 1),
          arena(static_cast<int>(n), 0) {}

    tbb::global_control limit;
    tbb::task_arena arena;
};

/// enqueue a functor that completes a weft::promise.
weft::future<int> tbb_promise_call(tbb::task_arena& arena) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    struct call {
        mutable weft::promise<int> p; // oneTBB calls its functor as const
        void operator()() const {
            p.set_value(std::invoke([] { return 1; }));
        }
    };
    arena.enqueue(call{std::move(p)});
    return f;
}

void raw_tbb_promise_sequential(benchmark::State& state, std::size_t n) {
    raw_arena a(n);
    weft::run(sequential_body(state, [&a] { return tbb_promise_call(a.arena); }), one_loop);
}

void raw_tbb_promise_in_flight(benchmark::State& state, std::size_t n) {
    raw_arena a(n);
    weft::run(in_flight_body(state, [&a] { return tbb_promise_call(a.arena); }), one_loop);
}

/// Awaiting it runs fn on the arena, which posts the resumption back to the loop.
struct tbb_post_back {
    tbb::task_arena& arena;
    weft::loop& loop;
    int value = 0;

    [[nodiscard]] bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        arena.enqueue([this, h] {
            value = std::invoke([] { return 1; });
            loop.call_soon_threadsafe([h] { h.resume(); });
        });
    }
    [[nodiscard]] int await_resume() const noexcept { return value; }
};

/// Awaiting it runs n calls on the arena; each posts its result back to the loop, and the last
/// one resumes the awaiting coroutine.
struct tbb_post_back_batch {
    tbb::task_arena& arena;
    weft::loop& loop;
    int n;
    int arrived = 0;
    long sum = 0;
    std::coroutine_handle<> waiter;

    [[nodiscard]] bool await_ready() const noexcept { return n == 0; }
    void await_suspend(std::coroutine_handle<> h) {
        waiter = h;
        for (int i = 0; i < n; ++i) {
            arena.enqueue([this] {
                int v = std::invoke([] { return 1; });
                loop.call_soon_threadsafe([this, v] {
                    sum += v;
                    if (++arrived == n) {
                        waiter.resume();
                    }
                });
            });
        }
    }
    [[nodiscard]] long await_resume() const noexcept { return sum; }
};

weft::task<void> raw_tbb_post_sequential_body(benchmark::State& state, tbb::task_arena& arena) {
    weft::loop& loop = weft::current_loop();
    long sum = 0;
    for (auto _ : state) {
        sum += co_await tbb_post_back{arena, loop};
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations());
}

weft::task<void> raw_tbb_post_in_flight_body(benchmark::State& state, tbb::task_arena& arena) {
    weft::loop& loop = weft::current_loop();
    const auto batch = static_cast<int>(state.range(0));
    long sum = 0;
    for (auto _ : state) {
        sum += co_await tbb_post_back_batch{arena, loop, batch, 0, 0, {}};
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * batch);
}

void raw_tbb_post_sequential(benchmark::State& state, std::size_t n) {
    raw_arena a(n);
    weft::run(raw_tbb_post_sequential_body(state, a.arena), one_loop);
}

void raw_tbb_post_in_flight(benchmark::State& state, std::size_t n) {
    raw_arena a(n);
    weft::run(raw_tbb_post_in_flight_body(state, a.arena), one_loop);
}

// ---- Asio ---------------------------------------------------------------------------------------

weft::future<int> asio_promise_call(asio::thread_pool& pool) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    asio::post(pool, [p = std::move(p)]() mutable { p.set_value(std::invoke([] { return 1; })); });
    return f;
}

void asio_sequential(benchmark::State& state, std::size_t n) {
    asio::thread_pool pool(n);
    weft::run(sequential_body(state, [&pool] { return asio_promise_call(pool); }), one_loop);
    pool.join();
}

void asio_in_flight(benchmark::State& state, std::size_t n) {
    asio::thread_pool pool(n);
    weft::run(in_flight_body(state, [&pool] { return asio_promise_call(pool); }), one_loop);
    pool.join();
}

// ---- registration -------------------------------------------------------------------------------

using bench_fn = void (*)(benchmark::State&, std::size_t);

void add(const std::string& impl, std::size_t n, bench_fn sequential, bench_fn batched) {
    const std::string suffix = impl + "/" + std::to_string(n);
    benchmark::RegisterBenchmark(("sequential/" + suffix).c_str(),
                                 [=](benchmark::State& s) { sequential(s, n); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("in_flight/" + suffix).c_str(),
                                 [=](benchmark::State& s) { batched(s, n); })
        ->Arg(in_flight)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t default_workers = weft::tbb_pool::default_max_workers();
    add("weft_tbb_pool", 2, weft_tbb_pool_sequential, weft_tbb_pool_in_flight);
    add("raw_tbb_promise", 2, raw_tbb_promise_sequential, raw_tbb_promise_in_flight);
    add("raw_tbb_post", 2, raw_tbb_post_sequential, raw_tbb_post_in_flight);
    add("weft_tbb_pool_default", default_workers, weft_tbb_pool_sequential,
        weft_tbb_pool_in_flight);
    add("weft_to_thread", default_workers, weft_to_thread_sequential, weft_to_thread_in_flight);
    add("raw_tbb_promise", default_workers, raw_tbb_promise_sequential, raw_tbb_promise_in_flight);
    add("raw_tbb_post", default_workers, raw_tbb_post_sequential, raw_tbb_post_in_flight);
    add("weft_thread_pool", 2, weft_thread_pool_sequential, weft_thread_pool_in_flight);
    add("asio_thread_pool_promise", 2, asio_sequential, asio_in_flight);

    // Every weft program that calls to_thread has the default executor's oneTBB workers, and
    // oneTBB keeps its worker threads for the rest of the process. Start them before timing
    // anything, so that no figure depends on whether a larger pool happened to run before it.
    weft::run(
        [](int calls) -> weft::task<void> {
            std::vector<weft::future<int>> futures;
            for (int i = 0; i < calls; ++i) {
                futures.push_back(weft::to_thread([] { return 1; }));
            }
            (void)co_await weft::gather(futures);
        }(1000),
        one_loop);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
