// format_table() (report_table.hpp): the terminal report of a `weft stress` run, the cells as an
// aligned table with the idle check, the recommendation and the verdict below it.
#include "report_table.hpp"

#include "common/format.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace weft::stress {

using tools::fmt;
using tools::latency_text;
using tools::si;

namespace {

struct column {
    std::string title;
    bool left = false;
};

std::string render(const std::vector<column>& cols,
                   const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(cols.size());
    for (std::size_t i = 0; i < cols.size(); ++i) {
        width[i] = cols[i].title.size();
        for (const auto& row : rows) {
            width[i] = std::max(width[i], row[i].size());
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const std::string pad(width[i] - cells[i].size(), ' ');
            s += i == 0 ? "" : "  ";
            s += cols[i].left ? cells[i] + pad : pad + cells[i];
        }
        while (!s.empty() && s.back() == ' ') {
            s.pop_back();
        }
        return s + "\n";
    };
    std::vector<std::string> titles;
    for (const auto& c : cols) {
        titles.push_back(c.title);
    }
    std::string out = line(titles);
    std::size_t total = 0;
    for (std::size_t w : width) {
        total += w;
    }
    out += std::string(total + 2 * (cols.size() - 1), '-') + "\n";
    for (const auto& row : rows) {
        out += line(row);
    }
    return out;
}

} // namespace

std::string format_table(const run_report& r) {
    std::string out = "weft " + r.version + " stress";
    if (!r.workload.empty()) {
        out += ": workload " + r.workload;
    }
    out += ", " + std::to_string(r.loops) + (r.loops == 1 ? " loop" : " loops") + ", " +
           std::to_string(r.hardware_threads) + " hardware threads" +
           (r.open_loop ? ", open loop" : ", closed loop") + "\n\n";

    const std::vector<column> cols{{"executor", true},
                                   {"workload", true},
                                   {"workers"},
                                   {"conc"},
                                   {"calls/s"},
                                   {"p50"},
                                   {"p90"},
                                   {"p99"},
                                   {"p99.9"},
                                   {"max"},
                                   {"user s"},
                                   {"sys s"},
                                   {"ctx sw"},
                                   {"stalls"},
                                   {"used"},
                                   {"balance"},
                                   {"errors"},
                                   {"crashes"},
                                   {"exactly once", true}};
    std::vector<std::vector<std::string>> rows;
    for (const cell_result& c : r.cells) {
        std::string once = "ok";
        if (!c.exactly_once()) {
            once = "FAILED (" + std::to_string(c.lost) + " lost, " + std::to_string(c.doubled) +
                   " doubled)";
        }
        rows.push_back({c.target, c.workload, std::to_string(c.pool_size),
                        std::to_string(c.concurrency), si(c.throughput), latency_text(c.p50_us),
                        latency_text(c.p90_us), latency_text(c.p99_us), latency_text(c.p999_us),
                        latency_text(c.max_us), fmt("%.2f", c.user_s), fmt("%.2f", c.sys_s),
                        std::to_string(c.voluntary_cs + c.involuntary_cs),
                        std::to_string(c.loop_stalls), std::to_string(c.workers_used),
                        fmt("%.2f", c.balance), std::to_string(c.errors), std::to_string(c.crashes),
                        once});
    }
    out += render(cols, rows);

    if (!r.idle.empty()) {
        out += "\nidle check (CPU of each executor's threads and processes while idle, median of " +
               std::to_string(idle_slices) + " slices; limit 1% of a core):\n";
        for (const idle_result& i : r.idle) {
            out += "  " + i.target + ": " + fmt("%.2f ms", i.cpu_s * 1e3) + " in " +
                   fmt("%.2f s", i.window_s) + ", " + fmt("%.2f ms", i.typical_cpu_s * 1e3) +
                   " at the median slice's rate (whole process " +
                   fmt("%.2f ms", i.process_cpu_s * 1e3) + ")  " +
                   (i.ok() ? "ok" : "FAILED: spins while idle") + "\n";
        }
    }
    if (r.advice) {
        out += "\nrecommendation: " + r.advice->target + " at concurrency " +
               std::to_string(r.advice->concurrency) + "\n  why: " + r.advice->reason + "\n";
    }
    if (r.interrupted_by != 0) {
        out += "\nresult: interrupted after " + std::to_string(r.cells.size()) + " cell(s)" +
               (r.failures.empty() ? std::string() : std::string(", FAILED")) + "\n";
        for (const std::string& f : r.failures) {
            out += "  - " + f + "\n";
        }
    } else if (r.failures.empty()) {
        out += "\nresult: ok\n";
    } else {
        out += "\nresult: FAILED\n";
        for (const std::string& f : r.failures) {
            out += "  - " + f + "\n";
        }
    }
    return out;
}

} // namespace weft::stress
