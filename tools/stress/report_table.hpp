#pragma once

// The terminal face of `weft stress`: a table of the cells, the idle check, the recommendation
// and the verdict.

#include "results.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace weft::stress {

/// The report as a plain-text table.
[[nodiscard]] std::string format_table(const run_report& r);

} // namespace weft::stress
