#!/bin/sh
# Medians of scale-bench runs -> OUT/scale-bench.csv, the table in
# OUT/scale-bench.md, with issue 14's targets said met or not met, and the
# aggregate IOPS per device count charted in OUT/scale-bench.png.
#   sh scale-bench-report.sh RAW.csv OUT SECS RUNS [COMMAND] [BOOT]
# COMMAND (what made the figures) and BOOT (the VM's kernel, vCPUs and
# accelerator) are said in the table's head.
set -eu
RAW=$1 OUT=$2 SECS=$3 RUNS=$4
CMD=${5:-sh tests/bench/scale-bench.sh}
BOOT=${6:-$(uname -r), $(nproc) vCPU}

# target,count -> the median of each figure (each its own median); RSS
# per device = (RSS with the devices - RSS with none) / devices.
awk -F, 'NR > 1 {
		k = $1 "," $2; c = ++n[k]
		for (f = 4; f <= 12; f++) v[k, f, c] = $f
		idle[k, c] = ($7 - $6) / $2; busy[k, c] = ($8 - $6) / $2
		aidle[k, c] = ($14 - $13) / $2; abusy[k, c] = ($15 - $13) / $2
	}
	function med(k, f, c,    j, m, t, a) {
		for (j = 1; j <= c; j++)
			a[j] = (f == "i") ? idle[k, j] : (f == "b") ? busy[k, j] : (f == "ai") ? aidle[k, j] : (f == "ab") ? abusy[k, j] : v[k, f, j]
		for (j = 1; j <= c; j++) for (m = j + 1; m <= c; m++) if (a[m] + 0 < a[j] + 0) { t = a[j]; a[j] = a[m]; a[m] = t }
		return a[int((c + 1) / 2)]
	}
	END {
		for (k in n) printf "%s,%d,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", k, n[k], med(k, 4, n[k]), med(k, 5, n[k]),
			med(k, 9, n[k]), med(k, 10, n[k]), med(k, 11, n[k]), med(k, 12, n[k]), med(k, 6, n[k]),
			med(k, "i", n[k]), med(k, "b", n[k]), med(k, "ai", n[k]), med(k, "ab", n[k])
	}' "$RAW" | sort -t, -k1,1 -k2,2n >"$OUT/.scale-bench.body"
{
	echo "target,count,runs,ready_s,attach_s,threads0,threads,iops,p99_us,rss0_kib,rss_idle_per_dev_kib,rss_busy_per_dev_kib,anon_idle_per_dev_kib,anon_busy_per_dev_kib"
	cat "$OUT/.scale-bench.body"
} >"$OUT/scale-bench.csv"
rm -f "$OUT/.scale-bench.body"

get() { awk -F, -v t="$1" -v c="$2" -v f="$3" '$1 == t && $2 == c { print $f }' "$OUT/scale-bench.csv"; }
counts=$(awk -F, 'NR > 1 { print $2 }' "$OUT/scale-bench.csv" | sort -nu | tr '\n' ' ')
first=${counts%% *}
last=$(echo "$counts" | awk '{ print $NF }')
# verdict OK WHAT: "met" or "not met", or "not measured" when WHAT is empty.
verdict() {
	if [ -z "$2" ]; then echo "not measured"; elif [ "$1" = 1 ]; then echo "met"; else echo "not met"; fi
}

{
	echo "# How hvdpad's cost grows with devices"
	echo
	echo "One VM boot ($BOOT). One daemon serves N null blk devices"
	echo "(hvdpad \`null=on\`; qemu-storage-daemon \`null-co\`, \`read-zeroes=off\`), 1 queue of 256"
	echo "each, all bound to virtio_vdpa; one fio, one job per device, 4k randread, io_uring,"
	echo "direct=1, qd8 each, ${SECS} s; median of ${RUNS} run(s), targets interleaved per count."
	echo "Chart: [scale-bench.png](scale-bench.png)."
	echo "Made by \`$CMD\` on $(date -u +%Y-%m-%d)."
	echo
	echo "ready s: from the daemon's start until every device exists in VDUSE; attached s: until"
	echo "every /dev/vdX is there (hvdpad's own \`attach=virtio\`; qsd's through \`vdpa dev add\`)."
	echo "RSS/dev: (RSS with N devices - RSS with none) / N, once attached (idle) and after fio;"
	echo "anon: the same of RssAnon, the daemon's own memory (RSS also counts the pages of the"
	echo "kernel's VDUSE bounce buffer and rings that the daemon touches: header, status, data)."
	echo
	echo "| target | devices | ready s | attached s | IOPS | IOPS vs 1 device | p99 us | threads | RSS idle/dev KiB | RSS after fio/dev KiB | anon idle/dev KiB | anon after fio/dev KiB |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for t in hvdpad hvdpad-base qsd; do
		one=$(get "$t" "$first" 8)
		for c in $counts; do
			i=$(get "$t" "$c" 8)
			[ -n "$i" ] || continue
			rel=$(awk -v a="$i" -v b="$one" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
			echo "| $t | $c | $(get "$t" "$c" 4) | $(get "$t" "$c" 5) | $i | $rel | $(get "$t" "$c" 9) |" \
				"$(get "$t" "$c" 7) | $(get "$t" "$c" 11) | $(get "$t" "$c" 12) | $(get "$t" "$c" 13) | $(get "$t" "$c" 14) |"
		done
	done
	echo
	echo "hvdpad with no device: $(get hvdpad "$first" 10) KiB RSS, $(get hvdpad "$first" 6) thread(s);" \
		"qemu-storage-daemon: $(get qsd "$first" 10) KiB, $(get qsd "$first" 6)."
	echo
	echo "Issue 14's targets, for hvdpad (this tree):"
	echo
	i1=$(get hvdpad 1 8) i32=$(get hvdpad 32 8)
	echo "- aggregate IOPS with 32 devices at least that with 1: ${i32:-?} vs ${i1:-?}:" \
		"$(verdict "$([ "${i32:-0}" -ge "${i1:-1}" ] && echo 1)" "${i1:+$i32}")"
	r=$(get hvdpad "$last" 11)
	echo "- RSS of an idle device at most 1 MiB (1024 KiB), at $last devices: ${r:-?} KiB:" \
		"$(verdict "$([ "${r:-9999}" -le 1024 ] && echo 1)" "$r")"
	a64=$(get hvdpad 64 5)
	echo "- 64 devices created and attached in under 10 s of VM time: ${a64:-?} s:" \
		"$(verdict "$(awk -v a="${a64:-99}" 'BEGIN { if (a < 10) print 1 }')" "$a64")"
} >"$OUT/scale-bench.md"
# One cluster per device count, a bar per target.
for c in $counts; do
	echo "$c-devices $(get hvdpad "$c" 8) $(get hvdpad-base "$c" 8) $(get qsd "$c" 8)" |
		awk '{ for (i = 2; i <= 4; i++) if ($i == "") $i = 0; print }'
done >"$OUT/.scale-bench.dat"
if [ -n "$(get hvdpad-base "$first" 8)" ]; then
	sh "$(dirname "$0")/histogram.sh" "$OUT/scale-bench.png" "aggregate IOPS, N null devices, qd8 each" \
		linear "$OUT/.scale-bench.dat" hvdpad hvdpad-base qsd
else
	awk '{ print $1, $2, $4 }' "$OUT/.scale-bench.dat" >"$OUT/.scale-bench.dat2"
	sh "$(dirname "$0")/histogram.sh" "$OUT/scale-bench.png" "aggregate IOPS, N null devices, qd8 each" \
		linear "$OUT/.scale-bench.dat2" hvdpad qsd
fi
rm -f "$OUT/.scale-bench.dat" "$OUT/.scale-bench.dat2"
cat "$OUT/scale-bench.md"
