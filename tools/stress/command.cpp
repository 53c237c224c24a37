// `weft stress` as a CLI11 subcommand (command.hpp): its options and help footer, turning them into
// stress_options with the spec parsers, and running it: the report files checked first, then the
// sweep with a progress bar on a terminal and the table's rows printed as the cells finish, then
// the JSON, CSV and HTML reports, what follows the table, and the exit status.
#include "command.hpp"

#include "output_files.hpp"
#include "report_html.hpp"
#include "report_json_csv.hpp"
#include "report_meta.hpp"
#include "report_table.hpp"
#include "runner.hpp"

#include "common/cli_checks.hpp"
#include "common/progress_bar.hpp"
#include "common/terminal.hpp"

#include <weft/runtime/run.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <utility>

namespace weft::stress {

namespace {

/// A CLI11 check that runs one of the spec parsers.
template <class Parse>
CLI::Validator spec_check(Parse parse, const char* name) {
    return CLI::Validator(
        [parse](std::string& s) -> std::string {
            try {
                (void)parse(s);
                return {};
            } catch (const spec_error& e) {
                return e.what();
            }
        },
        name);
}

const char* const footer = R"(Executors (side by side, one cell per executor and concurrency):
  tbb[:N]      weft::tbb_pool (N workers; default max(32, cores + 4))
  threads:N    weft::thread_pool of N threads
  process:N    weft::process_pool of N worker processes (builds with process pools only)
  inline       weft::inline_executor: each call runs on the submitting loop
  redis:URL[,queue=NAME][,in_flight=N][,workers=N][,per_worker=N][,prefetch=N]
               weft::redis_pool: process:N's calls through a Redis broker (URL redis://host:port
               or unix:///path/redis.sock; password in WEFT_REDIS_PASSWORD, user in
               WEFT_REDIS_USER). workers=N starts N `weft worker` processes of this program for
               the run, each running per_worker calls at once (default 1) and reading prefetch
               more ahead (default 3 per running call), and stops them after; without it
               (workers=0) the workers already serving the queue (default weft-stress;
               `weft worker --redis URL`) run the calls. in_flight: the pool's max_in_flight
               (default 1024). The sweep starts once the workers answer.

Workloads (what each call does):
  cpu:<us>     busy compute for <us> microseconds of the worker's CPU time
  sleep:<us>   blocking sleep (a stand-in for a blocking network call)
  io:<bytes>   blocking pipe I/O: writes and reads back <bytes> (suffix k, m, g)
  alloc:<bytes>  allocates <bytes>, touches every page, frees them
  crash:<rate> a share of calls crash their worker (process:N only)
  mixed:<w1>*<spec>+<w2>*<spec>  a weighted mix, e.g. mixed:9*cpu:50+1*sleep:1000

Scenarios (stress weft's runtime itself, instead of an executor):
  spawn-storm     waves of tasks spawned on the least busy loops, then awaited
  cancel-storm    waves of sleeping tasks on every loop, all cancelled at once
  timer-storm     tasks sleeping 0-1000 us again and again; latency = how late timers fire
  cross-loop      tasks awaiting tasks they start on the next loop (2 loops at least)
  gather-fanout   gathers of <concurrency> children, on every loop
  queue-pingpong  pairs of tasks on neighbouring loops bouncing ids through weft::queue
  all             every scenario

Each cell reports throughput, latency p50/p90/p99/p99.9/max (log-linear histogram, within 0.8%),
CPU user/sys, context switches, threads used and their balance, errors and crashes, and checks
that every call completed exactly once. After the sweep each executor settles (crashed process
workers replaced) and then idles for --idle seconds, measured in 5 slices: one whose threads or
worker processes use more than 1% of a core at the median slice's rate fails the run.

Output: on a terminal the table fits its width ($COLUMNS, else the terminal's): the less
important columns are left out first, and a note under the table names them (--json and
--csv have them all). Rows appear as cells finish; a progress bar on stderr shows the phase,
the rate and the time left. --repeat N measures each cell N times and reports the median run
(by throughput) with its spread, (max - min) / median throughput; a cell measured for under
0.5 s, or with a spread over 10%, gets a warning under the table and in the JSON.
--recommend names the smallest pool and concurrency within 95% of the best throughput (and
within --p99-max), says when it lies at the edge of the sweep, and prints the code to write;
redis rows are left out (a redis pool's size is that of its workers).
JSON and CSV record the command line, the time (UTC), the host, the CPU count and the weft
version (CSV: as leading "# key: value" lines). Report paths are checked before the sweep.

Exit status: 0 all checks passed, 1 a check failed (a lost or doubled call, a spinning pool,
a report that could not be written), 2 bad arguments or a report path that cannot be written;
SIGINT/SIGTERM stop the run, which unwinds and then dies by that signal (130/143).

Examples:
  weft stress
  weft stress --executor tbb,threads:4,threads:16,inline --workload sleep:1000 -c 1,8,64,512
  weft stress -e threads:2,threads:4,threads:8 -w mixed:9*cpu:50+1*sleep:1000 --recommend
  weft stress -e tbb:4,tbb:8 -w sleep:1000 -c 8,64 --repeat 5 --recommend --p99-max 5ms
  weft stress -e tbb -w cpu:100 --rate 5000 --duration 3 -c 64
  weft stress -e process:4,redis:redis://127.0.0.1:6379,workers=4 -w cpu:200 -c 4,16
  weft stress --scenario all --loops 2 --tasks 20000 --html stress.html
  weft stress --json result.json --csv --idle 0)";

} // namespace

CLI::App* add_stress_options(CLI::App& app, command_line& cl) {
    CLI::App* sub = app.add_subcommand(
        "stress", "Stress-test executors and the runtime: throughput, latency, CPU, balance, "
                  "exactly-once, idle CPU; tables, JSON, CSV, HTML charts, sizing advice");
    sub->footer(footer);
    sub->add_option("-e,--executor", cl.executors,
                    "Executors to compare, comma-separated: tbb[:N], threads:N, process:N, "
                    "inline, redis:URL[,queue=NAME][,in_flight=N][,workers=N][,per_worker=N]"
                    "[,prefetch=N] "
                    "(example: tbb,threads:8,inline)")
        ->check(spec_check(parse_executors, "LIST"))
        ->capture_default_str()
        ->each([&cl](const std::string&) { cl.executors_given = true; });
    sub->add_option("-w,--workload", cl.workload,
                    "What each call does: cpu:<us>, sleep:<us>, io:<bytes>, alloc:<bytes>, "
                    "crash:<rate>, mixed:<w1>*<spec>+<w2>*<spec> (example: sleep:1000)")
        ->check(spec_check(parse_workload, "SPEC"))
        ->capture_default_str();
    sub->add_option("-s,--scenario", cl.scenarios,
                    "Runtime scenarios instead of executors, comma-separated: spawn-storm, "
                    "cancel-storm, timer-storm, cross-loop, gather-fanout, queue-pingpong, all "
                    "(example: spawn-storm,cancel-storm)")
        ->check(spec_check(parse_scenarios, "LIST"));
    sub->add_option("-c,--concurrency", cl.concurrency,
                    "Calls in flight at once, a sweep (example: 1,8,64,512)")
        ->check(spec_check(parse_concurrency, "LIST"))
        ->capture_default_str();
    auto* tasks = sub->add_option("-n,--tasks", cl.tasks,
                                  "Calls per cell instead of a time (example: --tasks 10000)")
                      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
    sub->add_option("-d,--duration", cl.duration_s,
                    "Seconds per cell (default 0.5 unless --tasks; example: --duration 2.5)")
        ->check(tools::finite_number())
        ->check(CLI::Range(0.001, 3600.0))
        ->excludes(tasks);
    sub->add_option("--loops", cl.loops, "Event loops submitting calls (example: --loops 2)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{256}))
        ->capture_default_str();
    sub->add_option("--warmup", cl.warmup_s,
                    "Seconds of unmeasured load before each cell (example: --warmup 0.5)")
        ->check(tools::finite_number())
        ->check(CLI::Range(0.0, 600.0))
        ->capture_default_str();
    sub->add_option("--rate", cl.rate,
                    "Open loop: calls arrive at this rate per second and latency counts from "
                    "the intended send time, so a stall shows instead of hiding (no coordinated "
                    "omission); --concurrency caps calls in flight (example: --rate 2000)")
        ->check(tools::finite_number())
        ->check(CLI::Range(0.001, 1e8));
    sub->add_option("--idle", cl.idle_s,
                    "Seconds of idle CPU measurement after the sweep; 0 skips it (example: "
                    "--idle 1)")
        ->check(tools::finite_number())
        ->check(CLI::Range(0.0, 60.0))
        ->capture_default_str();
    sub->add_option("--repeat", cl.repeat,
                    "Measure each cell N times; report the median run and the spread of "
                    "throughput, (max - min) / median (example: --repeat 5)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000}))
        ->capture_default_str();
    auto* recommend = sub->add_flag(
        "--recommend", cl.recommend,
        "Name the smallest pool and concurrency reaching 95% of the best throughput, why, "
        "and the code to write (example: -e threads:2,threads:4,threads:8 --recommend)");
    sub->add_option("--p99-max", cl.p99_max,
                    "With --recommend: leave out cells whose p99 latency exceeds this, with a "
                    "unit ns, us, ms or s (example: --p99-max 5ms)")
        ->check(spec_check(parse_latency_us, "DURATION"))
        ->needs(recommend);
    sub->add_option("--json", cl.json,
                    "JSON report: to stdout (instead of the table) when no FILE is given "
                    "(example: --json result.json)")
        ->expected(0, 1)
        ->default_str("-")
        ->option_text("[FILE]");
    sub->add_option("--csv", cl.csv,
                    "CSV report: to stdout (instead of the table) when no FILE is given "
                    "(example: --csv result.csv)")
        ->expected(0, 1)
        ->default_str("-")
        ->option_text("[FILE]");
    sub->add_option("--html", cl.html,
                    "Self-contained HTML page with SVG charts (example: --html stress.html)");
    sub->add_flag("--no-progress", cl.no_progress,
                  "No progress bar (it is drawn on stderr only when stderr is a terminal)");
    // Test hooks: break the exactly-once guarantee on purpose to prove that it is checked.
    sub->add_option("--inject-loss", cl.inject_loss)->group("");
    sub->add_option("--inject-double", cl.inject_double)->group("");
    return sub;
}

stress_options to_options(const command_line& cl) {
    stress_options o;
    if (!cl.scenarios.empty()) {
        o.scenarios = parse_scenarios(cl.scenarios);
    }
    if (cl.scenarios.empty() || cl.executors_given) {
        o.executors = parse_executors(cl.executors);
    }
    o.workload = parse_workload(cl.workload);
    o.concurrency = parse_concurrency(cl.concurrency);
    o.tasks = cl.tasks;
    o.duration_s = cl.tasks == 0 && cl.duration_s == 0 ? default_cell_s : cl.duration_s;
    o.loops = cl.loops;
    o.warmup_s = cl.warmup_s;
    o.rate = cl.rate;
    o.idle_s = cl.idle_s;
    o.repeat = cl.repeat;
    o.recommend = cl.recommend;
    if (!cl.p99_max.empty()) {
        o.p99_max_us = parse_latency_us(cl.p99_max);
    }
    if (cl.inject_loss >= 0) {
        o.hooks.lose_id = static_cast<std::uint64_t>(cl.inject_loss);
    }
    if (cl.inject_double >= 0) {
        o.hooks.double_id = static_cast<std::uint64_t>(cl.inject_double);
    }
    if (cl.json == "-" && cl.csv == "-") {
        throw spec_error("--json and --csv cannot both go to stdout: give one a file, as in "
                         "--csv=result.csv");
    }
    validate(o);
    return o;
}

namespace {

/// The widths the table's labels need, known before any cell runs.
table_shape shape_of(const stress_options& o) {
    table_shape shape;
    shape.repeated = o.repeat > 1;
    shape.one_workload = o.scenarios.empty();
    for (const executor_spec& e : o.executors) {
        shape.target_width = std::max(shape.target_width, e.label.size());
        shape.workload_width = std::max(shape.workload_width, o.workload.label.size());
    }
    for (scenario_kind s : o.scenarios) {
        shape.workload_width = std::max(shape.workload_width, scenario_name(s).size());
    }
    for (std::size_t c : o.concurrency) {
        shape.concurrency_width = std::max(shape.concurrency_width, std::to_string(c).size());
    }
    return shape;
}

/// The report files asked for, as (option, path); "-" is stdout for --json and --csv (the HTML
/// page has no stdout form: `--html -` is a file named "-").
std::vector<std::pair<std::string, std::string>> report_files(const command_line& cl) {
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& [option, path] :
         {std::pair{"--json", &cl.json}, std::pair{"--csv", &cl.csv}}) {
        if (!path->empty() && *path != "-") {
            files.emplace_back(option, *path);
        }
    }
    if (!cl.html.empty()) {
        files.emplace_back("--html", cl.html);
    }
    return files;
}

/// Writes the report files; each failure joins the report's failures.
void write_reports(const command_line& cl, run_report& report) {
    for (const auto& [option, path] : report_files(cl)) {
        const std::string text = option == "--json"  ? format_json(report)
                                 : option == "--csv" ? format_csv(report)
                                                     : format_html(report);
        if (std::string err = write_text_file(path, text); !err.empty()) {
            report.failures.push_back(std::move(err));
        }
    }
}

} // namespace

int run_command(const command_line& cl) {
    stress_options o;
    try {
        o = to_options(cl);
    } catch (const spec_error& e) {
        std::cerr << "weft stress: " << e.what() << "\nRun with --help for more information.\n";
        return 2;
    }
    for (const auto& [option, path] : report_files(cl)) {
        if (const std::string err = check_writable(option, path); !err.empty()) {
            std::cerr << "weft stress: " << err << "\n";
            return 2;
        }
    }
    // The table goes to a person unless stdout carries the JSON or CSV report.
    const bool table = cl.json != "-" && cl.csv != "-";
    const std::size_t width = table ? tools::terminal_columns(stdout) : 0;
    run_report head = new_report(o);
    head.meta = current_meta();
    const table_shape shape = shape_of(o);
    const tools::table_layout layout(table_columns(shape), width);

    std::optional<tools::progress_bar> bar;
    if (!cl.no_progress) {
        bar.emplace(stderr);
    }
    auto emit = [&bar](const std::string& text) {
        if (bar) {
            bar->print(stdout, text);
        } else {
            std::fputs(text.c_str(), stdout);
            std::fflush(stdout);
        }
    };
    sweep_observer observer;
    if (table) {
        observer.started = [&] { emit(format_heading(head, width) + layout.header()); };
        observer.cell_done = [&](const cell_result& c) {
            emit(layout.row(table_cells(c, shape.repeated)));
        };
    }
    if (bar && bar->drawn()) {
        observer.progress = [&bar](const tools::progress_state& s) { bar->update(s); };
    }
    run_report report;
    try {
        report = run_stress(o, observer);
    } catch (const spec_error& e) {
        bar.reset();
        std::cerr << "weft stress: " << e.what() << "\n";
        return 2;
    }
    bar.reset();
    report.meta = head.meta;
    write_reports(cl, report);
    if (table) {
        std::cout << format_closing(report, layout, width) << std::flush;
    }
    if (cl.json == "-") {
        std::cout << format_json(report) << std::flush;
    }
    if (cl.csv == "-") {
        std::cout << format_csv(report) << std::flush;
    }
    if (!report.ok() && !table) {
        for (const std::string& f : report.failures) {
            std::cerr << "weft stress: FAILED: " << f << "\n";
        }
    }
    if (report.interrupted_by != 0) {
        std::cerr << "weft stress: interrupted by "
                  << (report.interrupted_by == SIGINT ? "SIGINT" : "SIGTERM") << ": "
                  << report.cells.size() << " cell(s) finished\n";
        weft::exit_by_signal(report.interrupted_by); // status 130 / 143, as the shell expects
    }
    return report.ok() ? 0 : 1;
}

} // namespace weft::stress
