#!/bin/sh
# VM tests of hvdpad's virtio-blk on NBD (nbd=URI): qemu-nbd exporting a
# qcow2 image over a UNIX socket, nbdkit's memory plugin over TCP on
# 127.0.0.1; each attached to virtio_vdpa as /dev/vdX and used with ext4 and
# fio; the qcow2 compared with what was written, trimmed by fstrim; the
# server killed under fio (I/O errors within the timeout, the daemon lives,
# the I/O works again once the server is back); hvdpad killed under fio and
# restarted (nothing lost). Run inside the test VM by tests/vm/run.sh:
#   sh tests/vm/nbd-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
W=/run/hvdpa-nbd
. "$(dirname "$0")/lib.sh"
load_modules

QSOCK=$W/qnbd.sock
QCOW=$W/disk.qcow2
TIMEOUT=5
# queues=2: two connections, one per queue thread.
ARGS="--blk name=hnbd0,nbd=nbd+unix:///?socket=$QSOCK,timeout=$TIMEOUT,queues=2"

# start_qnbd: qemu-nbd on $QCOW at $QSOCK; persistent (hvdpad connects once
# to ask, then once per queue), shared by up to 8, discards passed down.
start_qnbd() {
	rm -f "$QSOCK"
	qemu-nbd -t -e 8 --discard=unmap -f qcow2 -k "$QSOCK" "$QCOW" >>"$W/qemu-nbd.log" 2>&1 &
	QNBD=$!
	wait_until 10 "[ -S '$QSOCK' ]"
}

# allocated KiB of a file (what the qcow2 takes on the tmpfs).
allocated() {
	du -k "$1" | cut -f1
}

echo "# qemu-nbd: a qcow2 over a UNIX socket"
qemu-img create -q -f qcow2 "$QCOW" 128M
start_qnbd || { not_ok "qemu-nbd did not come up: $(cat "$W/qemu-nbd.log")"; summary; exit 1; }
# shellcheck disable=SC2086
start_daemon q0 $ARGS || exit 1
check "ready line names the URI" grep -q "^hnbd0: ready: virtio-blk nbd+unix:///?socket=$QSOCK, 128 MiB" "$W/q0.log"
dev=$(attach hnbd0)
check "attached ($dev)" test -b "$dev"
check "size is the export's, 128 MiB" test "$(blockdev --getsize64 "$dev")" = 134217728
check "discard offered (the export trims)" test "$(cat "/sys/block/${dev#/dev/}/queue/discard_max_bytes")" -gt 0

echo "# 32 MiB written at 16 MiB: the qcow2 holds exactly that"
head -c 32M /dev/urandom >"$W/pat"
dd if="$W/pat" of="$dev" bs=1M seek=16 oflag=direct conv=fsync status=none
truncate -s 128M "$W/ref.raw"
dd if="$W/pat" of="$W/ref.raw" bs=1M seek=16 conv=notrunc status=none
# After the flush (conv=fsync: a virtio flush, an NBD flush) qemu-nbd's
# qcow2 metadata is on disk: -U reads it beside the running server.
check "qemu-img compare: the qcow2 equals zeroes plus the pattern" \
	qemu-img compare -U -q -f qcow2 -F raw "$QCOW" "$W/ref.raw"
check "read back through the disk" sh -c \
	"dd if='$dev' bs=1M skip=16 count=32 iflag=direct status=none | cmp -s - '$W/pat'"

echo "# fio verify"
if fio_verify q4k "$dev" 64M; then
	ok "fio randwrite 4k iodepth 16 verify=crc32c"
else
	not_ok "fio randwrite 4k verify: $(tail -n 5 "$W/fio-q4k.txt")"
fi
if fio_verify q64k "$dev" 64M --bs=64k --iodepth=8 --offset=64M; then
	ok "fio randwrite 64k iodepth 8 verify=crc32c"
else
	not_ok "fio randwrite 64k verify: $(tail -n 5 "$W/fio-q64k.txt")"
fi

echo "# ext4: mkfs, files, fsck, read back; fstrim gives the qcow2's clusters back"
mkdir -p "$W/mnt"
mkfs.ext4 -q -F "$dev"
mount "$dev" "$W/mnt"
for i in 1 2 3 4 5 6; do
	head -c $((i * 2000000)) /dev/urandom >"$W/mnt/file$i"
done
(cd "$W/mnt" && sha256sum file*) >"$W/sums"
umount "$W/mnt"
check "fsck -fn is clean" fsck.ext4 -fn "$dev"
mount "$dev" "$W/mnt"
check "files read back with the same sha256" sh -c "cd '$W/mnt' && sha256sum -c --quiet '$W/sums'"
sync -f "$W/mnt"
before=$(allocated "$QCOW")
rm -f "$W/mnt"/file*
# Blocks freed by rm are trimmed only once the journal committed them.
sync -f "$W/mnt"
fstrim -v "$W/mnt" >"$W/fstrim.txt" 2>&1
sync -f "$W/mnt"
after=$(allocated "$QCOW")
check "fstrim: the qcow2 shrank by >= 32 MiB (${before} KiB -> ${after} KiB; $(cat "$W/fstrim.txt"))" \
	test $((before - after)) -ge 32768
umount "$W/mnt"

echo "# hvdpad killed -9 under fio verify, restarted: nothing lost"
fio_crash_start "$dev" 48M
sleep 2
check "fio running at the kill" kill -0 "$FIO"
kill_daemon_held "$dev" "$QNBD"
check "the kernel had $INFLIGHT requests in flight at the kill" test "$INFLIGHT" -gt 0
# shellcheck disable=SC2086
start_daemon q1 $ARGS || exit 1
check "a new hvdpad takes it over" grep -q '(taken over)' "$W/q1.log"
fio_crash_wait
# The in-flight log's requests go to the new connections like new ones.
again=$(resubmitted "$W/q1.log")
check "it ran again $again requests left in flight" test "$again" -gt 0

echo "# everything written since is in the qcow2 too"
sync "$dev"
dd if="$dev" of="$W/final.raw" bs=1M iflag=direct status=none
check "qemu-img compare: the qcow2 equals the disk's 128 MiB" \
	qemu-img compare -U -q -f qcow2 -F raw "$QCOW" "$W/final.raw"
rm -f "$W/final.raw" "$W/ref.raw"

echo "# the server killed under fio: I/O errors within the timeout, then back"
# Its status in a file: a child that ended is a zombie until waited for,
# and kill -0 would still find it.
rm -f "$W/lost.rc"
(
	fio --eta=never --name=lost --filename="$dev" --ioengine=io_uring --direct=1 --rw=randrw \
		--bs=4k --iodepth=16 --runtime=120 --time_based --output="$W/fio-lost.txt" \
		>/dev/null 2>&1 &
	echo $! >"$W/lost.pid"
	wait $!
	echo $? >"$W/lost.rc"
) &
FIO=$!
sleep 3
kill -9 "$QNBD"
wait "$QNBD" 2>/dev/null
t0=$(date +%s)
wait_until $((TIMEOUT + 20)) "[ -s '$W/lost.rc' ]"
t1=$(date +%s)
# Each request fails at most TIMEOUT s after it came; a few more for the
# guest to see it and fio to stop.
check "fio ended $((t1 - t0)) s after the server died (timeout=$TIMEOUT)" \
	test -s "$W/lost.rc" -a $((t1 - t0)) -le $((TIMEOUT + 5))
[ -s "$W/lost.rc" ] || kill -9 "$(cat "$W/lost.pid")"
wait "$FIO"
st=$(cat "$W/lost.rc" 2>/dev/null || echo none)
check "fio failed with an I/O error (exit $st)" sh -c \
	"[ '$st' != 0 ] && grep -qi 'Input/output error' '$W/fio-lost.txt'"
check "the kernel saw I/O errors" sh -c "dmesg | grep -q 'I/O error, dev ${dev#/dev/}'"
check "hvdpad is alive" kill -0 "$DPID"
check "the log says the server was lost, once for both queues: $(grep -c ' lost: ' "$W/q1.log")" \
	test "$(grep -c ' lost: ' "$W/q1.log")" -eq 1
start_qnbd || not_ok "qemu-nbd did not come back"
head -c 1M /dev/urandom >"$W/pat2"
check "writes work again once the server is back" wait_until 30 \
	"dd if='$W/pat2' of='$dev' bs=1M seek=3 oflag=direct conv=fsync status=none 2>/dev/null"
check "and read back" sh -c \
	"dd if='$dev' bs=1M skip=3 count=1 iflag=direct status=none | cmp -s - '$W/pat2'"
# Once the last queue has its connection again: the other one, idle,
# tries on its back-off timer (5 s at most).
wait_until 10 "grep -q 'is back' '$W/q1.log'"
check "the log says it is back, once: $(grep -c 'is back' "$W/q1.log")" \
	test "$(grep -c 'is back' "$W/q1.log")" -eq 1
vdpa dev del hnbd0
check "removed, clean exit" stop_daemon 10
kill "$QNBD"
wait "$QNBD" 2>/dev/null

echo "# nbdkit memory over TCP on 127.0.0.1"
nbdkit -f -i 127.0.0.1 -p 10809 memory 256M >"$W/nbdkit.log" 2>&1 &
NBDKIT=$!
wait_listen 10809 || not_ok "nbdkit did not listen: $(cat "$W/nbdkit.log")"
start_daemon t0 --blk name=hnbd1,nbd=nbd://127.0.0.1:10809/,queues=2 || exit 1
dev=$(attach hnbd1)
check "attached ($dev), 256 MiB" test "$(blockdev --getsize64 "$dev" 2>/dev/null)" = 268435456
if fio_verify t4k "$dev" 64M --numjobs=2 --offset_increment=64M; then
	ok "fio verify, two jobs"
else
	not_ok "fio verify, two jobs: $(tail -n 5 "$W/fio-t4k.txt")"
fi
mkfs.ext4 -q -F "$dev"
mount "$dev" "$W/mnt"
for i in 1 2 3 4; do
	head -c $((i * 3000000)) /dev/urandom >"$W/mnt/file$i"
done
(cd "$W/mnt" && sha256sum file*) >"$W/sums"
umount "$W/mnt"
check "ext4 on nbdkit: fsck -fn is clean" fsck.ext4 -fn "$dev"
mount "$dev" "$W/mnt"
check "ext4 on nbdkit: files read back with the same sha256" sh -c \
	"cd '$W/mnt' && sha256sum -c --quiet '$W/sums'"
umount "$W/mnt"
vdpa dev del hnbd1
check "removed, clean exit" stop_daemon 10
kill "$NBDKIT"
wait "$NBDKIT" 2>/dev/null

echo "# a read-only export (nbdkit -r): a read-only disk, said so"
RSOCK=$W/ro.sock
nbdkit -f -r -U "$RSOCK" pattern 32M >"$W/nbdkit-ro.log" 2>&1 &
NBDKIT=$!
wait_until 10 "[ -S '$RSOCK' ]"
start_daemon r0 --blk "name=hnbd2,nbd=nbd+unix:///?socket=$RSOCK" || exit 1
check "the ready line says read-only: $(grep ready "$W/r0.log")" \
	grep -q "^hnbd2: ready: virtio-blk nbd+unix:///?socket=$RSOCK (read-only), 32 MiB" "$W/r0.log"
dev=$(attach hnbd2)
check "attached ($dev), read-only to the kernel" test "$(cat "/sys/block/${dev#/dev/}/ro")" = 1
# nbdkit's pattern: each 8-byte word is its own offset, big-endian.
check "reads the server's data (the word at 1 MiB is 1048576)" test \
	"$(dd if="$dev" bs=512 skip=2048 count=1 iflag=direct status=none | head -c 8 | od -An -tx1 | tr -d ' ')" = 0000000000100000
check "a write is refused" sh -c "! dd if=/dev/zero of='$dev' bs=4k count=1 oflag=direct status=none 2>/dev/null"
vdpa dev del hnbd2
check "removed, clean exit" stop_daemon 10
kill "$NBDKIT"
wait "$NBDKIT" 2>/dev/null

summary
