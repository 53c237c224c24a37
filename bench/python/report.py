#!/usr/bin/python3
"""Prints the weft vs asyncio table from the results bench/run.sh collected in one directory.

usage: report.py [--quick] RESULTS_DIR
RESULTS_DIR holds the Google Benchmark JSON files (*.json, run with aggregates), and the
`bench impl=... workload=... key=value...` lines of weft-bench-sleep-memory (sleep_memory.txt)
and asyncio_bench.py (asyncio.txt).
"""

import json
import pathlib
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


def main():
    quick = "--quick" in sys.argv[1:]
    results = pathlib.Path([a for a in sys.argv[1:] if a != "--quick"][0])
    if quick:
        print("QUICK RUN: smaller sizes than the labels say, one repetition; not figures to quote.")
        print()
    weft = load_gbench(results)
    lines = load_lines(results / "sleep_memory.txt") | load_lines(results / "asyncio.txt")
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
    if quick:
        print("quick run: targets not judged")
    else:
        print("targets met" if missed == 0 else f"{missed} target(s) missed")


if __name__ == "__main__":
    main()
