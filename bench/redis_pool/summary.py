"""Turns the `result` and `commands` lines of bench_redis_pool.cpp and the baselines (one file)
into run.sh's tables: each system beside weft with the same worker count, the issue's targets,
and Redis commands per call by command.

    /usr/bin/python3 summary.py RESULTS_FILE
"""
import sys

NAMES = {
    "weft": "weft::redis_pool",
    "celery-prefork": "Celery, prefork pool",
    "celery-solo": "Celery, N solo workers",
    "rq": "RQ (forks per job)",
    "rq-simple": "RQ, SimpleWorker",
}
TARGET_RATIO = 50  # weft's calls/s at 64 in flight >= 50x Celery's
TARGET_P50_US = 1000  # weft's p50 one call at a time


def parse(path):
    results, commands = {}, {}
    for line in open(path):
        kind, _, rest = line.strip().partition(" ")
        if kind not in ("result", "commands"):
            continue
        fields = dict(f.split("=", 1) for f in rest.split())
        key = (fields.pop("system"), int(fields.pop("workers")), fields.pop("load"))
        if kind == "result":
            results[key] = {k: float(v) for k, v in fields.items()}
        else:
            commands[key] = fields
    return results, commands


def rate(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def ms(us):
    return f"{us / 1000:.2f} ms"


def main():
    results, commands = parse(sys.argv[1])
    systems = [s for s in NAMES if any(k[0] == s for k in results)]
    workers = sorted({k[1] for k in results})
    print("| system | workers | calls/s, 64 in flight | weft / it | p50, 1 in flight | p99 "
          "| Redis commands per call (64 / 1 in flight) "
          "| CPU per call, 64 in flight: caller / workers / Redis |")
    print("|---|---|---|---|---|---|---|---|")
    for n in workers:
        weft = results.get(("weft", n, "64"))
        for s in systems:
            thr, seq = results.get((s, n, "64")), results.get((s, n, "seq"))
            if thr is None or seq is None:
                continue
            ratio = f"{weft['calls_per_s'] / thr['calls_per_s']:.1f}x" if weft else "-"
            print(f"| {NAMES[s]} | {n} | {rate(thr['calls_per_s'])} | {ratio} "
                  f"| {ms(seq['p50_us'])} | {ms(seq['p99_us'])} "
                  f"| {thr['cmds_per_call']:.1f} / {seq['cmds_per_call']:.1f} "
                  f"| {thr['caller_cpu_us']:.0f} / {thr['workers_cpu_us']:.0f} / "
                  f"{thr['redis_cpu_us']:.0f} us |")
    print()
    print("| target | workers | figure | met |")
    print("|---|---|---|---|")
    for n in workers:
        weft, celery = results.get(("weft", n, "64")), results.get(("celery-prefork", n, "64"))
        seq = results.get(("weft", n, "seq"))
        if weft and celery:
            r = weft["calls_per_s"] / celery["calls_per_s"]
            met = "yes" if r >= TARGET_RATIO else "**NO**"
            print(f"| >= {TARGET_RATIO}x Celery's calls/s, 64 in flight | {n} | {r:.1f}x | {met} |")
        if seq:
            met = "yes" if seq["p50_us"] <= TARGET_P50_US else "**NO**"
            print(f"| p50 <= {ms(TARGET_P50_US)}, 1 in flight | {n} | {ms(seq['p50_us'])} "
                  f"| {met} |")
    print()
    print("| system | workers | Redis commands per call at 64 in flight, by command (workers' "
          "included) |")
    print("|---|---|---|")
    for n in workers:
        for s in systems:
            c = commands.get((s, n, "64"))
            if c is not None:
                by = ", ".join(f"{k.upper()} {v}" for k, v in c.items())
                print(f"| {NAMES[s]} | {n} | {by} |")

if __name__ == "__main__":
    main()
