// The SVG line charts of `weft stress --html` (svg_chart.hpp): the y scale (linear with round
// steps, or whole decades on a log axis), the axes, the lines and their points, the legend and
// the marked point.
#include "svg_chart.hpp"

#include "report_html.hpp"

#include "common/format.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace weft::stress {

using tools::fmt;

namespace {

/// The y axis of a chart: its range (log10 of it for a log axis) and its tick values.
struct y_axis {
    double y0 = 0;
    double y1 = 0;
    std::vector<double> ticks;
};

y_axis scale_for(const std::vector<series>& lines, bool log_y) {
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (const series& s : lines) {
        for (double v : s.values) {
            if (std::isfinite(v) && (!log_y || v > 0)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    if (!std::isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    y_axis a;
    if (log_y) {
        a.y0 = std::floor(std::log10(std::max(lo, 1e-3)));
        a.y1 = std::max(std::ceil(std::log10(std::max(hi, 1e-3))), a.y0 + 1);
        for (double e = a.y0; e <= a.y1; ++e) {
            a.ticks.push_back(std::pow(10.0, e));
        }
    } else {
        const double raw = hi > 0 ? hi * 1.1 : 1;
        const double mag = std::pow(10.0, std::floor(std::log10(raw / 5)));
        const double step = raw / 5 / mag < 2 ? 2 * mag : raw / 5 / mag < 5 ? 5 * mag : 10 * mag;
        a.y1 = std::ceil(raw / step) * step;
        for (double t = 0; t <= a.y1 + step / 2; t += step) {
            a.ticks.push_back(t);
        }
    }
    return a;
}

} // namespace

bool wants_log_axis(const std::vector<series>& lines) {
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (const series& s : lines) {
        for (double v : s.values) {
            if (std::isfinite(v) && v > 0) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    return hi > 0 && hi / lo > log_axis_span;
}

/// A line chart over categorical x positions (the concurrency levels), linear or log10 y.
std::string line_chart(const std::string& title, const std::string& y_title,
                       const std::vector<std::size_t>& xs, const std::vector<series>& lines,
                       bool log_y, const std::function<std::string(double)>& label,
                       const std::optional<chart_mark>& mark) {
    constexpr double w = 720, h = 360, left = 70, right = 190, top = 40, bottom = 50;
    const double pw = w - left - right, ph = h - top - bottom;
    const y_axis axis = scale_for(lines, log_y);
    const double y0 = axis.y0, y1 = axis.y1;
    const std::vector<double>& ticks = axis.ticks;
    auto ypos = [&](double v) {
        const double f =
            log_y ? (std::log10(std::max(v, 1e-3)) - y0) / (y1 - y0) : (v - y0) / (y1 - y0);
        return top + ph * (1 - f);
    };
    auto xpos = [&](std::size_t i) {
        return xs.size() <= 1
                   ? left + pw / 2
                   : left + pw * static_cast<double>(i) / static_cast<double>(xs.size() - 1);
    };

    std::string s =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 360\" width=\"720\" "
        "height=\"360\" font-family=\"sans-serif\" role=\"img\" aria-label=\"" +
        html_escape(title) + "\">\n";
    s += "<title>" + html_escape(title) + "</title>\n";
    s += "<rect x=\"0\" y=\"0\" width=\"720\" height=\"360\" fill=\"#ffffff\"></rect>\n";
    s += "<text x=\"" + fmt("%.0f", left) + "\" y=\"22\" font-size=\"15\" font-weight=\"bold\">" +
         html_escape(title) + "</text>\n";
    for (double t : ticks) {
        const double y = ypos(t);
        s += "<line x1=\"" + fmt("%.1f", left) + "\" y1=\"" + fmt("%.1f", y) + "\" x2=\"" +
             fmt("%.1f", left + pw) + "\" y2=\"" + fmt("%.1f", y) +
             "\" stroke=\"#e0e0e0\"></line>\n";
        s += "<text x=\"" + fmt("%.1f", left - 6) + "\" y=\"" + fmt("%.1f", y + 4) +
             "\" font-size=\"11\" text-anchor=\"end\">" + html_escape(label(t)) + "</text>\n";
    }
    for (std::size_t i = 0; i < xs.size(); ++i) {
        s += "<text x=\"" + fmt("%.1f", xpos(i)) + "\" y=\"" + fmt("%.1f", top + ph + 18) +
             "\" font-size=\"11\" text-anchor=\"middle\">" + std::to_string(xs[i]) + "</text>\n";
    }
    s += "<line x1=\"" + fmt("%.1f", left) + "\" y1=\"" + fmt("%.1f", top + ph) + "\" x2=\"" +
         fmt("%.1f", left + pw) + "\" y2=\"" + fmt("%.1f", top + ph) +
         "\" stroke=\"#333\"></line>\n";
    s += "<line x1=\"" + fmt("%.1f", left) + "\" y1=\"" + fmt("%.1f", top) + "\" x2=\"" +
         fmt("%.1f", left) + "\" y2=\"" + fmt("%.1f", top + ph) + "\" stroke=\"#333\"></line>\n";
    s += "<text x=\"" + fmt("%.1f", left + pw / 2) + "\" y=\"" + fmt("%.1f", h - 10) +
         "\" font-size=\"12\" text-anchor=\"middle\">concurrency (calls in flight)</text>\n";
    s += "<text x=\"14\" y=\"" + fmt("%.1f", top + ph / 2) +
         "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 " +
         fmt("%.1f", top + ph / 2) + ")\">" + html_escape(y_title) + "</text>\n";

    for (std::size_t k = 0; k < lines.size(); ++k) {
        const series& ln = lines[k];
        std::string points;
        for (std::size_t i = 0; i < ln.values.size() && i < xs.size(); ++i) {
            const double v = ln.values[i];
            if (!std::isfinite(v)) {
                continue;
            }
            points +=
                (points.empty() ? "" : " ") + fmt("%.1f", xpos(i)) + "," + fmt("%.1f", ypos(v));
            s += "<circle cx=\"" + fmt("%.1f", xpos(i)) + "\" cy=\"" + fmt("%.1f", ypos(v)) +
                 "\" r=\"3\" fill=\"" + ln.color + "\"><title>" + html_escape(ln.name) + " at " +
                 std::to_string(xs[i]) + ": " + html_escape(label(v)) + "</title></circle>\n";
        }
        s += "<polyline fill=\"none\" stroke=\"" + ln.color + "\" stroke-width=\"2\"" +
             (ln.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"" + points +
             "\"></polyline>\n";
        const double ly = top + 14 + 18 * static_cast<double>(k);
        s += "<line x1=\"" + fmt("%.1f", left + pw + 14) + "\" y1=\"" + fmt("%.1f", ly - 4) +
             "\" x2=\"" + fmt("%.1f", left + pw + 38) + "\" y2=\"" + fmt("%.1f", ly - 4) +
             "\" stroke=\"" + ln.color + "\" stroke-width=\"2\"" +
             (ln.dashed ? " stroke-dasharray=\"6 4\"" : "") + "></line>\n";
        s += "<text x=\"" + fmt("%.1f", left + pw + 44) + "\" y=\"" + fmt("%.1f", ly) +
             "\" font-size=\"11\">" + html_escape(ln.name) + "</text>\n";
    }
    if (mark && mark->series < lines.size() && mark->x < xs.size() &&
        std::isfinite(lines[mark->series].values.at(mark->x))) {
        const double cx = xpos(mark->x);
        const double cy = ypos(lines[mark->series].values[mark->x]);
        s += "<circle class=\"mark\" cx=\"" + fmt("%.1f", cx) + "\" cy=\"" + fmt("%.1f", cy) +
             "\" r=\"8\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\"><title>" +
             html_escape(mark->text) + "</title></circle>\n";
        // The label beside the ring, on the side towards the middle: clear of the legend on the
        // right and of the axis labels on the left.
        const bool right_half = cx > left + pw / 2;
        s += "<text x=\"" + fmt("%.1f", right_half ? cx - 12 : cx + 12) + "\" y=\"" +
             fmt("%.1f", cy + 4) + "\" font-size=\"11\" font-weight=\"bold\" text-anchor=\"" +
             (right_half ? "end" : "start") + "\">" + html_escape(mark->text) + "</text>\n";
    }
    s += "</svg>\n";
    return s;
}

} // namespace weft::stress
