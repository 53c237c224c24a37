#!/usr/bin/env bash
# Builds build/bench (release), runs every weft benchmark and the Python asyncio baselines in one
# go, and prints a table of weft vs asyncio. This is the command BENCHMARKS.md cites.
#
# usage: bench/run.sh [--quick] [--executors]
#   --quick       one repetition, small sizes: a smoke test of the suite, not figures to quote
#   --executors   only the executor benchmarks (weft-bench-executors, weft-bench-executor-idle and
#                 asyncio's run_in_executor workloads) and their table
# Results (Google Benchmark JSON, raw lines) are kept in build/bench/results/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh" --bench >&2 # the benchmark tools, when missing
build=$root/build/bench
results=$build/results
python=/usr/bin/python3

reps=5
sleepers=1000000
idle_batches=200
executors_only=0
py_args=()
gb_args=()
report_args=()
for arg in "$@"; do
    case $arg in
    --quick)
        reps=1
        sleepers=100000
        idle_batches=20
        py_args+=(--quick)
        gb_args=(--benchmark_min_time=0.05)
        report_args+=(--quick)
        ;;
    --executors)
        executors_only=1
        report_args+=(--executors)
        ;;
    *)
        echo "usage: $0 [--quick] [--executors]" >&2
        exit 2
        ;;
    esac
done

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
for dir in runtime executors; do
    if ! git -C "$root" diff --quiet HEAD -- "$dir"; then
        runtime_state+=" + uncommitted $dir/ diff $(git -C "$root" diff HEAD -- "$dir" | sha1sum | cut -c1-10)"
    fi
done
echo "== weft $runtime_state; load average $(cut -d' ' -f1-3 /proc/loadavg)"

if ((!executors_only)); then
    for b in gather create-task yield spawn; do
        "$build/bench/weft-bench-$b" \
            --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
            --benchmark_out="$results/$b.json" --benchmark_out_format=json "${gb_args[@]}"
    done
    "$build/bench/weft-bench-sleep-memory" "$sleepers" | tee "$results/sleep_memory.txt"
fi
# Twice the repetitions at half the time each, in random order, so that a busy spell on this
# shared machine spreads over weft and its baselines instead of landing on one of them. The JSON
# keeps every repetition (for min/max), the console only the aggregates.
"$build/bench/weft-bench-executors" \
    --benchmark_repetitions=$((reps > 1 ? 2 * reps : 1)) --benchmark_min_time=0.25 \
    --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true \
    --benchmark_out="$results/executors.json" --benchmark_out_format=json "${gb_args[@]}"
"$build/bench/weft-bench-executor-idle" "$idle_batches" | tee "$results/executor_idle.txt" ||
    echo "== weft-bench-executor-idle: idle CPU over its limit (see above)"
if ((executors_only)); then
    py_args+=(--only executor_round_trip executor_64_in_flight)
fi
"$python" "$root/bench/python/asyncio_bench.py" --repetitions "$reps" --sleepers "$sleepers" \
    "${py_args[@]}" | tee "$results/asyncio.txt"
echo "== load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"

echo
"$python" "$root/bench/python/report.py" "${report_args[@]}" "$results" | tee "$results/table.md"
