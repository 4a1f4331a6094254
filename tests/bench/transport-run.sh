#!/bin/sh
# The transport alone, in one command: hvdpad's null backend against
# qemu-storage-daemon's null-co driver on the same vduse-blk export, both
# served at once in one VM boot, fio 4k randread at depth 1 and 32, runs
# interleaved (blk-bench.sh with HVDPA_BENCH_TRANSPORT=1). Its section of
# docs/perf/blk-bench.md is replaced (the rest of that table is run.sh's,
# from another boot) and its medians go to docs/perf/blk-transport.csv, each
# run to blk-transport-raw.csv, and the CPU each daemon and the whole VM
# spent per I/O, with the kicks and interrupts per I/O, to
# blk-transport-cpu.csv.
# HVDPA_BENCH_NULL_B_OPTS=OPTS adds a third target, hvdpad-null with those
# --blk options (poll-us=0, say), interleaved with the two.
# HVDPA_BENCH_FIO_CPUS=0 keeps fio to CPU 0, HVDPA_BENCH_QSD_CPUS=1 qsd to
# CPU 1: with HVDPA_BENCH_NULL_B_OPTS=cpus=1,poll-us=1000, each daemon has a
# CPU of its own, away from the application's (blk-bench.md, "A CPU of its
# own").
#   sh tests/bench/transport-run.sh [SECONDS_PER_RUN] [RUNS]   # defaults 5 3
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-5}
runs=${2:-3}
out=build-bench/transport
sh tests/vm/host-deps.sh
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null
mkdir -p "$out" docs/perf
rm -f "$out/blk-bench.md"
# 2 workloads x 2 targets per run, each with fio's start and end.
sh tests/vm/run.sh -t $((600 + secs * runs * 4 * 3 * 3 / 2)) "HVDPA_BENCH_TRANSPORT=1 \
HVDPA_BENCH_NULL_B_OPTS='${HVDPA_BENCH_NULL_B_OPTS:-}' HVDPA_BENCH_FIO_CPUS='${HVDPA_BENCH_FIO_CPUS:-}' \
HVDPA_BENCH_QSD_CPUS='${HVDPA_BENCH_QSD_CPUS:-}' HVDPA_BENCH_WORKLOADS='randread-4k-qd1|randread-4k-qd32' \
sh tests/bench/blk-bench.sh build-release '$out' $secs $runs 1024"
cp "$out/blk-bench.csv" docs/perf/blk-transport.csv
cp "$out/blk-transport-cpu.csv" docs/perf/blk-transport-cpu.csv
cp "$out/blk-bench-raw.csv" docs/perf/blk-transport-raw.csv
section=$out/transport.md
sed -n '/^<!-- transport: begin -->$/,/^<!-- transport: end -->$/p' "$out/blk-bench.md" >"$section"
[ -s "$section" ] || { echo "transport-run: no transport section in $out/blk-bench.md" >&2; exit 1; }
md=docs/perf/blk-bench.md
if grep -q '^<!-- transport: begin -->$' "$md"; then
	# The old section out, the new one in its place.
	awk -v f="$section" '
		/^<!-- transport: begin -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- transport: end -->$/ { skip = 0; next }
		!skip' "$md" >"$md.new"
	mv "$md.new" "$md"
else
	{ echo; cat "$section"; } >>"$md"
fi
cat "$section"
