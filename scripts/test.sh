#!/usr/bin/env bash
# weft's test command.
#   1. build/asan: debug build with AddressSanitizer + UBSan, full test suite.
#   2. build/tsan: debug build with ThreadSanitizer, "concurrency" suite only.
# Exits non-zero on the first failure; prints "all tests passed" on success.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\n[test] %s\n' "$*"; }

# ccache: meson uses it automatically when it is on PATH.
if command -v ccache >/dev/null 2>&1; then
    export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
    # Share cached objects between checkouts at different paths (CI clones, worktrees).
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
    mkdir -p "$CCACHE_DIR"
    log "ccache enabled (CCACHE_DIR=$CCACHE_DIR)"
fi

# setup DIR ARGS...: configure DIR, or reconfigure it if it already exists.
setup() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        log "reconfiguring $dir"
        meson setup --reconfigure "$dir" "$@"
    else
        log "configuring $dir"
        meson setup "$dir" "$@"
    fi
}

# --- ASan + UBSan: whole suite ---------------------------------------------
setup build/asan --wrap-mode=nofallback -Dbuildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false
log "compiling build/asan"
meson compile -C build/asan
log "testing build/asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build/asan --print-errorlogs --num-processes 2

# --- TSan: concurrency suite ----------------------------------------------
setup build/tsan --wrap-mode=nofallback -Dbuildtype=debug \
    -Db_sanitize=thread -Db_lundef=false -Dwerror=false
# Only what the concurrency suite runs: a TSan build of everything else would double CI's time.
mapfile -t tsan_targets < <(meson introspect build/tsan --tests | /usr/bin/python3 -c '
import json, os, sys
build = os.path.abspath(sys.argv[1])
seen = set()
for t in json.load(sys.stdin):
    if any(s.split(":")[-1] == "concurrency" for s in t["suite"]):
        exe = os.path.relpath(t["cmd"][0], build)
        if exe not in seen and not exe.startswith(".."):
            seen.add(exe)
            print(exe)
' build/tsan)
log "compiling build/tsan: ${tsan_targets[*]}"
ninja -C build/tsan "${tsan_targets[@]}"

# TSan aborts with "unexpected memory mapping" on kernels with high ASLR
# entropy; running the tests with ASLR disabled avoids that. Only use the
# wrapper when personality(2) is allowed here (some containers forbid it).
tsan_wrapper=()
if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then
    tsan_wrapper=(--wrapper "setarch $(uname -m) -R")
fi
log "testing build/tsan (suite: concurrency)${tsan_wrapper[*]:+ with ${tsan_wrapper[1]}}"
# tests/tsan.supp: the one libstdc++-internal report TSan cannot see through (see the file).
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp \
    meson test -C build/tsan --suite concurrency --no-rebuild --print-errorlogs \
    ${tsan_wrapper[@]+"${tsan_wrapper[@]}"}

printf '\nall tests passed\n'
