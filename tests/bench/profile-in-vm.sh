#!/bin/sh
# Inside the test VM: hvdpad's system calls per request under 4k random
# reads at depth 1 and 32 (strace -c -f over a window of the run).
#   sh tests/bench/profile-in-vm.sh BUILD_DIR OUT_FILE [SECONDS]
set -u
B=$(cd "${1:-build-release}" && pwd)
OUT=$2
SECS=${3:-10}
HVDPAD=$B/hvdpad
W=/run/hvdpa-prof
. "$(dirname "$0")/../vm/lib.sh"
load_modules
dd if=/dev/urandom of="$W/img" bs=1M count=256 status=none
start_daemon prof --blk name=hprof,path="$W/img",queues=2 || exit 1
dev=$(attach hprof) || exit 1
: >"$OUT"
BS=4k
for QD in 1 32; do
fio --eta=never --name=p --filename="$dev" --ioengine=io_uring --direct=1 --rw=randread \
	--bs="$BS" --iodepth="$QD" --runtime=$((SECS + 4)) --time_based --minimal >"$W/fio.out" &
fpid=$!
sleep 2
# perf has no PMU under TCG (its cpu-clock samples all land where IRQs are
# re-enabled), so the profile that tells something is syscalls per request.
stat=/sys/block/${dev#/dev/}/stat
r0=$(awk '{print $1}' "$stat")
timeout -s INT "$SECS" strace -c -f -p "$DPID" -o "$W/strace.txt"
r1=$(awk '{print $1}' "$stat")
wait $fpid
reqs=$((r1 - r0))
{
	echo "hvdpad under fio 4k randread iodepth $QD (2 queues), ${SECS} s under strace -c -f:"
	echo "$reqs requests completed meanwhile"
	# Columns: % time, seconds, usecs/call, calls, [errors], syscall.
	awk -v n="$reqs" '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ && n > 0 {
		printf "%8.2f per request  %s\n", $4 / n, $NF }' "$W/strace.txt"
	echo
	cat "$W/strace.txt"
} >>"$OUT"
done
cat "$OUT"
vdpa dev del hprof
stop_daemon 10
