#pragma once

// `--recommend`: the smallest pool, then the lowest concurrency, that reaches 95% of the best
// throughput the sweep measured (among the cells within --p99-max, when given), why, whether the
// best may lie beyond the sweep, and the code that sets it up.

#include "results.hpp"

#include <optional>
#include <string>
#include <vector>

namespace weft::stress {

/// Share of the best throughput a recommendation must reach.
inline constexpr double good_enough = 0.95;

/// Picks among the executor cells that kept exactly-once, had no errors and, when p99_max_us is
/// above 0, a p99 latency within it; nothing when there is none (a scenario-only run, every cell
/// failed or was too slow).
[[nodiscard]] std::optional<recommendation> recommend(const std::vector<cell_result>& cells,
                                                      double p99_max_us = 0);

/// Why recommend() found nothing, for the report ("no executor cell kept p99 within 5.00ms").
[[nodiscard]] std::string no_advice_reason(const std::vector<cell_result>& cells,
                                           double p99_max_us);

/// The code that builds the executor `target` ("tbb", "threads:8", "process:4", "inline") with
/// `workers` workers and caps calls in flight at `concurrency`, one statement a line.
[[nodiscard]] std::string code_for(const std::string& target, std::size_t workers,
                                   std::size_t concurrency);

} // namespace weft::stress
