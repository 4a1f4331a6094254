#!/bin/sh
# Every benchmark, run once for about a second, so that none of them rots
# between the rounds that measure for real: each must finish, and each row
# of its table must carry a number. The figures mean nothing here (one
# short run under TCG) and go to scratch, never to docs/perf.
#   sh tests/vm/bench-smoke-tests.sh BUILD_DIR [device|zone]
# device: blk-bench (qsd's null-co among its targets, and its transport
# mode), nbd-bench, rbd-bench (its own Ceph cluster, some 40 s: no other
# smoke has one to share), net-bench, net-scale-bench, bridge-bench,
# scale-bench (the VM's 2 vCPUs);
# zone: zone-bench (nested KVM, the zone suites' 1-vCPU boot).
set -u
B=$(cd "${1:-build}" && pwd)
PART=${2:-device}
HVDPAD=$B/hvdpad
W=/run/hvdpa-bench-smoke
. "$(dirname "$0")/lib.sh"
bench=$(cd "$(dirname "$0")/../bench" && pwd)

# run NAME TABLE_FILE MIN_ROWS COMMAND...: the script ends 0, its table has
# at least MIN_ROWS data rows, and none of them lacks a figure.
run() {
	name=$1 table=$2 min=$3
	shift 3
	t0=$(date +%s)
	"$@" >"$W/$name.log" 2>&1
	st=$?
	t=$(($(date +%s) - t0))
	check "$name: ended $st in ${t} s" test $st -eq 0
	[ $st -eq 0 ] || tail -n 20 "$W/$name.log"
	# Data rows: "| ..." lines that are not a header (the line above
	# "|---"); bad: those with no non-zero digit past their first cell.
	set -- $(awk '{ l[NR] = $0 } END {
		for (i = 1; i <= NR; i++) {
			if (l[i] !~ /^\| / || l[i + 1] ~ /^\|---/) continue
			rows++
			r = l[i]
			sub(/^\| [^|]*\|/, "", r) # a row name may hold digits
			if (r !~ /[1-9]/) bad++
		}
		print rows + 0, bad + 0 }' "$table" 2>/dev/null || echo 0 0)
	check "$name: $1 rows in $(basename "$table") (at least $min)" test "$1" -ge "$min"
	check "$name: every row has a figure ($2 without)" test "$2" -eq 0
}

case $PART in
device)
	load_modules
	mkdir -p "$W/blk" "$W/transport" "$W/nbd" "$W/rbd" "$W/net" "$W/bridge" "$W/scale" "$W/netscale"
	# 2 rows of the main table, 2 of the transport's (hvdpad-null/qsd-null).
	HVDPA_BENCH_WORKLOADS='randread-4k-qd1|randread-4k-qd32' \
		run blk-bench "$W/blk/blk-bench.md" 4 sh "$bench/blk-bench.sh" "$B" "$W/blk" 1 1 64
	# transport-run.sh's interleaved mode: its row in each table. One
	# workload, and two of nbd-bench's four: the smoke's time is CI's.
	# With it the CPU-of-its-own mode: a third target (cpus=, poll-us=),
	# fio and qsd each kept to a CPU.
	HVDPA_BENCH_TRANSPORT=1 HVDPA_BENCH_WORKLOADS='randread-4k-qd32' \
		HVDPA_BENCH_NULL_B_OPTS=cpus=1,poll-us=1000 HVDPA_BENCH_FIO_CPUS=0 HVDPA_BENCH_QSD_CPUS=1 \
		run blk-transport "$W/transport/blk-bench.md" 3 sh "$bench/blk-bench.sh" "$B" "$W/transport" 1 1 64
	HVDPA_BENCH_WORKLOADS='randread-4k-qd32|randwrite-4k-qd1' \
		run nbd-bench "$W/nbd/nbd-bench.md" 2 sh "$bench/nbd-bench.sh" "$B" "$W/nbd" 1 1 64
	# The same two on images of 16 MiB: their filling is TCG's time too.
	HVDPA_BENCH_WORKLOADS='randread-4k-qd32|randwrite-4k-qd1' \
		run rbd-bench "$W/rbd/rbd-bench.md" 2 sh "$bench/rbd-bench.sh" "$B" "$W/rbd" 1 1 16
	run net-bench "$W/net/net-bench.md" 2 sh "$bench/net-bench.sh" "$B" "$W/net" 1 1
	# 1 and 2 devices, both directions: 4 rows.
	run net-scale-bench "$W/netscale/net-scale-bench.md" 4 sh "$bench/net-scale-bench.sh" "$B" "$W/netscale" 1 '1 2' 1
	run bridge-bench "$W/bridge/bridge-bench.md" 3 sh "$bench/bridge-bench.sh" "$B" "$W/bridge" 1
	# 1 and 2 devices on hvdpad and on qsd: 4 rows.
	run scale-bench "$W/scale/scale-bench.md" 4 sh "$bench/scale-bench.sh" "$B" "$W/scale" 1 '1 2' 1
	;;
zone)
	mkdir -p "$W/zone"
	run zone-bench "$W/zone/zone-bench.md" 3 sh "$bench/zone-bench.sh" "$B" "$W/zone" 1 1
	;;
*)
	not_ok "unknown part $PART"
	;;
esac
summary
