#pragma once

// The machine-readable faces of `weft stress`: JSON (nlohmann) and CSV, one row per cell.

#include "results.hpp"

#include <string>

namespace weft::stress {

/// The whole report as a JSON document: {"weft", "command_line", "timestamp", "host",
/// "cpu_count", "workload", "loops", "repeat", "cells": [...], "idle": [...], "recommendation",
/// "warnings", "ok", "failures"}.
[[nodiscard]] std::string format_json(const run_report& r);

/// Leading "# key: value" comment lines (command, timestamp, host, cpus, weft), then one header
/// line, then one line per cell; the columns are cell_result's fields. Readers skip the comments
/// (pandas: read_csv(f, comment='#')).
[[nodiscard]] std::string format_csv(const run_report& r);

} // namespace weft::stress
