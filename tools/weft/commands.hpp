#pragma once

// The `weft` tool's subcommands. Each lives in its own file (or directory) and registers itself
// with a namespace-scope `command_registration`; main.cpp builds the parser from the registry, so
// adding a command touches no other file but tools/meson.build.

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace weft::tools {

/// One subcommand of `weft`.
struct command {
    /// Its parser, owned by the main one; true once it was selected on the command line.
    CLI::App* parser = nullptr;
    /// Runs it after a successful parse; returns the process exit code.
    std::function<int()> run;
};

/// Adds a subcommand to the main parser.
using command_factory = command (*)(CLI::App& app);

/// Registers a subcommand at static initialisation; `order` sorts `weft --help`.
struct command_registration {
    command_registration(int order, command_factory factory);
};

/// Every registered subcommand added to app, in order.
std::vector<command> add_registered_commands(CLI::App& app);

/// Exit code for command-line usage errors (the shell convention; Python's argparse uses it too).
inline constexpr int usage_error = 2;

} // namespace weft::tools
