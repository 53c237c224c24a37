// The weft command's progress bar (progress_bar.hpp): the line's layout and its drawing.
#include "progress_bar.hpp"

#include "format.hpp"

#include <algorithm>
#include <cmath>

namespace weft::tools {

std::string format_progress(double fraction, std::string_view label, std::size_t width) {
    fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
    constexpr std::size_t bar = 30;
    const auto filled = static_cast<std::size_t>(std::lround(fraction * bar));
    std::string s = "\r[" + std::string(filled, '#') + std::string(bar - filled, ' ') + "] " +
                    fmt("%3.0f%%", fraction * 100) + "  " + std::string(label);
    if (s.size() - 1 > width) {
        s.resize(width + 1);
    }
    s += std::string(width + 1 - s.size(), ' ');
    return s;
}

void progress_bar::update(double fraction, std::string_view label) {
    const std::string s = format_progress(fraction, label);
    std::fputs(s.c_str(), out_);
    std::fflush(out_);
    drawn_ = true;
}

progress_bar::~progress_bar() {
    if (drawn_) {
        std::fputs(("\r" + std::string(73, ' ') + "\r").c_str(), out_);
        std::fflush(out_);
    }
}

} // namespace weft::tools
