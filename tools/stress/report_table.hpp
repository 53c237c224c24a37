#pragma once

// The terminal face of `weft stress`: a table of the cells, the idle check, the recommendation
// and the verdict; and the progress bar drawn on a terminal while the sweep runs.

#include "results.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace weft::stress {

/// The report as a plain-text table.
[[nodiscard]] std::string format_table(const run_report& r);

/// One progress-bar line ("\r[#####     ]  42%  tbb:4 cpu:50 x64"), padded to `width` columns.
[[nodiscard]] std::string format_progress(double fraction, std::string_view now,
                                          std::size_t width = 72);

/// Draws the progress bar on `out` (a terminal) and clears it when destroyed.
class progress_bar {
public:
    explicit progress_bar(std::FILE* out) noexcept : out_(out) {}
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar();
    void update(double fraction, std::string_view now);

private:
    std::FILE* out_;
    bool drawn_ = false;
};

} // namespace weft::stress
