#pragma once

// The idle check of `weft stress`: after the sweep, the CPU each executor's own threads and worker
// processes use while nothing at all is asked of them. An idle pool must sleep; one that polls or
// spins fails the run.
//
// It judges idling, not start-up or one-off noise. A process pool that just replaced crashed
// workers, a busy machine that delays a thread, a sanitizer's page faults: none of these is a pool
// that spins. So the check first lets the executors settle (every process pool runs its full set
// of workers and that set has not changed for settle_quiet; at least settle_quiet passes after the
// last call for every executor, which also covers oneTBB's spin-before-sleep), then measures the
// window in idle_slices equal slices and judges the median slice: a burst in one or two slices
// passes, a pool that uses CPU in most of them fails. The limit is 1% of one core.

#include "pools.hpp"
#include "results.hpp"

#include <weft/runtime/task.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace weft::stress {

/// How long the process pools' worker sets must stay unchanged before the window starts.
inline constexpr std::chrono::milliseconds settle_quiet{200};
/// The longest the check waits for the executors to settle before it measures anyway.
inline constexpr std::chrono::seconds settle_limit{10};

/// One executor to watch: its label, the schedstat files of the threads that ran its calls, and
/// the pool itself (for its worker processes; null for targets that are not an executor).
struct idle_target {
    std::string label;
    std::vector<std::string> thread_stats;
    pool* executor = nullptr;
};

/// The idle check's settings.
struct idle_settings {
    double window_s = 1;   ///< measured window, after settling
    std::size_t loops = 1; ///< the runtime's loops (for the test hook's bookkeeping)
    /// Test hook: keep one call of each executor busy through the window (a pool that spins),
    /// to prove that the check fails it.
    bool spin = false;
};

/// What to watch per executor: the threads (by thread_registry slot) that ran its calls, with
/// the loop threads already taken out, and the pool itself (for process pools, the worker
/// processes). An executor with no thread and no worker process of its own is left out.
[[nodiscard]] std::vector<idle_target>
idle_targets(const std::map<std::string, std::set<std::size_t>>& slots_by_target,
             const std::vector<std::unique_ptr<pool>>& pools);

/// Lets the executors settle, then measures each target's CPU over the window.
[[nodiscard]] task<std::vector<idle_result>> check_idle(std::vector<idle_target> targets,
                                                        idle_settings settings);

} // namespace weft::stress
