#!/bin/sh
# Host-only micro-benchmark of the virtqueue + blk path (null backend):
# ns/request from a timed run, instructions/request from callgrind, which
# counts the same for the same binary whatever else the machine does.
#   sh tests/bench/micro.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build-release}
[ -f "$B/build.ninja" ] || meson setup "$B" --buildtype=release >/dev/null
ninja -C "$B" tests/bench/micro-blk >/dev/null
"$B/tests/bench/micro-blk" 2000000 32
n=20000
out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" "$B/tests/bench/micro-blk" $n 32 \
	>/dev/null 2>&1
# Subtract a run with one batch so set-up and teardown do not count.
out1=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out1" "$B/tests/bench/micro-blk" 32 32 \
	>/dev/null 2>&1
ir=$(awk '/^summary:/ {print $2}' "$out")
ir1=$(awk '/^summary:/ {print $2}' "$out1")
awk -v a="$ir" -v b="$ir1" -v n=$n 'BEGIN { printf "micro-blk: %.0f instructions/request (callgrind)\n", (a - b) / (n - 32) }'
rm -f "$out" "$out1"
