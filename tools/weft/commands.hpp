#pragma once

// The `weft` tool's subcommands. Each lives in its own file and registers itself on the main
// parser with an add_<name>_command function; main.cpp lists them.

#include <CLI/CLI.hpp>

#include <functional>

namespace weft::tools {

/// One subcommand of `weft`.
struct command {
    /// Its parser, owned by the main one; true once it was selected on the command line.
    CLI::App* parser = nullptr;
    /// Runs it after a successful parse; returns the process exit code.
    std::function<int()> run;
};

/// Exit code for command-line usage errors (the shell convention; Python's argparse uses it too).
inline constexpr int usage_error = 2;

/// `weft demo`: the asyncio seed examples, run in-process with a commented walk-through.
command add_demo_command(CLI::App& app);

} // namespace weft::tools
