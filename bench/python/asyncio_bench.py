#!/usr/bin/python3
"""Python asyncio baselines for weft's benchmarks: the same workloads, timed the same way.

Each workload runs --repetitions times (timing starts inside the coroutine, so asyncio.run()'s
start-up and shutdown are excluded, as in weft); the median is printed. The sleeping-task memory
cases run in a fresh interpreter each, like weft's. One line per workload:

    bench impl=asyncio workload=NAME per_s=MEDIAN min=... max=... runs=N
    bench impl=asyncio workload=sleep_CASE tasks=N bytes_per_task=... ...
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time


async def trivial(i):
    return i


def plain(i):
    return i


# ---- rates -------------------------------------------------------------------------------------

async def gather_trivial(n):
    t0 = time.perf_counter()
    results = await asyncio.gather(*[trivial(i) for i in range(n)])
    assert len(results) == n
    return n / (time.perf_counter() - t0)


async def create_task_and_await(n):
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(trivial(i)) for i in range(n)]
    total = 0
    for t in tasks:
        total += await t
    return n / (time.perf_counter() - t0)


async def yield_one_task(n):
    t0 = time.perf_counter()
    for _ in range(n):
        await asyncio.sleep(0)
    return n / (time.perf_counter() - t0)


async def yielder(times):
    for _ in range(times):
        await asyncio.sleep(0)


async def yield_concurrent_tasks(n, tasks=64):
    per_task = n // tasks
    t0 = time.perf_counter()
    await asyncio.gather(*[yielder(per_task) for _ in range(tasks)])
    return per_task * tasks / (time.perf_counter() - t0)


# loop.run_in_executor(None, f, i) on the default ThreadPoolExecutor (min(32, cores + 4) threads),
# one at a time and 64 gathered: the baseline of weft's executor benchmarks (run_in_executor,
# to_thread; bench_executors.cpp), and the nearest asyncio analogue of weft's spawn_on round trip
# (a call on another thread whose result is awaited on the loop).
async def executor_round_trip(n):
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    for i in range(n):
        await loop.run_in_executor(None, plain, i)
    return n / (time.perf_counter() - t0)


async def executor_in_flight(n, batch=64):
    loop = asyncio.get_running_loop()
    rounds = n // batch
    t0 = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(*[loop.run_in_executor(None, plain, i) for i in range(batch)])
    return rounds * batch / (time.perf_counter() - t0)


# (name, coroutine function, n, n for --quick); names match bench/python/report.py.
RATES = [
    ("gather", gather_trivial, 200_000, 20_000),
    ("create_task", create_task_and_await, 200_000, 20_000),
    ("yield_one_task", yield_one_task, 500_000, 50_000),
    ("yield_64_tasks", yield_concurrent_tasks, 64 * 5_000, 64 * 500),
    ("executor_round_trip", executor_round_trip, 20_000, 2_000),
    ("executor_64_in_flight", executor_in_flight, 64 * 500, 64 * 50),
]


def run_rates(repetitions, quick, only):
    for name, fn, n, n_quick in RATES:
        if only and name not in only:
            continue
        size = n_quick if quick else n
        rates = [asyncio.run(fn(size)) for _ in range(repetitions)]
        print(f"bench impl=asyncio workload={name} n={size} per_s={statistics.median(rates):.0f} "
              f"min={min(rates):.0f} max={max(rates):.0f} runs={repetitions}", flush=True)


# ---- memory per sleeping task --------------------------------------------------------------------

def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


started = 0


async def sleeper():
    global started
    started += 1
    await asyncio.sleep(3600)


async def sleep_case(case, n, out):
    out["rss_before"] = rss_bytes()
    t0 = time.perf_counter()
    if case == "create_task":
        # asyncio keeps only weak references to tasks: the documented pattern keeps them.
        keep = [asyncio.create_task(sleeper()) for _ in range(n)]
    else:
        keep = asyncio.gather(*[sleeper() for _ in range(n)])
        # Cancelled at exit; retrieve its CancelledError so asyncio does not log it.
        keep.add_done_callback(lambda f: f.cancelled() or f.exception())
    while started < n:
        await asyncio.sleep(0)
    out["start_s"] = time.perf_counter() - t0
    out["rss_started"] = rss_bytes()
    await asyncio.sleep(0.001)  # as weft's probe does: let the loop finish its turn
    out["rss_asleep"] = rss_bytes()
    out["exit_begin"] = time.perf_counter()
    del keep


def run_sleep_case(case, n):
    out = {}
    asyncio.run(sleep_case(case, n, out))  # its exit cancels the sleepers and waits for them
    shutdown_s = time.perf_counter() - out["exit_begin"]
    def per_task(rss):
        return (rss - out["rss_before"]) / n

    mib = 1024 * 1024
    print(f"bench impl=asyncio workload=sleep_{case} tasks={n} "
          f"rss_before_mib={out['rss_before'] / mib:.1f} rss_asleep_mib={out['rss_asleep'] / mib:.1f} "
          f"bytes_per_task={per_task(out['rss_asleep']):.1f} "
          f"started_bytes_per_task={per_task(out['rss_started']):.1f} "
          f"start_s={out['start_s']:.3f} shutdown_s={shutdown_s:.3f}", flush=True)


def run_sleep_cases(n):
    for case in ("create_task", "gather"):
        # A fresh interpreter per case, so that one case's freed memory cannot hide the next's.
        subprocess.run([sys.executable, __file__, "--sleep-case", case, "--sleepers", str(n)],
                       check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--sleepers", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    ap.add_argument("--only", nargs="*", help="run only these rate workloads")
    ap.add_argument("--no-memory", action="store_true", help="skip the sleeping-task cases")
    ap.add_argument("--sleep-case", choices=("create_task", "gather"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sleep_case:
        run_sleep_case(args.sleep_case, args.sleepers)
        return
    print(f"# python {sys.version.split()[0]}, asyncio default event loop", flush=True)
    run_rates(args.repetitions, args.quick, args.only)
    if not args.no_memory and not args.only:
        run_sleep_cases(args.sleepers)


if __name__ == "__main__":
    main()
