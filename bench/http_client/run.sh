#!/bin/sh
# HTTP client throughput against a local nginx: weft::http::client, raw libcurl (the same multi
# interface driven by hand: the floor of any libcurl-based client), a hand-written Asio HTTP/1.1
# client and Python aiohttp, same run, same page, same number in flight. Starts nginx itself on
# 127.0.0.1 (generated config in a temp dir, nginx.sh) and stops it at the end. profile.sh counts
# syscalls and instructions per request for the same clients.
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
bash "$here/../../scripts/install-deps.sh" --bench >&2 # aiohttp, wrk, Google Benchmark when missing
. "$here/clients.sh"
. "$here/nginx.sh"

echo "nginx 1 KiB page, $requests requests, $inflight in flight, $rounds rounds (median req/s)"
: > "$dir/results"
for r in $(seq "$rounds"); do
  "$weft_bin" "$url" "$requests" "$inflight" 1 >> "$dir/results"
  "$weft_bin" "$url" "$requests" "$inflight" "$loops" >> "$dir/results"
  "$curl_bin" "$url" "$requests" "$inflight" socket >> "$dir/results"
  "$curl_bin" "$url" "$requests" "$inflight" socket "$weft_features" >> "$dir/results"
  "$curl_bin" "$url" "$requests" "$inflight" poll >> "$dir/results"
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
          "curl-socket": "libcurl socket", "curl-socket-features": "libcurl socket+",
          "curl-poll": "libcurl poll",
          "asio": "Asio client", "aiohttp": "aiohttp"}
order = ("weft", "weft-loops", "curl-socket", "curl-socket-features", "curl-poll", "asio",
         "aiohttp")
print(f"  {'client':16s} {'req/s':>9s} {'CPU us/req':>11s}   runs (req/s)")
for k in order:
    if k in med:
        runs = ", ".join(f"{x:.0f}" for x in rates[k])
        print(f"  {labels[k]:16s} {med[k]:9.0f} {cpu[k]:11.1f}   {runs}")
print("  (libcurl socket+: with what weft asks of libcurl: header callback, Accept-Encoding, parsed URL, ...)")
for k in ("weft", "weft-loops", "curl-socket", "curl-socket-features", "curl-poll"):
    if k in med:
        print(f"  {labels[k]}: {med[k] / med['aiohttp']:.1f}x aiohttp (target >= 10x), "
              f"{med[k] / med['asio']:.2f}x the Asio client (target >= 0.7x), "
              f"{med[k] / med['curl-socket-features']:.2f}x libcurl socket+")
PY
