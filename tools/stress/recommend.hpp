#pragma once

// `--recommend`: the smallest pool, then the lowest concurrency, that reaches 95% of the best
// throughput the sweep measured, and why.

#include "results.hpp"

#include <optional>
#include <vector>

namespace weft::stress {

/// Share of the best throughput a recommendation must reach.
inline constexpr double good_enough = 0.95;

/// Picks among the executor cells that kept exactly-once and had no errors; nothing when there
/// is none (a scenario-only run, or every cell failed).
[[nodiscard]] std::optional<recommendation> recommend(const std::vector<cell_result>& cells);

} // namespace weft::stress
