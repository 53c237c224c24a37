// The sweep of `weft stress` (runner.hpp): each executor or scenario at each concurrency level in
// a cell of its own, driven closed-loop or open-loop (drivers.hpp), warmed up once and measured
// --repeat times with its CPU, loop and thread figures, the runs combined into one row
// (repeat.hpp); the observer hears of each phase and each finished cell. Then the idle check,
// the recommendation and the verdict.
#include "runner.hpp"

#include "cell_figures.hpp"
#include "drivers.hpp"
#include "idle_check.hpp"
#include "pools.hpp"
#include "proc_usage.hpp"
#include "recommend.hpp"
#include "repeat.hpp"
#include "scenarios.hpp"
#include "sweep_progress.hpp"
#include "tracking.hpp"

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/version.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace weft::stress {

namespace {

using seconds_d = std::chrono::duration<double>;

struct sweep_state {
    const stress_options& o;
    const sweep_observer& observer;
    std::size_t loops;
    std::size_t cells_total;
    std::size_t cells_done = 0;
    clock::time_point started = clock::now(); ///< when the sweep began (for sweep_fraction)
    /// The idle check's expected length: its window and the settling before it (0: none).
    double idle_expected_s = 0;
    run_report& report;
    std::map<std::string, std::set<std::size_t>> slots_by_target;
    /// The books of cells cut short (Ctrl-C): executor calls already running and the progress
    /// ticker may still write to them, so they live on until the pools have stopped.
    std::vector<std::unique_ptr<cell_context>>& retired;
};

/// Runs body(ctx) and, if it ends by an exception (a cancellation), hands ctx to st.retired
/// before passing the exception on, so that nothing still running refers to freed books.
template <class Body>
task<void> run_cell(sweep_state& st, std::unique_ptr<cell_context>& ctx, Body& body) {
    try {
        co_await body(*ctx);
    } catch (...) {
        st.retired.push_back(std::move(ctx));
        throw;
    }
}

std::optional<clock::time_point> deadline_in(double s) {
    if (s <= 0) {
        return std::nullopt;
    }
    return clock::now() + std::chrono::duration_cast<clock::duration>(seconds_d(s));
}

/// One phase of a cell as the progress bar shows it: the warm-up is step 0 of a cell with a
/// warm-up, each measured run one step more.
struct phase_info {
    std::string phase; ///< "warm-up", "measuring", or "measuring 2/3" when repeated
    std::string label; ///< "tbb:4 cpu:50 x64"
    std::size_t step = 0;
    std::size_t steps = 1;
};

/// Reports progress every 100 ms while a phase runs: the share of the sweep done, and the
/// phase's calls per second so far.
task<void> ticker(sweep_state& st, const cell_context& ctx, phase_info ph) {
    const auto start = clock::now();
    for (;;) {
        const double elapsed = seconds_d(clock::now() - start).count();
        double within = 0;
        if (ctx.deadline()) {
            within = seconds_d(clock::now() - start) /
                     std::max(seconds_d(*ctx.deadline() - start), seconds_d(1e-9));
        } else {
            within = static_cast<double>(ctx.completed()) / static_cast<double>(ctx.tasks());
        }
        const double cell = (static_cast<double>(ph.step) + std::clamp(within, 0.0, 1.0)) /
                            static_cast<double>(ph.steps);
        st.observer.progress(tools::progress_state{
            .fraction = sweep_fraction(seconds_d(clock::now() - st.started).count(),
                                       (static_cast<double>(st.cells_done) + cell) /
                                           static_cast<double>(st.cells_total),
                                       st.idle_expected_s),
            .phase = ph.phase,
            .label = ph.label,
            .rate = elapsed > 0 ? static_cast<double>(ctx.completed()) / elapsed : 0,
            .rate_unit = " calls/s",
        });
        co_await weft::sleep(std::chrono::milliseconds(100));
    }
}

/// Runs one phase of a cell on its books, with the ticker reporting it (a copy of `ph`).
template <class Body>
task<void> run_phase(sweep_state& st, std::unique_ptr<cell_context>& books, Body& body,
                     const phase_info& ph) {
    future<void> tick;
    if (st.observer.progress) {
        tick = weft::create_task(ticker(st, *books, ph));
    }
    co_await run_cell(st, books, body);
    if (tick.valid()) {
        tick.cancel();
        try {
            co_await tick;
        } catch (const cancelled_error&) {
        }
    }
}

/// One measured run of a cell, on fresh books.
template <class Body>
task<cell_result> measure_once(sweep_state& st, cell_result r, Body& body, const phase_info& ph) {
    const stress_options& o = st.o;
    auto books =
        std::make_unique<cell_context>(o.tasks, deadline_in(o.duration_s), st.loops, o.hooks, true);
    const loop_totals loops_before = sum_loop_stats();
    const usage before = process_usage();
    const auto start = clock::now();
    co_await run_phase(st, books, body, ph);
    const double wall = seconds_d(clock::now() - start).count();
    const usage after = process_usage();
    const loop_totals loops_after = sum_loop_stats();
    r.loop_steps = loops_after.steps - loops_before.steps;
    r.loop_stalls = loops_after.stalls - loops_before.stalls;
    r.tasks_created = loops_after.tasks - loops_before.tasks;
    fill_cell(r, *books, wall, before, after);
    note_threads(*books, st.slots_by_target[r.target]);
    co_return r;
}

/// A cell: its warm-up, then o.repeat measured runs, combined into one row (repeat.hpp).
template <class Body>
task<cell_result> measure(sweep_state& st, cell_result r, Body body) {
    const stress_options& o = st.o;
    const std::string name = r.target + " " + r.workload + " x" + std::to_string(r.concurrency);
    const std::size_t steps = o.repeat + (o.warmup_s > 0 ? 1 : 0);
    // Warm-up: the same load, unmeasured (its calls are still checked for exactly-once).
    id_tracker::verdict warm{};
    if (o.warmup_s > 0) {
        auto warm_ctx = std::make_unique<cell_context>(o.tasks, deadline_in(o.warmup_s), st.loops,
                                                       test_hooks{}, false);
        const phase_info ph{"warm-up", name, 0, steps};
        co_await run_phase(st, warm_ctx, body, ph);
        warm = warm_ctx->check();
    }
    std::vector<cell_result> runs;
    for (std::size_t i = 0; i < o.repeat; ++i) {
        // Named, not a braced temporary: GCC 12 destroys a coroutine argument's temporaries twice.
        const phase_info ph{o.repeat == 1 ? std::string("measuring")
                                          : "measuring " + std::to_string(i + 1) + "/" +
                                                std::to_string(o.repeat),
                            name, steps - o.repeat + i, steps};
        runs.push_back(co_await measure_once(st, r, body, ph));
    }
    cell_result row = combine_runs(runs);
    row.lost += warm.lost;
    row.doubled += warm.doubled;
    ++st.cells_done;
    if (st.observer.cell_done) {
        st.observer.cell_done(row);
    }
    co_return row;
}

/// Reports the idle check's progress every 100 ms: the executors at rest, nothing to count.
task<void> idle_ticker(const sweep_state& st) {
    const auto start = clock::now();
    const double sweep_s = seconds_d(start - st.started).count();
    for (;;) {
        st.observer.progress(tools::progress_state{
            .fraction =
                idle_fraction(sweep_s, seconds_d(clock::now() - start).count(), st.idle_expected_s),
            .phase = "idle check",
            .label = "executors at rest"});
        co_await weft::sleep(std::chrono::milliseconds(100));
    }
}

task<std::size_t> loop_thread_slot() {
    co_return thread_registry::slot();
}

task<void> sweep(sweep_state& st, std::vector<std::unique_ptr<pool>>& pools) {
    const stress_options& o = st.o;
    for (auto& p : pools) {
        co_await p->get_ready();
    }
    st.started = clock::now();
    if (st.observer.started) {
        st.observer.started();
    }
    for (auto& p : pools) {
        for (std::size_t c : o.concurrency) {
            cell_result r;
            r.target = p->spec().label;
            r.workload = o.workload.label;
            r.pool_size = p->max_workers();
            r.concurrency = c;
            r.offered_rate = o.rate;
            pool& pr = *p;
            auto body = [&st, &pr, &o, c](cell_context& ctx) -> task<void> {
                if (o.rate > 0) {
                    return open_loop(ctx, pr, o.workload, c, o.rate);
                }
                return closed_loop(ctx, pr, o.workload, c, st.loops);
            };
            st.report.cells.push_back(co_await measure(st, std::move(r), body));
        }
    }
    for (scenario_kind s : o.scenarios) {
        for (std::size_t c : o.concurrency) {
            cell_result r;
            r.target = "runtime";
            r.workload = std::string(scenario_name(s));
            r.scenario = true;
            r.pool_size = st.loops;
            r.concurrency = c;
            const std::size_t loops = st.loops;
            auto body = [s, c, loops](cell_context& ctx) -> task<void> {
                return run_scenario(s, ctx, c, loops);
            };
            st.report.cells.push_back(co_await measure(st, std::move(r), body));
        }
    }
    if (o.idle_s <= 0) {
        co_return;
    }
    // The idle check: CPU used by each executor's own threads while nothing at all is asked of
    // them. Loop threads are left out (an inline executor runs its calls there and has no
    // thread of its own to check).
    std::vector<future<std::size_t>> loop_slots;
    for (std::size_t i = 0; i < st.loops; ++i) {
        loop_slots.push_back(weft::spawn_on(i, loop_thread_slot()));
    }
    for (std::size_t s : co_await weft::gather(loop_slots)) {
        for (auto& [target, slots] : st.slots_by_target) {
            slots.erase(s);
        }
    }
    std::vector<idle_target> targets = idle_targets(st.slots_by_target, pools);
    future<void> tick;
    if (st.observer.progress) {
        tick = weft::create_task(idle_ticker(st));
    }
    st.report.idle = co_await check_idle(
        std::move(targets),
        {.window_s = o.idle_s, .loops = st.loops, .spin = o.hooks.spin_while_idle});
    if (tick.valid()) {
        tick.cancel();
        try {
            co_await tick;
        } catch (const cancelled_error&) {
        }
    }
}

} // namespace

void judge(run_report& report) {
    report.failures.clear();
    for (const cell_result& c : report.cells) {
        const std::string where =
            c.target + " " + c.workload + " at concurrency " + std::to_string(c.concurrency);
        if (c.lost > 0) {
            report.failures.push_back(where + ": " + std::to_string(c.lost) +
                                      " call(s) lost (submitted, never completed exactly once)");
        }
        if (c.doubled > 0) {
            report.failures.push_back(where + ": " + std::to_string(c.doubled) +
                                      " call(s) reported more than once");
        }
    }
    for (const idle_result& i : report.idle) {
        if (!i.ok()) {
            char buf[200];
            std::snprintf(buf, sizeof buf,
                          "%s: its threads used %.1f ms of CPU in %.2f s of idling (%.1f ms at "
                          "the median slice's rate; limit %.1f ms): an idle pool that spins",
                          i.target.c_str(), i.cpu_s * 1e3, i.window_s, i.typical_cpu_s * 1e3,
                          i.limit_s * 1e3);
            report.failures.emplace_back(buf);
        }
    }
}

run_report new_report(const stress_options& o) {
    run_report report;
    report.version = weft::version();
    report.workload = o.scenarios.empty() || !o.executors.empty() ? o.workload.label : "";
    report.hardware_threads = std::thread::hardware_concurrency();
    report.open_loop = o.rate > 0;
    report.repeat = o.repeat;
    report.p99_max_us = o.p99_max_us;
    const bool needs_two = std::any_of(o.scenarios.begin(), o.scenarios.end(), [](scenario_kind s) {
        return s == scenario_kind::cross_loop || s == scenario_kind::queue_pingpong;
    });
    report.loops = std::max<std::size_t>(o.loops, needs_two ? 2 : 1);
    return report;
}

run_report run_stress(const stress_options& o, const sweep_observer& observer) {
    validate(o);
    run_report report = new_report(o);

    // Declared before the pools, so destroyed after them: see sweep_state::retired.
    std::vector<std::unique_ptr<cell_context>> retired;
    std::vector<std::unique_ptr<pool>> pools;
    if (std::any_of(o.executors.begin(), o.executors.end(),
                    [](const executor_spec& e) { return e.kind == executor_kind::process; })) {
        pool::prepare_process_pools(); // before any executor or loop thread exists
    }
    for (const executor_spec& e : o.executors) {
        pools.push_back(pool::make(e));
    }
    sweep_state st{
        .o = o,
        .observer = observer,
        .loops = report.loops,
        .cells_total = (pools.size() + o.scenarios.size()) * o.concurrency.size(),
        .idle_expected_s =
            o.idle_s > 0 ? o.idle_s + std::chrono::duration<double>(settle_quiet).count() : 0,
        .report = report,
        .slots_by_target = {},
        .retired = retired,
    };
    try {
        weft::run(sweep(st, pools),
                  weft::options{.loops = report.loops,
                                .on_interrupt = weft::interrupt_action::throw_interrupted});
    } catch (const weft::interrupted& e) {
        // What finished is kept: the cells measured to the end (a cell cut short is dropped).
        report.interrupted_by = e.signal();
        judge(report);
        return report;
    }
    if (o.recommend) {
        report.advice = recommend(report.cells, o.p99_max_us);
        if (!report.advice) {
            report.no_advice = no_advice_reason(report.cells, o.p99_max_us);
        }
    }
    judge(report);
    return report;
}

} // namespace weft::stress
