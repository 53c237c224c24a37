#!/usr/bin/env python3
"""Reliability under hostile input, against a release build of weft (bench/abuse/run.sh builds it).

    bench/abuse/run.py BUILD_DIR

Each scenario starts its own weft-abuse-server on 127.0.0.1, does what an attacker or a careless
client does, bounded in count and time, and prints one row: scenario, figure, limit, ok. Exits 1
when a row is not ok. Targets (defaults of weft, except send_timeout, set to 3 s to keep the run
short):
  - 200 connections each claim an 8 MB body and send one byte: server RSS grows <= 32 MiB.
  - 50 clients read 64 MiB streamed responses slowly on the server's one loop: a probe request
    every 100 ms has p99 <= 100 ms.
  - a client asks for 64 MiB and never reads: reset within send_timeout + 5 s.
  - `weft fetch --timeout 5` of a gzip bomb (1 GiB decoded): a typed failure within the timeout
    + 10%, at <= 256 MiB RSS; with no size limit and `--timeout 1`, the timeout holds within 10%
    while the body is decoded.
  - SIGINT / SIGTERM during `weft fetch`: what finished is printed, exit status 130 / 143.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/h-abuse"
SERVER = os.path.join(BUILD, "bench/abuse/weft-abuse-server")
WEFT = os.path.join(BUILD, "tools/weft")
MiB = 1 << 20
rows = []


class Server:
    """A weft-abuse-server child: started, its port read, stopped at the end."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([SERVER, *args], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "port":
            raise RuntimeError("the abuse server did not start")
        self.port = int(line[1])

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def rss(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stats(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /stats HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            data = read_all(s)
        return json.loads(data.split(b"\r\n\r\n", 1)[1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def read_all(s):
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def wait_until(pred, limit_s, step_s=0.05):
    """Polls pred() until it holds or limit_s passed; returns whether it held."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step_s)
    return pred()


def row(scenario, figure, limit, ok):
    rows.append((scenario, figure, limit, "ok" if ok else "FAILED"))
    print(f"  {scenario}: {figure} (limit {limit}) {'ok' if ok else 'FAILED'}", file=sys.stderr)


def connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    return s


def held_heads():
    with Server("--loops", "1") as srv:
        before = srv.rss()
        conns = []
        head = b"POST /sum HTTP/1.1\r\nHost: a\r\nContent-Length: 8000000\r\n\r\nx"
        for _ in range(200):
            s = connect(srv.port)
            s.sendall(head)
            conns.append(s)
        # +1: the /stats connection itself.
        wait_until(lambda: srv.stats()["connections_open"] >= 201, 10)
        wait_until(lambda: srv.stats()["buffered_bytes"] >= 200, 10)
        st = srv.stats()
        grown = srv.rss() - before
        for s in conns:
            s.close()
        row("200 heads claim 8 MB bodies, 1 byte sent",
            f"RSS +{grown / MiB:.1f} MiB, {st['buffered_bytes']} body bytes buffered",
            "<= 32 MiB", grown <= 32 * MiB and st["connections_open"] >= 201)


def slow_streams():
    with Server("--loops", "1") as srv:
        readers = []
        for _ in range(50):
            s = connect(srv.port, rcvbuf=16384)
            s.sendall(b"GET /stream?mb=64 HTTP/1.1\r\nHost: a\r\n\r\n")
            readers.append(s)
        stop = threading.Event()

        def read_slowly():
            while not stop.is_set():
                for s in readers:
                    try:
                        s.recv(16384, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        pass
                time.sleep(0.05)  # the slow clients' pace

        t = threading.Thread(target=read_slowly)
        t.start()
        latencies = []
        probe = connect(srv.port)
        probe.settimeout(10)
        try:
            for _ in range(50):
                t0 = time.monotonic()
                probe.sendall(b"GET /probe HTTP/1.1\r\nHost: a\r\n\r\n")
                got = b""
                while not got.endswith(b"ok"):
                    got += probe.recv(4096)
                latencies.append(time.monotonic() - t0)
                time.sleep(max(0.0, 0.1 - (time.monotonic() - t0)))  # one probe per 100 ms
        except OSError:
            latencies.append(float("inf"))
        stop.set()
        t.join()
        for s in readers + [probe]:
            s.close()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        row("50 slow readers of streamed 64 MiB, probe every 100 ms on the same loop",
            f"probe p50 {latencies[len(latencies) // 2] * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms",
            "p99 <= 100 ms", p99 <= 0.1)


def never_reads():
    send_timeout_s = 3
    with Server("--loops", "1", "--send-timeout-ms", str(send_timeout_s * 1000)) as srv:
        s = connect(srv.port, rcvbuf=16384)
        t0 = time.monotonic()
        s.sendall(b"GET /big?mb=64 HTTP/1.1\r\nHost: a\r\n\r\n")
        reset = wait_until(lambda: srv.stats()["send_timeouts"] >= 1, send_timeout_s + 10, 0.1)
        took = time.monotonic() - t0
        s.close()
        row(f"a client asks for 64 MiB and never reads (send_timeout {send_timeout_s} s)",
            f"reset after {took:.1f} s" if reset else f"still open after {took:.1f} s",
            f"<= {send_timeout_s + 5} s", reset and took <= send_timeout_s + 5)


def gzip_bomb(tmp):
    path = bomb_file(tmp)
    size = os.path.getsize(path)
    with Server("--loops", "1", "--bomb", path) as srv:
        t0 = time.monotonic()
        p = subprocess.Popen([WEFT, "fetch", "--timeout", "5", "--json", srv.url("/bomb")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(p.pid, 0)
        took = time.monotonic() - t0
        rss = usage.ru_maxrss * 1024
        kind = next((k for k in ("too-large", "timeout") if f'"{k}"' in out), None)
        row(f"weft fetch --timeout 5 of a gzip bomb ({size // 1024} KiB, 1 GiB decoded)",
            f"{kind or 'no typed error'} after {took:.2f} s, max RSS {rss / MiB:.0f} MiB, "
            f"exit {os.waitstatus_to_exitcode(status)}",
            "typed, <= 5.5 s, <= 256 MiB",
            kind is not None and took <= 5.5 and rss <= 256 * MiB)


def bomb_file(tmp):
    """A gzip body of 1 GiB of zeros (about 1 MiB), made once."""
    path = os.path.join(tmp, "bomb.gz")
    if not os.path.exists(path):
        z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
        zeros = bytes(MiB)
        with open(path, "wb") as f:
            for _ in range(1024):
                f.write(z.compress(zeros))
            f.write(z.flush())
    return path


def fetch_json(url, *args):
    """Runs weft fetch --json on url; returns (its one result, wall seconds, max RSS, status)."""
    t0 = time.monotonic()
    p = subprocess.Popen([WEFT, "fetch", "--json", *args, url],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(p.pid, 0)
    took = time.monotonic() - t0
    try:
        result = json.loads(out)["runs"][0]["results"][0]
    except (ValueError, KeyError, IndexError):
        result = {}
    return result, took, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def decoding_timeout(tmp):
    path = bomb_file(tmp)
    with Server("--loops", "1", "--bomb", path) as srv:
        # No size limit: only the timeout can stop the 1 GiB of decoding.
        r, _, _, code = fetch_json(srv.url("/bomb"), "--timeout", "1", "--max-response-bytes", "0")
        took = r.get("seconds", float("inf"))
        kind = r.get("error_kind", "none")
        row("weft fetch --timeout 1 of the gzip bomb with no size limit",
            f"{kind} after {took:.3f} s (exit {code})", "timeout, <= 1.1 s",
            kind == "timeout" and took <= 1.1)


def interrupted(sig, expect):
    with Server("--loops", "1") as srv:
        p = subprocess.Popen([WEFT, "fetch", "--json", srv.url("/probe"), srv.url("/slow?ms=20000")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Interrupt once the probe was answered and the slow request is being served.
        wait_until(lambda: (lambda st: st["probes"] >= 1 and st["slow_in_flight"] >= 1)(srv.stats()),
                   10)
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        code = 128 - p.returncode if p.returncode < 0 else p.returncode
        printed = "/probe" in out
        name = signal.Signals(sig).name
        row(f"{name} during weft fetch (one URL done, one pending)",
            f"exit {code}, finished URL {'printed' if printed else 'lost'}",
            f"{expect}, printed", code == expect and printed)


def main():
    for tool in (SERVER, WEFT):
        if not os.access(tool, os.X_OK):
            sys.exit(f"missing {tool}: run bench/abuse/run.sh")
    with tempfile.TemporaryDirectory(prefix="weft-abuse.") as tmp:
        held_heads()
        slow_streams()
        never_reads()
        gzip_bomb(tmp)
        decoding_timeout(tmp)
        interrupted(signal.SIGINT, 130)
        interrupted(signal.SIGTERM, 143)
    print("| scenario | figure | limit | ok |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    sys.exit(0 if all(r[3] == "ok" for r in rows) else 1)


if __name__ == "__main__":
    main()
