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

# Where the CPU went in each run, to $COST: the whole VM's busy time and
# the client's (hvdpad or qsd) and the server's (SERVER_PID, if set) per
# I/O, and how busy the VM's CPUs were (all of them: 100).
COST=$W/cost.csv
echo "target,workload,run,iops,vm_us_per_io,client_us_per_io,server_us_per_io,vm_busy_pct" >"$COST"
SERVER_PID=""

# interleave TARGET=DEV=PID...: each workload RUNS times, each run on every
# disk in the order given (A, B, A, B, ...), so that a change in the
# host's speed hits each alike. PID is the client's.
interleave() {
	disks="$*"
	echo "$WORKLOADS" | while IFS=: read -r name rw bs qd jobs; do
		run=1
		while [ $run -le "$RUNS" ]; do
			for td in $disks; do
				t=${td%%=*} rest=${td#*=}
				pid=${rest#*=}
				t0=$(now) b0=$(busy_ticks) c0=$(pid_ticks "$pid") s0=$(pid_ticks "$SERVER_PID")
				row=$(fio_one "$t" "${rest%%=*}" "$name" "$rw" "$bs" "$qd" "$jobs" "$run")
				b1=$(busy_ticks) c1=$(pid_ticks "$pid") s1=$(pid_ticks "$SERVER_PID") el=$(secs_since "$t0")
				echo "$row"
				echo "$row" | awk -F, -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v sv=$((s1 - s0)) \
					-v hz="$(getconf CLK_TCK)" -v s="$SECS" -v el="$el" -v cpus="$(nproc)" -v srv="$SERVER_PID" '
					{ n = $4 * s; if (n > 0) printf "%s,%s,%s,%s,%.1f,%.1f,%s,%.0f\n", $1, $2, $3, $4,
						b * 1e6 / hz / n, c * 1e6 / hz / n, srv == "" ? "" : sprintf("%.1f", sv * 1e6 / hz / n),
						100 * b / hz / (el * cpus) }' >>"$COST"
			done
			run=$((run + 1))
		done
	done
}
