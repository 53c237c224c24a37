#!/usr/bin/env bash
# Every weft benchmark and its baselines, in one run, behind one command:
#   bench/all.sh [--quick]
# Runs, one after the other on the same machine: bench/run.sh (runtime and executors beside
# asyncio and raw oneTBB/Asio), bench/primitives_run.sh (async primitives beside asyncio),
# bench/process_pool/run.sh (beside ProcessPoolExecutor and a raw fork+pipe ping-pong),
# bench/redis_pool/run.sh (beside Celery and RQ on one local redis-server),
# bench/http_server/run.sh (wrk against weft, nginx and a plain Asio server),
# bench/http_client/run.sh (weft's client beside aiohttp and a plain Asio client against nginx)
# and a `weft stress` sweep. Each area's full output is kept in build/bench/all/<area>.log; the
# tables it prints are gathered into the "Latest full run" block of BENCHMARKS.md (between the
# bench/all.sh markers), with the machine, the commit and this command. The sections below that
# block keep the analysis of each area. Takes about 12 minutes on a 2-core machine (--quick: 5).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=0
case ${1:-} in
--quick) quick=1 ;;
"") ;;
*)
    echo "usage: $0 [--quick]" >&2
    exit 2
    ;;
esac

bash scripts/install-deps.sh --bench # Google Benchmark, wrk, aiohttp: benchmark-only packages
build=build/bench
out=$build/all
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" -Dbuildtype=release -Dbench=enabled -Dtests=disabled \
        -Dexamples=disabled --wrap-mode=nofallback
fi
meson configure "$build" -Dtools=enabled >/dev/null # bench/run.sh's own setup leaves it out
ninja -C "$build"
mkdir -p "$out"

areas=()
status=()
run_area() {
    local name=$1
    shift
    printf '\n=== %s: %s\n' "$name" "$*"
    local start=$SECONDS
    if "$@" >"$out/$name.log" 2>&1; then
        status+=("ok in $((SECONDS - start)) s")
    else
        status+=("FAILED after $((SECONDS - start)) s (see $out/$name.log)")
    fi
    areas+=("$name")
    printf '=== %s: %s\n' "$name" "${status[-1]}"
}

if ((quick)); then
    run_area runtime-executors bench/run.sh --quick
    run_area primitives bench/primitives_run.sh --quick
    run_area process-pool bench/process_pool/run.sh "$build" --quick
    run_area redis-pool bench/redis_pool/run.sh "$build" --quick
    run_area http-server bench/http_server/run.sh 3s 1
    run_area http-client bench/http_client/run.sh "$build" 2000 64 1
    stress_args=(-n 300)
else
    run_area runtime-executors bench/run.sh
    run_area primitives bench/primitives_run.sh
    run_area process-pool bench/process_pool/run.sh "$build"
    run_area redis-pool bench/redis_pool/run.sh "$build"
    run_area http-server bench/http_server/run.sh 10s 3
    run_area http-client bench/http_client/run.sh "$build" 10000 64 3
    stress_args=(-n 2000)
fi
weft=build/bench/tools/weft
run_area stress "$weft" stress -e tbb,threads:2,threads:8,inline -w sleep:1000 -c 1,8,64 \
    "${stress_args[@]}" --recommend

# ---- the block in BENCHMARKS.md --------------------------------------------------------------
block=$out/block.md
{
    echo "<!-- bench/all.sh: begin (generated; edit the script, not this block) -->"
    echo "## Latest full run"
    echo
    echo "\`bench/all.sh$( ((quick)) && echo ' --quick')\` on $(date -u '+%Y-%m-%d %H:%M UTC'):" \
        "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))," \
        "$(c++ --version | head -1), weft \`$(git rev-parse --short HEAD)\`$(git diff --quiet HEAD || echo ' + local changes')," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end. Every figure below was measured" \
        "in this run beside its baseline; the ratios are what to compare across machines."
    if ((quick)); then
        echo
        echo "A --quick run: one repetition, small sizes; a smoke test of the suite, not figures to quote."
    fi
    for i in "${!areas[@]}"; do
        echo
        echo "### ${areas[$i]} (${status[$i]})"
        echo
        # The markdown tables each script prints; a plain-text report (weft stress) or a failed
        # area shows its output, up to 40 lines, instead.
        if grep -q '^|' "$out/${areas[$i]}.log"; then
            grep '^|' "$out/${areas[$i]}.log"
        else
            echo '```'
            tail -n 40 "$out/${areas[$i]}.log"
            echo '```'
        fi
    done
    echo "<!-- bench/all.sh: end -->"
} >"$block"

/usr/bin/python3 - "$block" BENCHMARKS.md <<'PY'
import sys
block, path = open(sys.argv[1]).read().rstrip("\n"), sys.argv[2]
text = open(path).read()
begin, end = "<!-- bench/all.sh: begin", "<!-- bench/all.sh: end -->"
if begin in text and end in text:
    i, j = text.index(begin), text.index(end) + len(end)
    text = text[:i] + block + text[j:]
else:
    # After the title and the introduction: before the first "## " heading.
    k = text.find("\n## ")
    k = len(text) if k < 0 else k + 1
    text = text[:k] + block + "\n\n" + text[k:]
open(path, "w").write(text)
PY
printf '\nBENCHMARKS.md: "Latest full run" rewritten from %s\n' "$block"
for s in "${status[@]}"; do
    [[ $s == ok* ]] || exit 1
done
