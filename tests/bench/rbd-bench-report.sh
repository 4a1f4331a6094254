#!/bin/sh
# Medians of rbd-bench runs -> OUT/rbd-bench.csv, OUT/rbd-bench.md and, with
# gnuplot, OUT/rbd-bench.png (pair-report.sh; this file: the set-up in
# words).
#   sh rbd-bench-report.sh RAW.csv OUT SECS RUNS MIB
set -eu
RAW=$1 OUT=$2 SECS=$3 RUNS=$4 MIB=$5
sh "$(dirname "$0")/pair-report.sh" "$RAW" "$OUT" rbd-bench hvdpad-rbd qsd-rbd \
	"virtio-blk on Ceph RBD (1 mon, 1 memstore OSD): IOPS, one VM boot (TCG), median of $RUNS runs" \
	"hvdpad (librbd)" "qemu-storage-daemon (rbd driver)" <<EOF2
# virtio-blk on Ceph RBD: hvdpad (librbd) vs qemu-storage-daemon's rbd driver

One VM boot (Debian 6.12, QEMU TCG, 2 vCPU). One cluster for both (\`tests/vm/ceph-up.sh\`):
one ceph-mon and one ceph-osd on memstore, pool size 1, on 127.0.0.1, in the same VM. Two images
of ${MIB} MiB (\`rbd import\` of the same random data, so that every read reaches the OSD), one
per client. hvdpad: \`--blk rbd=rbd/h,ceph-conf=...\` (librbd's cache off); qsd 7.2:
\`--blockdev driver=rbd,pool=rbd,image=q,conf=...,cache.direct=on\` (librbd's cache off too)
exported as vduse-blk. Both: 2 queues of 256, attached to virtio_vdpa at once; fio io_uring
direct=1, ${SECS} s per run, runs interleaved (hvdpad, qsd, hvdpad, ...), median of ${RUNS}.
Made by \`sh tests/bench/rbd-run.sh $SECS $RUNS $MIB\` on $(date -u +%Y-%m-%d).
EOF2
