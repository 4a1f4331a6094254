#!/bin/sh
# The packed ring against the split ring, one release build of the working
# tree, in one VM boot (tests/bench/packed-run.sh); results in build-ab/.
# Run it under the VM lock:
#   flock /tmp/hvdpa-vm.lock sh tests/bench/packed-ab.sh [SECONDS] [RUNS]
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
secs=${1:-5}
runs=${2:-5}
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p build-ab
sh tests/vm/run.sh -t $((600 + secs * runs * 8 * 2)) \
	"sh tests/bench/packed-run.sh '$top/build-release' '$top/build-ab' $secs $runs 256"
