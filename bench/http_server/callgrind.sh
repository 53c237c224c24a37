#!/bin/bash
# Instructions per request of a server, load-insensitive: runs it under valgrind --tool=callgrind,
# warms up with wrk, zeroes the counters, drives a timed wrk run, dumps and divides the total
# instruction count (every thread, user space) by wrk's request count.
#   bench/http_server/callgrind.sh BUILD-DIR weft|asio [seconds, default 5] [out-dir]
# The annotated profile (callgrind_annotate) lands in out-dir (default: a temporary directory).
set -euo pipefail
build=$1
which=$2
seconds=${3:-5}
out=${4:-$(mktemp -d /tmp/weft-http-callgrind.XXXXXX)}
port=18090
case $which in
weft) server=("$build/bench/http_server/weft-bench-http-server" "$port" 1) ;;
asio) server=("$build/bench/http_server/asio-bench-http-server" "$port" 1) ;;
*) echo "usage: $0 BUILD-DIR weft|asio [seconds] [out-dir]" >&2; exit 2 ;;
esac
mkdir -p "$out"
rm -f "$out"/callgrind.out.*
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" "${server[@]}" 2>"$out/valgrind.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
    sleep 0.1
done
wrk -t1 -c8 -d2s "http://127.0.0.1:$port/" >/dev/null
callgrind_control -z "$pid" >/dev/null 2>&1
wrk -t1 -c8 -d"${seconds}s" "http://127.0.0.1:$port/" >"$out/wrk.txt"
callgrind_control -d "$pid" >/dev/null 2>&1
requests=$(awk '/requests in/ {print $1}' "$out/wrk.txt")
kill "$pid"
wait "$pid" 2>/dev/null || true
dump=$(ls -t "$out"/callgrind.out.*.* 2>/dev/null | head -1)
callgrind_annotate --inclusive=no "$dump" >"$out/annotate.txt" 2>/dev/null
total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$out/annotate.txt")
# Calls to malloc (operator new included), from the call records of the dump.
mallocs=$(awk '/^cfn=/ { f = $0; sub(/^cfn=/, "", f); sp = index(f, " ");
                         if (sp > 0) { id = substr(f, 1, sp - 1); name[id] = substr(f, sp + 1) } else { id = f }
                         callee = name[id]; next }
               /^calls=/ { if (callee == "malloc") { split($1, a, "="); n += a[2] } }
               END { print n + 0 }' "$dump")
echo "$which: $requests requests, $total instructions, $((total / requests)) per request," \
    "$(awk -v m="$mallocs" -v r="$requests" 'BEGIN { printf "%.2f", m / r }') mallocs per request" \
    "(profile: $out/annotate.txt)"
