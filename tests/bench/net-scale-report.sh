#!/bin/sh
# Medians of net-scale-bench runs -> OUT/net-scale-bench.csv, the table in
# OUT/net-scale-bench.md and its chart OUT/net-scale-bench.png.
#   sh net-scale-report.sh RAW.csv OUT SECS RUNS [COMMAND] [BOOT]
set -eu
RAW=$1 OUT=$2 SECS=$3 RUNS=$4
CMD=${5:-sh tests/bench/net-scale-bench.sh}
BOOT=${6:-$(uname -r), $(nproc) vCPU}
CSV=$OUT/net-scale-bench.csv

# target,count,direction -> runs and the median Mbit/s; hvdpad's set-up
# figures are the same in every run of a count (one daemon per count).
{
	echo "target,count,direction,runs,mbits,ready_s,attach_s,threads,rss_idle_per_dev_kib"
	awk -F, 'NR > 1 {
			k = $1 "," $2 "," $4; c = ++n[k]; v[k, c] = $5
			rest[k] = $6 "," $7 "," $8 "," $9
		}
		END {
			for (k in n) {
				for (j = 1; j <= n[k]; j++) a[j] = v[k, j]
				for (j = 1; j <= n[k]; j++) for (m = j + 1; m <= n[k]; m++)
					if (a[m] + 0 < a[j] + 0) { t = a[j]; a[j] = a[m]; a[m] = t }
				printf "%s,%d,%d,%s\n", k, n[k], a[int((n[k] + 1) / 2)], rest[k]
			}
		}' "$RAW" | sort -t, -k3,3 -k1,1 -k2,2n
} >"$CSV"

get() { awk -F, -v t="$1" -v c="$2" -v d="$3" -v f="$4" '$1 == t && $2 == c && $3 == d { print $f }' "$CSV"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
counts=$(awk -F, 'NR > 1 { print $2 }' "$CSV" | sort -nu | tr '\n' ' ')
first=${counts%% *}
data=$OUT/.net-scale.dat
: >"$data"
{
	echo "# How hvdpa-net's throughput grows with devices"
	echo
	echo "One VM boot ($BOOT). One hvdpad serves N virtio-net devices (each on its own tap,"
	echo "attach=virtio, its interface in a network namespace of its own); N veth pairs beside"
	echo "them are the kernel's reference. One iperf3 TCP stream per device, all at once, ${SECS} s;"
	echo "\"in\" is into the namespaces, \"out\" out of them (-R). Aggregate: the sum of the"
	echo "receivers' Mbit/s, median of ${RUNS} run(s), hvdpa and veth runs interleaved."
	echo "Made by \`$CMD\` on $(date -u +%Y-%m-%d)."
	echo
	echo "| devices | direction | hvdpa-net Mbit/s | veth Mbit/s | hvdpa/veth | hvdpa vs 1 device | threads | RSS idle/dev KiB | ready s | attached s |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for d in in out; do
		one=$(get hvdpad "$first" $d 5)
		for n in $counts; do
			hv=$(get hvdpad "$n" $d 5) ve=$(get veth "$n" $d 5)
			echo "| $n | $d | ${hv:--} | ${ve:--} | $(ratio "$hv" "$ve") | $(ratio "$hv" "$one") |" \
				"$(get hvdpad "$n" $d 8) | $(get hvdpad "$n" $d 9) | $(get hvdpad "$n" $d 6) | $(get hvdpad "$n" $d 7) |"
			echo "$n-$d ${hv:-0} ${ve:-0}" >>"$data"
		done
	done
} >"$OUT/net-scale-bench.md"
HV_CHART_UNIT=Mbit/s sh "$(dirname "$0")/histogram.sh" "$OUT/net-scale-bench.png" \
	"hvdpa-net vs veth, aggregate over N devices" linear "$data" hvdpa-net veth
rm -f "$data"
cat "$OUT/net-scale-bench.md"
