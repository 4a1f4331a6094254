#!/bin/sh
# hvdpad under CPU pressure: in ONE VM boot, with a CPU hog running beside
# the daemons, hvdpad as BASE_REV builds it (A), the working tree (B) and
# qemu-storage-daemon, runs interleaved A, B, qsd, A, B, qsd, ... Results
# in docs/perf/contention-bench.md (and .csv, .png); B/qsd at or above 1
# is the target.
#   sh tests/bench/contention-run.sh BASE_REV [SECONDS] [RUNS] [HOGS]
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
base=${1:?usage: contention-run.sh BASE_REV [SECONDS] [RUNS] [HOGS]}
secs=${2:-5}
runs=${3:-5}
hogs=${4:-1}
out=$top/build-ab
mkdir -p docs/perf
HVDPA_BENCH_HOG=$hogs HVDPA_BENCH_AB_QSD=1 sh tests/bench/ab.sh "$base" "$secs" "$runs" \
	'randread-4k-qd1|randread-4k-qd32|randwrite-4k-qd32'
{
	echo "# hvdpad under CPU pressure"
	echo
	echo "Made by \`sh tests/bench/contention-run.sh $base $secs $runs $hogs\` on $(date -u +%Y-%m-%d):"
	echo "A is $(git rev-parse --short "$base"), B this tree ($(git rev-parse --short HEAD)$(git diff --quiet || echo ', modified'))."
	echo
	sed -n '/^A\/B:/,$p' "$out/blk-bench.md"
} >docs/perf/contention-bench.md
cp "$out/blk-bench.csv" docs/perf/contention-bench.csv
# IOPS per workload: A, B and qsd side by side.
awk -F, '{ v[$1, $2] = $3; w[$2] = 1 }
	END { for (k in w) if (k != "workload") print k, v["hvdpad", k] + 0, v["hvdpad-b", k] + 0, v["qsd", k] + 0 }' \
	docs/perf/contention-bench.csv | sort >"$out/contention.dat"
sh tests/bench/histogram.sh docs/perf/contention-bench.png \
	"IOPS beside $hogs CPU hog(s), one boot" linear "$out/contention.dat" \
	"A ($(git rev-parse --short "$base"))" B qsd
echo "Chart: [contention-bench.png](contention-bench.png)." >>docs/perf/contention-bench.md
cat docs/perf/contention-bench.md
