#!/bin/sh
# The virtio-blk benchmark in one command: builds hvdpad (release), boots the
# test VM and runs tests/bench/blk-bench.sh there; results land in docs/perf/.
#   sh tests/bench/run.sh [SECONDS_PER_RUN] [RUNS] [IMAGE_MiB]
set -eu
cd "$(dirname "$0")/../.."
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
# 1 GiB image in tmpfs plus page cache for the loop device: give it room.
HVDPA_VM_MEM=${HVDPA_VM_MEM:-4096} sh tests/vm/run.sh \
	"sh tests/bench/blk-bench.sh build-release docs/perf ${1:-5} ${2:-3} ${3:-1024}"
