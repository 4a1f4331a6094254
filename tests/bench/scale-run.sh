#!/bin/sh
# The device-count benchmark in one command: builds hvdpad (release), boots
# the test VM and runs tests/bench/scale-bench.sh there; results in
# docs/perf/scale-bench.{md,csv} (and -raw.csv). With BASE_REV, that
# revision is built in a scratch worktree and measured in the same boot,
# interleaved with this tree's hvdpad and qemu-storage-daemon (A/B).
#   sh tests/bench/scale-run.sh [SECONDS] [COUNTS] [RUNS] [BASE_REV]   # defaults 5 '1 8 32 64' 1
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
secs=${1:-5}
counts=${2:-1 8 32 64}
runs=${3:-1}
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p docs/perf build-ab
base="" wt=""
if [ -n "${4:-}" ]; then
	wt=$top/build-ab/scale-base-src
	rm -rf "$wt"
	git worktree prune
	git worktree add -f --detach "$wt" "$4" >/dev/null
	(cd "$wt" && meson setup build --buildtype=release >/dev/null && ninja -C build >/dev/null)
	base="'$wt/build'"
fi
# The VM's limit grows with the work: per target, run and count, the
# seconds of fio plus a minute, and two seconds per device to come and go.
ntargets=$((${4:+1} + 2))
total=0
for n in $counts; do total=$((total + secs + 60 + 2 * n)); done
limit=$((600 + ntargets * runs * total))
log=$top/build-ab/scale-bench.log
{
	st=0
	sh tests/vm/run.sh -t "$limit" \
		"sh tests/bench/scale-bench.sh build-release docs/perf $secs '$counts' $runs $base" ||
		st=$?
	echo "$st" >"$log.rc"
} 2>&1 | tee "$log"
st=$(cat "$log.rc")
# Whatever the VM measured before it ended (all of it, or the rows a lost
# boot left), with the command and the boot said.
accel=$(sed -n 's/^vm: \([A-Z]*\).*/\1/p' "$log" | head -n 1)
boot=$(sed -n 's/^# boot: //p' "$log" | tr -d '\r' | head -n 1)
sh tests/bench/scale-bench-report.sh docs/perf/scale-bench-raw.csv docs/perf "$secs" "$runs" \
	"sh tests/bench/scale-run.sh $secs '$counts' $runs${4:+ $4}" "${boot:-?}, ${accel:-?}" >/dev/null
if [ -n "$wt" ]; then
	{
		echo
		echo "hvdpad-base is $(git rev-parse --short "$4") ($4), hvdpad this tree" \
			"($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- devices virtio vduse tools || echo ', modified'))."
	} >>docs/perf/scale-bench.md
	git worktree remove --force "$wt"
fi
cat docs/perf/scale-bench.md
exit "$st"
