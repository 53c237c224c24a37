#pragma once

// Runs a `weft stress` sweep: every executor (or scenario) at every concurrency level, each in
// its own measured cell (measured --repeat times), then the idle check, and returns what it
// measured. An observer hears of the progress and of each cell as it finishes.

#include "results.hpp"
#include "spec.hpp"

#include "common/progress_bar.hpp"

#include <functional>

namespace weft::stress {

/// What the caller hears while the sweep runs; every call comes from the runtime's first loop
/// thread, one at a time, and each may be left empty.
struct sweep_observer {
    /// The sweep starts: the pools are built, the first cell is about to run.
    std::function<void()> started;
    /// Every 100 ms or so: the fraction of the whole sweep done, the phase ("warm-up",
    /// "measuring", "idle check"), the cell at hand and its rate so far (calls/s).
    std::function<void(const tools::progress_state&)> progress;
    /// A cell finished (all its runs), as it will appear in the report.
    std::function<void(const cell_result&)> cell_done;
};

/// The report's settings before anything runs: version, workload, loops, hardware threads,
/// open or closed loop, repeats, the p99 bound. run_stress() starts from it.
[[nodiscard]] run_report new_report(const stress_options& o);

/// Runs the sweep on a fresh weft runtime of o.loops loops (at least 2 for the cross-loop and
/// queue-pingpong scenarios) and returns the report, failures included; never exits.
/// @throws spec_error when an executor cannot be built.
[[nodiscard]] run_report run_stress(const stress_options& o, const sweep_observer& observer = {});

/// Fills report.failures from the cells and the idle check (exactly-once, spinning pools).
void judge(run_report& report);

} // namespace weft::stress
