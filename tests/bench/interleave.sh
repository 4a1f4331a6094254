# shellcheck shell=sh
# Sourced by the benchmarks of a remote backend (nbd-bench.sh,
# rbd-bench.sh), after fio-one.sh: their workloads, and their runs taken
# in turn on every disk (A, B, A, B, ...) so that a change in the host's
# speed hits each alike. HVDPA_BENCH_WORKLOADS (a regex of names) picks a
# subset. Expects fio-one.sh's variables and $RUNS.

# name: rw bs iodepth numjobs
WORKLOADS="randread-4k-qd1:randread:4k:1:1
randread-4k-qd32:randread:4k:32:1
randwrite-4k-qd1:randwrite:4k:1:1
randwrite-4k-qd32:randwrite:4k:32:1"
[ -n "${HVDPA_BENCH_WORKLOADS:-}" ] &&
	WORKLOADS=$(echo "$WORKLOADS" | grep -E "^(${HVDPA_BENCH_WORKLOADS}):")

# interleave TARGET=DEV...: each workload RUNS times, each run on every
# disk in the order given.
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
