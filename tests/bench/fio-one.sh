# shellcheck shell=sh
# Sourced by the fio benchmarks (blk-bench.sh, nbd-bench.sh): one fio run
# on a device, one CSV row "target,workload,run,iops,p50_us,p99_us"
# appended to $RAW. Expects $W (scratch), $RAW, $SECS (seconds per run)
# and $MIB (the span of the device to use, split between the jobs).

# fio_one TARGET DEV NAME RW BS IODEPTH JOBS RUN. Percentiles come from the
# read section (first occurrence) or the write section (second) of the
# terse output.
fio_one() {
	target=$1 dev=$2 name=$3 rw=$4 bs=$5 qd=$6 jobs=$7 run=$8
	fio --eta=never --name="$name" --filename="$dev" --ioengine=io_uring --direct=1 \
		--rw="$rw" --bs="$bs" --iodepth="$qd" --numjobs="$jobs" --group_reporting \
		--offset_increment=$((MIB / jobs))M --size=$((MIB / jobs))M \
		${HVDPA_BENCH_FIO_CPUS:+--cpus_allowed="$HVDPA_BENCH_FIO_CPUS"} \
		--runtime="$SECS" --time_based --minimal >"$W/fio.out" 2>"$W/fio.err" || {
		echo "fio failed on $target $name:"
		cat "$W/fio.err"
		return 1
	}
	case $rw in *write) sec=2 ;; *) sec=1 ;; esac
	awk -F';' -v sec="$sec" -v t="$target" -v n="$name" -v r="$run" '
		{
			iops = (sec == 1) ? $8 : $49
			k = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^50\.000000%=/) { k++; if (k == sec) { split($i, a, "="); p50 = a[2] } }
				if ($i ~ /^99\.000000%=/ && k == sec) { split($i, b, "="); p99 = b[2] }
			}
			printf "%s,%s,%s,%d,%d,%d\n", t, n, r, iops, p50, p99
		}' "$W/fio.out" | tee -a "$RAW"
}
