"""Celery baseline for bench_redis_pool.cpp: the same trivial call (returns its argument + 1)
through Celery with Redis as broker and result backend, on the redis-server run.sh started.

    /usr/bin/python3 celery_baseline.py --socket PATH [--workers 1,2,4] [--pool prefork|solo]
                                        [--quick]

For each worker count N it starts the workers, measures one call at a time (p50/p99 round trip)
and 64 calls in flight (calls/s), each load bounded in calls and seconds, then stops them.
--pool prefork (the default, what Celery deployments run): one `celery worker --pool prefork
--concurrency N`, a consumer process that hands tasks to N forked children over pipes.
--pool solo: N `celery worker --pool solo` processes, each running its tasks in itself.
The client is the ordinary one: task.delay(i), then AsyncResult.get() (the Redis backend
subscribes to each task's result channel). Settings are Celery's defaults (prefetch multiplier 4,
early acks, JSON); only worker start-up chatter (gossip, mingle, heartbeats) and logging are off.
"""
import argparse
import os
import subprocess
import sys
import time

import redis
from celery import Celery

import bench_common as bc

# The client gets the socket from --socket, its workers (which import this module) from the
# environment the client gives them.
if __name__ == "__main__" and "--socket" in sys.argv:
    os.environ["WEFT_BENCH_REDIS_SOCKET"] = sys.argv[sys.argv.index("--socket") + 1]
SOCKET = os.environ.get("WEFT_BENCH_REDIS_SOCKET", "/nonexistent/redis.sock")
app = Celery("weft_bench", broker=f"redis+socket://{SOCKET}", backend=f"redis+socket://{SOCKET}")
app.conf.update(worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


@app.task(name="bench.trivial")  # the same name in the client (__main__) and the workers
def trivial(x):
    return x + 1


def start_workers(n, pool, here):
    """Starts the workers in a process group of their own; returns (process, replies expected)."""
    env = dict(os.environ, WEFT_BENCH_REDIS_SOCKET=SOCKET, PYTHONPATH=here)
    base = [sys.executable, "-m", "celery", "-A", "celery_baseline", "worker", "--loglevel",
            "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    procs = []
    if pool == "prefork":
        cmd = base + ["--pool", "prefork", "--concurrency", str(n), "-n", "bench@%h"]
        procs.append(subprocess.Popen(cmd, cwd=here, env=env, stdout=subprocess.DEVNULL,
                                      start_new_session=True))
    else:
        for i in range(n):
            cmd = base + ["--pool", "solo", "-n", f"bench{i}@%h"]
            procs.append(subprocess.Popen(cmd, cwd=here, env=env, stdout=subprocess.DEVNULL,
                                      start_new_session=True))
    return procs


def wait_ready(expected, limit_s=60):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=0.5)) >= expected:
            return
    raise SystemExit(f"celery: {expected} workers not ready after {limit_s} s")


def call(i):
    return trivial.delay(i).get(timeout=30)


def measure(n, pool, quick, r, pgids):
    seq_n, seq_s, thr_n, thr_s = (200, 5, 500, 5) if quick else (1000, 20, 2000, 20)
    name = f"celery-{pool}"
    for i in range(20):  # warm up: connections open, children started
        call(i)
    bc.windowed(lambda i: trivial.delay(i), lambda h: h.get(timeout=30), 64, 128, 10)
    with bc.counted(r, pgids) as c:
        calls, secs, trips = bc.sequential(call, seq_n, seq_s)
    bc.report(name, n, "seq", calls, secs, c, trips)
    with bc.counted(r, pgids) as c:
        calls, secs = bc.windowed(lambda i: trivial.delay(i), lambda h: h.get(timeout=30), 64,
                                  thr_n, thr_s)
    bc.report(name, n, "64", calls, secs, c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--pool", choices=["prefork", "solo"], default="prefork")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    bc.exit_on_sigterm()
    here = os.path.dirname(os.path.abspath(__file__))
    r = redis.Redis(unix_socket_path=SOCKET)
    for n in (int(w) for w in args.workers.split(",")):
        r.flushall()
        procs = start_workers(n, args.pool, here)
        try:
            wait_ready(1 if args.pool == "prefork" else n)
            measure(n, args.pool, args.quick, r, [p.pid for p in procs])
        finally:
            bc.stop_workers(procs)


if __name__ == "__main__":
    main()
