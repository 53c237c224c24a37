#pragma once

// What `weft fetch` prints for a person: the per-URL table (fitted to the terminal), each pass's
// summary with latency percentiles and rates (as oha and hey print them), and --compare's chart.
// The numbers come from summarise(), which the JSON report shares.

#include "fetch_types.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace weft::tools::fetch {

/// The latency of the responses of a pass, in seconds (nearest-rank percentiles).
struct latency_summary {
    std::size_t responses = 0;
    double min = 0;
    double mean = 0;
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
    double max = 0;
};

/// A pass in numbers: its finished requests, those that got a response and those that failed,
/// the body bytes received, and the rates over the pass's wall time.
struct run_summary {
    std::size_t requests = 0;
    std::size_t responses = 0;
    std::size_t failed = 0;
    std::size_t bytes = 0;
    double seconds = 0;
    double requests_per_s = 0;
    double bytes_per_s = 0;
    std::optional<latency_summary> latency; ///< none when no response arrived
};

/// The numbers of r (its finished results only).
[[nodiscard]] run_summary summarise(const run_result& r);

/// "1 URL", "2 URLs": n and the noun, singular for one.
[[nodiscard]] std::string count_of(std::size_t n, const std::string& noun);

/// The per-URL table (status, bytes, time, URL; a failure's message under its row), fitted to
/// `width` columns (0: no limit). Unfinished results are left out.
[[nodiscard]] std::string table_text(const run_result& r, std::size_t width);

/// "concurrent: 6 URLs, 45123 bytes, 0 failed, 0.213 s (6 at a time)", then the latency
/// percentiles and the rates, each line fitted to `width`.
[[nodiscard]] std::string summary_text(const std::string& label, const run_result& r,
                                       std::size_t width);

/// --compare's chart: one bar per pass, scaled to the longer, fitted to `width`.
[[nodiscard]] std::string chart_text(const run_result& seq, const run_result& con,
                                     std::size_t width);

} // namespace weft::tools::fetch
