#pragma once

// Runs a `weft stress` sweep: every executor (or scenario) at every concurrency level, each in
// its own measured cell, then the idle check, and returns what it measured.

#include "results.hpp"
#include "spec.hpp"

#include <functional>
#include <string_view>

namespace weft::stress {

/// Told how far the run is: fraction of all cells done (0..1) and what runs now.
using progress_fn = std::function<void(double fraction, std::string_view now)>;

/// Runs the sweep on a fresh weft runtime of o.loops loops (at least 2 for the cross-loop and
/// queue-pingpong scenarios) and returns the report, failures included; never exits.
/// @throws spec_error when an executor cannot be built.
[[nodiscard]] run_report run_stress(const stress_options& o, const progress_fn& progress = {});

/// Fills report.failures from the cells and the idle check (exactly-once, spinning pools).
void judge(run_report& report);

} // namespace weft::stress
