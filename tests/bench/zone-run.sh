#!/bin/sh
# The real-zone benchmark in one command: builds (release), fetches what
# the VM cannot (the zone's module, a static fio, QEMU 10), boots the test
# VM once and runs tests/bench/zone-bench.sh there; results land in
# docs/perf/zone-bench.md and .csv. About 10 minutes of VM time under TCG.
#   sh tests/bench/zone-run.sh [SECONDS] [ROUNDS] [PARTS]
# PARTS: a subset of "blk rtt net", quoted (default all).
set -eu
cd "$(dirname "$0")/../.."
sh tests/vm/host-deps.sh
command -v iperf3 >/dev/null || apt-get install -y iperf3 >/dev/null
sh tests/vm/zone-module.sh >/dev/null
sh tests/vm/fetch-fio.sh >/dev/null
sh tests/vm/fetch-qemu.sh >/dev/null
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
sh tests/vm/run.sh -t 1500 "sh tests/bench/zone-bench.sh build-release docs/perf ${1:-6} ${2:-1} '${3:-blk rtt net}'"
