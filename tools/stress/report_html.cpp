// format_html() (report_html.hpp): the self-contained HTML page of a `weft stress` run, its SVG
// line charts of throughput and latency percentiles against concurrency per executor, and the
// table of the cells.
#include "report_html.hpp"

#include "common/format.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <vector>

namespace weft::stress {

using tools::fmt;
using tools::latency_text;
using tools::si;

namespace {

const char* const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                               "#9467bd", "#8c564b", "#e377c2", "#17becf"};

struct series {
    std::string name;
    std::string color;
    bool dashed = false;
    std::vector<double> values; // per x position; NaN where not measured
};

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

/// A line chart over categorical x positions (the concurrency levels), linear or log10 y.
std::string line_chart(const std::string& title, const std::string& y_title,
                       const std::vector<std::size_t>& xs, const std::vector<series>& lines,
                       bool log_y, const std::function<std::string(double)>& label) {
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
    s += "</svg>\n";
    return s;
}

std::string series_name(const cell_result& c) {
    return c.scenario ? c.workload : c.target;
}

} // namespace

std::string html_escape(const std::string& in) {
    std::string out;
    out.reserve(in.size());
    for (char ch : in) {
        switch (ch) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += ch;
        }
    }
    return out;
}

namespace {

/// The two charts: throughput, and p50/p99 latency, against concurrency, one series per executor.
std::string charts(const run_report& r) {
    std::set<std::size_t> xset;
    std::vector<std::string> names;
    for (const cell_result& c : r.cells) {
        xset.insert(c.concurrency);
        if (std::find(names.begin(), names.end(), series_name(c)) == names.end()) {
            names.push_back(series_name(c));
        }
    }
    const std::vector<std::size_t> xs(xset.begin(), xset.end());
    auto column = [&](const std::string& name, double cell_result::*field) {
        std::vector<double> v(xs.size(), std::numeric_limits<double>::quiet_NaN());
        for (const cell_result& c : r.cells) {
            if (series_name(c) == name) {
                const auto i = static_cast<std::size_t>(
                    std::find(xs.begin(), xs.end(), c.concurrency) - xs.begin());
                v[i] = c.*field;
            }
        }
        return v;
    };

    std::vector<series> throughput;
    std::vector<series> latency;
    for (std::size_t k = 0; k < names.size(); ++k) {
        const std::string color = palette[k % std::size(palette)];
        throughput.push_back({names[k], color, false, column(names[k], &cell_result::throughput)});
        latency.push_back(
            {names[k] + " p50", color, false, column(names[k], &cell_result::p50_us)});
        latency.push_back({names[k] + " p99", color, true, column(names[k], &cell_result::p99_us)});
    }
    const bool scenarios_only = std::all_of(r.cells.begin(), r.cells.end(),
                                            [](const cell_result& c) { return c.scenario; });
    std::string h;
    h += "<figure>\n" +
         line_chart(scenarios_only ? "Operations per second against concurrency"
                                   : "Throughput against concurrency, per executor",
                    "calls per second", xs, throughput, false, si) +
         "</figure>\n";
    h += "<figure>\n" +
         line_chart("Latency percentiles (p50 solid, p99 dashed)", "latency", xs, latency, true,
                    latency_text) +
         "</figure>\n";

    return h;
}

/// One table row per cell.
std::string cells_table(const run_report& r) {
    std::string h;
    h += "<h2>Cells</h2>\n<table>\n<thead><tr><th>executor</th><th>workload</th><th>workers</th>"
         "<th>concurrency</th><th>calls/s</th><th>p50</th><th>p90</th><th>p99</th>"
         "<th>p99.9</th><th>max</th><th>user s</th><th>sys s</th><th>ctx switches</th>"
         "<th>threads used</th><th>balance</th><th>errors</th><th>crashes</th>"
         "<th>exactly once</th></tr></thead>\n<tbody>\n";
    for (const cell_result& c : r.cells) {
        h += "<tr><td class=\"l\">" + html_escape(c.target) + "</td><td class=\"l\">" +
             html_escape(c.workload) + "</td><td>" + std::to_string(c.pool_size) + "</td><td>" +
             std::to_string(c.concurrency) + "</td><td>" + si(c.throughput) + "</td><td>" +
             latency_text(c.p50_us) + "</td><td>" + latency_text(c.p90_us) + "</td><td>" +
             latency_text(c.p99_us) + "</td><td>" + latency_text(c.p999_us) + "</td><td>" +
             latency_text(c.max_us) + "</td><td>" + fmt("%.2f", c.user_s) + "</td><td>" +
             fmt("%.2f", c.sys_s) + "</td><td>" +
             std::to_string(c.voluntary_cs + c.involuntary_cs) + "</td><td>" +
             std::to_string(c.workers_used) + "</td><td>" + fmt("%.2f", c.balance) + "</td><td>" +
             std::to_string(c.errors) + "</td><td>" + std::to_string(c.crashes) + "</td>" +
             (c.exactly_once() ? std::string("<td>ok</td>")
                               : "<td class=\"fail\">" + std::to_string(c.lost) + " lost, " +
                                     std::to_string(c.doubled) + " doubled</td>") +
             "</tr>\n";
    }
    h += "</tbody>\n</table>\n";
    return h;
}

/// The idle check, the recommendation and the verdict.
std::string verdict(const run_report& r) {
    std::string h;
    if (!r.idle.empty()) {
        h += "<h2>Idle check</h2>\n<ul>\n";
        for (const idle_result& i : r.idle) {
            h += "<li>" + html_escape(i.target) + ": " + fmt("%.2f", i.cpu_s * 1e3) +
                 " ms of CPU in " + fmt("%.2f", i.window_s) + " s idle, " +
                 fmt("%.2f", i.typical_cpu_s * 1e3) + " ms at the median slice's rate" +
                 (i.ok() ? std::string(" (ok)")
                         : std::string(" <span class=\"fail\">spins while idle</span>")) +
                 "</li>\n";
        }
        h += "</ul>\n";
    }
    if (r.advice) {
        h += "<h2>Recommendation</h2>\n<p>" + html_escape(r.advice->target) + " at concurrency " +
             std::to_string(r.advice->concurrency) + ": " + html_escape(r.advice->reason) +
             "</p>\n";
    }
    h += "<h2>Result</h2>\n";
    if (r.failures.empty()) {
        h += "<p>ok</p>\n";
    } else {
        h += "<ul class=\"fail\">\n";
        for (const std::string& f : r.failures) {
            h += "<li>" + html_escape(f) + "</li>\n";
        }
        h += "</ul>\n";
    }
    return h;
}

} // namespace

std::string format_html(const run_report& r) {
    const std::string what = r.workload.empty() ? std::string("runtime scenarios") : r.workload;
    const std::string title = "weft stress: " + what;

    std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<title>" + html_escape(title) + "</title>\n";
    h += "<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\n"
         "table{border-collapse:collapse;font-size:13px}\n"
         "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
         "th{background:#f3f3f3}\ntd.l{text-align:left}\n.fail{color:#b00;font-weight:bold}\n"
         "figure{margin:1em 0}\n</style>\n</head>\n<body>\n";
    h += "<h1>" + html_escape(title) + "</h1>\n";
    h += "<p>weft " + html_escape(r.version) + ", " + std::to_string(r.loops) + " event loop(s), " +
         std::to_string(r.hardware_threads) + " hardware threads, " +
         (r.open_loop ? "open loop (latency from the intended send time)" : "closed loop") +
         ".</p>\n";
    h += charts(r);
    h += cells_table(r);
    h += verdict(r);
    h += "</body>\n</html>\n";
    return h;
}

} // namespace weft::stress
