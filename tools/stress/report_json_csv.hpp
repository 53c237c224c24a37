#pragma once

// The machine-readable faces of `weft stress`: JSON (nlohmann) and CSV, one row per cell.

#include "results.hpp"

#include <string>

namespace weft::stress {

/// The whole report as a JSON document: {"weft", "workload", "loops", "cells": [...], "idle":
/// [...], "recommendation", "ok", "failures"}.
[[nodiscard]] std::string format_json(const run_report& r);

/// One header line, then one line per cell; the columns are cell_result's fields.
[[nodiscard]] std::string format_csv(const run_report& r);

} // namespace weft::stress
