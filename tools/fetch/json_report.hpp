#pragma once

// `weft fetch --json`: every pass with its per-URL results and its summary (requests, failures,
// bytes, rates, latency percentiles), built with nlohmann::json. Text that is not UTF-8 (a URL, a
// server's error) is replaced, so the output is always valid JSON.

#include "fetch_types.hpp"

#include <string>

namespace weft::tools::fetch {

/// The JSON document, one line with its '\n'. `sequential`/`concurrent`: the passes to include
/// (those that ran); `interrupted`: the signal's name when one ended the run ("SIGINT"), else
/// empty; a speed-up is included when both passes ran and nothing interrupted them.
[[nodiscard]] std::string json_report(const run_result* sequential, const run_result* concurrent,
                                      const std::string& interrupted);

} // namespace weft::tools::fetch
