// The executors under test (pools.hpp): the thread-based ones (tbb, threads, inline) behind
// executor_base and the process pool, each submitting a call that reports to its cell and runs the
// workload; redis pools are made in redis_executor.cpp. Also the remote function that process
// pools' and redis workers' children run (remote_workload.hpp), and weft::init for process pools
// when main() did not call it (possible only while the process has one thread).
#include "pools.hpp"

#include "redis_executor.hpp"
#include "remote_workload.hpp"
#include "workload.hpp"

#include <weft/executors/run_in_executor.hpp>
#include <weft/executors/tbb_pool.hpp>
#include <weft/executors/thread_pool.hpp>

#if WEFT_STRESS_PROCESS_POOL
#include <weft/executors/init.hpp>
#include <weft/executors/process_pool.hpp>
#include <weft/runtime/create_task.hpp>

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <utility>

namespace weft::stress {

/// A call as a process pool's (or a redis worker's) child runs it: the workload (parsed from its
/// label once per label), then the work. Returns the id and the worker's pid, for the parent's
/// checks; a crash:<rate> call that draws a crash kills its own worker.
std::pair<std::uint64_t, std::int64_t> remote_stress_call(std::string workload, std::uint64_t id) {
    thread_local std::string label;
    thread_local workload_spec spec;
    if (workload != label) {
        spec = parse_workload(workload);
        label = workload;
    }
    const workload_spec& part = pick_part(spec, id);
    if (part.kind == workload_kind::crash) {
        if (crashes(part, id)) {
            ::kill(::getpid(), SIGKILL); // a hard crash: no unwinding, no exit handlers
        }
    } else {
        (void)run_workload(spec, id);
    }
    return {id, static_cast<std::int64_t>(::getpid())};
}

} // namespace weft::stress

WEFT_REMOTE(weft::stress::remote_stress_call);
#endif

namespace weft::stress {

namespace {

/// A call as the executor runs it: report to the cell, then do the work.
struct stress_call {
    cell_context* ctx;
    const workload_spec* w;
    std::uint64_t id;
    std::uint64_t operator()() const {
        ctx->ran(id);
        return run_workload(*w, id);
    }
};

/// Any executor built on weft's executor_base.
template <class E>
class thread_based_pool final : public pool {
public:
    template <class... Args>
    explicit thread_based_pool(executor_spec spec, Args&&... args)
        : pool(std::move(spec)), ex_(std::forward<Args>(args)...) {}

    future<std::uint64_t> call(cell_context& ctx, const workload_spec& w,
                               std::uint64_t id) override {
        return weft::run_in_executor(ex_, stress_call{&ctx, &w, id});
    }
    std::size_t max_workers() const noexcept override { return ex_.max_workers(); }

private:
    E ex_;
};

#if WEFT_STRESS_PROCESS_POOL

task<std::uint64_t> remote_call(process_pool& ex, cell_context& ctx, std::string label,
                                std::uint64_t id) {
    try {
        auto res = co_await weft::run_in_executor(ex, remote_stress_call, label, id);
        // An id that came back other than sent shows as one call lost and another doubled.
        ctx.ran_remote(res.first, static_cast<long>(res.second));
        co_return res.first;
    } catch (const worker_crashed& e) {
        // The worker died running this call: it ran once, and the pool recovered.
        ctx.ran_remote(id, e.pid());
        ctx.crash();
    }
    co_return 0;
}

class process_based_pool final : public pool {
public:
    explicit process_based_pool(executor_spec spec)
        : pool(spec),
          ex_(process_pool::options{.workers = spec.workers, .name = "stress-process"}) {}

    future<std::uint64_t> call(cell_context& ctx, const workload_spec& w,
                               std::uint64_t id) override {
        return weft::create_task(remote_call(ex_, ctx, w.label, id));
    }
    std::size_t max_workers() const noexcept override { return ex_.max_workers(); }
    std::vector<long> worker_pids() const override {
        std::vector<long> out;
        for (int pid : ex_.worker_pids()) {
            out.push_back(pid);
        }
        return out;
    }

private:
    process_pool ex_;
};

std::size_t thread_count() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Threads:", 0) == 0) {
            return static_cast<std::size_t>(std::stoul(line.substr(8)));
        }
    }
    return 0;
}

#endif

} // namespace

void pool::prepare_process_pools() {
#if WEFT_STRESS_PROCESS_POOL
    if (weft::initialized()) {
        return;
    }
    if (thread_count() != 1) {
        throw spec_error("process pools need weft::init(argc, argv) first in main(), or a "
                         "process with one thread when they are first used");
    }
    weft::init(0, nullptr);
#else
    throw spec_error("process pools are not available in this build of weft stress");
#endif
}

std::unique_ptr<pool> pool::make(const executor_spec& spec) {
    switch (spec.kind) {
    case executor_kind::tbb:
        return std::make_unique<thread_based_pool<tbb_pool>>(
            spec, tbb_pool::options{.max_workers = spec.workers, .name = "stress-tbb"});
    case executor_kind::threads:
        return std::make_unique<thread_based_pool<thread_pool>>(
            spec, thread_pool::options{.threads = spec.workers, .name = "stress-threads"});
    case executor_kind::inline_:
        return std::make_unique<thread_based_pool<inline_executor>>(spec);
    case executor_kind::redis:
        return make_redis_pool(spec);
    case executor_kind::process:
#if WEFT_STRESS_PROCESS_POOL
        prepare_process_pools();
        return std::make_unique<process_based_pool>(spec);
#else
        break;
#endif
    }
    throw spec_error("executor " + spec.label +
                     ": process pools are not available in this build of weft stress");
}

} // namespace weft::stress
