#pragma once

#include <weft/executors/detail/executor_core.hpp>
#include <weft/executors/executor.hpp>

#include <cstddef>
#include <memory>

namespace weft {

namespace detail {
class tbb_pool_core;
} // namespace detail

/// The default executor: a oneTBB work-stealing task_arena. Blocking calls run in parallel up to
/// max_workers; CPU work inside a call may use tbb::parallel_for, which steals into the same
/// arena. weft::run() makes one shared by all its loops (weft::to_thread,
/// run_in_executor(nullptr, ...)); you can also make your own.
class tbb_pool {
public:
    struct options {
        /// Threads that may run calls at once; 0 = max(32, cores + 4), as asyncio's default pool.
        std::size_t max_workers = 0;
        /// Name in logs and errors.
        const char* name = "tbb_pool";
    };

    /// max(32, cores + 4).
    [[nodiscard]] static std::size_t default_max_workers() noexcept;

    explicit tbb_pool(options opts);
    tbb_pool() : tbb_pool(options{}) {}
    tbb_pool(const tbb_pool&) = delete;
    tbb_pool& operator=(const tbb_pool&) = delete;
    /// shutdown(wait = true).
    ~tbb_pool();

    /// Runs fn() on the pool and returns its future.
    /// @throws executor_shut_down after shutdown().
    template <class F>
    auto submit(F&& fn) {
        return detail::submit_call(core(), std::forward<F>(fn));
    }

    /// Stops accepting calls; wait: block until queued and running calls finish; cancel_pending:
    /// calls that have not started are cancelled (their futures complete as cancelled).
    void shutdown(bool wait = true, bool cancel_pending = false);

    [[nodiscard]] std::size_t max_workers() const noexcept;
    [[nodiscard]] executor_stats stats() const noexcept;

    /// The engine-independent half, for run_in_executor.
    [[nodiscard]] detail::executor_core& core() noexcept;

private:
    std::unique_ptr<detail::tbb_pool_core> core_;
};

} // namespace weft
