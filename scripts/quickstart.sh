#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install dependencies, build the
# release tree and run the demo.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\n[quickstart] %s\n' "$*"; }

log "installing dependencies"
bash scripts/install-deps.sh

if command -v ccache >/dev/null 2>&1; then
    export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
    # Share cached objects between checkouts at different paths (CI clones, worktrees).
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
fi

if [ -f build/release/build.ninja ]; then
    log "build/release already configured"
else
    log "configuring build/release"
    meson setup build/release --wrap-mode=nofallback -Dbuildtype=release -Dtests=disabled
fi

log "compiling build/release"
meson compile -C build/release

log "running build/release/tools/weft demo"
build/release/tools/weft demo

# Seed 5 for real, when the build has net/: six slow pages from a local server the command starts
# itself on 127.0.0.1, fetched one after another and then concurrently (no internet needed).
if build/release/tools/weft fetch --help >/dev/null 2>&1; then
    log "running build/release/tools/weft fetch --demo"
    build/release/tools/weft fetch --demo
fi
