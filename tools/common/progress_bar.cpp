// The weft command's progress bar (progress_bar.hpp): the line's layout, the time-left estimate,
// and drawing it on a terminal around the lines printed above it.
#include "progress_bar.hpp"

#include "format.hpp"
#include "terminal.hpp"

#include <algorithm>
#include <cmath>

namespace weft::tools {

std::string eta_text(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
        return "?";
    }
    const auto s = static_cast<long long>(std::llround(seconds));
    char buf[32];
    if (s >= 3600) {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    } else if (s >= 60) {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%llds", s);
    }
    return buf;
}

std::string format_progress(const progress_state& st, double eta_s, std::size_t width) {
    const double f = std::clamp(std::isfinite(st.fraction) ? st.fraction : 0.0, 0.0, 1.0);
    const std::size_t bar = width >= 79 ? 30 : 16;
    const auto filled = static_cast<std::size_t>(std::lround(f * static_cast<double>(bar)));
    std::string s = "[" + std::string(filled, '#') + std::string(bar - filled, ' ') + "] " +
                    fmt("%3.0f%%", f * 100);
    if (!st.phase.empty()) {
        s += "  " + std::string(st.phase);
    }
    std::string tail; // rate and ETA stay visible; the label is cut first
    if (st.rate > 0 && std::isfinite(st.rate)) {
        tail += "  " + si(st.rate) + std::string(st.rate_unit);
    }
    if (eta_s >= 0) {
        tail += "  ETA " + eta_text(eta_s);
    }
    if (!st.label.empty()) {
        s += "  " + std::string(st.label);
    }
    if (s.size() + tail.size() > width) {
        const std::size_t room = width > tail.size() ? width - tail.size() : 0;
        s.resize(std::min(s.size(), room));
    }
    s += tail;
    s.resize(width, ' ');
    return s;
}

progress_bar::progress_bar(std::FILE* out) noexcept
    : out_(out), tty_(is_terminal(out)), start_(std::chrono::steady_clock::now()) {
    if (tty_) {
        width_ = std::max<std::size_t>(terminal_columns(out), 20) - 1; // the last column wraps
    }
}

void progress_bar::update(const progress_state& s) {
    if (!tty_) {
        return;
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    // An estimate needs a little history: none before 2% or one second.
    const double eta =
        s.fraction >= 0.02 && elapsed >= 1.0 ? elapsed * (1.0 - s.fraction) / s.fraction : -1.0;
    last_ = format_progress(s, eta, width_);
    std::fputs(("\r" + last_).c_str(), out_);
    std::fflush(out_);
}

void progress_bar::clear() {
    if (tty_ && !last_.empty()) {
        std::fputs(("\r" + std::string(width_, ' ') + "\r").c_str(), out_);
        std::fflush(out_);
    }
}

void progress_bar::print(std::FILE* to, std::string_view text) {
    clear();
    std::fwrite(text.data(), 1, text.size(), to);
    std::fflush(to);
    if (tty_ && !last_.empty()) {
        std::fputs(("\r" + last_).c_str(), out_);
        std::fflush(out_);
    }
}

progress_bar::~progress_bar() {
    clear();
}

} // namespace weft::tools
