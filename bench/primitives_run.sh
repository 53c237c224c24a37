#!/usr/bin/env bash
# The async primitives (issue 4) beside asyncio, in one run: builds weft-bench-primitives
# (release), runs it and bench/python/asyncio_primitives.py (and uvloop when installed), and prints
# a markdown table of the medians with the weft/asyncio ratios. bench/all.sh runs it as its
# "primitives" area (BENCHMARKS.md).
#
# usage: bench/primitives_run.sh [--quick]
#   --quick   one repetition: a smoke test, not figures to quote
# The build directory is $WEFT_BENCH_BUILD (default build/bench); results stay in its
# results-primitives/ folder.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh" --bench >&2 # the benchmark tools, when missing
build=${WEFT_BENCH_BUILD:-$root/build/bench}
results=$build/results-primitives
python=/usr/bin/python3
reps=5
gb_args=()
for arg in "$@"; do
    case $arg in
    --quick)
        reps=1
        gb_args=(--benchmark_min_time=0.05)
        ;;
    *)
        echo "usage: $0 [--quick]" >&2
        exit 2
        ;;
    esac
done

if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dbench=enabled \
        -Dtests=disabled -Dexamples=disabled -Dtools=disabled
fi
ninja -C "$build" bench/weft-bench-primitives

rm -rf "$results"
mkdir -p "$results"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; $(c++ --version | head -1);" \
     "$($python --version); weft $(git -C "$root" rev-parse --short HEAD);" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$build/bench/weft-bench-primitives" \
    --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_out="$results/weft.json" --benchmark_out_format=json "${gb_args[@]}"
"$python" "$root/bench/python/asyncio_primitives.py" --repetitions "$reps" |
    tee "$results/asyncio.txt"

echo
"$python" - "$results" <<'EOF' | tee "$results/table.md"
import json, pathlib, re, sys

results = pathlib.Path(sys.argv[1])
weft = {}
for b in json.loads((results / "weft.json").read_text())["benchmarks"]:
    name = b.get("run_name", b["name"]).split("/")[0]
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
        continue
    weft[name] = b["items_per_second"]
base = {}
for line in (results / "asyncio.txt").read_text().splitlines():
    m = re.match(r"bench impl=(\S+) workload=(\S+) per_s=(\d+)", line)
    if m:
        base.setdefault(m.group(2), {})[m.group(1)] = float(m.group(3))
impls = sorted({i for v in base.values() for i in v}, key=lambda i: i != "asyncio")

def rate(x):
    return f"{x / 1e6:.2f}M/s" if x >= 1e6 else f"{x / 1e3:.0f}k/s"

head = ["workload", "weft"] + impls + [f"weft / {i}" for i in impls]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for name, w in weft.items():
    row = [name, rate(w)]
    row += [rate(base[name][i]) if i in base.get(name, {}) else "-" for i in impls]
    row += [f"{w / base[name][i]:.1f}x" if i in base.get(name, {}) else "-" for i in impls]
    print("| " + " | ".join(row) + " |")
EOF
