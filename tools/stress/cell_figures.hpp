#pragma once

// The figures of one measured run of a `weft stress` cell, read from its books (tracking.hpp),
// the process's CPU usage before and after, and the runtime's loop counters.

#include "proc_usage.hpp"
#include "results.hpp"
#include "tracking.hpp"

#include <cstddef>
#include <cstdint>
#include <set>

namespace weft::stress {

/// Fills the measured figures of `r` (counts, throughput, latency percentiles, CPU, context
/// switches, crashes, threads used and their balance) from a finished run's books.
void fill_cell(cell_result& r, const cell_context& ctx, double wall_s, const usage& before,
               const usage& after);

/// Adds the thread slots the run's calls ran on to `slots`.
void note_threads(const cell_context& ctx, std::set<std::size_t>& slots);

/// The runtime's own counters (weft::runtime_stats), summed over its loops.
struct loop_totals {
    std::uint64_t steps = 0, stalls = 0, tasks = 0;
};

/// The counters now; call on a loop thread of the running runtime.
[[nodiscard]] loop_totals sum_loop_stats();

} // namespace weft::stress
