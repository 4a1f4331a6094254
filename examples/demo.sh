#!/bin/sh
# The whole path in one command: builds hvdpa, boots the test VM (Debian's
# 6.12 kernel, which has VDUSE), serves hblk0 from a 256 MiB image, adds it
# to the vDPA bus, formats it, mounts it, writes a file and reads it back.
set -eu
cd "$(dirname "$0")/.."
sh tests/vm/host-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "demo: built build/hvdpad; booting the test VM (about 10 s under TCG)"
sh tests/vm/run.sh 'sh examples/demo-in-vm.sh build'
