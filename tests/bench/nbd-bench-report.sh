#!/bin/sh
# Medians of nbd-bench runs -> OUT/nbd-bench.csv, OUT/nbd-bench.md and, with
# gnuplot, OUT/nbd-bench.png (pair-report.sh; this file: the set-up in
# words).
#   sh nbd-bench-report.sh RAW.csv OUT SECS RUNS MIB
set -eu
RAW=$1 OUT=$2 SECS=$3 RUNS=$4 MIB=$5
sh "$(dirname "$0")/pair-report.sh" "$RAW" "$OUT" nbd-bench hvdpad-nbd qsd-nbd \
	"virtio-blk on NBD (qemu-nbd, raw, tmpfs): IOPS, one VM boot (TCG), median of $RUNS runs" \
	"hvdpad (libnbd)" "qemu-storage-daemon (nbd driver)" <<EOF2
# virtio-blk on NBD: hvdpad (libnbd) vs qemu-storage-daemon's NBD client

One VM boot (Debian 6.12, QEMU TCG, 2 vCPU). One server for both: \`qemu-nbd -t -e 8 -f raw\`
on a ${MIB} MiB raw image in tmpfs, over a UNIX socket. hvdpad: \`--blk nbd=nbd+unix:///?socket=...\`,
one connection per queue; qsd: \`--blockdev driver=nbd,server.type=unix,...\` (one connection)
exported as vduse-blk. Both: 2 queues of 256, attached to virtio_vdpa at once; fio io_uring
direct=1, ${SECS} s per run, runs interleaved (hvdpad, qsd, hvdpad, ...), median of ${RUNS}.
Made by \`sh tests/bench/nbd-run.sh $SECS $RUNS $MIB\` on $(date -u +%Y-%m-%d).
EOF2
