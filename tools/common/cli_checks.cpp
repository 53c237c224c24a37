// The shared CLI11 checks of the weft command (cli_checks.hpp).
#include "cli_checks.hpp"

#include <cmath>
#include <string>

namespace weft::tools {

CLI::Validator finite_number() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            double v = 0;
            if (!CLI::detail::lexical_cast(s, v) || !std::isfinite(v)) {
                return "must be a finite number, not " + s;
            }
            return {};
        },
        "FINITE");
}

CLI::Validator not_negative() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            const auto b = s.find_first_not_of(" \t");
            if (b != std::string::npos && s[b] == '-') {
                return "must not be negative, not " + s;
            }
            return {};
        },
        "SIZE");
}

} // namespace weft::tools
