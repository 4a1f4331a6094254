#!/bin/sh
# Medians of blk-bench runs -> OUT/blk-bench.csv, OUT/blk-bench.md and, with
# gnuplot, OUT/blk-bench.png.  sh blk-bench-report.sh RAW.csv OUT SECS RUNS MIB
set -eu
RAW=$1 OUT=$2 SECS=$3 RUNS=$4 MIB=$5

# target,workload -> median iops, p50, p99 (each its own median)
awk -F, 'NR > 1 { k = $1 "," $2; n[k]++; i[k, n[k]] = $4; p[k, n[k]] = $5; q[k, n[k]] = $6; order[k] = NR }
	function med(arr, k, c,    j, m, t, v) {
		for (j = 1; j <= c; j++) v[j] = arr[k, j]
		for (j = 1; j <= c; j++) for (m = j + 1; m <= c; m++) if (v[m] < v[j]) { t = v[j]; v[j] = v[m]; v[m] = t }
		return v[int((c + 1) / 2)]
	}
	END { print "target,workload,iops,p50_us,p99_us"
		for (k in n) printf "%s,%d,%d,%d\n", k, med(i, k, n[k]), med(p, k, n[k]), med(q, k, n[k]) }' "$RAW" |
	sort -t, -k1,1 -k2,2 >"$OUT/blk-bench.csv"

get() { awk -F, -v t="$1" -v w="$2" -v f="$3" '$1 == t && $2 == w { print $f }' "$OUT/blk-bench.csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

{
	echo "# virtio-blk: hvdpad vs qemu-storage-daemon and the kernel's ceilings"
	echo
	echo "One VM boot (Debian 6.12, QEMU TCG, 2 vCPU), ${MIB} MiB image in tmpfs, fio io_uring"
	echo "direct=1, ${SECS} s per run, median of ${RUNS} runs. Both daemons: 2 queues of 256."
	echo "Made by \`sh tests/bench/run.sh\` on $(date -u +%Y-%m-%d)."
	echo
	echo "| workload | hvdpad IOPS | qsd IOPS | hvdpad/qsd | hvdpad p50/p99 us | qsd p50/p99 us | loop IOPS | hvdpad/loop | hvdpad-null IOPS | null_blk IOPS | null/null_blk |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	for w in randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 seqread-128k-qd8 randread-4k-qd32-2jobs; do
		h=$(get hvdpad "$w" 3) q=$(get qsd "$w" 3) l=$(get loop "$w" 3)
		hn=$(get hvdpad-null "$w" 3) nb=$(get null_blk "$w" 3)
		# A subset (HVDPA_BENCH_WORKLOADS) leaves the others out.
		[ -n "$h$q$l$hn$nb" ] || continue
		echo "| $w | $h | $q | $(ratio "$h" "$q") | $(get hvdpad "$w" 4)/$(get hvdpad "$w" 5) |" \
			"$(get qsd "$w" 4)/$(get qsd "$w" 5) | $l | $(ratio "$h" "$l") | $hn | $nb | $(ratio "$hn" "$nb") |"
	done
	if grep -q '^hvdpad-b,' "$OUT/blk-bench.csv"; then
		echo
		echo "A/B: hvdpad (A) against another build (B, HVDPAD_B), same boot," \
			"runs interleaved${HVDPA_BENCH_HOG:+, $HVDPA_BENCH_HOG CPU hog(s) beside them}"
		echo
		echo "| workload | A IOPS | B IOPS | B/A | qsd IOPS | B/qsd | A p50/p99 us | B p50/p99 us | qsd p50/p99 us |"
		echo "|---|---|---|---|---|---|---|---|---|"
		for w in randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 seqread-128k-qd8 randread-4k-qd32-2jobs; do
			a=$(get hvdpad "$w" 3) b=$(get hvdpad-b "$w" 3) q=$(get qsd "$w" 3)
			[ -n "$a$b" ] || continue
			echo "| $w | $a | $b | $(ratio "$b" "$a") | ${q:--} | $(ratio "$b" "${q:-0}") |" \
				"$(get hvdpad "$w" 4)/$(get hvdpad "$w" 5) | $(get hvdpad-b "$w" 4)/$(get hvdpad-b "$w" 5) |" \
				"$(get qsd "$w" 4)/$(get qsd "$w" 5) |"
		done
	fi
} >"$OUT/blk-bench.md"
cat "$OUT/blk-bench.md"

# The chart needs every target; an A/B run has only two.
if command -v gnuplot >/dev/null 2>&1 && grep -q '^null_blk,' "$OUT/blk-bench.csv"; then
	for w in randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 seqread-128k-qd8 randread-4k-qd32-2jobs; do
		printf '%s' "$w"
		for t in hvdpad qsd hvdpad-null null_blk loop; do printf ' %s' "$(get "$t" "$w" 3)"; done
		echo
	done >"$OUT/.plot.dat"
	gnuplot <<GP
set terminal pngcairo size 1100,550 noenhanced
set output "$OUT/blk-bench.png"
set title "virtio-blk IOPS, one VM boot (TCG), median of $RUNS runs"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set ylabel "IOPS (log)"
set key top right
set xtics rotate by -15
set grid ytics
plot "$OUT/.plot.dat" using 2:xtic(1) title "hvdpad", '' using 3 title "qemu-storage-daemon", \
     '' using 4 title "hvdpad null", '' using 5 title "null_blk", '' using 6 title "loop"
GP
	rm -f "$OUT/.plot.dat"
	echo "chart: $OUT/blk-bench.png"
fi
