#!/bin/sh
# Profiles of the data path: system calls per request of hvdpad under load
# in the test VM (docs/perf/profile-vm.txt), and callgrind's per-function instruction
# counts of the host micro-benchmark (docs/perf/profile-micro.txt).
#   sh tests/bench/profile.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
sh tests/vm/host-deps.sh
command -v strace >/dev/null 2>&1 ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends strace >/dev/null
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
sh tests/vm/run.sh "sh tests/bench/profile-in-vm.sh build-release docs/perf/profile-vm.txt ${1:-10}"

out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" build-release/tests/bench/micro-blk 20000 32 \
	>/dev/null 2>&1
{
	echo "callgrind: micro-blk 20000 requests in batches of 32 (null backend), by function"
	callgrind_annotate "$out" 2>/dev/null | sed -n '/^Ir/,$p' | head -30
} >docs/perf/profile-micro.txt
rm -f "$out"
cat docs/perf/profile-micro.txt
