#!/bin/sh
# Inside the test VM (see tests/bench/nbd-run.sh): in ONE boot, two
# clients of the same NBD server, both serving a virtio-blk disk at once,
# their fio runs interleaved (hvdpad, qsd, hvdpad, qsd, ...) so that a
# change in the host's speed hits both alike:
#   hvdpad-nbd  hvdpad --blk nbd=nbd+unix:///?socket=... (libnbd, one
#               connection per queue)
#   qsd-nbd     qemu-storage-daemon --blockdev driver=nbd (its own client,
#               one connection) exported as vduse-blk
# Both: 2 queues of 256, as in blk-bench.sh. The server: qemu-nbd on a raw
# image in tmpfs over a UNIX socket, shared by both. Each workload runs
# RUNS times per client; medians go to OUT/nbd-bench.{csv,md,png}, the
# CPU each run cost (VM, client, qemu-nbd) to OUT/nbd-cost.csv.
# HVDPA_BENCH_WORKLOADS (a regex of names) picks a subset. With
# HVDPAD_B=path (or HVDPA_BENCH_B_OPTS, pair-lib.sh), another build of
# hvdpad serves a third disk from the same server, measured in the same
# alternation (hvdpad-b; tests/bench/ab.sh with HVDPA_AB_BENCH=nbd).
#   sh tests/bench/nbd-bench.sh BUILD_DIR OUT_DIR [SECONDS] [RUNS] [IMAGE_MiB]
set -u
W=/run/hvdpa-nbd-bench
. "$(dirname "$0")/pair-lib.sh"

IMG=$W/nbd.img
SOCK=$W/nbd.sock

echo "# a ${MIB} MiB raw image, qemu-nbd on $SOCK"
dd if=/dev/urandom of="$IMG" bs=1M count="$MIB" status=none
# -t: stays up between clients; -e 8: hvdpad's connections (one to ask,
# then one per queue) and qsd's at once.
qemu-nbd -t -e 8 -f raw -k "$SOCK" "$IMG" >"$W/qemu-nbd.log" 2>&1 &
NBDPID=$!
SERVER_PID=$NBDPID
wait_until 10 "[ -S '$SOCK' ]" || {
	echo "qemu-nbd did not come up:"
	cat "$W/qemu-nbd.log"
	exit 1
}

start_daemon hnbd --blk name=hnbd,queues=$QUEUES,queue-size=$QSIZE,nbd="nbd+unix:///?socket=$SOCK" ||
	exit 1
dev_h=$(attach hnbd) || exit 1
pid_h=$DPID
dev_b=""
if [ -n "${HVDPAD_B:-}" ]; then
	pid_a=$DPID
	HVDPAD=$HVDPAD_B start_daemon hnbdb \
		--blk name=hnbdb,queues=$QUEUES,queue-size=$QSIZE,nbd="nbd+unix:///?socket=$SOCK$B_OPTS" ||
		exit 1
	pid_b=$DPID DPID=$pid_a
	dev_b=$(attach hnbdb) || exit 1
fi
start_qsd_node qnbd $QUEUES $QSIZE driver=nbd,server.type=unix,server.path="$SOCK" || exit 1
dev_q=$(attach qnbd) || exit 1
echo "# hvdpad-nbd on $dev_h, qsd-nbd on $dev_q${dev_b:+, hvdpad-b on $dev_b}"

interleave hvdpad-nbd="$dev_h=$pid_h" ${dev_b:+hvdpad-b="$dev_b=$pid_b"} qsd-nbd="$dev_q=$QPID"

vdpa dev del hnbd
vdpa dev del qnbd
kill "$QPID"
wait "$QPID"
stop_daemon 10
if [ -n "$dev_b" ]; then
	vdpa dev del hnbdb
	DPID=$pid_b stop_daemon 10
fi
kill "$NBDPID"
wait "$NBDPID" 2>/dev/null
cp "$RAW" "$OUT/nbd-bench-raw.csv"
cp "$COST" "$OUT/nbd-cost.csv"
sh "$(dirname "$0")/nbd-bench-report.sh" "$RAW" "$OUT" "$SECS" "$RUNS" "$MIB"
