// --repeat (repeat.hpp): the median of a cell's runs, their spread, and the warnings a row earns
// for a short measurement or a wide spread, per cell and summed up under the table.
#include "repeat.hpp"

#include "common/format.hpp"

#include <algorithm>
#include <numeric>
#include <string>

namespace weft::stress {

namespace {

std::string cell_name(const cell_result& c) {
    return (c.scenario ? c.workload : c.target) + " x" + std::to_string(c.concurrency);
}

std::string percent(double share) {
    return tools::fmt("%.0f%%", share * 100);
}

} // namespace

cell_result combine_runs(const std::vector<cell_result>& runs) {
    std::vector<std::size_t> order(runs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return runs[a].throughput < runs[b].throughput;
    });
    cell_result r = runs[order[(order.size() - 1) / 2]];
    r.runs = runs.size();
    r.run_throughputs.clear();
    r.errors = r.crashes = r.lost = r.doubled = 0;
    for (const cell_result& run : runs) {
        r.run_throughputs.push_back(run.throughput);
        r.errors += run.errors;
        r.crashes += run.crashes;
        r.lost += run.lost;
        r.doubled += run.doubled;
    }
    const double lo = runs[order.front()].throughput;
    const double hi = runs[order.back()].throughput;
    r.spread = runs.size() > 1 && r.throughput > 0 ? (hi - lo) / r.throughput : 0;
    r.warnings = cell_warnings(r);
    return r;
}

std::vector<std::string> cell_warnings(const cell_result& c) {
    std::vector<std::string> w;
    if (c.wall_s < min_measured_s) {
        w.push_back(tools::fmt("measured %.3g s", c.wall_s) +
                    tools::fmt(" (under %.3g s)", min_measured_s));
    }
    if (c.spread > max_spread) {
        w.push_back("spread " + percent(c.spread) + " (over " + percent(max_spread) + ")");
    }
    return w;
}

std::vector<std::string> warning_summary(const std::vector<cell_result>& cells) {
    std::size_t short_cells = 0;
    double shortest = 0;
    std::vector<std::string> noisy;
    for (const cell_result& c : cells) {
        if (c.wall_s < min_measured_s) {
            shortest = short_cells == 0 ? c.wall_s : std::min(shortest, c.wall_s);
            ++short_cells;
        }
        if (c.spread > max_spread) {
            noisy.push_back(cell_name(c) + " " + percent(c.spread));
        }
    }
    std::vector<std::string> out;
    if (short_cells > 0) {
        out.push_back("warning: " + std::to_string(short_cells) + " of " +
                      std::to_string(cells.size()) + " cells were measured for less than " +
                      tools::fmt("%.3g s", min_measured_s) +
                      tools::fmt(" (the shortest %.3g s)", shortest) +
                      ": short runs are noisy; measure longer with --duration 1 or a larger "
                      "--tasks");
    }
    if (!noisy.empty()) {
        std::string list;
        for (const std::string& n : noisy) {
            list += (list.empty() ? "" : ", ") + n;
        }
        out.push_back("warning: " + std::to_string(noisy.size()) + " cell(s) varied by more than " +
                      percent(max_spread) +
                      " between runs (spread = (max - min) / median throughput: " + list +
                      "): the machine is busy or the runs too short; close other programs, "
                      "add --warmup 0.5, or raise --repeat");
    }
    return out;
}

} // namespace weft::stress
