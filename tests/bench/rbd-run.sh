#!/bin/sh
# The RBD benchmark in one command: builds hvdpad (release), boots the test
# VM and runs tests/bench/rbd-bench.sh there (a Ceph cluster of its own,
# some 40 s, then the runs); results land in docs/perf/. The VM's limit
# grows with the runs asked for.
#   sh tests/bench/rbd-run.sh [SECONDS_PER_RUN] [RUNS] [IMAGE_MiB]
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-5}
runs=${2:-3}
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
# 4 workloads x 2 clients per run, each with fio's start and end.
sh tests/vm/run.sh -t $((900 + secs * runs * 8 * 3)) \
	"sh tests/bench/rbd-bench.sh build-release docs/perf $secs $runs ${3:-256}"
