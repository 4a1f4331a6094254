#!/bin/sh
# The hvbridge benchmark in one command: builds (release), boots the test VM
# and runs tests/bench/bridge-bench.sh there; results land in
# docs/perf/bridge-bench.md.
#   sh tests/bench/bridge-run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
sh tests/vm/run.sh "sh tests/bench/bridge-bench.sh build-release docs/perf ${1:-10}"
