// Tiny sweeps through run_stress: every executor kind, every scenario, open and closed loops,
// and the exactly-once check proven by the test hooks.

#include "runner.hpp"
#include "sweep_progress.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace weft::stress;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif

/// Debian's oneTBB is not built with ThreadSanitizer, which then reports oneTBB's own hand-offs
/// as races: under TSan the tbb entries run on a thread pool instead.
std::string tsan_safe(std::string executors) {
    if (under_tsan) {
        for (std::size_t at = executors.find("tbb:2"); at != std::string::npos;
             at = executors.find("tbb:2")) {
            executors.replace(at, 5, "threads:3");
        }
    }
    return executors;
}

stress_options tiny(const char* executors, const char* workload) {
    stress_options o;
    o.executors = parse_executors(tsan_safe(executors));
    o.workload = parse_workload(workload);
    o.concurrency = {1, 4};
    o.tasks = 200;
    o.idle_s = 0;
    return o;
}

void expect_clean(const cell_result& c, std::uint64_t tasks) {
    SCOPED_TRACE(c.target + " " + c.workload + " x" + std::to_string(c.concurrency));
    EXPECT_EQ(c.submitted, tasks);
    EXPECT_EQ(c.completed, tasks);
    EXPECT_EQ(c.errors, 0u);
    EXPECT_TRUE(c.exactly_once());
    EXPECT_GT(c.throughput, 0);
    EXPECT_GT(c.wall_s, 0);
    EXPECT_LE(c.p50_us, c.p90_us);
    EXPECT_LE(c.p90_us, c.p99_us);
    EXPECT_LE(c.p99_us, c.p999_us);
    EXPECT_LE(c.p999_us, c.max_us);
    EXPECT_GE(c.workers_used, 1u);
    EXPECT_GT(c.loop_steps, 0u); // the runtime's own counters moved
    EXPECT_GT(c.balance, 0);
    EXPECT_LE(c.balance, 1.0);
}

} // namespace

TEST(stress_runner, every_executor_kind_and_workload_completes_exactly_once) {
    for (const char* w : {"cpu:20", "sleep:50", "io:2000", "alloc:10000",
                          "mixed:1*cpu:10+1*sleep:10+1*io:100+1*alloc:100"}) {
        const run_report r = run_stress(tiny("tbb:2,threads:2,inline", w));
        ASSERT_EQ(r.cells.size(), 6u) << w;
        for (const cell_result& c : r.cells) {
            expect_clean(c, 200);
            EXPECT_EQ(c.workload, parse_workload(w).label);
        }
        EXPECT_TRUE(r.ok()) << w;
    }
}

TEST(stress_runner, pool_sizes_and_balance_are_reported) {
    stress_options o = tiny("threads:3,inline", "sleep:1000");
    o.tasks = 100;
    const run_report r = run_stress(o);
    ASSERT_EQ(r.cells.size(), 4u);
    EXPECT_EQ(r.cells[0].pool_size, 3u);
    // Four callers keep all three threads busy: while two threads sleep in their calls, the
    // third must take the next one.
    EXPECT_EQ(r.cells[1].concurrency, 4u);
    EXPECT_EQ(r.cells[1].workers_used, 3u);
    // Inline runs every call on the loop's own thread.
    EXPECT_EQ(r.cells[2].workers_used, 1u);
    EXPECT_DOUBLE_EQ(r.cells[2].balance, 1.0);
}

TEST(stress_runner, a_lost_call_fails_the_run) {
    stress_options o = tiny("threads:2", "cpu:1");
    o.concurrency = {4};
    o.hooks.lose_id = 17;
    run_report r = run_stress(o);
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0].lost, 1u);
    EXPECT_EQ(r.cells[0].doubled, 0u);
    EXPECT_FALSE(r.cells[0].exactly_once());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.failures[0].find("1 call(s) lost"), std::string::npos) << r.failures[0];
}

TEST(stress_runner, a_doubled_call_fails_the_run) {
    stress_options o = tiny("tbb:2", "cpu:1");
    o.concurrency = {2};
    o.hooks.double_id = 3;
    const run_report r = run_stress(o);
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0].doubled, 1u);
    EXPECT_EQ(r.cells[0].lost, 0u);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.failures[0].find("more than once"), std::string::npos) << r.failures[0];
}

TEST(stress_runner, repeat_measures_each_cell_n_times_and_checks_every_run) {
    stress_options o = tiny("threads:2", "sleep:100");
    o.concurrency = {1, 2};
    o.tasks = 50;
    o.repeat = 3;
    o.hooks.lose_id = 7; // lost in each of the three runs
    const run_report r = run_stress(o);
    EXPECT_EQ(r.repeat, 3u);
    ASSERT_EQ(r.cells.size(), 2u);
    for (const cell_result& c : r.cells) {
        EXPECT_EQ(c.runs, 3u);
        ASSERT_EQ(c.run_throughputs.size(), 3u);
        EXPECT_GE(c.spread, 0);
        EXPECT_EQ(c.lost, 3u);
        EXPECT_EQ(c.submitted, 50u); // one run's calls: the median run's
        const auto [lo, hi] =
            std::minmax_element(c.run_throughputs.begin(), c.run_throughputs.end());
        EXPECT_GE(c.throughput, *lo);
        EXPECT_LE(c.throughput, *hi);
    }
    EXPECT_FALSE(r.ok());
}

TEST(stress_runner, the_observer_hears_the_start_each_cell_and_each_phase) {
    stress_options o = tiny("threads:2", "sleep:200");
    o.concurrency = {1, 2};
    o.tasks = 0;
    o.duration_s = 0.3; // long enough for the 100 ms ticker to report each phase
    o.warmup_s = 0.3;
    o.repeat = 2;
    std::vector<std::string> events;
    std::set<std::string> phases;
    double last_fraction = 0;
    bool monotonic = true;
    sweep_observer obs;
    obs.started = [&] { events.push_back("started"); };
    obs.cell_done = [&](const cell_result& c) {
        events.push_back("cell x" + std::to_string(c.concurrency));
    };
    obs.progress = [&](const weft::tools::progress_state& s) {
        phases.insert(std::string(s.phase.substr(0, s.phase.find(' '))));
        monotonic = monotonic && s.fraction >= last_fraction - 1e-9 && s.fraction <= 1.0;
        last_fraction = s.fraction;
        if (s.phase.starts_with("measuring")) {
            EXPECT_TRUE(s.phase == "measuring 1/2" || s.phase == "measuring 2/2") << s.phase;
            EXPECT_TRUE(s.label.starts_with("threads:2 sleep:200 x")) << s.label;
        }
    };
    const run_report r = run_stress(o, obs);
    EXPECT_EQ(events, (std::vector<std::string>{"started", "cell x1", "cell x2"}));
    EXPECT_TRUE(phases.contains("warm-up"));
    EXPECT_TRUE(phases.contains("measuring"));
    EXPECT_TRUE(monotonic);
    ASSERT_EQ(r.cells.size(), 2u);
    EXPECT_EQ(r.cells[0].runs, 2u);
}

TEST(stress_runner, duration_and_warmup) {
    stress_options o = tiny("threads:2", "sleep:100");
    o.concurrency = {2};
    o.duration_s = 0.1;
    o.warmup_s = 0.05;
    const run_report r = run_stress(o);
    ASSERT_EQ(r.cells.size(), 1u);
    const cell_result& c = r.cells[0];
    EXPECT_TRUE(c.exactly_once());
    EXPECT_GT(c.completed, 10u);
    EXPECT_EQ(c.completed, c.submitted);
    EXPECT_GE(c.wall_s, 0.09);
    EXPECT_LT(c.wall_s, 5.0); // generous: the cell ends soon after its deadline
}

TEST(stress_runner, open_loop_keeps_the_offered_rate) {
    stress_options o = tiny("threads:2", "sleep:10");
    o.concurrency = {8};
    o.rate = 2000;
    o.tasks = 200;
    const run_report r = run_stress(o);
    ASSERT_EQ(r.cells.size(), 1u);
    const cell_result& c = r.cells[0];
    expect_clean(c, 200);
    EXPECT_TRUE(r.open_loop);
    EXPECT_DOUBLE_EQ(c.offered_rate, 2000);
    // 200 arrivals at 2000/s take about 0.1 s whatever the executor does: the rate is kept.
    EXPECT_GE(c.wall_s, 0.09);
    EXPECT_LT(c.throughput, 2000 * 1.5);
}

TEST(stress_runner, open_loop_latency_counts_from_the_intended_send_time) {
    // One slot, calls of 2 ms, arrivals every 1 ms: calls queue behind each other, and their
    // latency grows with the backlog instead of staying at the service time.
    stress_options o = tiny("threads:1", "sleep:2000");
    o.concurrency = {1};
    o.rate = 1000;
    o.tasks = 50;
    const run_report r = run_stress(o);
    const cell_result& c = r.cells.at(0);
    EXPECT_TRUE(c.exactly_once());
    EXPECT_GT(c.max_us, 20'000); // the last of 50 waits ~50 ms, far above the 2 ms service time
}

TEST(stress_runner, loop_counters_show_the_tasks_a_scenario_creates) {
    stress_options o;
    o.scenarios = {scenario_kind::spawn_storm};
    o.concurrency = {10};
    o.tasks = 100;
    o.idle_s = 0;
    const run_report r = run_stress(o);
    // 100 spawned tasks, each one a root task on a loop.
    EXPECT_GE(r.cells.at(0).tasks_created, 100u);
}

TEST(stress_runner, every_scenario_at_a_tiny_size) {
    stress_options o;
    o.scenarios = all_scenarios();
    o.concurrency = {1, 8};
    o.tasks = 300;
    o.loops = 2;
    o.idle_s = 0;
    const run_report r = run_stress(o);
    ASSERT_EQ(r.cells.size(), 12u);
    for (const cell_result& c : r.cells) {
        EXPECT_TRUE(c.scenario);
        EXPECT_EQ(c.target, "runtime");
        EXPECT_EQ(c.pool_size, 2u);
        expect_clean(c, 300);
    }
    EXPECT_TRUE(r.ok());
}

TEST(stress_runner, a_lost_operation_in_a_scenario_fails_the_run) {
    stress_options o;
    o.scenarios = {scenario_kind::queue_pingpong};
    o.concurrency = {2};
    o.tasks = 50;
    o.idle_s = 0;
    o.hooks.lose_id = 7;
    const run_report r = run_stress(o);
    EXPECT_EQ(r.loops, 2u); // queue-pingpong runs on two loops at least
    EXPECT_EQ(r.cells.at(0).lost, 1u);
    EXPECT_FALSE(r.ok());
}

TEST(stress_runner, idle_check_reports_each_executor_with_threads) {
    stress_options o = tiny("threads:2,inline", "cpu:1");
    o.concurrency = {2};
    o.idle_s = 0.2;
    const run_report r = run_stress(o);
    // inline runs on the loop's thread: no threads of its own to check.
    ASSERT_EQ(r.idle.size(), 1u);
    EXPECT_EQ(r.idle[0].target, "threads:2");
    EXPECT_GE(r.idle[0].window_s, 0.2);
    EXPECT_DOUBLE_EQ(r.idle[0].limit_s, 0.01 * r.idle[0].window_s);
    // An idle thread_pool sleeps on a condition variable.
    EXPECT_TRUE(r.idle[0].ok()) << r.idle[0].cpu_s;
}

TEST(stress_runner, judge_fails_a_spinning_pool) {
    run_report r;
    r.idle.push_back({.target = "spinner",
                      .window_s = 1.0,
                      .cpu_s = 0.5,
                      .process_cpu_s = 0.5,
                      .limit_s = 0.01,
                      .typical_cpu_s = 0.5});
    // A burst in one slice: much CPU in all, little at the median slice's rate.
    r.idle.push_back({.target = "burst",
                      .window_s = 1.0,
                      .cpu_s = 0.05,
                      .process_cpu_s = 0.5,
                      .limit_s = 0.01,
                      .typical_cpu_s = 0.001});
    judge(r);
    ASSERT_EQ(r.failures.size(), 1u);
    EXPECT_NE(r.failures[0].find("spinner"), std::string::npos);
    EXPECT_NE(r.failures[0].find("spins"), std::string::npos);
}

TEST(stress_runner, process_executor_without_process_pools_is_refused_clearly) {
    if (process_pools_available) {
        GTEST_SKIP() << "this build has process pools";
    }
    stress_options o = tiny("process:2", "cpu:1");
    EXPECT_THROW((void)run_stress(o), spec_error);
}

TEST(stress_runner, process_pool_workloads_complete_exactly_once) {
    if (!process_pools_available) {
        GTEST_SKIP() << "this build has no process pools";
    }
    for (const char* w : {"cpu:20", "sleep:50", "io:2000", "alloc:10000"}) {
        stress_options o = tiny("process:2", w);
        o.tasks = 100;
        const run_report r = run_stress(o);
        ASSERT_EQ(r.cells.size(), 2u) << w;
        for (const cell_result& c : r.cells) {
            expect_clean(c, 100);
            EXPECT_EQ(c.pool_size, 2u);
            EXPECT_EQ(c.crashes, 0u);
        }
        // Four callers on two worker processes. Short calls may all go to the worker that came
        // up first (the other may still be starting on a loaded machine); calls that hold their
        // worker for 50 ms make the pool hand the others to the second one.
        if (std::string_view(w) == "sleep:50") {
            EXPECT_EQ(r.cells[1].workers_used, 2u) << w;
        } else {
            EXPECT_GE(r.cells[1].workers_used, 1u) << w;
            EXPECT_LE(r.cells[1].workers_used, 2u) << w;
        }
    }
}

TEST(stress_runner, process_pool_recovers_from_crashing_workers) {
    if (!process_pools_available) {
        GTEST_SKIP() << "this build has no process pools";
    }
    stress_options o = tiny("process:2", "mixed:1*cpu:10+1*crash:0.2");
    o.concurrency = {4};
    o.tasks = 200;
    o.idle_s = 0.5;
    const run_report r = run_stress(o);
    const cell_result& c = r.cells.at(0);
    // About 10% of the calls kill their worker; each counts as a crash, not an error, and the
    // pool replaces the worker: every call still completes exactly once.
    EXPECT_GT(c.crashes, 5u);
    EXPECT_LT(c.crashes, 60u);
    EXPECT_EQ(c.errors, 0u);
    EXPECT_EQ(c.completed, 200u);
    EXPECT_TRUE(c.exactly_once());
    EXPECT_GT(c.workers_used, 2u); // replacements ran calls too
    // The idle check watches the worker processes.
    ASSERT_EQ(r.idle.size(), 1u);
    EXPECT_EQ(r.idle[0].target, "process:2");
    EXPECT_TRUE(r.ok()) << (r.failures.empty() ? "" : r.failures[0]);
}

// The idle check judges idling, not start-up, yet still catches a pool that really spins: here
// each executor keeps one call burning CPU through the whole window.
TEST(stress_runner, idle_check_fails_pools_that_spin) {
    const bool processes = process_pools_available;
    stress_options o = tiny(processes ? "threads:1,process:2" : "threads:1", "cpu:1");
    o.concurrency = {1};
    o.tasks = 20;
    o.idle_s = 0.5;
    o.hooks.spin_while_idle = true;
    const run_report r = run_stress(o);
    ASSERT_EQ(r.idle.size(), processes ? 2u : 1u);
    for (const idle_result& i : r.idle) {
        SCOPED_TRACE(i.target);
        EXPECT_FALSE(i.ok()) << i.typical_cpu_s;
        EXPECT_GT(i.cpu_s, i.limit_s);
    }
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.failures.size(), r.idle.size());
    EXPECT_NE(r.failures[0].find("spins"), std::string::npos);
}

// Ctrl-C in the middle of a sweep: the run unwinds and returns what finished (here the first of
// two cells; the second, cut short, is dropped) with the signal, instead of aborting.
TEST(stress_runner, an_interrupted_run_keeps_the_cells_that_finished) {
    stress_options o = tiny("threads:2", "sleep:1000");
    o.concurrency = {1, 2};
    o.tasks = 0;
    o.duration_s = 2; // the second cell runs 2 s: the signal lands well inside it
    o.idle_s = 1;
    bool sent = false;
    sweep_observer interrupt_after_first_cell;
    interrupt_after_first_cell.progress = [&sent](const weft::tools::progress_state& s) {
        if (s.fraction > 0.5 && !sent) { // the first of two cells finished, the second is running
            sent = true;
            std::raise(SIGINT);
        }
    };
    const run_report r = run_stress(o, interrupt_after_first_cell);
    EXPECT_TRUE(sent);
    EXPECT_EQ(r.interrupted_by, SIGINT);
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0].concurrency, 1u);
    EXPECT_TRUE(r.cells[0].exactly_once());
    EXPECT_TRUE(r.idle.empty()); // the idle check never ran
    EXPECT_FALSE(r.advice.has_value());
}

TEST(stress_runner, a_lost_call_on_a_process_pool_fails_the_run) {
    if (!process_pools_available) {
        GTEST_SKIP() << "this build has no process pools";
    }
    stress_options o = tiny("process:2", "cpu:1");
    o.concurrency = {2};
    o.tasks = 30;
    o.hooks.lose_id = 11;
    const run_report r = run_stress(o);
    EXPECT_EQ(r.cells.at(0).lost, 1u);
    EXPECT_FALSE(r.ok());
}

TEST(stress_progress, the_fraction_counts_the_idle_check_and_only_rises) {
    EXPECT_DOUBLE_EQ(sweep_fraction(3, 0.5, 0), 0.5); // no idle check: the cells' share
    EXPECT_DOUBLE_EQ(sweep_fraction(0, 0, 1), 0);
    // 4 s in, half the cells done: a sweep of about 8 s, then 2 s of idle check.
    EXPECT_DOUBLE_EQ(sweep_fraction(4, 0.5, 2), 0.4);
    // A stalled cell (its share unchanged) still moves the bar forward as time passes.
    EXPECT_GT(sweep_fraction(5, 0.5, 2), sweep_fraction(4, 0.5, 2));
    // The sweep done: where the idle check takes over, then up to 0.99 until it ends.
    EXPECT_DOUBLE_EQ(sweep_fraction(8, 1.0, 2), 0.8);
    EXPECT_DOUBLE_EQ(idle_fraction(8, 0, 2), 0.8);
    EXPECT_DOUBLE_EQ(idle_fraction(8, 1, 2), 0.9);
    EXPECT_DOUBLE_EQ(idle_fraction(8, 5, 2), 0.99);
}
