// The default executor of a runtime, behind to_thread() and run_in_executor() without an
// executor: one tbb_pool per runtime, made on first use as a runtime extension, sized by
// options.blocking_threads or WEFT_BLOCKING_THREADS. At shutdown queued calls still run, as in
// asyncio; calls still running after options.shutdown_timeout are left behind, with an error log.
// default_executor_stats() reads its counters.
#include <weft/executors/run_in_executor.hpp>
#include <weft/executors/tbb_pool.hpp>

#include <weft/runtime/detail/env.hpp>
#include <weft/runtime/detail/extension.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/run.hpp>

#include <memory>
#include <string>

namespace weft::detail {

namespace {

std::size_t blocking_threads(const options& opts) {
    if (opts.blocking_threads != 0) {
        return opts.blocking_threads;
    }
    if (auto n = env_count("WEFT_BLOCKING_THREADS", "thread count", 100000)) {
        return *n;
    }
    return tbb_pool::default_max_workers();
}

/// The runtime's shared tbb_pool; shut down when the runtime exits, waiting at most
/// options.shutdown_timeout for calls still queued or running.
class default_pool final : public extension {
public:
    explicit default_pool(const options& opts)
        : timeout_(opts.shutdown_timeout),
          pool_(std::make_unique<tbb_pool>(
              tbb_pool::options{.max_workers = blocking_threads(opts), .name = "default"})) {}

    ~default_pool() override {
        if (leaked_) {
            (void)pool_.release(); // stuck calls still use it: never free it under them
        }
    }

    void shutdown() noexcept override {
        // As asyncio.run's shutdown_default_executor: queued calls still run (a fire-and-forget
        // to_thread is not dropped); calls whose awaiters were cancelled are skipped anyway.
        if (!pool_->core().shutdown(/*wait=*/true, /*cancel_pending=*/false, timeout_)) {
            executor_stats s = pool_->stats();
            log::get("weft.exec")
                .error("default executor: {} call(s) still running {} ms after shutdown began; "
                       "leaving them behind (a blocking call that never returns?)",
                       s.running, timeout_.count());
            leaked_ = true;
        }
    }

    executor_core& core() noexcept { return pool_->core(); }

private:
    std::chrono::milliseconds timeout_;
    std::unique_ptr<tbb_pool> pool_;
    bool leaked_ = false;
};

const char default_pool_key = 0;

} // namespace

executor_core& default_executor_core() {
    auto& ext =
        runtime_extension(&default_pool_key, [](const options& opts) -> std::unique_ptr<extension> {
            return std::make_unique<default_pool>(opts);
        });
    return static_cast<default_pool&>(ext).core();
}

} // namespace weft::detail

namespace weft {

executor_stats default_executor_stats() {
    return detail::default_executor_core().stats();
}

} // namespace weft
