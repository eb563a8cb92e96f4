#!/bin/sh
# deps.sh — install the Debian packages concbench needs, when missing (as root), or print the
# exact command to run (otherwise). usage: sh scripts/deps.sh [PACKAGE...]; without arguments,
# what the build, the tests and the benchmark need (the fuzz targets pass clang and its runtime).
# python3-pil: the CPython reference models (ref/python) run on Debian's /usr/bin/python3 and
# make thumbnails with Pillow; everything else they use is the standard library (asyncio
# streams for HTTP, so no python3-aiohttp).
set -u
pkgs=${*:-"pkg-config libcurl4-openssl-dev libpng-dev liburing-dev libcmocka-dev hyperfine gnuplot-nox python3 python3-pil libopenmpi-dev openmpi-bin"}
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "concbench: installing missing packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "concbench: not root; run this, then the make command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 && apt-get install -y -q $missing >&2 || {
    echo "concbench: apt-get failed; try: apt-get update && apt-get install -y$missing" >&2
    exit 1
}
