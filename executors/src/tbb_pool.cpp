#include <weft/executors/tbb_pool.hpp>

#include <weft/runtime/log.hpp>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <thread>

namespace weft {

namespace detail {

/// A oneTBB arena fed with enqueue(): its workers steal from one another, and a call that runs
/// tbb::parallel_for spreads over the same arena.
class tbb_pool_core final : public executor_core {
public:
    explicit tbb_pool_core(const tbb_pool::options& o)
        : executor_core(o.name != nullptr ? o.name : "tbb_pool"),
          workers_(o.max_workers != 0 ? o.max_workers : tbb_pool::default_max_workers()),
          // oneTBB caps its workers at the hardware threads unless told otherwise; blocking
          // calls need more. (+1: the limit counts the thread that would join the arena.)
          limit_(tbb::global_control::max_allowed_parallelism,
                 std::max(workers_ + 1, tbb::global_control::active_value(
                                            tbb::global_control::max_allowed_parallelism))),
          // No slot reserved for a joining thread: enqueue() is served by workers only.
          arena_(static_cast<int>(workers_), 0) {}

    ~tbb_pool_core() override = default;

    [[nodiscard]] std::size_t max_workers() const noexcept override { return workers_; }

protected:
    bool enqueue(job& j, bool /*wait_for_room*/) override {
        // oneTBB stores the functor const and calls it as const.
        struct runner {
            mutable job fn;
            void operator()() const { fn(); }
        };
        arena_.enqueue(runner{std::move(j)});
        return true;
    }

    void stop_workers(bool /*wait*/) noexcept override {}

private:
    std::size_t workers_;
    tbb::global_control limit_;
    tbb::task_arena arena_;
};

} // namespace detail

std::size_t tbb_pool::default_max_workers() noexcept {
    std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
    return std::max<std::size_t>(32, cores + 4);
}

tbb_pool::tbb_pool(options opts) : core_(std::make_unique<detail::tbb_pool_core>(opts)) {}

tbb_pool::~tbb_pool() {
    shutdown(true, false);
}

void tbb_pool::shutdown(bool wait, bool cancel_pending) {
    core_->shutdown(wait, cancel_pending);
}

std::size_t tbb_pool::max_workers() const noexcept {
    return core_->max_workers();
}

executor_stats tbb_pool::stats() const noexcept {
    return core_->stats();
}

detail::executor_core& tbb_pool::core() noexcept {
    return *core_;
}

} // namespace weft
