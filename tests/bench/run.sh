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
# The VM's limit grows with the runs asked for: 6 targets x 5 workloads,
# each run with fio's start and end (its raw rows are kept as they come).
HVDPA_VM_MEM=${HVDPA_VM_MEM:-4096} sh tests/vm/run.sh -t $((900 + ${2:-3} * 30 * (${1:-5} + 10))) \
	"sh tests/bench/blk-bench.sh build-release docs/perf ${1:-5} ${2:-3} ${3:-1024}"
