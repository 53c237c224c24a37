#pragma once

#include <weft/executors/detail/executor_core.hpp>
#include <weft/executors/executor.hpp>

#include <cstddef>

namespace weft {

/// The default executor: a oneTBB work-stealing task_arena. Blocking calls run in parallel up to
/// max_workers; CPU work inside a call may use tbb::parallel_for, which steals into the same
/// arena. weft::run() makes one shared by all its loops (weft::to_thread,
/// run_in_executor(nullptr, ...)); you can also make your own.
class tbb_pool : public detail::executor_base {
public:
    struct options {
        /// Threads that may run calls at once; 0 = default_max_workers().
        std::size_t max_workers = 0;
        /// Name in logs and errors.
        const char* name = "tbb_pool";
    };

    /// max(32, cores + 4). Not asyncio's default pool size, min(32, cores + 4), which caps it at
    /// 32: weft's 32 is a floor, since the default pool is for blocking calls, which want more
    /// threads than cores on a small machine (a call that only waits holds a thread, not a core).
    [[nodiscard]] static std::size_t default_max_workers() noexcept;

    explicit tbb_pool(options opts);
    tbb_pool() : tbb_pool(options{}) {}
};

} // namespace weft
