#!/usr/bin/python3
"""Runs a command and checks its exit status (and optionally its output).

usage: expect_exit.py COMMAND STATUS [--stdout-json] [--contains TEXT]... -- ARGS...
  --stdout-json   stdout must parse as JSON with a "cells" list, each cell with "exactly_once"
  --contains T    stdout + stderr must contain T
"""
import json
import subprocess
import sys


def main():
    args = sys.argv[1:]
    program = args.pop(0)
    want = int(args.pop(0))
    check_json = False
    contains = []
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--stdout-json":
            check_json = True
        elif opt == "--contains":
            contains.append(args.pop(0))
        else:
            sys.exit("expect_exit.py: unknown option " + opt)
    cmd = [program] + args[1:]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out = p.stdout + p.stderr
    problems = []
    if p.returncode != want:
        problems.append("exit status %d, expected %d" % (p.returncode, want))
    for text in contains:
        if text not in out:
            problems.append("output lacks %r" % text)
    if check_json:
        try:
            doc = json.loads(p.stdout)
            if not isinstance(doc.get("cells"), list) or not doc["cells"]:
                problems.append("JSON has no cells")
            elif not all("exactly_once" in c for c in doc["cells"]):
                problems.append("a JSON cell lacks exactly_once")
        except ValueError as e:
            problems.append("stdout is not JSON: %s" % e)
    if problems:
        print("command:", " ".join(cmd))
        print(out)
        print("\n".join(problems))
        sys.exit(1)


main()
