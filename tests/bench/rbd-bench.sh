#!/bin/sh
# Inside the test VM (see tests/bench/rbd-run.sh): in ONE boot, two
# clients of the same Ceph cluster, each serving a virtio-blk disk on its
# own image (two clients of one image would pass its exclusive lock back
# and forth), both at once, their fio runs interleaved (hvdpad, qsd,
# hvdpad, qsd, ...) so that a change in the host's speed hits both alike:
#   hvdpad-rbd  hvdpad --blk rbd=rbd/h (librbd, cache off)
#   qsd-rbd     qemu-storage-daemon --blockdev driver=rbd,cache.direct=on
#               (which turns librbd's cache off too) exported as vduse-blk
# Both: 2 queues of 256, as in nbd-bench.sh. The cluster: ceph-up.sh's one
# mon and one memstore OSD on 127.0.0.1; the images, of IMAGE_MiB each,
# filled with the same random data first: librbd answers a read of an
# object never written by itself, from its object map. Each workload runs
# RUNS times per client; medians go to OUT/rbd-bench.{csv,md,png}.
# HVDPA_BENCH_WORKLOADS (a regex of names) picks a subset. With
# HVDPAD_B=path (or HVDPA_BENCH_B_OPTS, pair-lib.sh), another build of
# hvdpad serves a third image, measured in the same alternation (hvdpad-b;
# tests/bench/ab.sh with HVDPA_AB_BENCH=rbd).
#   sh tests/bench/rbd-bench.sh BUILD_DIR OUT_DIR [SECONDS] [RUNS] [IMAGE_MiB]
set -u
W=/run/hvdpa-rbd-bench
. "$(dirname "$0")/pair-lib.sh"

CD=$W/ceph
C=$CD/ceph.conf
# Connecting to the cluster and opening the image take seconds under TCG.
UP_WAIT=90
# A mon port of its own: the suites' boot may have rbd-tests' cluster up.
export CEPH_PORT=${CEPH_PORT:-6791}

fail() {
	echo "rbd-bench: $*"
	sh "$(dirname "$0")/../vm/ceph-up.sh" "$CD" --stop
	exit 1
}

t0=$(date +%s)
sh "$(dirname "$0")/../vm/ceph-up.sh" "$CD" >"$W/ceph-up.txt" 2>&1 ||
	fail "no cluster: $(cat "$W/ceph-up.txt")"
echo "# $(tail -n 1 "$W/ceph-up.txt")"
images="h q${HVDPAD_B:+ b}"
dd if=/dev/urandom of="$W/fill" bs=1M count="$MIB" status=none
for i in $images; do
	timeout 600 rbd -c "$C" import --no-progress "$W/fill" "rbd/$i" >"$W/import.txt" 2>&1 ||
		fail "rbd import rbd/$i: $(cat "$W/import.txt")"
done
rm -f "$W/fill"
echo "# images $images of $MIB MiB filled; set-up took $(($(date +%s) - t0)) s"

blk() { # IMAGE: the --blk of hvdpad on it
	echo "name=hrbd$1,queues=$QUEUES,queue-size=$QSIZE,rbd=rbd/$1,ceph-conf=$C"
}
start_daemon hrbd --blk "$(blk h)" || fail "hvdpad did not start"
pid_h=$DPID
dev_h=$(attach hrbdh) || fail "hrbdh not attached"
dev_b=""
if [ -n "${HVDPAD_B:-}" ]; then
	HVDPAD=$HVDPAD_B start_daemon hrbdb --blk "$(blk b)$B_OPTS" || fail "hvdpad B did not start"
	pid_b=$DPID
	dev_b=$(attach hrbdb) || fail "hrbdb not attached"
fi
start_qsd_node qrbd $QUEUES $QSIZE driver=rbd,pool=rbd,image=q,conf="$C",cache.direct=on ||
	fail "qemu-storage-daemon did not start"
dev_q=$(attach qrbd) || fail "qrbd not attached"
echo "# hvdpad-rbd on $dev_h, qsd-rbd on $dev_q${dev_b:+, hvdpad-b on $dev_b}"

# The cluster's share of the CPU: the OSD's (server_us_per_io).
SERVER_PID=$(pgrep -o ceph-osd || true)
interleave hvdpad-rbd="$dev_h=$pid_h" ${dev_b:+hvdpad-b="$dev_b=$pid_b"} qsd-rbd="$dev_q=$QPID"

vdpa dev del hrbdh
vdpa dev del qrbd
kill "$QPID"
wait "$QPID"
DPID=$pid_h stop_daemon 30
if [ -n "$dev_b" ]; then
	vdpa dev del hrbdb
	DPID=$pid_b stop_daemon 30
fi
sh "$(dirname "$0")/../vm/ceph-up.sh" "$CD" --stop
cp "$RAW" "$OUT/rbd-bench-raw.csv"
cp "$COST" "$OUT/rbd-cost.csv"
sh "$(dirname "$0")/rbd-bench-report.sh" "$RAW" "$OUT" "$SECS" "$RUNS" "$MIB"
