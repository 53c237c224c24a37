#!/bin/bash
# HTTPS benchmark: wrk -t2 -c64 -d10s on 127.0.0.1 against a fixed 1 KiB body over TLS, served by
# weft (bench/http_server's server with a certificate; 1 and 2 loops) and nginx (2 workers,
# `ssl`), on the same certificate (ECDSA P-256, made here) and the same ciphers, in the same run:
# keep-alive requests per second, then handshakes per second (`Connection: close`: one full
# handshake per request, no session resumption since wrk does not resume).
#   bench/https/run.sh [duration, default 10s]
set -euo pipefail
duration=${1:-10s}
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/install-deps.sh" --bench >&2 # the benchmark tools, when missing
build="$root/build/h-http-bench"
work=$(mktemp -d /tmp/weft-https-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

export CCACHE_NOHASHDIR=1 CCACHE_BASEDIR="$root"
if [ ! -d "$build" ]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dbench=enabled --wrap-mode=nofallback >/dev/null
fi
ninja -C "$build" -j2 bench/http_server/weft-bench-http-server >/dev/null

# One certificate for both servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" \
    -out "$work/cert.pem" -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
# Both servers use OpenSSL's default ciphers and TLS 1.2+: wrk (OpenSSL 3) negotiates TLS 1.3
# with TLS_AES_256_GCM_SHA384 against both.
body=$(head -c 1024 /dev/zero | tr '\0' 'x')
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 65;
    default_type text/plain;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    server {
        listen 127.0.0.1:18443 ssl reuseport;
        ssl_certificate $work/cert.pem;
        ssl_certificate_key $work/key.pem;
        location / { return 200 "$body"; }
    }
}
CONF

wait_port() {
    for _ in $(seq 100); do
        if curl -sk -o /dev/null "https://127.0.0.1:$1/"; then return 0; fi
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    return 1
}

results=()
# bench NAME PORT MODE: MODE keep (keep-alive) or close (a handshake per request).
bench() {
    local name=$1 port=$2 mode=$3 extra=()
    [ "$mode" = close ] && extra=(-H 'Connection: close')
    wrk -t2 -c64 -d"$duration" --latency "${extra[@]}" "https://127.0.0.1:$port/" >"$work/$name-$mode.txt"
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name-$mode.txt")
    p50=$(awk '$1=="50%" {print $2}' "$work/$name-$mode.txt")
    p99=$(awk '$1=="99%" {print $2}' "$work/$name-$mode.txt")
    errors=$(awk '/Socket errors|Non-2xx/ {print}' "$work/$name-$mode.txt" | tr '\n' ' ')
    results+=("$name|$mode|$rps|$p50|$p99|$errors")
    echo "$name $mode: $rps req/s (p50 $p50, p99 $p99) $errors" >&2
}
run() {
    local name=$1 port=$2
    shift 2
    "$@" &
    local pid=$!
    pids+=("$pid")
    wait_port "$port"
    local size
    size=$(curl -sk "https://127.0.0.1:$port/" | wc -c)
    [ "$size" = 1024 ] || { echo "$name answered $size bytes, not 1024" >&2; exit 1; }
    bench "$name" "$port" keep
    bench "$name" "$port" close
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

run nginx-2-workers 18443 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;'
run weft-1-loop 18444 "$build/bench/http_server/weft-bench-http-server" 18444 1 0 "$work/cert.pem" "$work/key.pem"
run weft-2-loops 18445 "$build/bench/http_server/weft-bench-http-server" 18445 2 0 "$work/cert.pem" "$work/key.pem"

echo
echo "| server | mode | req/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|"
for r in "${results[@]}"; do
    IFS='|' read -r name mode rps p50 p99 errors <<<"$r"
    printf '| %s | %s | %.0f | %s | %s | %s |\n' "$name" "$mode" "$rps" "$p50" "$p99" "$errors"
done
