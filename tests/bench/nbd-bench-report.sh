#!/bin/sh
# Medians of nbd-bench runs -> OUT/nbd-bench.csv, OUT/nbd-bench.md and, with
# gnuplot, OUT/nbd-bench.png. Targets (issue 16): at least 1.2x
# qemu-storage-daemon's IOPS at qd32, and no worse at qd1.
#   sh nbd-bench-report.sh RAW.csv OUT SECS RUNS MIB
set -eu
RAW=$1 OUT=$2 SECS=$3 RUNS=$4 MIB=$5
CSV=$OUT/nbd-bench.csv
sh "$(dirname "$0")/medians.sh" "$RAW" >"$CSV"
. "$(dirname "$0")/report-lib.sh"
ALL="randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32"

{
	echo "# virtio-blk on NBD: hvdpad (libnbd) vs qemu-storage-daemon's NBD client"
	echo
	echo "One VM boot (Debian 6.12, QEMU TCG, 2 vCPU). One server for both: \`qemu-nbd -t -e 8 -f raw\`"
	echo "on a ${MIB} MiB raw image in tmpfs, over a UNIX socket. hvdpad: \`--blk nbd=nbd+unix:///?socket=...\`,"
	echo "one connection per queue; qsd: \`--blockdev driver=nbd,server.type=unix,...\` (one connection)"
	echo "exported as vduse-blk. Both: 2 queues of 256, attached to virtio_vdpa at once; fio io_uring"
	echo "direct=1, ${SECS} s per run, runs interleaved (hvdpad, qsd, hvdpad, ...), median of ${RUNS}."
	echo "Made by \`sh tests/bench/nbd-run.sh $SECS $RUNS $MIB\` on $(date -u +%Y-%m-%d)."
	echo
	echo "Targets: at least 1.2x qsd's IOPS at qd32, no worse (1.0x) at qd1."
	echo
	echo "| workload | hvdpad IOPS | qsd IOPS | hvdpad/qsd | hvdpad p50/p99 us | qsd p50/p99 us | target | |"
	echo "|---|---|---|---|---|---|---|---|"
	for w in $ALL; do
		h=$(get hvdpad-nbd "$w" 3) q=$(get qsd-nbd "$w" 3)
		# A subset (HVDPA_BENCH_WORKLOADS) leaves the others out.
		[ -n "$h$q" ] || continue
		case $w in *qd32) want=1.2 ;; *) want=1.0 ;; esac
		r=$(ratio "$h" "$q")
		echo "| $w | $h | $q | $r | $(get hvdpad-nbd "$w" 4)/$(get hvdpad-nbd "$w" 5) |" \
			"$(get qsd-nbd "$w" 4)/$(get qsd-nbd "$w" 5) | >= ${want}x | $(verdict "$r" "$want") |"
	done
	if grep -q '^hvdpad-b,' "$CSV"; then
		echo
		echo "A/B: hvdpad (A) against another build (B, HVDPAD_B) on the same server, same boot,"
		echo "runs interleaved (A, B, qsd, A, B, qsd, ...)."
		echo
		echo "| workload | A IOPS | B IOPS | B/A | qsd IOPS | B/qsd | A p50/p99 us | B p50/p99 us |"
		echo "|---|---|---|---|---|---|---|---|"
		for w in $ALL; do
			a=$(get hvdpad-nbd "$w" 3) b=$(get hvdpad-b "$w" 3) q=$(get qsd-nbd "$w" 3)
			[ -n "$a$b" ] || continue
			echo "| $w | $a | $b | $(ratio "$b" "$a") | $q | $(ratio "$b" "$q") |" \
				"$(get hvdpad-nbd "$w" 4)/$(get hvdpad-nbd "$w" 5) | $(get hvdpad-b "$w" 4)/$(get hvdpad-b "$w" 5) |"
		done
	fi
} >"$OUT/nbd-bench.md"
cat "$OUT/nbd-bench.md"

if command -v gnuplot >/dev/null 2>&1; then
	for w in $ALL; do
		[ -n "$(get hvdpad-nbd "$w" 3)" ] || continue
		echo "$w $(get hvdpad-nbd "$w" 3) $(get qsd-nbd "$w" 3)"
	done >"$OUT/.nbd-plot.dat"
	sh "$(dirname "$0")/histogram.sh" "$OUT/nbd-bench.png" \
		"virtio-blk on NBD (qemu-nbd, raw, tmpfs): IOPS, one VM boot (TCG), median of $RUNS runs" \
		linear "$OUT/.nbd-plot.dat" "hvdpad (libnbd)" "qemu-storage-daemon (nbd driver)"
	rm -f "$OUT/.nbd-plot.dat"
fi
