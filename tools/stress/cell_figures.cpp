// The figures of a measured run (cell_figures.hpp): counts and throughput, percentiles from the
// merged histograms, CPU and context switches from getrusage deltas, threads used and balance
// from the per-thread (and per-process) call counts, and the loops' own counters.
#include "cell_figures.hpp"

#include <weft/runtime/stats.hpp>

#include <algorithm>
#include <vector>

namespace weft::stress {

void fill_cell(cell_result& r, const cell_context& ctx, double wall_s, const usage& before,
               const usage& after) {
    r.submitted = ctx.issued();
    r.completed = ctx.completed();
    r.errors = ctx.errors();
    const auto verdict = ctx.check();
    r.lost = verdict.lost;
    r.doubled = verdict.doubled;
    r.wall_s = wall_s;
    r.throughput = wall_s > 0 ? static_cast<double>(r.completed) / wall_s : 0;
    const histogram h = ctx.latencies();
    auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    r.p50_us = us(h.percentile(50));
    r.p90_us = us(h.percentile(90));
    r.p99_us = us(h.percentile(99));
    r.p999_us = us(h.percentile(99.9));
    r.max_us = us(h.max());
    r.mean_us = h.mean() / 1000.0;
    r.user_s = after.user_s - before.user_s;
    r.sys_s = after.sys_s - before.sys_s;
    r.voluntary_cs = after.vcs - before.vcs;
    r.involuntary_cs = after.ivcs - before.ivcs;
    r.crashes = ctx.crashes();
    std::vector<std::uint64_t> per_thread = ctx.per_thread();
    for (std::uint64_t n : ctx.per_process()) {
        per_thread.push_back(n);
    }
    std::uint64_t most = 0, total = 0;
    for (std::uint64_t n : per_thread) {
        if (n > 0) {
            ++r.workers_used;
            total += n;
            most = std::max(most, n);
        }
    }
    r.balance = most == 0 ? 0
                          : static_cast<double>(total) / static_cast<double>(r.workers_used) /
                                static_cast<double>(most);
}

void note_threads(const cell_context& ctx, std::set<std::size_t>& slots) {
    const std::vector<std::uint64_t> per_thread = ctx.per_thread();
    for (std::size_t i = 0; i + 1 < per_thread.size(); ++i) {
        if (per_thread[i] > 0) {
            slots.insert(i);
        }
    }
}

loop_totals sum_loop_stats() {
    loop_totals t;
    for (const loop_stats& l : weft::runtime_stats()) {
        t.steps += l.steps_run;
        t.stalls += l.stalls;
        t.tasks += l.tasks_created;
    }
    return t;
}

} // namespace weft::stress
