#!/bin/sh
# The medians of a fio benchmark's runs (fio-one.sh's rows): per target and
# workload, the median IOPS, p50 and p99, each its own median, sorted.
#   sh tests/bench/medians.sh RAW.csv >MEDIANS.csv
set -eu
# The header apart: sorted with the rows it landed last.
echo "target,workload,iops,p50_us,p99_us"
awk -F, 'NR > 1 { k = $1 "," $2; n[k]++; i[k, n[k]] = $4; p[k, n[k]] = $5; q[k, n[k]] = $6 }
	function med(arr, k, c,    j, m, t, v) {
		for (j = 1; j <= c; j++) v[j] = arr[k, j]
		for (j = 1; j <= c; j++) for (m = j + 1; m <= c; m++) if (v[m] < v[j]) { t = v[j]; v[j] = v[m]; v[m] = t }
		return v[int((c + 1) / 2)]
	}
	END { for (k in n) printf "%s,%d,%d,%d\n", k, med(i, k, n[k]), med(p, k, n[k]), med(q, k, n[k]) }' "$1" |
	sort -t, -k1,1 -k2,2
