#include <weft/executors/tbb_pool.hpp>

#include <weft/runtime/log.hpp>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace weft {

namespace detail {

namespace {

/// oneTBB caps its workers at the hardware threads unless a global_control raises the cap, and
/// when several global_controls are alive the smallest wins. So one process-wide control holds
/// the largest cap any live pool needs (+1: the limit counts a thread joining the arena).
class parallelism_limit {
public:
    static parallelism_limit& instance() {
        static parallelism_limit l;
        return l;
    }

    void acquire(std::size_t workers) {
        std::lock_guard lock(mtx_);
        wanted_.insert(workers + 1);
        apply();
    }

    void release(std::size_t workers) noexcept {
        std::lock_guard lock(mtx_);
        if (auto it = wanted_.find(workers + 1); it != wanted_.end()) {
            wanted_.erase(it);
        }
        try {
            apply();
        } catch (...) {
            // Keeping the larger cap is harmless.
        }
    }

private:
    void apply() {
        const std::size_t want = wanted_.empty() ? 0 : *wanted_.rbegin();
        if (want == current_) {
            return;
        }
        control_.reset(); // first: with two alive, the smaller would win
        if (want != 0) {
            control_ = std::make_unique<tbb::global_control>(
                tbb::global_control::max_allowed_parallelism, want);
        }
        current_ = want;
    }

    std::mutex mtx_;
    std::multiset<std::size_t> wanted_;
    std::unique_ptr<tbb::global_control> control_;
    std::size_t current_ = 0;
};

} // namespace

/// A oneTBB arena fed with enqueue(): its workers steal from one another, and a call that runs
/// tbb::parallel_for spreads over the same arena.
class tbb_pool_core final : public executor_core {
public:
    explicit tbb_pool_core(const tbb_pool::options& o)
        : executor_core(o.name != nullptr ? o.name : "tbb_pool"),
          workers_(o.max_workers != 0 ? o.max_workers : tbb_pool::default_max_workers()),
          limit_(workers_),
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
    /// Holds the process-wide worker cap up for this pool's lifetime.
    struct limit_hold {
        explicit limit_hold(std::size_t w) : workers(w) {
            parallelism_limit::instance().acquire(w);
        }
        ~limit_hold() { parallelism_limit::instance().release(workers); }
        limit_hold(const limit_hold&) = delete;
        limit_hold& operator=(const limit_hold&) = delete;
        std::size_t workers;
    };

    std::size_t workers_;
    limit_hold limit_;
    tbb::task_arena arena_;
};

} // namespace detail

std::size_t tbb_pool::default_max_workers() noexcept {
    std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
    return std::max<std::size_t>(32, cores + 4);
}

tbb_pool::tbb_pool(options opts) : executor_base(std::make_unique<detail::tbb_pool_core>(opts)) {}

} // namespace weft
