#!/bin/sh
# The report of a benchmark of hvdpad against qemu-storage-daemon on one
# remote backend (nbd-bench, rbd-bench), from the runs' rows (fio-one.sh):
# OUT/NAME.csv (medians), OUT/NAME.md (stdin, the set-up in words, then the
# table with issue 16's targets: at least 1.2x qsd's IOPS at qd32, no
# worse at qd1; and an A/B table when hvdpad-b ran) and, with gnuplot,
# OUT/NAME.png.
#   sh pair-report.sh RAW.csv OUT NAME HVDPAD_TARGET QSD_TARGET CHART_TITLE \
#       HVDPAD_LABEL QSD_LABEL <INTRO.md
set -eu
RAW=$1 OUT=$2 NAME=$3 H=$4 Q=$5 TITLE=$6 HLABEL=$7 QLABEL=$8
CSV=$OUT/$NAME.csv
sh "$(dirname "$0")/medians.sh" "$RAW" >"$CSV"
. "$(dirname "$0")/report-lib.sh"
ALL="randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32"

{
	cat
	echo
	echo "Targets: at least 1.2x qsd's IOPS at qd32, no worse (1.0x) at qd1."
	echo
	echo "| workload | hvdpad IOPS | qsd IOPS | hvdpad/qsd | hvdpad p50/p99 us | qsd p50/p99 us | target | |"
	echo "|---|---|---|---|---|---|---|---|"
	for w in $ALL; do
		h=$(get "$H" "$w" 3) q=$(get "$Q" "$w" 3)
		# A subset (HVDPA_BENCH_WORKLOADS) leaves the others out.
		[ -n "$h$q" ] || continue
		case $w in *qd32) want=1.2 ;; *) want=1.0 ;; esac
		r=$(ratio "$h" "$q")
		echo "| $w | $h | $q | $r | $(get "$H" "$w" 4)/$(get "$H" "$w" 5) |" \
			"$(get "$Q" "$w" 4)/$(get "$Q" "$w" 5) | >= ${want}x | $(verdict "$r" "$want") |"
	done
	if grep -q '^hvdpad-b,' "$CSV"; then
		echo
		# Another build, or the same with other options (pair-lib.sh).
		if [ -n "${HVDPA_BENCH_B_OPTS:-}" ]; then
			echo "A/B: hvdpad (A) against the same build with \`$HVDPA_BENCH_B_OPTS\` added to its --blk (B),"
		else
			echo "A/B: hvdpad (A) against another build (B, HVDPAD_B),"
		fi
		echo "on the same server or cluster, same boot, runs interleaved (A, B, qsd, A, B, qsd, ...)."
		echo
		echo "| workload | A IOPS | B IOPS | B/A | qsd IOPS | B/qsd | A p50/p99 us | B p50/p99 us |"
		echo "|---|---|---|---|---|---|---|---|"
		for w in $ALL; do
			a=$(get "$H" "$w" 3) b=$(get hvdpad-b "$w" 3) q=$(get "$Q" "$w" 3)
			[ -n "$a$b" ] || continue
			echo "| $w | $a | $b | $(ratio "$b" "$a") | $q | $(ratio "$b" "$q") |" \
				"$(get "$H" "$w" 4)/$(get "$H" "$w" 5) | $(get hvdpad-b "$w" 4)/$(get hvdpad-b "$w" 5) |"
		done
	fi
} >"$OUT/$NAME.md"
cat "$OUT/$NAME.md"

if command -v gnuplot >/dev/null 2>&1; then
	for w in $ALL; do
		[ -n "$(get "$H" "$w" 3)" ] || continue
		echo "$w $(get "$H" "$w" 3) $(get "$Q" "$w" 3)"
	done >"$OUT/.$NAME-plot.dat"
	sh "$(dirname "$0")/histogram.sh" "$OUT/$NAME.png" "$TITLE" linear "$OUT/.$NAME-plot.dat" \
		"$HLABEL" "$QLABEL"
	rm -f "$OUT/.$NAME-plot.dat"
fi
