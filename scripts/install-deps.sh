#!/usr/bin/env bash
# Install the Debian 12 (bookworm) packages needed to build weft, run its tests and its demo:
#   scripts/install-deps.sh           build, tests (nginx, curl, openssl, promtool, redis-server,
#                                     ip for network namespaces and clang's fuzzer runtime are
#                                     test peers), quick start
#   scripts/install-deps.sh --bench   the same and the benchmarks' tools (Google Benchmark, wrk,
#                                     aiohttp, Celery and RQ for the Python baselines);
#                                     bench/all.sh asks for it
# Safe to re-run: when everything is already installed it exits without touching apt.
set -euo pipefail

bench=0
case ${1:-} in
--bench) bench=1 ;;
"") ;;
*)
    echo "usage: $0 [--bench]" >&2
    exit 2
    ;;
esac

PACKAGES=(
    g++
    clang-format
    git
    ca-certificates
    python3
    meson
    ninja-build
    pkg-config
    ccache
    libtbb-dev
    libasio-dev
    libspdlog-dev
    libfmt-dev
    libgtest-dev
    libgmock-dev
    googletest
    libcli11-dev
    nlohmann-json3-dev
    libcurl4-openssl-dev
    libssl-dev
    prometheus-cpp-dev
    zlib1g-dev
    libcereal-dev
    clang
    libclang-rt-14-dev
    curl
    openssl
    prometheus
    nginx-light
    libhiredis-dev
    redis-server
    iproute2
)
if [ "$bench" = 1 ]; then
    PACKAGES+=(libbenchmark-dev wrk python3-aiohttp python3-celery python3-rq)
fi

log() { printf '[install-deps] %s\n' "$*"; }

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#PACKAGES[@]} packages already installed; nothing to do"
    exit 0
fi

log "missing packages: ${missing[*]}"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        log "error: not root and sudo is not available; run as root" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log "running: apt-get update"
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
log "running: apt-get install -y --no-install-recommends ${missing[*]}"
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
log "done"
