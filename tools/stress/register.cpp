// Registers `weft stress` with the weft tool (tools/weft/commands.hpp).

#include "command.hpp"
#include "commands.hpp"

#include <memory>

namespace weft::tools {

namespace {

command add_stress_command(CLI::App& app) {
    auto cl = std::make_shared<stress::command_line>();
    CLI::App* sub = stress::add_stress_options(app, *cl);
    return {sub, [cl] { return stress::run_command(*cl); }};
}

const command_registration registered{20, &add_stress_command};

} // namespace

} // namespace weft::tools
