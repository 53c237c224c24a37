#!/usr/bin/python3
"""Drives weft-example-server with curl: every route, JSON error bodies (404, 405), a crash and a
hang in the parser, a full job queue, /stats, /metrics, and a graceful shutdown on SIGTERM while a
slow request is in flight; then --help and bad arguments, HTTPS (--tls-cert/--tls-key) and a
certificate reloaded on SIGHUP.

    test_server.py path/to/weft-example-server
"""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

SERVER = sys.argv[1]
CALL_TIMEOUT_MS = 3000
QUEUE = 2
WORKERS = 2
GRACE_MS = 30000  # generous: the slow request below must finish within it on a loaded machine
MAX_ROUNDS = 100_000_000  # the server's limit for /hash


def fail(message):
    raise AssertionError(message)


def check(ok, message):
    if not ok:
        fail(message)


def fnv_hash(text, rounds):
    """What the server's slow_hash computes."""
    h = 14695981039346656037
    data = text.encode()
    for _ in range(rounds):
        for c in data:
            h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


class Response:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"{self.status} {self.headers} {self.body[:300]!r}"


def curl_command(port, method, path, body=None, timeout=30):
    cmd = ["curl", "-sS", "-i", "--max-time", str(timeout), "-X", method]
    if body is not None:
        cmd += ["--data-binary", "@-", "-H", "Content-Type: text/plain"]
    return cmd + [f"http://127.0.0.1:{port}{path}"]


def curl(port, method, path, body=None, timeout=30):
    out = subprocess.run(curl_command(port, method, path, body, timeout),
                         input=(body or "").encode(), capture_output=True, timeout=timeout + 10)
    check(out.returncode == 0, f"curl {method} {path}: exit {out.returncode}: {out.stderr!r}")
    return Response(out.stdout)


def poll(what, fn, seconds=30):
    """Calls fn until it returns something truthy, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.05)
    fail(f"timed out waiting for {what}")


class Server:
    def __init__(self, *args):
        self.proc = subprocess.Popen([SERVER, "--port", "0", *args], stdout=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        check(ready, "the server did not start within 60 s")
        line = self.proc.stdout.readline().decode()
        check(line.startswith("listening on 127.0.0.1:"), f"unexpected first line {line!r}")
        self.port = int(line.rsplit(":", 1)[1])

    def get(self, path, **kw):
        return curl(self.port, "GET", path, **kw)

    def post(self, path, body, **kw):
        return curl(self.port, "POST", path, body, **kw)

    def stats(self):
        r = self.get("/stats")
        check(r.status == 200 and r.headers["content-type"] == "application/json", f"/stats: {r}")
        return r.json()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def descendants(pid):
    """Process ids of pid's children, grandchildren..., read from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    """Whether pid runs (a zombie waiting for its reaper does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_hash(srv):
    r = srv.get("/hash?text=weft&rounds=1000")
    check(r.status == 200, f"/hash: {r}")
    check(r.json() == {"text": "weft", "rounds": 1000, "hash": fnv_hash("weft", 1000)}, f"{r}")
    check(srv.get("/hash?rounds=5").status == 400, "/hash without text")
    check(srv.get("/hash?text=a&rounds=0").status == 400, "/hash with rounds=0")
    check(srv.get("/hash?text=a&rounds=x").status == 400, "/hash with rounds=x")


def test_parse(srv):
    r = srv.post("/parse", "# a comment\nname: weft\n\nkind :  library \n")
    check(r.status == 200 and r.json() == {"fields": {"name": "weft", "kind": "library"}}, f"{r}")
    r = srv.post("/parse", "name: weft\nno colon here\n")
    check(r.status == 400 and "line 2" in r.json()["detail"], f"parse error: {r}")

    r = srv.post("/parse", "crash: please")
    check(r.status == 502, f"crash: {r}")
    check(r.json()["signal"] == "SIGSEGV", f"crash names the signal: {r}")
    r = srv.post("/parse", "after: crash")
    check(r.status == 200 and r.json()["fields"] == {"after": "crash"}, f"after a crash: {r}")
    check(srv.get("/hash?text=still&rounds=3").status == 200, "/hash after a crash")

    started = time.monotonic()
    r = srv.post("/parse", "hang: forever")
    check(r.status == 504, f"hang: {r}")
    check(time.monotonic() - started >= CALL_TIMEOUT_MS / 1000 * 0.9, "504 before the timeout")
    r = srv.post("/parse", "after: hang")
    check(r.status == 200 and r.json()["fields"] == {"after": "hang"}, f"after a hang: {r}")


def test_json_errors(srv):
    """A JSON API answers its errors in JSON: 404 for an unknown path, 405 for another method."""
    r = srv.get("/no/such/path")
    check(r.status == 404 and r.headers["content-type"] == "application/json", f"404: {r}")
    check(r.json() == {"error": "not found", "path": "/no/such/path"}, f"404 body: {r}")
    r = srv.get("/parse")
    check(r.status == 405 and r.headers["content-type"] == "application/json", f"405: {r}")
    check(r.json()["error"] == "method not allowed" and r.json()["method"] == "GET", f"{r}")
    check("POST" in r.headers.get("allow", "") and r.json()["allow"] == r.headers["allow"],
          f"405 names the allowed methods: {r}")
    # A path with bytes that are not UTF-8 still gets valid JSON back (replaced characters).
    r = srv.get("/caf%E9")
    check(r.status == 404, f"404 for a non-UTF-8 path: {r}")
    check(r.json()["error"] == "not found", f"non-UTF-8 path: {r}")


def test_command_line():
    """--help lists the options and exits 0; a bad value names the option and exits 2."""
    out = subprocess.run([SERVER, "--help"], capture_output=True, timeout=30)
    check(out.returncode == 0, f"--help: exit {out.returncode}: {out.stderr!r}")
    for option in (b"--port", b"--loops", b"--workers", b"--queue", b"--call-timeout-ms",
                   b"--grace-ms", b"--tls-cert", b"--tls-key"):
        check(option in out.stdout, f"--help does not list {option!r}: {out.stdout!r}")
    for args, names in ((["--port", "x"], b"--port"), (["--port", "70000"], b"--port"),
                        (["--workers", "0"], b"--workers"), (["--grace-ms", "0"], b"--grace-ms"),
                        (["--tls-cert", "a.pem"], b"--tls-key"), (["--bogus", "1"], b"--bogus"),
                        (["--port"], b"--port")):
        bad = subprocess.run([SERVER, *args], capture_output=True, timeout=30)
        check(bad.returncode == 2 and names in bad.stderr, f"bad arguments {args}: {bad}")


def job_status(srv, job_id):
    r = srv.get(f"/jobs/{job_id}")
    check(r.status == 200, f"/jobs/{job_id}: {r}")
    return r.json()


def finished_job(srv, job_id, seconds=30):
    def finished():
        status = job_status(srv, job_id)
        return status if status["status"] in ("done", "failed") else None

    return poll(f"job {job_id}", finished, seconds)


def test_jobs(srv):
    r = srv.post("/jobs", "a: 1\nb: 2")
    check(r.status == 202 and r.json()["status"] == "queued", f"POST /jobs: {r}")
    job_id = r.json()["id"]
    check(r.headers["location"] == f"/jobs/{job_id}", f"Location: {r}")
    s = finished_job(srv, job_id)
    check(s == {"id": job_id, "status": "done", "result": {"fields": {"a": "1", "b": "2"}}}, f"{s}")

    r = srv.post("/jobs", "crash")
    check(r.status == 202, f"POST /jobs crash: {r}")
    s = finished_job(srv, r.json()["id"])
    check(s["status"] == "failed" and s["error"]["signal"] == "SIGSEGV", f"crashed job: {s}")

    check(srv.get("/jobs/999999").status == 404, "unknown job")
    check(srv.get("/jobs/abc").status == 404, "malformed job id")
    check(srv.post("/jobs?wait_ms=x", "a: 1").status == 400, "malformed wait_ms")


def test_queue_full(srv):
    # Each "hang" job holds a worker for the call timeout (3 s): WORKERS run, QUEUE wait, and the
    # next ones are refused. Submitting them takes far less than 3 s.
    accepted, refused = [], None
    for _ in range(WORKERS + QUEUE + 3):
        r = srv.post("/jobs", "hang")
        if r.status == 503:
            refused = r
            break
        check(r.status == 202, f"POST /jobs: {r}")
        accepted.append(r.json()["id"])
    check(refused is not None, f"no 503 after {len(accepted)} jobs")
    check(len(accepted) >= QUEUE, f"only {len(accepted)} jobs accepted before the 503")
    check(refused.headers.get("retry-after") == "1", f"503 without Retry-After: {refused}")
    check("full" in refused.json()["error"], f"503 body: {refused}")
    r = srv.post("/jobs?wait_ms=50", "late: 1")
    check(r.status == 503, f"a put that waits 50 ms for room: {r}")

    # Waiting long enough for room: accepted once a hang job times out.
    r = srv.post("/jobs?wait_ms=20000", "patient: 1")
    check(r.status == 202, f"a put that waits for room: {r}")
    s = finished_job(srv, r.json()["id"], seconds=60)
    check(s["status"] == "done" and s["result"]["fields"] == {"patient": "1"}, f"{s}")
    for job_id in accepted:
        s = finished_job(srv, job_id)
        check(s["status"] == "failed" and "timed out" in s["error"]["error"], f"hang job: {s}")


def test_stats(srv):
    # A crash, the hang in /parse and the timed out jobs each cost their worker: one crash in
    # /parse, one in a job, one hang in /parse and at least QUEUE hang jobs. The pool replaces a
    # dead worker soon after the call fails, so wait for it.
    replaced = 3 + QUEUE

    def pool_replenished():
        st = srv.stats()
        pool = st["process_pool"]
        full = len(pool["worker_pids"]) == WORKERS
        return st if full and pool["workers_started"] >= WORKERS + replaced else None

    st = poll("the pool to replace its dead workers", pool_replenished, 10)
    for key in ("http", "loops", "executor", "process_pool", "jobs"):
        check(key in st, f"/stats lacks {key}: {st}")
    check(st["http"]["requests"] > 10 and st["http"]["connections_open"] >= 1, f"{st['http']}")
    check(len(st["loops"]) == 2 and all("stalls" in l and "steps_run" in l for l in st["loops"]),
          f"{st['loops']}")
    check(st["executor"]["submitted"] >= 2, f"{st['executor']}")
    pool = st["process_pool"]
    check(pool["max_workers"] == WORKERS and pool["failed"] >= replaced, f"{pool}")
    check(pool["completed"] >= 4 and pool["running"] == 0, f"{pool}")
    jobs = st["jobs"]
    check(jobs["capacity"] == QUEUE and jobs["rejected"] >= 2, f"{jobs}")
    check(jobs["done"] >= 2 and jobs["failed"] >= 1 + QUEUE, f"{jobs}")


def test_metrics(srv):
    # The same counters in Prometheus's text format, with each route's request durations.
    r = srv.get("/metrics")
    check(r.status == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4"),
          f"/metrics: {r}")
    text = r.body.decode()
    for series in ('weft_http_responses_total{server="example"}',
                   'weft_executor_calls_failed_total{executor="parser"}',
                   'weft_executor_calls_submitted_total{executor="default"}',
                   'weft_loop_steps_total{loop="1"}'):
        check(any(line.startswith(series + " ") for line in text.splitlines()),
              f"/metrics lacks {series}")
    promtool = shutil.which("promtool")
    if promtool:  # Debian's prometheus package (scripts/install-deps.sh installs it)
        lint = subprocess.run([promtool, "check", "metrics"], input=r.body, capture_output=True,
                              timeout=30)
        check(lint.returncode == 0, f"promtool: {lint.stdout!r} {lint.stderr!r}")


def test_graceful_shutdown(srv):
    # A /hash that takes about two seconds on this build and machine (well within the grace).
    text, rounds = "x" * 32, 50_000
    while True:
        started = time.monotonic()
        check(srv.get(f"/hash?text={text}&rounds={rounds}").status == 200, "calibration")
        elapsed = time.monotonic() - started
        if elapsed >= 0.25 or rounds >= MAX_ROUNDS:
            break
        rounds = min(rounds * 4, MAX_ROUNDS)
    rounds = min(int(rounds * 2.0 / elapsed), MAX_ROUNDS)

    slow = subprocess.Popen(curl_command(srv.port, "GET", f"/hash?text={text}&rounds={rounds}"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    poll("the slow request to run", lambda: srv.stats()["executor"]["running"] >= 1)
    family = descendants(srv.proc.pid)
    workers = srv.stats()["process_pool"]["worker_pids"]
    check(set(workers) <= set(family), f"workers {workers} not among descendants {family}")
    check(slow.poll() is None, "the slow request finished before the signal; calibrate higher")
    srv.proc.send_signal(signal.SIGTERM)
    srv.proc.send_signal(signal.SIGTERM)  # an impatient second one changes nothing

    out, _ = slow.communicate(timeout=60)
    check(slow.returncode == 0, f"the in-flight request failed after SIGTERM: curl exit "
                                f"{slow.returncode}, {out!r}")
    r = Response(out)
    check(r.status == 200, f"in-flight request after SIGTERM: {r}")
    check(r.json()["rounds"] == rounds and len(r.json()["hash"]) == 16, f"{r}")
    check(r.headers.get("connection") == "close", f"answered with Connection: close: {r}")

    rc = srv.proc.wait(timeout=60)
    rest = srv.proc.stdout.read().decode()
    check(rc == 0, f"exit status {rc} after SIGTERM")
    check("shutting down" in rest and "stopped after" in rest, f"output: {rest!r}")
    poll("the worker processes to exit", lambda: not any(alive(p) for p in family), 10)


def make_cert(directory, name, serial):
    """A self-signed certificate for localhost and 127.0.0.1: (cert path, key path)."""
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-set_serial", str(serial),
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def https_get(port, path, ca):
    out = subprocess.run(["curl", "-sS", "-i", "--max-time", "30", "--cacert", ca,
                          f"https://localhost:{port}{path}"], capture_output=True, timeout=40)
    return out.returncode, out.stdout


def test_https_and_reload():
    """Serves HTTPS; SIGHUP re-reads the certificate files (new connections get the new one)."""
    with tempfile.TemporaryDirectory() as d:
        first = make_cert(d, "first", 4097)
        second = make_cert(d, "second", 8194)
        live_cert, live_key = os.path.join(d, "live.pem"), os.path.join(d, "live.key")
        shutil.copy(first[0], live_cert)
        shutil.copy(first[1], live_key)
        srv = Server("--tls-cert", live_cert, "--tls-key", live_key)
        try:
            rc, raw = https_get(srv.port, "/stats", first[0])
            check(rc == 0 and Response(raw).status == 200, f"HTTPS /stats: {rc} {raw[:200]!r}")
            shutil.copy(second[0], live_cert)
            shutil.copy(second[1], live_key)
            srv.proc.send_signal(signal.SIGHUP)
            ready, _, _ = select.select([srv.proc.stdout], [], [], 60)
            check(ready, "no answer to SIGHUP within 60 s")
            line = srv.proc.stdout.readline().decode()
            check(line.startswith("reloaded the TLS certificate"), f"after SIGHUP: {line!r}")
            rc, raw = https_get(srv.port, "/stats", second[0])
            check(rc == 0 and Response(raw).status == 200, f"after reload: {rc} {raw[:200]!r}")
            rc, _ = https_get(srv.port, "/stats", first[0])
            check(rc != 0, "the old certificate is still served after the reload")
        finally:
            srv.kill()


def main():
    srv = Server("--loops", "2", "--workers", str(WORKERS), "--queue", str(QUEUE),
                 "--call-timeout-ms", str(CALL_TIMEOUT_MS), "--grace-ms", str(GRACE_MS))
    try:
        for test in (test_hash, test_json_errors, test_parse, test_jobs, test_queue_full, test_stats,
                     test_metrics, test_graceful_shutdown):
            started = time.monotonic()
            test(srv)
            print(f"ok {test.__name__} ({time.monotonic() - started:.1f} s)", flush=True)
    finally:
        srv.kill()
    test_command_line()
    print("ok command_line")
    test_https_and_reload()
    print("ok https_and_reload")


if __name__ == "__main__":
    main()
