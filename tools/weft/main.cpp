// The `weft` command line tool: `weft --version` and the registered subcommands (demo, stress,
// worker, fetch).

#include "commands.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace weft::tools {
namespace {

std::vector<std::pair<int, command_factory>>& registry() {
    static std::vector<std::pair<int, command_factory>> r;
    return r;
}

} // namespace

command_registration::command_registration(int order, command_factory factory) {
    registry().emplace_back(order, factory);
}

std::vector<command> add_registered_commands(CLI::App& app) {
    auto& r = registry();
    std::stable_sort(r.begin(), r.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<command> out;
    out.reserve(r.size());
    for (const auto& [order, factory] : r) {
        out.push_back(factory(app));
    }
    return out;
}

} // namespace weft::tools

int main(int argc, char** argv) {
    using namespace weft::tools;

    CLI::App app{"weft: an asyncio-style runtime for C++20", "weft"};
    app.set_version_flag("--version", std::string("weft ") + weft::version(),
                         "Print the version and exit");
    app.require_subcommand(0, 1); // not 1: `weft bogus` then reads "not expected: bogus"

    const std::vector<command> commands = add_registered_commands(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version end up here with exit code 0; genuine errors get the message and
        // "Run with --help" from CLI11, and the conventional usage-error status.
        const int code = app.exit(e);
        return code == 0 ? 0 : usage_error;
    }

    for (const command& c : commands) {
        if (c.parser->parsed()) {
            try {
                return c.run();
            } catch (const weft::interrupted& e) {
                // A command that let SIGINT/SIGTERM's interrupt out: end as the signal would.
                weft::exit_by_signal(e.signal());
            } catch (const std::exception& e) {
                std::cerr << "weft " << c.parser->get_name() << ": " << e.what() << '\n';
                return 1;
            }
        }
    }
    std::cerr << app.help() << "a subcommand is required\n";
    return usage_error;
}
