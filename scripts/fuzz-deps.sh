#!/bin/sh
# fuzz-deps.sh — what `make fuzz-server` needs beyond the normal build: clang and its
# libFuzzer/ASan runtime (libclang-rt-14-dev). Installs them as root, else prints the command.
set -u
pkgs="clang libclang-rt-14-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "concbench: the fuzzer needs:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "concbench: not root; run this, then make fuzz-server again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 && apt-get install -y -q $missing >&2 || {
    echo "concbench: apt-get failed; try: apt-get update && apt-get install -y$missing" >&2
    exit 1
}
