"""What the Celery and RQ baselines share: Redis command counts around a load, the bounded loads
(one call at a time; a window of calls in flight) and the fixed output lines run.sh parses.

A load stops at its call count or its time bound, whichever comes first, and reports what it
finished. Commands are Redis's own count (INFO commandstats) over the load, so they include what
the workers did meanwhile (their polls, heartbeats), divided by the calls finished. CPU time per
call is split three ways: the calling process (all its threads), the workers (every process in
their process groups, with the children they reaped: RQ's work horses) and redis-server (INFO cpu).
"""
import collections
import os
import signal
import subprocess
import sys
import time


def exit_on_sigterm():
    """SIGTERM (run.sh's timeout) unwinds like an exception, so that the finally that stops the
    workers runs."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def command_counts(r):
    """Redis's per-command call counts since it started, as a dict name -> calls."""
    stats = r.info("commandstats")
    return {k[len("cmdstat_"):]: v["calls"] for k, v in stats.items()}


def redis_cpu(r):
    """redis-server's CPU seconds since it started (all its threads)."""
    cpu = r.info("cpu")
    return cpu["used_cpu_user"] + cpu["used_cpu_sys"]


def group_cpu(pgids):
    """CPU seconds of the live processes in the process groups pgids, with those of the children
    they reaped (/proc/PID/stat: utime, stime, cutime, cstime)."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) in pgids:
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


class counted:
    """Counts the Redis commands run between enter and exit (less the INFO calls themselves) and
    the CPU time spent meanwhile by the calling process, the workers (the process groups pgids)
    and redis-server."""

    def __init__(self, r, pgids):
        self.r = r
        self.pgids = set(pgids)

    def __enter__(self):
        self.cpu0 = (time.process_time(), group_cpu(self.pgids), redis_cpu(self.r))
        self.before = command_counts(self.r)
        return self

    def __exit__(self, *exc):
        after = command_counts(self.r)  # the one INFO counted: the first command_counts()
        cpu1 = (time.process_time(), group_cpu(self.pgids), redis_cpu(self.r))
        self.caller_cpu, self.workers_cpu, self.redis_cpu = (b - a for a, b in zip(self.cpu0, cpu1))
        diff = {k: v - self.before.get(k, 0) for k, v in after.items()}
        diff["info"] = diff.get("info", 0) - 1
        self.by_command = {k: v for k, v in diff.items() if v > 0}
        self.total = sum(self.by_command.values())
        return False


def stop_workers(procs):
    """SIGTERM to each worker (warm shutdown: it finishes its job; a Celery prefork worker stops
    its own children), then SIGKILL to whatever is left of its process group after 10 s."""
    for p in procs:
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def sequential(call, max_calls, max_seconds):
    """call(i) -> the result of one round trip; returns (calls, seconds, sorted round trips in us)."""
    trips = []
    t0 = time.perf_counter()
    for i in range(max_calls):
        t = time.perf_counter()
        v = call(i)
        trips.append((time.perf_counter() - t) * 1e6)
        if v != i + 1:
            raise SystemExit(f"wrong result {v} for {i}")
        if time.perf_counter() - t0 > max_seconds:
            break
    return len(trips), time.perf_counter() - t0, sorted(trips)


def windowed(submit, wait, in_flight, max_calls, max_seconds):
    """submit(i) -> a handle, wait(handle) -> its result; keeps in_flight calls outstanding, waits
    for the oldest first. Stops submitting at max_calls or max_seconds and drains; returns
    (calls, seconds)."""
    window = collections.deque()
    t0 = time.perf_counter()
    sent = done = 0
    while sent < max_calls or window:
        if sent < max_calls and len(window) < in_flight:
            window.append((sent, submit(sent)))
            sent += 1
            if time.perf_counter() - t0 > max_seconds:
                max_calls = sent
            continue
        i, h = window.popleft()
        v = wait(h)
        if v != i + 1:
            raise SystemExit(f"wrong result {v} for {i}")
        done += 1
    return done, time.perf_counter() - t0


def report(system, workers, load, calls, seconds, counts, trips=None):
    """The fixed lines run.sh parses: one `result` line, then one `commands` line."""
    per_call = counts.total / calls if calls else float("nan")
    def us(seconds):
        return seconds * 1e6 / calls if calls else float("nan")

    line = (f"result system={system} workers={workers} load={load} calls={calls} "
            f"secs={seconds:.2f} calls_per_s={calls / seconds:.1f} cmds_per_call={per_call:.2f} "
            f"caller_cpu_us={us(counts.caller_cpu):.1f} workers_cpu_us={us(counts.workers_cpu):.1f} "
            f"redis_cpu_us={us(counts.redis_cpu):.1f}")
    if trips is not None:
        line += f" p50_us={percentile(trips, 0.5):.1f} p99_us={percentile(trips, 0.99):.1f}"
    print(line, flush=True)
    top = sorted(counts.by_command.items(), key=lambda kv: -kv[1])[:8]
    detail = " ".join(f"{k}={v / calls:.2f}" for k, v in top) if calls else ""
    print(f"commands system={system} workers={workers} load={load} {detail}", flush=True)
