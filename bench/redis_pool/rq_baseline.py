"""RQ baseline for bench_redis_pool.cpp: the same trivial call (returns its argument + 1) through
RQ on the redis-server run.sh started.

    /usr/bin/python3 rq_baseline.py --socket PATH [--workers 1,2,4] [--simple] [--quick]

For each worker count N it starts N `rq worker` processes, measures one call at a time (p50/p99
round trip) and 64 calls in flight (calls/s), each load bounded in calls and seconds, then stops
them. RQ's default worker forks a child (its "work horse") for every job, which is most of its
cost per call; --simple runs rq.worker.SimpleWorker instead, which runs jobs in the worker itself.
RQ has no way to wait for a result: the client polls the job's result stream (XREVRANGE on
rq:results:<id>, what Job.return_value() reads) every POLL_S until it is there.
"""
import argparse
import os
import subprocess
import sys
import time

import redis
from rq import Queue, Worker
from rq.results import Result

import bench_common as bc

POLL_S = 0.001


def trivial(x):
    return x + 1


def start_workers(n, socket, simple, here):
    cmd = ["/usr/bin/rq", "worker", "--url", f"unix://{socket}", "--quiet", "--path", here,
           "--disable-job-desc-logging"]
    if simple:
        cmd += ["--worker-class", "rq.worker.SimpleWorker"]
    cmd.append("weftbench")
    return [subprocess.Popen(cmd, cwd=here, stdout=subprocess.DEVNULL, start_new_session=True)
            for _ in range(n)]


def wait_ready(r, n, limit_s=60):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if len(Worker.all(connection=r)) >= n:
            return
        time.sleep(0.05)
    raise SystemExit(f"rq: {n} workers not ready after {limit_s} s")


def wait(job, limit_s=30):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        res = Result.fetch_latest(job)
        if res is not None:
            if res.type != Result.Type.SUCCESSFUL:
                raise SystemExit(f"rq: job failed: {res.exc_string}")
            return res.return_value
        time.sleep(POLL_S)
    raise SystemExit(f"rq: no result after {limit_s} s")


def measure(n, simple, quick, r, pgids):
    seq_n, seq_s, thr_n, thr_s = (100, 5, 300, 5) if quick else (1000, 10, 2000, 10)
    name = "rq-simple" if simple else "rq"
    q = Queue("weftbench", connection=r)

    def submit(i):
        return q.enqueue("rq_baseline.trivial", i)

    for i in range(10):  # warm up
        wait(submit(i))
    bc.windowed(submit, wait, 64, 64, 10)
    with bc.counted(r, pgids) as c:
        calls, secs, trips = bc.sequential(lambda i: wait(submit(i)), seq_n, seq_s)
    bc.report(name, n, "seq", calls, secs, c, trips)
    with bc.counted(r, pgids) as c:
        calls, secs = bc.windowed(submit, wait, 64, thr_n, thr_s)
    bc.report(name, n, "64", calls, secs, c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--simple", action="store_true")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    bc.exit_on_sigterm()
    here = os.path.dirname(os.path.abspath(__file__))
    r = redis.Redis(unix_socket_path=args.socket)
    for n in (int(w) for w in args.workers.split(",")):
        r.flushall()
        procs = start_workers(n, args.socket, args.simple, here)
        try:
            wait_ready(r, n)
            measure(n, args.simple, args.quick, r, [p.pid for p in procs])
        finally:
            bc.stop_workers(procs)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
