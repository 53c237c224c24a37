#!/bin/bash
# HTTP server benchmark: wrk -t2 -c64 -d10s on 127.0.0.1 against a fixed 1 KiB body, served by
# weft (1 and 2 loops), nginx and a plain Asio coroutine server (2 threads), all in the same run.
# nginx runs twice: as the issue specifies it (2 workers, `return 200`, keepalive_requests high,
# nginx's defaults otherwise: access log on, one shared listening socket), and tuned further
# (access log off, a SO_REUSEPORT socket per worker), its fastest here. Prints markdown tables
# with wrk's latency percentiles; ratios are against the tuned nginx and, in the medians, both.
#   bench/http_server/run.sh [duration, default 10s] [rounds, default 1]
# PIN=0,1 runs the servers and wrk under taskset -c 0,1 (two CPUs of a larger machine).
set -euo pipefail
duration=${1:-10s}
rounds=${2:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/install-deps.sh" --bench >&2 # the benchmark tools, when missing
build="$root/build/h-http-bench"
work=$(mktemp -d /tmp/weft-http-bench.XXXXXX)
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
ninja -C "$build" -j2 bench/http_server/weft-bench-http-server \
    bench/http_server/asio-bench-http-server >/dev/null

# nginx answering the same body from its config: no file I/O at all.
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
    server {
        listen 127.0.0.1:18081 reuseport;
        location / { return 200 "$body"; }
    }
}
CONF
# The same server as the issue specifies it: only return 200 and keepalive_requests set.
sed -e "s|access_log off;|access_log $work/nginx/logs/access.log;|" \
    -e "s| reuseport;|;|" -e "s|18081|18085|" -e "s|nginx.pid|nginx-spec.pid|" \
    "$work/nginx/nginx.conf" >"$work/nginx/nginx-spec.conf"

wait_port() {
    for _ in $(seq 100); do
        if curl -s -o /dev/null "http://127.0.0.1:$1/"; then return 0; fi
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    return 1
}

# run NAME PORT START-COMMAND...: starts the server, checks the body, runs wrk, stops the server.
pin=()
if [ -n "${PIN:-}" ]; then
    pin=(taskset -c "$PIN")
fi
results=()
run() {
    local name=$1 port=$2
    shift 2
    "${pin[@]}" "$@" &
    local pid=$!
    pids+=("$pid")
    wait_port "$port"
    local size
    size=$(curl -s "http://127.0.0.1:$port/" | wc -c)
    [ "$size" = 1024 ] || { echo "$name answered $size bytes, not 1024" >&2; exit 1; }
    "${pin[@]}" wrk -t2 -c64 -d"$duration" --latency "http://127.0.0.1:$port/" >"$work/$name.txt"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local rps p50 p90 p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
    p50=$(awk '$1=="50%" {print $2}' "$work/$name.txt")
    p90=$(awk '$1=="90%" {print $2}' "$work/$name.txt")
    p99=$(awk '$1=="99%" {print $2}' "$work/$name.txt")
    results+=("$name|$rps|$p50|$p90|$p99")
    echo "$name: $rps req/s (p50 $p50, p90 $p90, p99 $p99)" >&2
}

for _ in $(seq "$rounds"); do
    run nginx 18081 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;'
    run nginx-spec 18085 nginx -c "$work/nginx/nginx-spec.conf" -p "$work/nginx" -g 'daemon off;'
    run asio-2-threads 18082 "$build/bench/http_server/asio-bench-http-server" 18082 2
    run weft-1-loop 18083 "$build/bench/http_server/weft-bench-http-server" 18083 1
    run weft-2-loops 18084 "$build/bench/http_server/weft-bench-http-server" 18084 2
done

# The table: ratios against nginx and Asio of the same round.
echo
echo "| server | req/s | vs nginx | vs Asio | p50 | p90 | p99 |"
echo "|---|---|---|---|---|---|---|"
nginx_rps=""
asio_rps=""
for r in "${results[@]}"; do
    IFS='|' read -r name rps p50 p90 p99 <<<"$r"
    case $name in
    nginx) nginx_rps=$rps asio_rps="" ;;
    asio-2-threads) asio_rps=$rps ;;
    esac
    vn=$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.2fx", a / b }')
    va=$( [ -n "$asio_rps" ] && awk -v a="$rps" -v b="$asio_rps" 'BEGIN { printf "%.2fx", a / b }' || echo "-")
    printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$vn" "$va" "$p50" "$p90" "$p99"
done

# With several rounds: the median of each server's req/s and of its per-round ratios.
if [ "$rounds" -gt 1 ]; then
    echo
    echo "Medians over $rounds rounds:"
    echo
    echo "| server | req/s | vs nginx | vs nginx as specified | vs Asio |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${results[@]}" | awk -F'|' '
        $1 == "nginx" { n = $2 }
        $1 == "nginx-spec" { ns = $2 }
        $1 == "asio-2-threads" { a = $2 }
        { rps[$1] = rps[$1] " " $2; vn[$1] = vn[$1] " " $2 / n;
          if (ns != "") vs[$1] = vs[$1] " " $2 / ns;
          if (a != "") va[$1] = va[$1] " " $2 / a; order[$1] = NR }
        $1 == "weft-2-loops" { a = ""; ns = "" }
        function median(list,    v, k, i, j, t) {
            k = split(list, v, " ");
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
            return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
        }
        END {
            split("nginx nginx-spec asio-2-threads weft-1-loop weft-2-loops", names, " ");
            for (i = 1; i <= 5; i++) {
                s = names[i];
                printf "| %s | %.0f | %.2fx | %s | %s |\n", s, median(rps[s]), median(vn[s]),
                       (vs[s] == "" ? "-" : sprintf("%.2fx", median(vs[s]))),
                       (va[s] == "" ? "-" : sprintf("%.2fx", median(va[s])))
            }
        }'
fi
