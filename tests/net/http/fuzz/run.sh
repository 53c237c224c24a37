#!/bin/sh
# Builds the HTTP request parser's libFuzzer target straight from its sources (no meson, no libweft)
# under ASan/UBSan into build/fuzz/ and runs it for a bounded time over the seed corpus.
#   tests/net/http/fuzz/run.sh [seconds]     (default 60)
# Exits non-zero on a crash, a leak, a timeout (a single input slower than 10 s) or an out-of-memory.
set -eu
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out="$root/build/fuzz"
cxx=${CXX_FUZZ:-}
if [ -z "$cxx" ]; then
    for c in clang++ clang++-14 clang++-15 clang++-16; do
        if command -v "$c" >/dev/null 2>&1; then cxx=$c; break; fi
    done
fi
[ -n "$cxx" ] || { echo "run.sh: clang++ not found (scripts/install-deps.sh installs clang)" >&2; exit 2; }
mkdir -p "$out/corpus"
"$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root/net/src/http" "$here/parser_fuzz.cpp" "$root"/net/src/http/parser*.cpp \
    -o "$out/http_parser_fuzz"
# New inputs go to build/fuzz/corpus; the seeds in the tree are read only.
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "$out/http_parser_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -artifact_prefix="$out/" -print_final_stats=1 \
    "$out/corpus" "$here/corpus"
