#!/bin/sh
# The benchmark reports' chart: IOPS (or $HV_CHART_UNIT) as clustered bars,
# with gnuplot (a no-op without it).
#   sh tests/bench/histogram.sh OUT.png TITLE log|linear DATA SERIES...
# DATA: one line per workload, its name and then a figure per SERIES (the
# bars' titles, in order).
set -eu
command -v gnuplot >/dev/null 2>&1 || exit 0
out=$1 title=$2 scale=$3 data=$4
shift 4
plot="plot \"$data\" using 2:xtic(1) title \"$1\""
col=3
shift
for s in "$@"; do
	plot="$plot, '' using $col title \"$s\""
	col=$((col + 1))
done
unit=${HV_CHART_UNIT:-IOPS}
if [ "$scale" = log ]; then
	y="set logscale y
set ylabel \"$unit (log)\""
else
	y="set yrange [0:*]
set ylabel \"$unit\""
fi
gnuplot <<GP
set terminal pngcairo size $((500 + col * 100)),550 noenhanced
set output "$out"
set title "$title"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
$y
set key outside bottom center horizontal
set xtics rotate by -15
set grid ytics
$plot
GP
echo "chart: $out"
