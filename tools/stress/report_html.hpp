#pragma once

// `--html FILE`: a self-contained page (inline CSS and SVG, no script, no network) with the
// charts of the sweep (throughput against concurrency per executor, latency percentiles) and its
// table.

#include "results.hpp"

#include <string>

namespace weft::stress {

/// The report as one HTML page.
[[nodiscard]] std::string format_html(const run_report& r);

/// Text with &, <, >, " and ' escaped for HTML.
[[nodiscard]] std::string html_escape(const std::string& s);

} // namespace weft::stress
