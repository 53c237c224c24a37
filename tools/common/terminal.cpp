// The terminal facts of terminal.hpp: isatty, the width from $COLUMNS or TIOCGWINSZ, and word
// wrapping to that width.
#include "terminal.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sys/ioctl.h>
#include <unistd.h>

namespace weft::tools {

bool is_terminal(std::FILE* f) noexcept {
    return f != nullptr && ::isatty(::fileno(f)) == 1;
}

std::size_t terminal_columns(std::FILE* f) noexcept {
    if (const char* env = std::getenv("COLUMNS"); env != nullptr && *env != '\0') {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(env, &end, 10);
        if (errno == 0 && *end == '\0' && n >= 20 && n <= 1000) {
            return static_cast<std::size_t>(n);
        }
    }
    if (!is_terminal(f)) {
        return 0;
    }
    winsize ws{};
    if (::ioctl(::fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) {
        return ws.ws_col;
    }
    return 80;
}

namespace {

/// One line of text (no '\n') wrapped: it keeps its leading spaces, and its continuation lines
/// are indented `indent` further.
void wrap_line(std::string_view line, std::size_t width, std::size_t indent, std::string& out) {
    std::size_t lead = line.find_first_not_of(' ');
    if (lead == std::string_view::npos) {
        out += '\n';
        return;
    }
    const std::size_t hang = std::min(lead + indent, width / 2);
    out.append(lead, ' ');
    std::size_t col = lead;
    bool first = true;
    line.remove_prefix(lead);
    while (!line.empty()) {
        const std::size_t end = line.find(' ');
        std::string_view w = line.substr(0, end);
        line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
        if (w.empty()) {
            continue;
        }
        if (!first && col + 1 + w.size() > width) {
            out += "\n" + std::string(hang, ' ');
            col = hang;
        } else if (!first) {
            out += ' ';
            ++col;
        }
        first = false;
        while (col + w.size() > width) { // a word longer than a line is cut
            const std::size_t room = width > col ? width - col : 1;
            out += w.substr(0, room);
            w.remove_prefix(room);
            out += "\n" + std::string(hang, ' ');
            col = hang;
        }
        out += w;
        col += w.size();
    }
    out += '\n';
}

} // namespace

std::string wrap(std::string_view text, std::size_t width, std::size_t indent) {
    std::string out;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        if (width == 0 || line.size() <= width) {
            out.append(line);
            out += '\n';
        } else {
            wrap_line(line, width, std::min(indent, width / 2), out);
        }
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    }
    return out;
}

} // namespace weft::tools
