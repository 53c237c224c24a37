#!/bin/sh
# HTTP client throughput against a local nginx: weft::http::client, a hand-written Asio HTTP/1.1
# client and Python aiohttp, same run, same page, same number in flight. Starts nginx itself on
# 127.0.0.1 (generated config in a temp dir) and stops it at the end.
#
# Usage: bench/http_client/run.sh [BUILD_DIR=build/bench] [REQUESTS=10000] [INFLIGHT=64] [ROUNDS=3]
# BUILD_DIR must be configured with -Dbuildtype=release -Dbench=enabled.
set -eu

build=${1:-build/bench}
requests=${2:-10000}
inflight=${3:-64}
rounds=${4:-3}
loops=$(nproc)  # weft::run's default: one loop per core
here=$(cd "$(dirname "$0")" && pwd)
weft_bin="$build/bench/http_client/weft-bench-http-client"
asio_bin="$build/bench/http_client/weft-bench-http-client-asio"
python=/usr/bin/python3

for b in "$weft_bin" "$asio_bin"; do
  [ -x "$b" ] || { echo "missing $b: ninja -C $build bench/http_client/$(basename "$b")" >&2; exit 2; }
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx not found" >&2; exit 2; }

dir=$(mktemp -d /tmp/weft-http-client-bench.XXXXXX)
port=$($python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
chmod 755 "$dir"
mkdir -p "$dir/html" "$dir/tmp"
head -c 1024 /dev/zero | tr '\0' 'x' > "$dir/html/page.html"  # a 1 KiB page
cat > "$dir/nginx.conf" <<CONF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $dir/html; }
}
CONF
"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
for _ in $(seq 100); do
  $python -c "import socket; socket.create_connection(('127.0.0.1',$port)).close()" 2>/dev/null && break
  sleep 0.05
done
url="http://127.0.0.1:$port/page.html"

echo "nginx 1 KiB page, $requests requests, $inflight in flight, $rounds rounds (median req/s)"
: > "$dir/results"
for r in $(seq "$rounds"); do
  "$weft_bin" "$url" "$requests" "$inflight" 1 >> "$dir/results"
  "$weft_bin" "$url" "$requests" "$inflight" "$loops" >> "$dir/results"
  "$asio_bin" 127.0.0.1 "$port" /page.html "$requests" "$inflight" >> "$dir/results"
  $python "$here/aiohttp_client.py" "$url" "$requests" "$inflight" >> "$dir/results"
done
$python - "$dir/results" "$loops" <<'PY'
import statistics, sys
rates, cpus = {}, {}
for line in open(sys.argv[1]):
    name, n, secs, rate, cpu = line.split()
    rates.setdefault(name, []).append(float(rate))
    cpus.setdefault(name, []).append(float(cpu))
med = {k: statistics.median(v) for k, v in rates.items()}
cpu = {k: statistics.median(v) for k, v in cpus.items()}
labels = {"weft": "weft, 1 loop", "weft-loops": f"weft, {sys.argv[2]} loops",
          "asio": "Asio client", "aiohttp": "aiohttp"}
print(f"  {'client':16s} {'req/s':>9s} {'CPU us/req':>11s}   runs (req/s)")
for k in ("weft", "weft-loops", "asio", "aiohttp"):
    if k in med:
        runs = ", ".join(f"{x:.0f}" for x in rates[k])
        print(f"  {labels[k]:16s} {med[k]:9.0f} {cpu[k]:11.1f}   {runs}")
for k in ("weft", "weft-loops"):
    if k in med:
        print(f"  {labels[k]}: {med[k] / med['aiohttp']:.1f}x aiohttp (target >= 10x), "
              f"{med[k] / med['asio']:.2f}x the Asio client (target >= 0.7x)")
PY
