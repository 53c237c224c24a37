#!/bin/sh
# Process pool benchmark: weft::process_pool beside a raw fork + pipe ping-pong and Python's
# ProcessPoolExecutor (run_in_executor), in the same run. Usage:
#   bench/process_pool/run.sh [BUILD_DIR] [--quick]
# BUILD_DIR is a release build with -Dbench=enabled (default build/bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../../scripts/install-deps.sh" --bench >&2 # Google Benchmark and the rest, when missing
build=${1:-build/bench}
shift 2>/dev/null || true
ninja -C "$build" bench/process_pool/weft-bench-process-pool >/dev/null
"$build/bench/process_pool/weft-bench-process-pool" "$@" | tee /tmp/weft-pp-bench.$$
/usr/bin/python3 "$here/python_baseline.py" "$@" | tee -a /tmp/weft-pp-bench.$$
awk '
  /weft process_pool 64/ { w = $6 }
  /python ProcessPoolExecutor 64/ { p = $4 }
  END { if (p > 0) printf("throughput: weft / python = %.1fx\n", w / p) }
' /tmp/weft-pp-bench.$$
rm -f /tmp/weft-pp-bench.$$
