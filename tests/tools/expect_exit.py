#!/usr/bin/python3
"""Runs a command and checks its exit status (and optionally its output).

usage: expect_exit.py COMMAND STATUS [--stdout-json] [--contains TEXT]... [--lacks TEXT]...
                      [--env NAME=VALUE]... [--max-width N] [--json-cell-key KEY]...
                      [--no-cr] [--interrupt SIG] -- ARGS...
  --stdout-json   stdout must parse as JSON with a "cells" list, each cell with "exactly_once"
  --json-cell-key K  (with --stdout-json) every cell must have key K
  --contains T    stdout + stderr must contain T
  --lacks T       stdout + stderr must not contain T
  --env N=V       run with N=V in the environment (COLUMNS=100)
  --max-width N   no stdout line may be longer than N characters
  --no-cr         stdout + stderr hold no carriage return (no progress bar off a terminal)
  --interrupt S   send signal S (SIGINT, SIGTERM) once the program catches it (its SigCgt in
                  /proc/PID/status has the bit: weft::run is running); STATUS is then what a
                  shell reports, 128 + the signal number for a death by a signal
"""
import json
import os
import signal
import subprocess
import sys
import time


def catches(pid, sig):
    """Whether process pid has a handler installed for sig (Linux: SigCgt in /proc)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return (int(line.split()[1], 16) >> (sig - 1)) & 1 == 1
    except OSError:
        pass
    return False


def run_and_interrupt(cmd, sig, env):
    """Runs cmd, sends sig once it catches it, and returns (shell-style status, stdout, stderr)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not catches(p.pid, sig) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # polls a condition, with a generous deadline
    if p.poll() is None:
        p.send_signal(sig)
    out, err = p.communicate(timeout=120)
    code = p.returncode
    return (128 - code if code < 0 else code), out, err


def main():
    args = sys.argv[1:]
    program = args.pop(0)
    want = int(args.pop(0))
    check_json = False
    contains = []
    lacks = []
    cell_keys = []
    max_width = None
    no_cr = False
    interrupt = None
    env = dict(os.environ)
    env.pop("COLUMNS", None)  # the test's own terminal must not decide the width
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--stdout-json":
            check_json = True
        elif opt == "--json-cell-key":
            cell_keys.append(args.pop(0))
        elif opt == "--contains":
            contains.append(args.pop(0))
        elif opt == "--lacks":
            lacks.append(args.pop(0))
        elif opt == "--env":
            name, _, value = args.pop(0).partition("=")
            env[name] = value
        elif opt == "--max-width":
            max_width = int(args.pop(0))
        elif opt == "--no-cr":
            no_cr = True
        elif opt == "--interrupt":
            interrupt = signal.Signals[args.pop(0)]
        else:
            sys.exit("expect_exit.py: unknown option " + opt)
    cmd = [program] + args[1:]
    if interrupt is None:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        code, stdout, stderr = p.returncode, p.stdout, p.stderr
    else:
        code, stdout, stderr = run_and_interrupt(cmd, interrupt, env)
    out = stdout + stderr
    problems = []
    if code != want:
        problems.append("exit status %d, expected %d" % (code, want))
    for text in contains:
        if text not in out:
            problems.append("output lacks %r" % text)
    for text in lacks:
        if text in out:
            problems.append("output holds %r" % text)
    if max_width is not None:
        for line in stdout.splitlines():
            if len(line) > max_width:
                problems.append("a line of %d characters (limit %d): %r"
                                % (len(line), max_width, line))
    if no_cr and "\r" in out:
        problems.append("output holds a carriage return")
    if check_json:
        try:
            doc = json.loads(stdout)
            if not isinstance(doc.get("cells"), list) or not doc["cells"]:
                problems.append("JSON has no cells")
            elif not all("exactly_once" in c for c in doc["cells"]):
                problems.append("a JSON cell lacks exactly_once")
            for key in cell_keys:
                if not all(key in c for c in doc.get("cells") or []):
                    problems.append("a JSON cell lacks %r" % key)
        except ValueError as e:
            problems.append("stdout is not JSON: %s" % e)
    if problems:
        print("command:", " ".join(cmd))
        print(out)
        print("\n".join(problems))
        sys.exit(1)


main()
