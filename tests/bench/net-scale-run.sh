#!/bin/sh
# The net device-count benchmark in one command: builds hvdpad (release),
# boots the test VM and runs tests/bench/net-scale-bench.sh there; results
# in docs/perf/net-scale-bench.{md,csv,png} (and net-scale-raw.csv). The
# VM's limit grows with the work asked for.
#   sh tests/bench/net-scale-run.sh [SECONDS] [COUNTS] [RUNS]   # defaults 8 '1 4 16' 3
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-8}
counts=${2:-1 4 16}
runs=${3:-3}
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
# Per count: 2 directions x RUNS x (hvdpa + veth) runs of SECONDS and
# ~5 s of set-up each, and a second per device to come and go.
total=0
for n in $counts; do total=$((total + 4 * runs * (secs + 5) + n)); done
sh tests/vm/run.sh -t $((600 + total)) \
	"sh tests/bench/net-scale-bench.sh build-release docs/perf $secs '$counts' $runs"
