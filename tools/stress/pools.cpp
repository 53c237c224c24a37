#include "pools.hpp"

#include "workload.hpp"

#include <weft/executors/run_in_executor.hpp>
#include <weft/executors/tbb_pool.hpp>
#include <weft/executors/thread_pool.hpp>

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

} // namespace

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
    case executor_kind::process:
        break;
    }
    throw spec_error("executor " + spec.label +
                     ": process pools are not available in this build of weft stress");
}

} // namespace weft::stress
