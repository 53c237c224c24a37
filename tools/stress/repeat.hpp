#pragma once

// `--repeat N`: a cell measured N times becomes one row. The row carries the median run (by
// throughput), the spread of the runs' throughputs, the failure counts of every run, and the
// warnings that tell a reader how far to trust the figures (as hyperfine does for commands).

#include "results.hpp"

#include <vector>

namespace weft::stress {

/// A measured run shorter than this is flagged: timer resolution, start-up effects and the
/// scheduler's noise weigh too much in it.
inline constexpr double min_measured_s = 0.5;
/// A spread of the runs' throughputs over this share of the median is flagged as noisy.
inline constexpr double max_spread = 0.10;

/// One row from the runs of a cell (at least one): the median run's figures (the lower of the
/// two middle runs for an even count), with runs, run_throughputs and spread set and errors,
/// crashes, lost and doubled summed over every run. The warnings are those of cell_warnings().
[[nodiscard]] cell_result combine_runs(const std::vector<cell_result>& runs);

/// The warnings a row earns: its median run measured for less than min_measured_s, a spread
/// over max_spread. Each names the figure and the limit ("measured 0.04 s (under 0.5 s)").
[[nodiscard]] std::vector<std::string> cell_warnings(const cell_result& c);

/// The lines under the table that sum up the cells' warnings ("" when there is none): one per
/// kind, naming the cells, with what to do about it.
[[nodiscard]] std::vector<std::string> warning_summary(const std::vector<cell_result>& cells);

} // namespace weft::stress
