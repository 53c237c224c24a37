#pragma once

// Where and when a `weft stress` run was made (run_meta): the command line, the start time, the
// host. The JSON and CSV reports carry it, so that a result file says how to make it again.

#include "results.hpp"

#include <ctime>
#include <string>
#include <vector>

namespace weft::stress {

/// This process's command line (from /proc/self/cmdline), the time now and the host name.
[[nodiscard]] run_meta current_meta();

/// Arguments joined by spaces, each quoted for a POSIX shell where it needs it.
[[nodiscard]] std::string shell_join(const std::vector<std::string>& args);

/// A time as UTC ISO-8601 to the second ("2026-12-08T01:02:03Z").
[[nodiscard]] std::string utc_iso8601(std::time_t t);

} // namespace weft::stress
