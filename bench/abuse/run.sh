#!/bin/bash
# Reliability under hostile input: builds a release weft (the abuse server and the weft tool) and
# runs bench/abuse/run.py's scenarios against them on 127.0.0.1, each bounded in time. Prints a
# table: scenario, figure, limit, ok; exits 1 when a row is not ok.
#   bench/abuse/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/h-abuse"
export CCACHE_NOHASHDIR=1 CCACHE_BASEDIR="$root"
if [ ! -d "$build" ]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dbench=enabled --wrap-mode=nofallback >/dev/null
fi
ninja -C "$build" -j2 bench/abuse/weft-abuse-server tools/weft >/dev/null
exec /usr/bin/python3 "$root/bench/abuse/run.py" "$build"
