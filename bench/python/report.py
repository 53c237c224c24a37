#!/usr/bin/python3
"""Prints the weft vs asyncio tables from the results bench/run.sh collected in one directory.

usage: report.py [--quick] [--executors] RESULTS_DIR
RESULTS_DIR holds the Google Benchmark JSON files (*.json, run with aggregates), and the
`bench impl=... workload=... key=value...` lines of weft-bench-sleep-memory (sleep_memory.txt),
weft-bench-executor-idle (executor_idle.txt) and asyncio_bench.py (asyncio.txt).
--executors prints only the executor section (weft vs raw oneTBB vs asyncio).
"""

import json
import pathlib
import re
import statistics
import sys

# (label, weft benchmark name, asyncio workload, target on weft's figure, minimum ratio)
RATE_ROWS = [
    ("gather, 200k trivial tasks, 1 loop", "gather_trivial_tasks/200000/real_time", "gather",
     10e6, 100),
    ("create_task + await, 200k tasks, 1 loop", "create_task_and_await/200000/real_time",
     "create_task", 4.5e6, None),
    ("yield, 1 task (asyncio: sleep(0))", "yield_one_task/real_time", "yield_one_task",
     None, None),
    ("yield, 64 tasks (asyncio: sleep(0))", "yield_concurrent_tasks/64/real_time",
     "yield_64_tasks", None, None),
    ("spawn_on(1) round trip, 1 at a time (asyncio: run_in_executor)",
     "spawn_on_round_trip/real_time", "executor_round_trip", None, None),
    ("spawn_on(1) round trip, 64 in flight (asyncio: run_in_executor)",
     "spawn_on_in_flight/64/real_time", "executor_64_in_flight", None, None),
]

# (label, workload in both sleep-memory outputs, maximum bytes per task)
MEMORY_ROWS = [
    ("RSS per sleeping task, 1M create_task", "sleep_create_task", 300),
    ("RSS per sleeping task, 1M in one gather", "sleep_gather", 300),
]


def load_gbench(results):
    """{benchmark name: {aggregate: items_per_second}} from every JSON file; a run of a single
    repetition (no aggregates) counts as its own median."""
    out, single = {}, {}
    for path in sorted(results.glob("*.json")):
        for b in json.loads(path.read_text())["benchmarks"]:
            if "items_per_second" not in b:
                continue
            if b.get("run_type") == "aggregate":
                out.setdefault(b["run_name"], {})[b["aggregate_name"]] = b["items_per_second"]
            else:
                single.setdefault(b["run_name"], []).append(b["items_per_second"])
    for name, values in single.items():
        out.setdefault(name, {"median": statistics.median(values)})
    return out


def load_lines(path):
    """{(impl, workload): {key: value}} from `bench key=value...` lines."""
    out = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        if not line.startswith("bench "):
            continue
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        out[(fields["impl"], fields["workload"])] = fields
    return out


def rate(v):
    if v is None:
        return "n/a"
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f}{suffix}/s"
    return f"{v:.0f}/s"


def bytes_cell(fields):
    """Bytes per task once asleep, and (in parentheses) at the moment the last one fell asleep."""
    if not fields:
        return "n/a"
    return f"{float(fields['bytes_per_task']):.0f} B ({float(fields['started_bytes_per_task']):.0f} B)"

# ---- executors (bench_executors.cpp) ------------------------------------------------------------

# (label, weft implementation in the benchmark names, worker count: 2 or the default size)
EXECUTOR_ROWS = [
    ("weft::tbb_pool, 2 workers", "weft_tbb_pool", "2"),
    ("weft::tbb_pool, default size", "weft_tbb_pool_default", "default"),
    ("weft::to_thread (default executor)", "weft_to_thread", "default"),
    ("weft::thread_pool, 2 threads", "weft_thread_pool", "2"),
]
# Shown beside them, judged against nothing.
EXTRA_ROWS = [
    ("asio::thread_pool(2) + weft::promise", "asio_thread_pool_promise", "2"),
]
RAW = ("raw_tbb_promise", "raw_tbb_post")
MAX_LATENCY_RATIO = 1.2   # sequential: weft latency <= 1.2x raw oneTBB's
MIN_THROUGHPUT_RATIO = 1.0  # 64 in flight: weft calls/s >= 1.0x raw oneTBB's

EXEC_NAME = re.compile(r"^(sequential|in_flight)/([a-z_0-9]+)/(\d+)(?:/\d+)?/real_time$")


def executor_results(gbench):
    """{(kind, impl, workers): {aggregate: calls/s}} and the default worker count."""
    out, default = {}, None
    for name, aggs in gbench.items():
        m = EXEC_NAME.match(name)
        if not m:
            continue
        kind, impl, n = m.group(1), m.group(2), m.group(3)
        out[(kind, impl, n)] = aggs
        if impl == "weft_tbb_pool_default":
            default = n
    return out, default


def loop_cpu_per_call(results):
    """{(kind, impl, workers): median CPU time of the loop thread per call, in us}: Google
    Benchmark's cpu_time is the benchmark thread's, and loop 0 runs on that thread."""
    path = results / "executors.json"
    out, single = {}, {}
    if not path.exists():
        return out
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    for b in json.loads(path.read_text())["benchmarks"]:
        m = EXEC_NAME.match(b["run_name"])
        if not m:
            continue
        key = (m.group(1), m.group(2), m.group(3))
        calls = 64 if m.group(1) == "in_flight" else 1
        value = b["cpu_time"] * scale[b["time_unit"]] / calls
        if b.get("run_type") == "aggregate":
            if b["aggregate_name"] == "median":
                out[key] = value
        else:
            single.setdefault(key, []).append(value)
    for key, values in single.items():
        out.setdefault(key, statistics.median(values))
    return out


def us(per_s):
    return "n/a" if not per_s else f"{1e6 / per_s:.1f} us"


def cv_of(aggs):
    cv = aggs.get("cv")
    return f", cv {cv * 100:.0f}%" if cv is not None else ""


def print_executors(gbench, lines, results, quick):
    """Prints the executor tables; returns the number of targets missed."""
    res, default = executor_results(gbench)
    cpu = loop_cpu_per_call(results)
    if not res:
        print("(no executor results)")
        return 0
    workers = {"2": "2", "default": default or "?"}
    p_seq = lines.get(("asyncio", "executor_round_trip"))
    p_fly = lines.get(("asyncio", "executor_64_in_flight"))
    p_seq = float(p_seq["per_s"]) if p_seq else None
    p_fly = float(p_fly["per_s"]) if p_fly else None
    missed = 0

    def med(kind, impl, n):
        return res.get((kind, impl, n), {}).get("median")

    for kind in ("sequential", "in_flight"):
        seq = kind == "sequential"
        if seq:
            print("Sequential round trip (one call at a time), latency per call, lower is better:")
        else:
            print("64 calls in flight (64 submitted, then gathered), calls/s, higher is better:")
        print()
        print("| executor | weft (median, cv) | raw oneTBB arena(N): promise / post-back | "
              "weft vs raw: promise / post-back | loop CPU per call: weft / promise / post-back | "
              "asyncio run_in_executor | weft / asyncio (calls/s) | target | met |")
        print("|---|---|---|---|---|---|---|---|---|")
        for label, impl, size in EXECUTOR_ROWS + EXTRA_ROWS:
            n = workers[size]
            w = med(kind, impl, n)
            raws = [med(kind, r, n) for r in RAW]
            # As the targets read them: sequential, weft's latency / raw's (= raw calls/s / weft
            # calls/s); in flight, weft's calls/s / raw's.
            ratios = [None if not (w and r) else (r / w if seq else w / r) for r in raws]
            judged = (impl, size) in {(i, s) for _, i, s in EXECUTOR_ROWS}
            if seq:
                cell = us(w)
                raw_cell = " / ".join(us(r) for r in raws)
                target = f"<= {MAX_LATENCY_RATIO}x raw" if judged else "-"
                ok = [r is not None and r <= MAX_LATENCY_RATIO for r in ratios]
                p_ratio = f"{w / p_seq:.1f}x" if w and p_seq else "n/a"
                p_cell = us(p_seq)
            else:
                cell = rate(w)
                raw_cell = " / ".join(rate(r) for r in raws)
                target = f">= {MIN_THROUGHPUT_RATIO}x raw" if judged else "-"
                ok = [r is not None and r >= MIN_THROUGHPUT_RATIO for r in ratios]
                p_ratio = f"{w / p_fly:.0f}x" if w and p_fly else "n/a"
                p_cell = rate(p_fly)
            ratio_cell = " / ".join("n/a" if r is None else f"{r:.2f}x" for r in ratios)
            cpu_cell = " / ".join("n/a" if cpu.get((kind, i, n)) is None
                                  else f"{cpu[(kind, i, n)]:.2f}" for i in (impl,) + RAW) + " us"
            if not judged:
                met = "-"
            elif all(ok):
                met = "yes"
            else:
                missed += 1
                against = [name for name, good in zip(("promise", "post-back"), ok) if not good]
                met = "**NO** (vs " + " and ".join(against) + ")"
            print(f"| {label}, N = {n} | {cell}{cv_of(res.get((kind, impl, n), {}))} | "
                  f"{raw_cell} | {ratio_cell} | {cpu_cell} | {p_cell} | {p_ratio} | {target} | "
                  f"{met} |")
        print()
    print("weft vs raw: sequential, weft's latency / raw's (target <= 1.2x); 64 in flight, weft's")
    print("calls/s / raw's (target >= 1.0x). A target is met only when met against both raw")
    print("variants of the same run and worker count. Loop CPU per call: CPU time of the loop's")
    print("thread (the benchmark thread) per call, median; the rest of a round trip's time is spent")
    print("waiting for the pool.")
    print()
    for case in ("default", "with_tbb2"):
        f = lines.get(("weft", f"executor_idle_{case}"))
        if f:
            cpu = float(f["idle_cpu_s"])
            ok = cpu <= float(f["limit_cpu_s"])
            missed += not ok
            print(f"- idle CPU, case {case}: {f['calls']} calls, then {float(f['idle_wall_s']):.3f} s "
                  f"idle in weft::sleep with {f['threads']} threads alive: "
                  f"{cpu * 1e3:.1f} ms of CPU (the next idle second: "
                  f"{float(f['idle2_cpu_s']) * 1e3:.1f} ms); target <= "
                  f"{float(f['limit_cpu_s']) * 1e3:.0f} ms: {'met' if ok else '**NOT MET**'}")
    return 0 if quick else missed


def main():
    flags = {"--quick", "--executors"}
    quick = "--quick" in sys.argv[1:]
    executors_only = "--executors" in sys.argv[1:]
    results = pathlib.Path([a for a in sys.argv[1:] if a not in flags][0])
    if quick:
        print("QUICK RUN: smaller sizes than the labels say, one repetition; not figures to quote.")
        print()
    weft = load_gbench(results)
    lines = (load_lines(results / "sleep_memory.txt") | load_lines(results / "asyncio.txt")
             | load_lines(results / "executor_idle.txt"))
    missed = 0
    if not executors_only:
        missed += print_runtime(weft, lines)
    print("## Executors")
    print()
    missed += print_executors(weft, lines, results, quick)
    print()
    if quick:
        print("quick run: targets not judged")
    else:
        print("targets met" if missed == 0 else f"{missed} target(s) missed")


def print_runtime(weft, lines):
    """Prints the runtime table; returns the number of targets missed."""
    missed = 0

    print("| workload | weft (median, cv) | asyncio (median) | weft / asyncio | target | met |")
    print("|---|---|---|---|---|---|")
    for label, wname, pname, floor, min_ratio in RATE_ROWS:
        w = weft.get(wname, {})
        w_med, w_cv = w.get("median"), w.get("cv")
        p = lines.get(("asyncio", pname))
        p_med = float(p["per_s"]) if p else None
        ratio = w_med / p_med if w_med and p_med else None
        targets, ok = [], []
        if floor is not None:
            targets.append(f">= {rate(floor)}")
            ok.append(w_med is not None and w_med >= floor)
        if min_ratio is not None:
            targets.append(f">= {min_ratio}x asyncio")
            ok.append(ratio is not None and ratio >= min_ratio)
        met = "" if not ok else ("yes" if all(ok) else "**NO**")
        missed += ok.count(False)
        cv = f", cv {w_cv * 100:.1f}%" if w_cv is not None else ""
        ratio_s = f"{ratio:.0f}x" if ratio and ratio >= 10 else (f"{ratio:.2f}x" if ratio else "n/a")
        print(f"| {label} | {rate(w_med)}{cv} | {rate(p_med)} | {ratio_s} | "
              f"{' and '.join(targets) or '-'} | {met or '-'} |")
    for label, wname, ceiling in MEMORY_ROWS:
        w = lines.get(("weft", wname))
        p = lines.get(("asyncio", wname))
        wb = float(w["bytes_per_task"]) if w else None
        pb = float(p["bytes_per_task"]) if p else None
        ok = wb is not None and wb <= ceiling
        missed += not ok
        ratio_s = f"{pb / wb:.1f}x less" if wb and pb else "n/a"
        print(f"| {label} | {bytes_cell(w)} | {bytes_cell(p)} | {ratio_s} | <= {ceiling} B | "
              f"{'yes' if ok else '**NO**'} |")

    print()
    print("Bytes per sleeping task: RSS growth / tasks once all are asleep and the loop has finished")
    print("that turn; in parentheses, at the moment the last task fell asleep (with the start burst's")
    print("ready queue still held).")
    print()
    for impl in ("weft", "asyncio"):
        for wname in ("sleep_create_task", "sleep_gather"):
            f = lines.get((impl, wname))
            if f:
                print(f"- {impl} {wname}: {f['tasks']} tasks asleep after {f['start_s']} s, "
                      f"RSS {f['rss_before_mib']} -> {f['rss_asleep_mib']} MiB; "
                      f"cancelling them all at exit took {f['shutdown_s']} s")
    print()
    return missed


if __name__ == "__main__":
    main()
