// The terminal report of `weft stress` (report_table.hpp): the heading, the cells as a table fitted
// to the terminal by tools::table_layout (each column with a short title, an expected width and
// a priority), and below it the warnings, idle check, recommendation and verdict, wrapped.
#include "report_table.hpp"

#include "repeat.hpp"

#include "common/format.hpp"
#include "common/terminal.hpp"

#include <algorithm>

namespace weft::stress {

using tools::fmt;
using tools::latency_text;
using tools::si;
using tools::wrap;

std::vector<tools::table_column> table_columns(const table_shape& shape) {
    // Priority 0 stays longest; the highest number goes first. When every row has the same
    // workload the heading names it, so its column may go before the figures.
    const int workload_priority = shape.one_workload ? 3 : 0;
    std::vector<tools::table_column> cols{
        {"executor", "exec", shape.target_width, true, 0},
        {"workload", "work", shape.workload_width, true, workload_priority},
        {"workers", "wrk", 3, false, 2},
        {"conc", "", shape.concurrency_width, false, 0},
        {"calls/s", "", 6, false, 0},
        {"p50", "", 7, false, 1},
        {"p90", "", 7, false, 5},
        {"p99", "", 7, false, 1},
        {"p99.9", "", 7, false, 7},
        {"max", "", 7, false, 6},
        {"user s", "usr", 5, false, 12},
        {"sys s", "sys", 5, false, 12},
        {"ctx sw", "cs", 6, false, 10},
        {"stalls", "stl", 3, false, 11},
        {"used", "", 3, false, 9},
        {"balance", "bal", 4, false, 8},
        {"errors", "err", 3, false, 2},
        {"crashes", "crash", 3, false, 2},
        {"exactly once", "once", 4, true, 0},
    };
    if (shape.repeated) {
        cols.insert(cols.begin() + 5, tools::table_column{"spread", "+-", 4, false, 4});
    }
    return cols;
}

std::vector<std::string> table_cells(const cell_result& c, bool repeated) {
    std::string once = "ok";
    if (!c.exactly_once()) {
        once = "FAILED: " +
               (c.lost > 0 ? std::to_string(c.lost) + " lost" + (c.doubled > 0 ? ", " : "")
                           : std::string()) +
               (c.doubled > 0 ? std::to_string(c.doubled) + " doubled" : std::string());
    }
    std::vector<std::string> row{c.target,
                                 c.workload,
                                 std::to_string(c.pool_size),
                                 std::to_string(c.concurrency),
                                 si(c.throughput),
                                 latency_text(c.p50_us),
                                 latency_text(c.p90_us),
                                 latency_text(c.p99_us),
                                 latency_text(c.p999_us),
                                 latency_text(c.max_us),
                                 fmt("%.2f", c.user_s),
                                 fmt("%.2f", c.sys_s),
                                 std::to_string(c.voluntary_cs + c.involuntary_cs),
                                 std::to_string(c.loop_stalls),
                                 std::to_string(c.workers_used),
                                 fmt("%.2f", c.balance),
                                 std::to_string(c.errors),
                                 std::to_string(c.crashes),
                                 once};
    if (repeated) {
        row.insert(row.begin() + 5, fmt("%.0f%%", c.spread * 100));
    }
    return row;
}

std::string format_heading(const run_report& r, std::size_t width) {
    std::string out = "weft " + r.version + " stress";
    if (!r.workload.empty()) {
        out += ": workload " + r.workload;
    }
    out += ", " + std::to_string(r.loops) + (r.loops == 1 ? " loop" : " loops") + ", " +
           std::to_string(r.hardware_threads) + " hardware threads" +
           (r.open_loop ? ", open loop" : ", closed loop");
    if (r.repeat > 1) {
        out += ", each cell the median of " + std::to_string(r.repeat) + " runs";
    }
    return wrap(out, width) + "\n";
}

namespace {

std::string idle_lines(const run_report& r, std::size_t width) {
    std::string out = wrap("idle check (CPU of each executor's threads and processes while idle, "
                           "median of " +
                               std::to_string(idle_slices) + " slices; limit 1% of a core):",
                           width);
    for (const idle_result& i : r.idle) {
        out += wrap("  " + i.target + ": " + fmt("%.2f ms", i.cpu_s * 1e3) + " in " +
                        fmt("%.2f s", i.window_s) + ", " + fmt("%.2f ms", i.typical_cpu_s * 1e3) +
                        " at the median slice's rate (whole process " +
                        fmt("%.2f ms", i.process_cpu_s * 1e3) + ")  " +
                        (i.ok() ? "ok" : "FAILED: spins while idle"),
                    width);
    }
    return out;
}

std::string advice_lines(const run_report& r, std::size_t width) {
    if (!r.advice) {
        return r.no_advice.empty() ? ""
                                   : "\n" + wrap("recommendation: none: " + r.no_advice, width);
    }
    const recommendation& a = *r.advice;
    std::string out =
        "\n" + wrap("recommendation: " + a.target + " with " + std::to_string(a.pool_size) +
                        (a.pool_size == 1 ? " worker" : " workers") + " at concurrency " +
                        std::to_string(a.concurrency),
                    width);
    out += wrap("  why: " + a.reason, width);
    if (!a.beyond.empty()) {
        out += wrap("  note: " + a.beyond, width);
    }
    out += "  in code:\n";
    std::size_t from = 0;
    while (from < a.code.size()) {
        const std::size_t nl = std::min(a.code.find('\n', from), a.code.size());
        out += wrap("    " + a.code.substr(from, nl - from), width);
        from = nl + 1;
    }
    return out;
}

std::string verdict_lines(const run_report& r, std::size_t width) {
    std::string out;
    if (r.interrupted_by != 0) {
        out += "\n" + wrap("result: interrupted after " + std::to_string(r.cells.size()) +
                               " cell(s)" + (r.failures.empty() ? "" : ", FAILED"),
                           width);
    } else if (r.failures.empty()) {
        out += "\nresult: ok\n";
    } else {
        out += "\nresult: FAILED\n";
    }
    for (const std::string& f : r.failures) {
        out += wrap("  - " + f, width);
    }
    return out;
}

} // namespace

std::string format_closing(const run_report& r, const tools::table_layout& layout,
                           std::size_t width) {
    std::string out;
    const std::string note = layout.hidden_note("--json and --csv have");
    if (!note.empty()) {
        out += wrap(note, width);
    }
    for (const std::string& w : warning_summary(r.cells)) {
        out += wrap(w, width);
    }
    if (!r.idle.empty()) {
        out += "\n" + idle_lines(r, width);
    }
    out += advice_lines(r, width);
    out += verdict_lines(r, width);
    return out;
}

std::string format_table(const run_report& r, std::size_t width) {
    const bool repeated = r.repeat > 1;
    std::vector<std::vector<std::string>> rows;
    for (const cell_result& c : r.cells) {
        rows.push_back(table_cells(c, repeated));
    }
    const bool one_workload =
        !r.cells.empty() && std::all_of(r.cells.begin(), r.cells.end(), [&](const cell_result& c) {
            return !c.scenario && c.workload == r.cells.front().workload;
        });
    const tools::table_layout layout(
        table_columns({.one_workload = one_workload, .repeated = repeated}), width, rows);
    std::string out = format_heading(r, width) + layout.header();
    for (const auto& row : rows) {
        out += layout.row(row);
    }
    return out + format_closing(r, layout, width);
}

} // namespace weft::stress
