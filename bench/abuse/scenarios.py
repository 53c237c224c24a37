#!/usr/bin/env python3
"""The abusive clients of bench/abuse/run.sh, against weft-abuse-server on 127.0.0.1.

    scenarios.py PORT SERVER_PID SEND_TIMEOUT_MS

1. 200 connections each send a POST head claiming an 8 MB body and one byte, then wait: the
   server's RSS must grow with the bytes received (64 KiB each), not with the lengths claimed.
2. 50 clients stream a large response and read it slowly (16 KiB every 100 ms) while a probe asks
   GET /ping over and over: every probe must be answered quickly (the producers yield).
3. One client asks for 16 MiB and never reads: send_timeout must reset it.
Each scenario is bounded in time; prints one line each: scenario, figure, limit, ok or FAIL, and
exits 1 when one failed.
"""

import socket
import sys
import threading
import time

PORT = int(sys.argv[1])
PID = int(sys.argv[2])
SEND_TIMEOUT = int(sys.argv[3]) / 1000.0
MiB = 1024 * 1024
failed = False


def rss_mib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def get(path, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    finally:
        s.close()


def stats():
    body = get("/stats").split(b"\r\n\r\n", 1)[1].decode()
    return {k: int(v) for k, v in (line.split() for line in body.splitlines() if line)}


def wait_for(cond, seconds):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def report(scenario, figure, limit, ok):
    global failed
    failed = failed or not ok
    print(f"{scenario:<44} {figure:<34} {limit:<28} {'ok' if ok else 'FAIL'}", flush=True)


def scenario_big_heads():
    before = rss_mib()
    conns = []
    head = b"POST /sum HTTP/1.1\r\nHost: a\r\nContent-Length: 8000000\r\n\r\nx"
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        s.sendall(head)
        conns.append(s)
    wait_for(lambda: stats()["buffered_bytes"] >= 200 * 64 * 1024, 10)
    held = rss_mib() - before
    buffered = stats()["buffered_bytes"] / MiB
    for s in conns:
        s.close()
    wait_for(lambda: stats()["connections_open"] == 0, 10)
    kept = rss_mib() - before
    report("1. 200 heads claim 8 MB, send 1 byte",
           f"RSS +{held:.1f} MiB ({buffered:.1f} buffered), +{kept:.1f} after",
           "RSS +64 MiB at most", held <= 64)


def scenario_slow_streams():
    stop = threading.Event()
    socks = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
        s.setblocking(False)
        socks.append(s)

    def slow_reader():
        while not stop.is_set():
            for s in socks:
                try:
                    s.recv(16384)
                except (BlockingIOError, OSError):
                    pass
            time.sleep(0.1)

    reader = threading.Thread(target=slow_reader)
    reader.start()
    worst = 0.0
    failures = 0
    until = time.monotonic() + 5
    while time.monotonic() < until:
        t0 = time.monotonic()
        try:
            ok = get("/ping", timeout=5).endswith(b"pong")
        except OSError:
            ok = False
        worst = max(worst, time.monotonic() - t0)
        failures += 0 if ok else 1
    stop.set()
    reader.join()
    for s in socks:
        s.close()
    report("2. 50 slow readers of a streamed body",
           f"worst /ping {worst * 1000:.0f} ms, {failures} failed",
           "1000 ms, 0 failed", worst < 1.0 and failures == 0)


def scenario_never_reads():
    before = stats()["send_timeouts"]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", PORT))
    t0 = time.monotonic()
    s.sendall(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
    bound = 2 * SEND_TIMEOUT + 2
    reset = wait_for(lambda: stats()["send_timeouts"] > before, bound)
    took = time.monotonic() - t0
    s.close()
    report("3. a client never reads 16 MiB",
           f"reset after {took:.1f} s" if reset else f"still open after {took:.1f} s",
           f"send_timeout {SEND_TIMEOUT:.0f} s (+50%)", reset)


scenario_big_heads()
scenario_slow_streams()
scenario_never_reads()
sys.exit(1 if failed else 0)
