#!/usr/bin/env bash
# Uses weft the way other projects do, from outside this tree:
#   1. installs build/release (made by scripts/quickstart.sh) into a temporary root and builds
#      examples/consumer/main.cpp against it with `pkg-config --cflags --libs weft` alone;
#   2. builds examples/consumer (a separate meson project) from a clean copy, with weft as a
#      subproject from its subprojects/weft.wrap (a git clone of this checkout's HEAD), configured
#      with -Dweft:net=disabled -Dweft:process_pool=disabled so that the minimal build is covered.
# Each consumer runs and checks its own output.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
log() { printf '\n[consumer] %s\n' "$*"; }

if [ ! -f build/release/build.ninja ]; then
    echo "consumer-check: build/release is missing; run scripts/quickstart.sh first" >&2
    exit 1
fi

tmp=$(mktemp -d /tmp/weft-consumer.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# --- 1. installed weft + pkg-config ----------------------------------------------------------
log "meson install -C build/release into $tmp/root"
meson install -C build/release --destdir "$tmp/root" --quiet
pcdir=$(dirname "$(find "$tmp/root" -name weft.pc -print -quit)")
libdir=$(dirname "$(find "$tmp/root" -name 'libweft.so' -print -quit)")
test -n "$pcdir" && test -n "$libdir"
test -f "$libdir/libweft.a" || { echo "consumer-check: libweft.a was not installed" >&2; exit 1; }
ls "$libdir"/libweft.so.* >/dev/null # the soname link and the versioned library
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
log "pkg-config --cflags --libs weft: $(pkg-config --cflags --libs weft)"
# shellcheck disable=SC2046 # word splitting of the flags is intended
c++ -std=c++20 -O1 examples/consumer/main.cpp $(pkg-config --cflags --libs weft) -o "$tmp/consumer"
LD_LIBRARY_PATH="$libdir" "$tmp/consumer"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# --- 2. weft as a meson subproject, from a clean copy of examples/consumer ---------------------
log "examples/consumer with weft as a subproject (net and process_pool disabled)"
cp -r examples/consumer "$tmp/consumer-project"
sed -i "s|^url = .*|url = $root|" "$tmp/consumer-project/subprojects/weft.wrap"
(
    cd "$tmp/consumer-project"
    meson setup build --wrap-mode=nofallback --force-fallback-for=weft \
        -Dweft:net=disabled -Dweft:process_pool=disabled >/dev/null
    meson compile -C build
    meson test -C build --print-errorlogs
)
log "both consumers built and ran"
