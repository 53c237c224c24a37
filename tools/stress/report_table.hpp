#pragma once

// The terminal face of `weft stress`: a heading, a table of the cells fitted to the terminal's
// width (the least important columns left out first, a note saying which), then the warnings,
// the idle check, the recommendation and the verdict, each wrapped to the same width. The table
// can be printed whole or a row at a time as the cells finish.

#include "results.hpp"

#include "common/table.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace weft::stress {

/// What the table's columns must make room for when it is printed a row at a time (their
/// widths are fixed by the header): the longest executor and workload labels, the largest
/// concurrency level, whether every row has the same workload (the heading names it) and whether
/// cells ran more than once (a "spread" column).
struct table_shape {
    std::size_t target_width = 8;
    std::size_t workload_width = 8;
    std::size_t concurrency_width = 4;
    bool one_workload = false;
    bool repeated = false;
};

/// The table's columns, by priority: executor, workload, conc, calls/s and exactly once stay
/// longest, then p50 and p99, then workers, errors and crashes (all of these fit in 100
/// columns); the workload goes before them when the heading names it; then spread, p90, max,
/// p99.9, balance, threads used, context switches, stalls, CPU user and sys go first.
[[nodiscard]] std::vector<tools::table_column> table_columns(const table_shape& shape);

/// One cell's row, a string per column of table_columns().
[[nodiscard]] std::vector<std::string> table_cells(const cell_result& c, bool repeated);

/// The line (or lines) above the table: version, workload, loops, hardware threads, closed or
/// open loop, repeats; then a blank line.
[[nodiscard]] std::string format_heading(const run_report& r, std::size_t width);

/// What follows the rows: the note on columns left out (from `layout`), the warnings, the idle
/// check, the recommendation and the verdict, wrapped to `width` (0: no limit).
[[nodiscard]] std::string format_closing(const run_report& r, const tools::table_layout& layout,
                                         std::size_t width);

/// The whole report as plain text: heading, table (widths from its rows) and closing, fitted to
/// `width` columns (0: no limit, every column).
[[nodiscard]] std::string format_table(const run_report& r, std::size_t width = 0);

} // namespace weft::stress
