# shellcheck shell=sh
# Sourced by the benchmark reports: lookups in a medians CSV (medians.sh)
# and the wording of ratios and targets. Expects $CSV, the medians file.

# get TARGET WORKLOAD FIELD: 3 IOPS, 4 p50 us, 5 p99 us; empty if not run.
get() { awk -F, -v t="$1" -v w="$2" -v f="$3" '$1 == t && $2 == w { print $f }' "$CSV"; }
# ratio A B: A/B to two places, "-" without a B.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# verdict RATIO AT_LEAST: "met" or "not met" ("not measured" for "-").
verdict() {
	awk -v r="$1" -v m="$2" 'BEGIN {
		if (r == "-" || r == "") print "not measured"; else if (r + 0 >= m + 0) print "met"; else print "not met" }'
}
