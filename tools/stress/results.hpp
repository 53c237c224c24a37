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

    // With --repeat N the cell is measured N times: the figures below are the median run's
    // (by throughput), except errors, crashes, lost and doubled, which add up over every run
    // (and the warm-up, for lost and doubled), so that no run's failure hides.
    std::uint64_t submitted = 0; ///< calls (operations) issued in the measured phase
    std::uint64_t completed = 0; ///< of which completed, with a value or an error
    std::uint64_t errors = 0;    ///< calls that threw
    std::uint64_t crashes = 0;   ///< worker crashes the executor recovered from
    std::uint64_t lost = 0;      ///< calls that never reported (exactly-once broken)
    std::uint64_t doubled = 0;   ///< calls that reported more than once (exactly-once broken)

    std::size_t runs = 1;                ///< measured runs (--repeat)
    std::vector<double> run_throughputs; ///< each run's throughput, in the order they ran
    double spread = 0; ///< (max - min) / median of run_throughputs; 0 for a single run
    /// Why the cell's figures deserve less trust: a measured run shorter than min_measured_s,
    /// a spread over max_spread (see repeat.hpp). Empty when there is none.
    std::vector<std::string> warnings;

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

/// The smallest pool and concurrency that reach 95% of the best throughput (among the cells
/// within the p99 bound, when one is given).
struct recommendation {
    std::string target;
    std::size_t pool_size = 0;
    std::size_t concurrency = 0;
    double throughput = 0;
    std::string best_target;
    std::size_t best_concurrency = 0;
    double best_throughput = 0;
    std::string reason{};
    double p99_us = 0; ///< the recommended cell's p99 latency
    /// Set when the pick lies at the edge of the sweep (its largest concurrency, or the largest
    /// pool of its kind): "the best may lie beyond: try -c 128,256". Empty otherwise.
    std::string beyond{};
    /// What to write in code: the executor's construction and the cap on calls in flight.
    std::string code{};
};

/// Where and when a run was made, for the JSON and CSV reports.
struct run_meta {
    std::string command_line; ///< the weft command as typed (arguments shell-quoted)
    std::string timestamp;    ///< start of the run, UTC ISO-8601 ("2026-12-08T01:02:03Z")
    std::string host;         ///< the host name
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
    std::size_t repeat = 1; ///< measured runs per cell (--repeat)
    double p99_max_us = 0;  ///< --p99-max in microseconds; 0: no bound
    run_meta meta;
    std::optional<recommendation> advice;
    /// With --recommend and no advice: why ("no cell kept p99 within 5.00ms"). Empty otherwise.
    std::string no_advice;
    std::vector<std::string> failures; ///< why the run fails (exit status 1); empty when it passes
    /// The signal (SIGINT, SIGTERM) that stopped the run early; 0 when it ran to the end. The
    /// cells are then those that finished, with no idle check and no advice.
    int interrupted_by = 0;

    [[nodiscard]] bool ok() const noexcept { return failures.empty(); }
};

} // namespace weft::stress
