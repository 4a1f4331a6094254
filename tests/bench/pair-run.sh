#!/bin/sh
# One command for a benchmark of hvdpad against qemu-storage-daemon on a
# remote backend (nbd-run.sh, rbd-run.sh): builds hvdpad (release), boots
# the test VM and runs tests/bench/NAME-bench.sh there; results land in
# docs/perf/. The VM's limit: SETUP_S, the bench's own set-up, and more
# with the runs asked for.
#   sh tests/bench/pair-run.sh NAME SETUP_S [SECONDS_PER_RUN] [RUNS] [IMAGE_MiB]
set -eu
cd "$(dirname "$0")/../.."
name=$1 setup=$2
secs=${3:-5}
runs=${4:-3}
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
# 4 workloads x 2 clients per run, each with fio's start and end.
sh tests/vm/run.sh -t $((setup + secs * runs * 8 * 3)) \
	"sh tests/bench/$name-bench.sh build-release docs/perf $secs $runs ${5:-256}"
