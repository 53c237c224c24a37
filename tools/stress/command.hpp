#pragma once

// `weft stress` on the command line: its options, their parsing into stress_options, and the run
// with its outputs. The registration with the `weft` tool lives in register.cpp, so that tests can
// build the same parser.

#include "spec.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace weft::stress {

/// Seconds per cell when neither --tasks nor --duration is given: long enough that a cell's
/// figures are not dominated by start-up and scheduling noise (repeat.hpp's min_measured_s).
inline constexpr double default_cell_s = 0.5;

/// The raw command line of `weft stress`, as CLI11 fills it.
struct command_line {
    std::string executors = "tbb,threads:2,inline";
    std::string workload = "cpu:50";
    std::string scenarios;
    std::string concurrency = "1,8,64";
    std::uint64_t tasks = 0; ///< 0: not given (neither: default_cell_s per cell)
    double duration_s = 0;
    std::size_t loops = 1;
    double warmup_s = 0;
    double rate = 0;
    double idle_s = 1;
    std::size_t repeat = 1;
    bool recommend = false;
    std::string p99_max; ///< "5ms"; empty: no bound
    std::string json;    ///< "-" for stdout
    std::string csv;     ///< "-" for stdout
    std::string html;
    bool no_progress = false;
    bool executors_given = false;
    std::int64_t inject_loss = -1;
    std::int64_t inject_double = -1;
};

/// Adds the `stress` subcommand and its options to app, filling cl when parsed.
CLI::App* add_stress_options(CLI::App& app, command_line& cl);

/// The checked options a command line asks for.
/// @throws spec_error when a value is bad or the values do not fit together.
[[nodiscard]] stress_options to_options(const command_line& cl);

/// Runs `weft stress` for a parsed command line; returns the exit status (0 ok, 1 a failed
/// check, 2 bad arguments).
int run_command(const command_line& cl);

} // namespace weft::stress
