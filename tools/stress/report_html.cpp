// format_html() (report_html.hpp): the self-contained HTML page of a `weft stress` run, its SVG
// line charts (svg_chart.hpp) of throughput and latency percentiles against concurrency per
// executor, with the recommended cell marked, and the table of the cells.
#include "report_html.hpp"

#include "svg_chart.hpp"

#include "common/format.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <vector>

namespace weft::stress {

using tools::fmt;
using tools::latency_text;
using tools::si;

namespace {

const char* const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                               "#9467bd", "#8c564b", "#e377c2", "#17becf"};

/// A line's name: the scenario, or the executor with its worker count ("tbb:4", not "tbb").
std::string series_name(const cell_result& c) {
    if (c.scenario) {
        return c.workload;
    }
    if (c.target.find(':') != std::string::npos || c.target == "inline") {
        return c.target;
    }
    return c.target + ":" + std::to_string(c.pool_size);
}

/// Whether c is the recommended cell.
bool recommended(const run_report& r, const cell_result& c) {
    return r.advice && !c.scenario && c.target == r.advice->target &&
           c.concurrency == r.advice->concurrency;
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
    std::optional<chart_mark> mark;
    for (const cell_result& c : r.cells) {
        if (recommended(r, c)) {
            const auto k = std::find(names.begin(), names.end(), series_name(c)) - names.begin();
            const auto i = std::find(xs.begin(), xs.end(), c.concurrency) - xs.begin();
            mark =
                chart_mark{static_cast<std::size_t>(k), static_cast<std::size_t>(i), "recommended"};
        }
    }
    const bool scenarios_only = std::all_of(r.cells.begin(), r.cells.end(),
                                            [](const cell_result& c) { return c.scenario; });
    const bool log_y = wants_log_axis(throughput);
    std::string title = scenarios_only ? "Operations per second against concurrency"
                                       : "Throughput against concurrency, per executor";
    if (log_y) {
        title += " (log scale)";
    }
    std::string h;
    h += "<figure>\n" + line_chart(title, "calls per second", xs, throughput, log_y, si, mark) +
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
        h += std::string(recommended(r, c) ? "<tr class=\"rec\">" : "<tr>") + "<td class=\"l\">" +
             html_escape(c.target) + "</td><td class=\"l\">" + html_escape(c.workload) +
             "</td><td>" + std::to_string(c.pool_size) + "</td><td>" +
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
        h += "<h2>Recommendation</h2>\n<p>" + html_escape(r.advice->target) + " with " +
             std::to_string(r.advice->pool_size) + " workers at concurrency " +
             std::to_string(r.advice->concurrency) +
             " (highlighted in the table): " + html_escape(r.advice->reason) + "</p>\n";
        if (!r.advice->beyond.empty()) {
            h += "<p>" + html_escape(r.advice->beyond) + "</p>\n";
        }
        h += "<pre>" + html_escape(r.advice->code) + "</pre>\n";
    } else if (!r.no_advice.empty()) {
        h += "<h2>Recommendation</h2>\n<p>none: " + html_escape(r.no_advice) + "</p>\n";
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
         "figure{margin:1em 0}\ntr.rec "
         "td{background:#fff3c4;font-weight:bold}\n</style>\n</head>\n<body>\n";
    h += "<h1>" + html_escape(title) + "</h1>\n";
    h += "<p>weft " + html_escape(r.version) + ", " + std::to_string(r.loops) + " event loop(s), " +
         std::to_string(r.hardware_threads) + " hardware threads, " +
         (r.open_loop ? "open loop (latency from the intended send time)" : "closed loop") +
         (r.repeat > 1 ? ", each cell the median of " + std::to_string(r.repeat) + " runs" : "") +
         ".</p>\n";
    if (!r.meta.command_line.empty()) {
        h += "<p>" + html_escape(r.meta.host) + ", " + html_escape(r.meta.timestamp) + ": <code>" +
             html_escape(r.meta.command_line) + "</code></p>\n";
    }
    h += charts(r);
    h += cells_table(r);
    h += verdict(r);
    h += "</body>\n</html>\n";
    return h;
}

} // namespace weft::stress
