#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan + fuzzer) and runs
# each for SECONDS, starting from the seeds in tests/fuzz/corpus/. New
# inputs go to a work corpus in the build dir; a crash leaves its input
# there and fails the run.
#   sh tests/fuzz/run.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
B=build-fuzz
if ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed'; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		clang libclang-rt-14-dev >/dev/null
fi
if [ ! -f "$B/build.ninja" ]; then
	CC=clang meson setup "$B" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		>/dev/null
fi
ninja -C "$B" >/dev/null
status=0
for t in virtqueue blk mmio conf control; do
	work=$B/fuzz-corpus-$t
	mkdir -p "$work"
	# Leak checks off for blk: its fixture lives for the whole process.
	if "$B/tests/fuzz/fuzz-$t" -max_total_time="$secs" -print_final_stats=0 \
		-artifact_prefix="$B/crash-$t-" -detect_leaks=0 "$work" "tests/fuzz/corpus/$t" \
		>"$B/fuzz-$t.log" 2>&1; then
		echo "fuzz-$t: ${secs}s, $(grep -c . "$B/fuzz-$t.log" >/dev/null; tail -n 1 "$B/fuzz-$t.log")"
	else
		echo "fuzz-$t: FAILED, see $B/fuzz-$t.log and $B/crash-$t-*"
		tail -n 30 "$B/fuzz-$t.log"
		status=1
	fi
done
exit $status
