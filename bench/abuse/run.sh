#!/bin/bash
# Reliability check of the HTTP server against abusive clients: builds weft-abuse-server
# (release), starts it with send_timeout 2 s, and runs the three scenarios of scenarios.py
# (claimed bodies that never come, slow readers of streamed bodies beside a probe, a client that
# never reads): one line each with the figure, the limit, ok or FAIL. About 20 s.
#   bench/abuse/run.sh [port, default 18181]
set -euo pipefail
port=${1:-18181}
send_timeout_ms=2000
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/h-abuse"
export CCACHE_NOHASHDIR=1 CCACHE_BASEDIR="$root"
if [ ! -d "$build" ]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dbench=enabled --wrap-mode=nofallback >/dev/null
fi
ninja -C "$build" -j2 bench/abuse/weft-abuse-server >/dev/null

"$build/bench/abuse/weft-abuse-server" "$port" "$send_timeout_ms" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)" \
        2>/dev/null; then
        break
    fi
    sleep 0.1
done
printf '%-44s %-34s %-28s %s\n' scenario figure limit result
timeout 120 python3 "$root/bench/abuse/scenarios.py" "$port" "$server" "$send_timeout_ms"
