#pragma once

// printf-style formatting of one number, shared by the reports.

#include <cstdio>
#include <string>

namespace weft::stress {

/// snprintf(f, v) as a string; f formats one double.
[[nodiscard]] inline std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

} // namespace weft::stress
