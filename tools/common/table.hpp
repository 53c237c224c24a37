#pragma once

// Aligned text tables for the weft command, fitted to a width: titles abbreviate first, then the
// least important columns are left out (the first column never is), and the caller can say which.
// A table can be printed whole (widths from its rows) or a row at a time as results arrive
// (widths from each column's expected width, fixed by the header).

#include <cstddef>
#include <string>
#include <vector>

namespace weft::tools {

/// One column: its title, a shorter title for narrow terminals, the width its cells usually
/// need (for tables printed a row at a time), alignment and importance.
struct table_column {
    std::string title{};
    std::string short_title{}; ///< used when the full titles do not fit; empty: the title
    std::size_t width = 0;     ///< expected cell width; the column is max(title, width) wide
    bool left = false;         ///< left-aligned (text); numbers are right-aligned
    int priority = 0;          ///< 0 is kept longest; the highest number is left out first
};

/// The columns of a table laid out for a width: which are shown, with which titles, how wide.
class table_layout {
public:
    /// Lays `columns` out for lines of at most `max_width` columns (0: no limit). With `rows`,
    /// widths come from the rows' cells; without, from each column's `width`.
    table_layout(std::vector<table_column> columns, std::size_t max_width,
                 const std::vector<std::vector<std::string>>& rows = {});

    /// The title line and a rule under it.
    [[nodiscard]] std::string header() const;
    /// One row (one cell per column, shown or not). A cell wider than its column pushes the
    /// rest along; the line is cut to the width limit with "~" as its last character.
    [[nodiscard]] std::string row(const std::vector<std::string>& cells) const;
    /// The titles of the columns left out, in table order (empty when all fit).
    [[nodiscard]] std::vector<std::string> hidden() const;
    /// "(not shown at 100 columns: user s, sys s; the JSON and CSV reports have every column)"
    /// style note, or "" when every column is shown. `where` names where the full table is.
    [[nodiscard]] std::string hidden_note(const std::string& where) const;

private:
    std::vector<table_column> columns_;
    std::vector<bool> shown_;
    std::vector<std::size_t> widths_;
    std::size_t total_ = 0; ///< the shown columns' widths and the gaps between them
    bool short_titles_ = false;
    std::size_t max_width_ = 0;
    [[nodiscard]] std::string line(const std::vector<std::string>& cells) const;
};

/// A whole table: header and rows, fitted to `max_width` (0: no limit).
[[nodiscard]] std::string render_table(const std::vector<table_column>& columns,
                                       const std::vector<std::vector<std::string>>& rows,
                                       std::size_t max_width);

} // namespace weft::tools
