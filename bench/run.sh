#!/usr/bin/env bash
# Builds build/bench (release), runs every weft benchmark and the Python asyncio baselines in one
# go, and prints a table of weft vs asyncio. This is the command BENCHMARKS.md cites.
#
# usage: bench/run.sh [--quick]
#   --quick   one repetition, small sizes: a smoke test of the suite, not figures to quote
# Results (Google Benchmark JSON, raw lines) are kept in build/bench/results/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/bench
results=$build/results
python=/usr/bin/python3

reps=5
sleepers=1000000
py_args=()
gb_args=()
report_args=()
if [[ ${1:-} == --quick ]]; then
    reps=1
    sleepers=100000
    py_args=(--quick)
    gb_args=(--benchmark_min_time=0.05)
    report_args=(--quick)
fi

if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dbench=enabled \
        -Dtests=disabled -Dexamples=disabled -Dtools=disabled
fi
ninja -C "$build"

rm -rf "$results"
mkdir -p "$results"

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
     "$(c++ --version | head -1); $($python --version)"
runtime_state=$(git -C "$root" rev-parse --short HEAD)
if ! git -C "$root" diff --quiet HEAD -- runtime; then
    runtime_state+=" + uncommitted runtime/ diff $(git -C "$root" diff HEAD -- runtime | sha1sum | cut -c1-10)"
fi
echo "== weft $runtime_state; load average $(cut -d' ' -f1-3 /proc/loadavg)"

for b in gather create-task yield spawn; do
    "$build/bench/weft-bench-$b" \
        --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
        --benchmark_out="$results/$b.json" --benchmark_out_format=json "${gb_args[@]}"
done
"$build/bench/weft-bench-sleep-memory" "$sleepers" | tee "$results/sleep_memory.txt"
"$python" "$root/bench/python/asyncio_bench.py" --repetitions "$reps" --sleepers "$sleepers" \
    "${py_args[@]}" | tee "$results/asyncio.txt"

echo
"$python" "$root/bench/python/report.py" "${report_args[@]}" "$results" | tee "$results/table.md"
