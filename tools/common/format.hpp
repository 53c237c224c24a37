#pragma once

// Number formatting shared by the weft command's reports (stress's table, HTML charts and
// recommendation; fetch's summary): one way to print a count, a rate and a latency.

#include <cstdio>
#include <string>

namespace weft::tools {

/// snprintf(f, v) as a string; f formats one double.
[[nodiscard]] inline std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

/// A count in SI units: 1234567 -> "1.23M", 12345 -> "12.3k", 999 -> "999".
[[nodiscard]] inline std::string si(double v) {
    if (v >= 1e6) {
        return fmt("%.2fM", v / 1e6);
    }
    if (v >= 1e4) {
        return fmt("%.1fk", v / 1e3);
    }
    return fmt("%.0f", v);
}

/// Microseconds, in the unit that reads best: "1.50s", "12.3ms", "1.25ms", "80.0us".
[[nodiscard]] inline std::string latency_text(double us) {
    if (us >= 1e6) {
        return fmt("%.2fs", us / 1e6);
    }
    if (us >= 1e4) {
        return fmt("%.1fms", us / 1e3);
    }
    if (us >= 1e3) {
        return fmt("%.2fms", us / 1e3);
    }
    return fmt("%.1fus", us);
}

} // namespace weft::tools
