#pragma once

// What a `weft stress` run measured: one cell per executor (or scenario) and concurrency level,
// the idle check per executor, and the run's verdict. The reporters only read these.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::stress {

/// One executor (or scenario) at one concurrency level.
struct cell_result {
    std::string target;   ///< executor label ("tbb:4", "inline") or "runtime" for scenarios
    std::string workload; ///< workload label ("cpu:50") or scenario name ("spawn-storm")
    bool scenario = false;
    std::size_t pool_size = 0;   ///< the executor's max_workers (loops for a scenario)
    std::size_t concurrency = 0; ///< calls in flight at once (at most, with --rate)
    double offered_rate = 0;     ///< open-loop arrivals per second; 0 for a closed loop

    std::uint64_t submitted = 0; ///< calls (operations) issued in the measured phase
    std::uint64_t completed = 0; ///< of which completed, with a value or an error
    std::uint64_t errors = 0;    ///< calls that threw
    std::uint64_t crashes = 0;   ///< worker crashes the executor recovered from
    std::uint64_t lost = 0;      ///< calls that never reported (exactly-once broken)
    std::uint64_t doubled = 0;   ///< calls that reported more than once (exactly-once broken)

    double wall_s = 0;
    double throughput = 0; ///< completed calls per second

    // Latency in microseconds (closed loop: from submit; open loop: from the intended send time).
    double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;

    double user_s = 0, sys_s = 0;  ///< process CPU time during the cell (getrusage)
    std::int64_t voluntary_cs = 0; ///< context switches during the cell
    std::int64_t involuntary_cs = 0;
    std::uint64_t loop_steps = 0;    ///< steps the event loops ran (weft::runtime_stats)
    std::uint64_t loop_stalls = 0;   ///< loop steps longer than the slow-callback threshold
    std::uint64_t tasks_created = 0; ///< tasks the loops started
    std::size_t workers_used = 0;    ///< distinct threads that ran calls
    double balance = 0; ///< mean calls per used worker / the most any one ran (1 = even)

    [[nodiscard]] bool exactly_once() const noexcept { return lost == 0 && doubled == 0; }
};

/// Slices the idle check measures its window in; the median one is judged.
inline constexpr std::size_t idle_slices = 5;

/// CPU used by an executor's threads and worker processes (and by the whole process) while
/// everything sat idle. The window is measured in slices; the judged figure is the median slice
/// scaled to the window, so a one-off burst (a replacement worker starting, a page-fault storm)
/// passes while a pool that spins throughout fails.
struct idle_result {
    std::string target;
    double window_s = 0;
    double cpu_s = 0;         ///< by the executor's threads and processes over the whole window
    double process_cpu_s = 0; ///< by the whole process
    double limit_s = 0;       ///< 1% of one core over the window
    double typical_cpu_s = 0; ///< the median slice's CPU times the number of slices (judged)
    [[nodiscard]] bool ok() const noexcept { return typical_cpu_s <= limit_s; }
};

/// The smallest pool and concurrency that reach 95% of the best throughput.
struct recommendation {
    std::string target;
    std::size_t pool_size = 0;
    std::size_t concurrency = 0;
    double throughput = 0;
    std::string best_target;
    std::size_t best_concurrency = 0;
    double best_throughput = 0;
    std::string reason;
};

/// A whole run.
struct run_report {
    std::string version;
    std::string workload; ///< empty for scenario runs
    std::size_t loops = 0;
    unsigned hardware_threads = 0;
    bool open_loop = false;
    std::vector<cell_result> cells;
    std::vector<idle_result> idle;
    std::optional<recommendation> advice;
    std::vector<std::string> failures; ///< why the run fails (exit status 1); empty when it passes

    [[nodiscard]] bool ok() const noexcept { return failures.empty(); }
};

} // namespace weft::stress
