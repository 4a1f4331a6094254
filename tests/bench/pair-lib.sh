# shellcheck shell=sh
# Sourced by the benchmarks of hvdpad against qemu-storage-daemon on one
# remote backend (nbd-bench.sh, rbd-bench.sh), with their arguments and $W
# (scratch) set: the frame they share. Takes
#   BUILD_DIR OUT_DIR [SECONDS] [RUNS] [IMAGE_MiB]
# into B, OUT, SECS, RUNS and MIB; loads the VM's helpers (lib.sh, fio_one)
# and modules; starts $RAW; sets QUEUES and QSIZE (both daemons: 2 queues
# of 256, as in blk-bench.sh) and the workloads, which interleave() runs.
# HVDPA_BENCH_WORKLOADS (a regex of names) picks a subset. An A/B: with
# HVDPAD_B (another build of hvdpad) or HVDPA_BENCH_B_OPTS (more --blk
# options, "poll-us=0" say, for the same build: B_OPTS, comma first), a
# third disk, hvdpad-b, is measured in the same alternation.
B=$(cd "${1:-build}" && pwd)
OUT=$(cd "${2:-docs/perf}" && pwd)
SECS=${3:-5}
RUNS=${4:-3}
MIB=${5:-256}
HVDPAD=$B/hvdpad
B_OPTS=${HVDPA_BENCH_B_OPTS:+,$HVDPA_BENCH_B_OPTS}
[ -z "$B_OPTS" ] || HVDPAD_B=${HVDPAD_B:-$HVDPAD}
. "$(dirname "$0")/../vm/lib.sh"
. "$(dirname "$0")/fio-one.sh"
load_modules

QUEUES=2
QSIZE=256
RAW=$W/raw.csv
echo "target,workload,run,iops,p50_us,p99_us" >"$RAW"

# name: rw bs iodepth numjobs
WORKLOADS="randread-4k-qd1:randread:4k:1:1
randread-4k-qd32:randread:4k:32:1
randwrite-4k-qd1:randwrite:4k:1:1
randwrite-4k-qd32:randwrite:4k:32:1"
[ -n "${HVDPA_BENCH_WORKLOADS:-}" ] &&
	WORKLOADS=$(echo "$WORKLOADS" | grep -E "^(${HVDPA_BENCH_WORKLOADS}):")

# interleave TARGET=DEV...: each workload RUNS times, each run on every
# disk in the order given (A, B, A, B, ...), so that a change in the
# host's speed hits each alike.
interleave() {
	disks="$*"
	echo "$WORKLOADS" | while IFS=: read -r name rw bs qd jobs; do
		run=1
		while [ $run -le "$RUNS" ]; do
			for td in $disks; do
				fio_one "${td%%=*}" "${td#*=}" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			done
			run=$((run + 1))
		done
	done
}
