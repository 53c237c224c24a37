#!/usr/bin/env bash
# Redis pool benchmark: weft::redis_pool beside Celery (Redis broker and result backend) and RQ,
# all on one redis-server this script starts, in the same run. Usage:
#   bench/redis_pool/run.sh [BUILD_DIR] [--quick]
# BUILD_DIR is a release build with -Dbench=enabled (default build/bench); without hiredis the
# weft program is not built and only the baselines run. The server listens on a Unix socket only
# (--port 0), keeps nothing on disk, and is stopped on exit; Celery, RQ and weft all reach it
# through that socket. Each program prints `result` and `commands` lines (bench_common.py's
# report()); summary.py turns them into the tables. Takes about 4 minutes (--quick: 1.5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../../scripts/install-deps.sh" --bench >&2 # Celery, RQ, redis-server, when missing
build=build/bench
if [[ ${1:-} != "" && ${1:-} != --* ]]; then
    build=$1
    shift
fi
quick=()
[[ ${1:-} == --quick ]] && quick=(--quick)
workers=${WORKERS:-1,2,4}
export PYTHONDONTWRITEBYTECODE=1 # the workers import the baselines from this folder

tmp=$(mktemp -d /tmp/weft-redis-bench.XXXXXX)
redis-server --port 0 --unixsocket "$tmp/redis.sock" --unixsocketperm 700 --save '' \
    --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" &
redis_pid=$!
cleanup() {
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 100); do # up to 5 s for the socket
    redis-cli -s "$tmp/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.05
done
redis-cli -s "$tmp/redis.sock" ping >/dev/null
echo "redis-server $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) on $tmp/redis.sock"

# One program's lines into $out; its stderr (Celery warns about running as root) shown only when it
# fails, and a failed or timed-out program does not stop the others.
run_one() {
    local name=$1
    shift
    if ! timeout 300 "$@" 2>"$tmp/$name.err" | tee -a "$out"; then
        echo "$name failed; its last lines:"
        tail -n 20 "$tmp/$name.err"
    fi
}
out=$tmp/results
: >"$out"
weft_bin=$build/bench/redis_pool/weft-bench-redis-pool
if ! ninja -C "$build" bench/redis_pool/weft-bench-redis-pool >/dev/null 2>&1; then
    echo "weft-bench-redis-pool is not built in $build (no hiredis?): baselines only"
    weft_bin=
fi
py=/usr/bin/python3
sock=$tmp/redis.sock
# One worker count at a time, every system in turn, so that a busy spell on the machine falls on
# all of them rather than on whichever ran then.
for n in ${workers//,/ }; do
    if [[ -n $weft_bin ]]; then
        run_one weft "$weft_bin" --socket "$sock" --workers "$n" "${quick[@]}"
    fi
    run_one celery-prefork $py "$here/celery_baseline.py" --socket "$sock" --workers "$n" \
        --pool prefork "${quick[@]}"
    run_one celery-solo $py "$here/celery_baseline.py" --socket "$sock" --workers "$n" \
        --pool solo "${quick[@]}"
    run_one rq $py "$here/rq_baseline.py" --socket "$sock" --workers "$n" "${quick[@]}"
    run_one rq-simple $py "$here/rq_baseline.py" --socket "$sock" --workers "$n" --simple \
        "${quick[@]}"
done
echo
$py "$here/summary.py" "$out"
