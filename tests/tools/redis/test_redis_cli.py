#!/usr/bin/python3
"""`weft worker` and `weft stress --executor redis:URL` run as people run them, against a
redis-server this script starts on a Unix socket in a temporary directory (no TCP port, no
persistence) and stops after the case:

    test_redis_cli.py path/to/weft CASE     (CASE: one of the functions named case_*)

Every run is bounded by a timeout; a case that finds no redis-server on PATH is skipped (77).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

WEFT = sys.argv[1]
SKIP = 77  # meson's "skipped"
RUN_TIMEOUT = 180  # seconds for one weft run (ASan builds start their workers slowly)


def check(cond, message):
    if not cond:
        sys.exit("FAILED: " + message)


class Redis:
    """A redis-server on a Unix socket in a temporary directory, stopped on exit."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="weft-redis-cli-")
        self.socket = os.path.join(self.dir, "redis.sock")
        self.url = "unix://" + self.socket
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.socket, "--unixsocketperm",
             "700", "--dir", self.dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--logfile", os.path.join(self.dir, "redis.log")])
        deadline = time.monotonic() + 20
        while not self.answers():
            check(self.proc.poll() is None, "redis-server exited at start")
            check(time.monotonic() < deadline, "redis-server did not answer within 20 s")
            time.sleep(0.02)  # polls a condition, with a generous deadline
        return self

    def answers(self):
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(1)
                s.connect(self.socket)
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def weft(args, timeout=RUN_TIMEOUT):
    p = subprocess.run([WEFT] + args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def processes_naming(text):
    """Pids of the processes whose command line holds text (the broker's socket path)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and int(name) != os.getpid():
            pids.append(int(name))
    return pids


def redis_cells(doc):
    return [c for c in doc["cells"] if c["executor"].startswith("redis:")]


def case_workers_started_by_the_run(redis):
    """redis:URL,workers=2: the run starts two `weft worker`s, waits for them, sweeps through the
    broker with every call done exactly once, names the executor in JSON, CSV and HTML, and
    leaves no worker behind."""
    csv = os.path.join(redis.dir, "r.csv")
    html = os.path.join(redis.dir, "r.html")
    code, out, err = weft(["stress", "-e", f"redis:{redis.url},workers=2", "-w", "cpu:100",
                           "-c", "1,4", "-n", "60", "--idle", "0.3", "--json", "--csv", csv,
                           "--html", html, "--recommend", "--no-progress"])
    check(code == 0, f"exit status {code}\nstdout: {out}\nstderr: {err}")
    doc = json.loads(out)
    cells = redis_cells(doc)
    check(len(cells) == 2, f"expected 2 redis cells: {doc['cells']}")
    for c in cells:
        check(c["executor"] == f"redis:{redis.url},workers=2", c["executor"])
        check(c["throughput"] > 0, f"no throughput: {c}")
        check(c["exactly_once"] and c["completed"] == 60 and c["errors"] == 0, f"{c}")
        check(c["workers"] == 2, f"the pool's size is its workers' slots: {c}")
        check(c["workers_used"] >= 1, f"{c}")
    check(doc["ok"], f"{doc['failures']}")
    check(doc["recommendation"] is None and "local pools only" in doc["no_recommendation"],
          f"{doc.get('no_recommendation')}")
    for path in (csv, html):
        with open(path) as f:
            check(f"redis:{redis.url},workers=2" in f.read(), f"{path} does not name the executor")
    left = [p for p in processes_naming(redis.socket) if p != redis.proc.pid]
    check(left == [], f"worker processes left behind: {left}")


def case_table_names_the_executor(redis):
    """The table has a redis row beside a local pool's, and says that the run passed."""
    code, out, err = weft(["stress", "-e", f"threads:2,redis:{redis.url},workers=1", "-w",
                           "sleep:1000", "-c", "2", "-n", "40", "--idle", "0", "--no-progress"])
    check(code == 0, f"exit status {code}\nstdout: {out}\nstderr: {err}")
    rows = [l for l in out.splitlines() if l.startswith(f"redis:{redis.url},workers=1 ")]
    check(len(rows) == 1 and rows[0].rstrip().endswith("ok"), f"no redis row:\n{out}")
    check("result: ok" in out, out)


def children_of(pid):
    """Pids of the processes whose parent is pid."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out.append(int(name))
    return out


def case_a_worker_killed_mid_run(redis):
    """One of the run's two workers killed while the cell runs: it is told on stderr, the calls
    it held go to the other worker after the visibility timeout, and every call still completes
    exactly once."""
    err_path = os.path.join(redis.dir, "stderr.txt")
    with open(err_path, "w") as err_file:
        p = subprocess.Popen([WEFT, "stress", "-e", f"redis:{redis.url},workers=2", "-w",
                              "sleep:20000", "-c", "4", "-n", "300", "--idle", "0",
                              "--no-progress"],
                             stdout=subprocess.PIPE, stderr=err_file, text=True)
    try:
        # The table's header is printed once the workers answered, as the sweep starts.
        lines = []
        for line in p.stdout:
            lines.append(line)
            if line.startswith("executor"):
                break
        workers = children_of(p.pid)  # the run's workers are its children
        check(len(workers) == 2, f"the run's workers: {workers}\n{''.join(lines)}")
        os.kill(workers[0], signal.SIGKILL)
        out = "".join(lines) + p.communicate(timeout=RUN_TIMEOUT)[0]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    with open(err_path) as f:
        err = f.read()
    check(p.returncode == 0, f"exit status {p.returncode}\nstdout: {out}\nstderr: {err}")
    check(f"redis worker {workers[0]} was killed by signal 9" in err, err)
    rows = [l for l in out.splitlines() if l.startswith(f"redis:{redis.url},workers=2 ")]
    check(len(rows) == 1 and rows[0].rstrip().endswith("ok"), out)
    left = [p for p in processes_naming(redis.socket) if p != redis.proc.pid]
    check(left == [], f"processes left behind: {left}")


def case_worker_serves_a_queue(redis):
    """`weft worker` serves a named queue for a run without workers of its own, and drains and
    exits 0 on SIGTERM."""
    worker = subprocess.Popen([WEFT, "worker", "--redis", redis.url, "--queue", "cli-test",
                               "--concurrency", "2", "--drain-timeout", "5000"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        code, out, err = weft(["stress", "-e", f"redis:{redis.url},queue=cli-test", "-w",
                               "cpu:50", "-c", "2", "-n", "40", "--idle", "0", "--json"])
        check(code == 0, f"exit status {code}\nstdout: {out}\nstderr: {err}")
        cells = redis_cells(json.loads(out))
        check(len(cells) == 1 and cells[0]["exactly_once"] and cells[0]["throughput"] > 0,
              f"{cells}")
        check(cells[0]["executor"] == f"redis:{redis.url},queue=cli-test", cells[0]["executor"])
    finally:
        worker.send_signal(signal.SIGTERM)
        w_out, w_err = worker.communicate(timeout=60)
    check(worker.returncode == 0,
          f"worker exit status {worker.returncode} after SIGTERM\n{w_out}\n{w_err}")


def case_no_worker_is_reported(redis):
    """A queue that nobody serves fails the run with a message that says what to start, instead
    of waiting for ever."""
    code, out, err = weft(["stress", "-e", f"redis:{redis.url},queue=nobody", "-n", "10",
                           "--idle", "0", "--no-progress"])
    check(code == 1, f"exit status {code}\nstdout: {out}\nstderr: {err}")
    check("no worker answered" in err and "weft worker --redis" in err, err)


def main():
    if shutil.which("redis-server") is None:
        print("redis-server is not installed: skipped")
        sys.exit(SKIP)
    case = sys.argv[2]
    with Redis() as redis:
        globals()["case_" + case](redis)
    print("ok", case)


if __name__ == "__main__":
    main()
