#pragma once

// The SVG line charts of `weft stress --html`: series over categorical x positions (the
// concurrency levels), a linear or log10 y axis, a legend, and an optional marked point (the
// recommended cell).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft::stress {

/// One line of a chart.
struct series {
    std::string name;
    std::string color;
    bool dashed = false;
    std::vector<double> values; ///< per x position; NaN where not measured
};

/// A point to ring and label: series index, x index, label.
struct chart_mark {
    std::size_t series = 0;
    std::size_t x = 0;
    std::string text;
};

/// Throughput spanning more than this factor (largest / smallest positive value) is drawn on a
/// log axis: on a linear one, the slow lines lie flat on zero.
inline constexpr double log_axis_span = 100;

/// Whether the values of `lines` span more than log_axis_span.
[[nodiscard]] bool wants_log_axis(const std::vector<series>& lines);

/// An SVG line chart, 720x360, with axes, ticks labelled by `label`, a legend, and `mark`.
[[nodiscard]] std::string line_chart(const std::string& title, const std::string& y_title,
                                     const std::vector<std::size_t>& xs,
                                     const std::vector<series>& lines, bool log_y,
                                     const std::function<std::string(double)>& label,
                                     const std::optional<chart_mark>& mark = std::nullopt);

} // namespace weft::stress
