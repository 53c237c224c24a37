#pragma once

// What the weft command knows of the terminal it writes to: whether it is one, how wide it is,
// and text wrapped to that width. Every line the commands print for a person goes through here,
// so that a 100-column terminal never sees a wrapped row.

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace weft::tools {

/// Whether `f` is a terminal (isatty on its descriptor).
[[nodiscard]] bool is_terminal(std::FILE* f) noexcept;

/// The columns a line written to `f` may use: $COLUMNS when it holds a number from 20 to 1000,
/// else the terminal's width (TIOCGWINSZ) when `f` is one, else 0, meaning no limit (a file or a
/// pipe gets the full table).
[[nodiscard]] std::size_t terminal_columns(std::FILE* f) noexcept;

/// `text` wrapped at spaces to lines of at most `width` columns (0: no limit); continuation lines
/// start with `indent` spaces. A word longer than a line is cut. Every line ends with '\n'.
[[nodiscard]] std::string wrap(std::string_view text, std::size_t width, std::size_t indent = 2);

} // namespace weft::tools
