#!/bin/sh
# Medians of blk-bench runs -> OUT/blk-bench.csv, OUT/blk-bench.md and, with
# gnuplot, OUT/blk-bench.png.  sh blk-bench-report.sh RAW.csv OUT SECS RUNS MIB
set -eu
RAW=$1 OUT=$2 SECS=$3 RUNS=$4 MIB=$5

# target,workload -> median iops, p50, p99 (each its own median)
sh "$(dirname "$0")/medians.sh" "$RAW" >"$OUT/blk-bench.csv"

CSV=$OUT/blk-bench.csv
. "$(dirname "$0")/report-lib.sh"

{
	echo "# virtio-blk: hvdpad vs qemu-storage-daemon and the kernel's ceilings"
	echo
	echo "One VM boot (Debian 6.12, QEMU TCG, 2 vCPU), ${MIB} MiB image in ${HVDPA_BENCH_FS:-tmpfs}, fio io_uring"
	echo "direct=1, ${SECS} s per run, median of ${RUNS} runs. Both daemons: 2 queues of 256."
	echo "Every target served at once, runs interleaved (each run goes through all targets in turn)."
	echo "Made by \`sh tests/bench/run.sh\` on $(date -u +%Y-%m-%d)."
	echo
	echo "| workload | hvdpad IOPS | qsd IOPS | hvdpad/qsd | hvdpad p50/p99 us | qsd p50/p99 us | loop IOPS | hvdpad/loop | hvdpad-null IOPS | qsd-null IOPS | hvdpad-null/qsd-null | null_blk IOPS | null/null_blk |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for w in randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 seqread-128k-qd8 randread-4k-qd32-2jobs; do
		h=$(get hvdpad "$w" 3) q=$(get qsd "$w" 3) l=$(get loop "$w" 3)
		hn=$(get hvdpad-null "$w" 3) qn=$(get qsd-null "$w" 3) nb=$(get null_blk "$w" 3)
		# A subset (HVDPA_BENCH_WORKLOADS) leaves the others out.
		[ -n "$h$q$l$hn$qn$nb" ] || continue
		echo "| $w | $h | $q | $(ratio "$h" "$q") | $(get hvdpad "$w" 4)/$(get hvdpad "$w" 5) |" \
			"$(get qsd "$w" 4)/$(get qsd "$w" 5) | $l | $(ratio "$h" "$l") | $hn | $qn |" \
			"$(ratio "$hn" "$qn") | $nb | $(ratio "$hn" "$nb") |"
	done
	# The transport alone: both daemons' null drivers (issue 14's target).
	# transport-run.sh puts this section, between its markers, into
	# docs/perf/blk-bench.md from a boot of its own.
	if grep -q '^qsd-null,' "$CSV"; then
		echo
		echo "<!-- transport: begin -->"
		echo "## The transport: hvdpad's null backend against qemu-storage-daemon's null-co"
		echo
		echo "Both on the same vduse-blk export settings (2 queues of 256), \`null-co\` with"
		echo "\`read-zeroes=off\` (hvdpad's null backend does not write the buffers either)."
		if [ "${HVDPA_BENCH_TRANSPORT:-0}" = 1 ]; then
			echo "A boot of its own, both served at once, runs interleaved, ${SECS} s each, median of ${RUNS};"
			echo "made by \`sh tests/bench/transport-run.sh $SECS $RUNS\` on $(date -u +%Y-%m-%d)."
		else
			echo "The boot of the table above, runs interleaved with all its targets."
		fi
		[ -z "${HVDPA_BENCH_FIO_CPUS:-}" ] ||
			echo "fio kept to CPU ${HVDPA_BENCH_FIO_CPUS}${HVDPA_BENCH_QSD_CPUS:+, qemu-storage-daemon to CPU $HVDPA_BENCH_QSD_CPUS (taskset)}."
		echo "Target (issue 14): at least 1.5x qsd-null's IOPS at qd32 and at qd1."
		echo
		echo "| workload | hvdpad-null IOPS | qsd-null IOPS | ratio | hvdpad-null p50/p99 us | qsd-null p50/p99 us | target >= 1.5x |"
		echo "|---|---|---|---|---|---|---|"
		for w in randread-4k-qd1 randread-4k-qd32; do
			hn=$(get hvdpad-null "$w" 3) qn=$(get qsd-null "$w" 3)
			[ -n "$hn$qn" ] || continue
			r=$(ratio "$hn" "$qn")
			echo "| $w | $hn | $qn | $r | $(get hvdpad-null "$w" 4)/$(get hvdpad-null "$w" 5) |" \
				"$(get qsd-null "$w" 4)/$(get qsd-null "$w" 5) | $(verdict "$r" 1.5) |"
		done
		if grep -q '^hvdpad-null-b,' "$CSV"; then
			echo
			echo "hvdpad-null-b: the same with \`${HVDPA_BENCH_NULL_B_OPTS:-other options}\`, interleaved with both."
			echo
			echo "| workload | hvdpad-null-b IOPS | vs hvdpad-null | vs qsd-null | hvdpad-null-b p50/p99 us | daemon/VM us per IO |"
			echo "|---|---|---|---|---|---|"
			for w in randread-4k-qd1 randread-4k-qd32; do
				b=$(get hvdpad-null-b "$w" 3)
				[ -n "$b" ] || continue
				u=$(awk -F, -v w="$w" '$1 == "hvdpad-null-b" && $2 == w { d[++n] = $4; v[n] = $5 }
					END { if (n) { m = int((n + 1) / 2); print d[m] "/" v[m] } }' "$OUT/blk-transport-cpu.csv" 2>/dev/null)
				echo "| $w | $b | $(ratio "$b" "$(get hvdpad-null "$w" 3)") | $(ratio "$b" "$(get qsd-null "$w" 3)") |" \
					"$(get hvdpad-null-b "$w" 4)/$(get hvdpad-null-b "$w" 5) | ${u:--} |"
			done
		fi
		cpu=$OUT/blk-transport-cpu.csv
		# Only transport-run.sh's boot measures it: the main table's run
		# would show another boot's figures as its own.
		if [ "${HVDPA_BENCH_TRANSPORT:-0}" = 1 ] && [ -s "$cpu" ] && [ "$(wc -l <"$cpu")" -gt 1 ]; then
			echo
			echo "Where the CPU went, per I/O (median of the runs): the daemon's own time, and"
			echo "the whole VM's (fio, the guest kernel's block, virtio and VDUSE paths, the daemon)."
			echo "At qd32 the VM's 2 CPUs are busy, so IOPS is about 1 / (VM time per I/O); a"
			echo "daemon that cost nothing would make it at most VM / (VM - daemon) of qsd-null's."
			echo
			echo "Kicks are the guest's notifications taken by VDUSE, interrupts the callbacks"
			echo "VDUSE ran in the guest (each a kworker wake-up), per I/O: hvdpad-null / qsd-null."
			echo
			echo "| workload | hvdpad-null us/IO | qsd-null us/IO | VM us/IO with hvdpad-null | VM us/IO with qsd-null | ceiling over qsd-null | kicks/IO | interrupts/IO |"
			echo "|---|---|---|---|---|---|---|---|"
			for w in randread-4k-qd1 randread-4k-qd32; do
				med() { awk -F, -v t="$1" -v w="$w" -v f="$2" '$1 == t && $2 == w { print $f }' "$cpu" |
					sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
				hd=$(med hvdpad-null 4) qd=$(med qsd-null 4) hv=$(med hvdpad-null 5) qv=$(med qsd-null 5)
				[ -n "$hd$qd" ] || continue
				# Only a saturated VM turns CPU time into IOPS: not at qd1.
				c=-
				case $w in *qd1) ;; *) c=$(awk -v v="$qv" -v d="$qd" 'BEGIN { if (v - d > 0) printf "%.2fx", v / (v - d); else print "-" }') ;; esac
				echo "| $w | $hd | $qd | $hv | $qv | $c | $(med hvdpad-null 6)/$(med qsd-null 6) |" \
					"$(med hvdpad-null 7)/$(med qsd-null 7) |"
			done
		fi
		echo "<!-- transport: end -->"
	fi
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
		for t in hvdpad qsd hvdpad-null qsd-null null_blk loop; do printf ' %s' "$(get "$t" "$w" 3)"; done
		echo
	done >"$OUT/.plot.dat"
	sh "$(dirname "$0")/histogram.sh" "$OUT/blk-bench.png" \
		"virtio-blk IOPS, one VM boot (TCG), median of $RUNS runs" log "$OUT/.plot.dat" \
		hvdpad qemu-storage-daemon "hvdpad null" "qsd null-co" null_blk loop
	rm -f "$OUT/.plot.dat"
fi
