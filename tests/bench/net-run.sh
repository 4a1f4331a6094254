#!/bin/sh
# The virtio-net benchmark in one command: builds (release), boots the test
# VM, runs tests/bench/net-bench.sh there; results in docs/perf/net-bench.md.
#   sh tests/bench/net-run.sh [SECONDS] [RUNS]
set -eu
cd "$(dirname "$0")/../.."
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
sh tests/vm/run.sh "sh tests/bench/net-bench.sh build-release docs/perf ${1:-10} ${2:-3}"
