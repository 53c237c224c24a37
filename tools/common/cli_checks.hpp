#pragma once

// CLI11 checks that the weft command's subcommands share, for values CLI11's own validators let
// through.

#include <CLI/CLI.hpp>

namespace weft::tools {

/// A number must be finite: "nan" and "inf" parse as doubles, and NaN passes every CLI::Range
/// (each comparison with it is false).
[[nodiscard]] CLI::Validator finite_number();

/// A size must not be negative: CLI::AsSizeValue reads "-1" as a huge unsigned number. Add it
/// after AsSizeValue (CLI11 runs the transform added last first).
[[nodiscard]] CLI::Validator not_negative();

} // namespace weft::tools
