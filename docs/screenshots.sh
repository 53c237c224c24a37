#!/usr/bin/env bash
# Regenerates the pictures of `weft stress`'s HTML report that the docs show (docs/images/):
#   bash docs/screenshots.sh [BUILD_DIR=build/release]
# Runs two short sweeps with the built weft command (an executor sweep with a recommendation, and
# every runtime scenario), writes their HTML reports, and renders each page to PNG with headless
# Chromium (Debian's `chromium` package; a docs tool, so scripts/install-deps.sh leaves it out).
# Takes about a minute on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build/release}
weft="$root/$build/tools/weft"
out="$root/docs/images"
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ ! -x $weft ]]; then
    echo "screenshots.sh: $weft not built (bash scripts/quickstart.sh builds build/release)" >&2
    exit 2
fi
if [[ -z $browser ]]; then
    echo "screenshots.sh: chromium not found (apt-get install --no-install-recommends chromium)" >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
cd "$tmp" # the pages show their command line: keep its paths short

"$weft" stress -e tbb:2,tbb:8,threads:8 -w cpu:20 -c 1,4,16,64 -n 4000 --recommend \
    --no-progress --html executors.html >/dev/null
"$weft" stress --scenario all -c 2,16 -n 2000 --no-progress --html scenarios.html >/dev/null

for page in executors scenarios; do
    # --no-sandbox: Chromium refuses to run as root otherwise (CI containers run as root).
    "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1100,1000 --screenshot="$out/stress-$page.png" "file://$tmp/$page.html" \
        >/dev/null 2>&1
    echo "docs/images/stress-$page.png"
done
