#!/bin/sh
# The virtio-net benchmark in one command: builds (release), boots the test
# VM, runs tests/bench/net-bench.sh there; results in docs/perf/net-bench.md.
# With BASE_REV, that revision (built in a scratch worktree) serves a second
# device in the same boot, its runs interleaved with this tree's and veth's.
#   sh tests/bench/net-run.sh [SECONDS] [RUNS] [BASE_REV]
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf
base=""
if [ -n "${3:-}" ]; then
	wt=$top/build-ab/net-base-src
	rm -rf "$wt"
	git worktree prune
	git worktree add -f --detach "$wt" "$3" >/dev/null
	(cd "$wt" && meson setup build --buildtype=release >/dev/null && ninja -C build >/dev/null)
	base="'$wt/build' '$(git rev-parse --short "$3")'"
fi
# Three measures (two builds and veth) a run, each SECONDS and ~5 s of set-up.
sh tests/vm/run.sh -t $((900 + 2 * ${2:-3} * 3 * (${1:-10} + 5))) "sh tests/bench/net-bench.sh build-release docs/perf ${1:-10} ${2:-3} $base"
[ -z "$base" ] || git worktree remove --force "$wt"
