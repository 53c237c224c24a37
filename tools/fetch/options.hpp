#pragma once

// `weft fetch`'s command line: its options on a CLI11 subcommand, with curl's spellings for the
// request (-X, -H, -d, -o, -v, -L, --max-redirs).

#include "fetch_types.hpp"

#include <CLI/CLI.hpp>

namespace weft::tools::fetch {

/// Adds fetch's options to `sub`, writing into `o` (which must outlive the parse).
void add_fetch_options(CLI::App& sub, fetch_options& o);

} // namespace weft::tools::fetch
