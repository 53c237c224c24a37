#!/bin/sh
# Per-request costs of the clients that run.sh times, which load disturbs little: syscalls per
# request (perf stat's raw_syscalls:sys_enter count, or strace -c -f where perf cannot count
# tracepoints) and instructions per request (Callgrind), each as the difference between a run of
# N1 and one of N2 requests divided by N2 - N1, so that start-up, warm-up and connecting cancel
# out. Starts nginx itself (nginx.sh). Needs valgrind; perf for exact syscall counts (strace
# slows the client down, which changes how many events each epoll_wait returns).
#
# The counts still move by several percent from run to run (how many events each epoll_wait
# returns depends on timing): each is the median of REPS runs.
#
# Usage: bench/http_client/profile.sh [BUILD_DIR=build/bench] [INFLIGHT=64] [N1=1000] [N2=5000]
#        [REPS=3]
set -eu

build=${1:-build/bench}
inflight=${2:-64}
n1=${3:-1000}
n2=${4:-5000}
reps=${5:-3}
loops=$(nproc)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/clients.sh"
command -v valgrind > /dev/null || { echo "valgrind not found" >&2; exit 2; }
. "$here/nginx.sh"

if perf stat -e raw_syscalls:sys_enter -x, true > /dev/null 2>&1; then
  syscall_tool=perf
  syscalls() { perf stat -e raw_syscalls:sys_enter -x, -o "$dir/perf" "$@" > /dev/null
               cut -d, -f1 "$dir/perf" | grep -E '^[0-9]+$'; }
else
  syscall_tool="strace -c -f"
  syscalls() { strace -c -f -o "$dir/strace" "$@" > /dev/null
               awk '/total/ {print $(NF-2) ~ /^[0-9]+$/ ? $(NF-2) : $(NF-1)}' "$dir/strace"; }
fi
instructions() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 > /dev/null |
                 sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }

# cmd N: the command line of one client for N requests.
cmd() {
  case $1 in
    weft) echo "$weft_bin $url $2 $inflight 1" ;;
    weft-loops) echo "$weft_bin $url $2 $inflight $loops" ;;
    weft-nodecompress) echo "$weft_bin $url $2 $inflight 1 nodecompress" ;;
    curl-socket) echo "$curl_bin $url $2 $inflight socket" ;;
    curl-socket-features) echo "$curl_bin $url $2 $inflight socket $weft_features" ;;
    curl-poll) echo "$curl_bin $url $2 $inflight poll" ;;
    asio) echo "$asio_bin 127.0.0.1 $port /page.html $2 $inflight" ;;
    aiohttp) echo "$python $here/aiohttp_client.py $url $2 $inflight" ;;
  esac
}

echo "per request, between $n1 and $n2 requests, $inflight in flight, median of $reps" \
  "(syscalls: $syscall_tool)"
printf '  %-22s %9s %13s\n' client syscalls instructions
for c in weft weft-loops weft-nodecompress curl-socket curl-socket-features curl-poll asio aiohttp; do
  : > "$dir/counts"
  for _ in $(seq "$reps"); do
    s1=$(syscalls $(cmd $c $n1)); s2=$(syscalls $(cmd $c $n2))
    i1=$(instructions $(cmd $c $n1)); i2=$(instructions $(cmd $c $n2))
    echo "$s1 $s2 $i1 $i2" >> "$dir/counts"
  done
  $python - "$c" "$n1" "$n2" "$dir/counts" <<'PY'
import statistics, sys
c, n1, n2, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = [[int(x) for x in line.split()] for line in open(path)]
sc = statistics.median((s2 - s1) / (n2 - n1) for s1, s2, _, _ in rows)
ins = statistics.median((i2 - i1) / (n2 - n1) for _, _, i1, i2 in rows)
print(f"  {c:22s} {sc:9.2f} {ins:13.0f}")
PY
done
