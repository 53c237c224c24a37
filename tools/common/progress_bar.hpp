#pragma once

// The one progress bar of the weft command (stress's sweep, fetch's URL list): a line redrawn in
// place on a terminal, cleared when done.

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace weft::tools {

/// One progress-bar line ("\r[#####     ]  42%  tbb:4 cpu:50 x64"), padded to `width` columns.
[[nodiscard]] std::string format_progress(double fraction, std::string_view label,
                                          std::size_t width = 72);

/// Draws the progress bar on `out` (a terminal) and clears it when destroyed.
class progress_bar {
public:
    explicit progress_bar(std::FILE* out) noexcept : out_(out) {}
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar();
    void update(double fraction, std::string_view label);

private:
    std::FILE* out_;
    bool drawn_ = false;
};

} // namespace weft::tools
