#!/bin/sh
# VM tests of hvdpad's virtio-blk on Ceph RBD (rbd=POOL/IMAGE): a one-OSD
# cluster on 127.0.0.1 (ceph-up.sh, memstore, in /run), an image made with
# rbd create, attached to virtio_vdpa as /dev/vdX: ext4 and fio verify,
# rbd export equal to what was written, the OSD stopped under fio and
# continued (nothing lost), hvdpad killed -9 under fio with requests in
# flight and restarted (they run again, nothing lost), the whole cluster
# stopped past the timeout (I/O errors in bounded time, the daemon lives,
# I/O works again after), rbd resize reaching the driver. Run inside the
# test VM by tests/vm/run.sh (227 s under TCG, 40 of them for the cluster):
#   sh tests/vm/rbd-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
W=/run/hvdpa-rbd
. "$(dirname "$0")/lib.sh"
load_modules

CD=$W/ceph
C=$CD/ceph.conf
# Above the 5 s a killed client's watch lasts (ceph-up.sh): a takeover's
# requests wait that long for the image's lock.
TIMEOUT=10
ARGS="--blk name=hrbd0,rbd=rbd/disk0,ceph-conf=$C,timeout=$TIMEOUT,queues=2"

rbd_() {
	timeout 120 rbd -c "$C" "$@"
}

# start_rbd LOGNAME: hvdpad on the image; connecting and opening take a
# few seconds under TCG, more than start_daemon waits.
start_rbd() {
	log=$W/$1.log
	# shellcheck disable=SC2086
	"$HVDPAD" $ARGS >"$log" 2>&1 &
	DPID=$!
	if ! wait_until 90 "grep -q ': ready:' '$log' || ! kill -0 $DPID 2>/dev/null" ||
		! grep -q ': ready:' "$log"; then
		not_ok "hvdpad did not come up: $(cat "$log")"
		return 1
	fi
}

pid_of() {
	cat "$CD/run/$1.pid"
}

cleanup() {
	kill -CONT "$(pid_of osd.0)" "$(pid_of mon.a)" 2>/dev/null
	sh "$(dirname "$0")/ceph-up.sh" "$CD" --stop
}

echo "# a one-OSD Ceph cluster"
t0=$(date +%s)
if ! sh "$(dirname "$0")/ceph-up.sh" "$CD" >"$W/ceph-up.txt" 2>&1; then
	not_ok "ceph-up.sh: $(cat "$W/ceph-up.txt")"
	cleanup
	summary
	exit 1
fi
ok "cluster up in $(($(date +%s) - t0)) s ($(tail -n 1 "$W/ceph-up.txt"))"
check "rbd create rbd/disk0 128M" rbd_ create --size 128M rbd/disk0

start_rbd r0 || { cleanup; summary; exit 1; }
check "ready line names the image" grep -q "^hrbd0: ready: virtio-blk rbd:rbd/disk0, 128 MiB" "$W/r0.log"
dev=$(attach hrbd0)
check "attached ($dev)" test -b "$dev"
check "size is the image's, 128 MiB" test "$(blockdev --getsize64 "$dev")" = 134217728
check "discard offered" test "$(cat "/sys/block/${dev#/dev/}/queue/discard_max_bytes")" -gt 0

echo "# 16 MiB written at 16 MiB: rbd export holds exactly that"
head -c 16M /dev/urandom >"$W/pat"
dd if="$W/pat" of="$dev" bs=1M seek=16 oflag=direct conv=fsync status=none
rm -f "$W/exp.raw"
rbd_ export --no-progress rbd/disk0 "$W/exp.raw" >/dev/null 2>&1
check "rbd export: the pattern at 16 MiB" sh -c \
	"dd if='$W/exp.raw' bs=1M skip=16 count=16 status=none | cmp -s - '$W/pat'"
check "rbd export: zeroes before it" test "$(dd if="$W/exp.raw" bs=1M count=16 status=none |
	tr -d '\000' | wc -c)" -eq 0
check "read back through the disk" sh -c \
	"dd if='$dev' bs=1M skip=16 count=16 iflag=direct status=none | cmp -s - '$W/pat'"
rm -f "$W/exp.raw"

echo "# fio verify"
if fio_verify r4k "$dev" 32M; then
	ok "fio randwrite 4k iodepth 16 verify=crc32c"
else
	not_ok "fio randwrite 4k verify: $(tail -n 5 "$W/fio-r4k.txt")"
fi

echo "# ext4: mkfs, files, fsck, read back"
mkdir -p "$W/mnt"
mkfs.ext4 -q -F "$dev"
mount "$dev" "$W/mnt"
for i in 1 2 3 4; do
	head -c $((i * 1500000)) /dev/urandom >"$W/mnt/file$i"
done
(cd "$W/mnt" && sha256sum file*) >"$W/sums"
umount "$W/mnt"
check "fsck -fn is clean" fsck.ext4 -fn "$dev"
mount "$dev" "$W/mnt"
check "files read back with the same sha256" sh -c "cd '$W/mnt' && sha256sum -c --quiet '$W/sums'"
umount "$W/mnt"

echo "# the OSD stopped under fio verify and continued: nothing lost"
fio_verify osd "$dev" 32M --offset=96M --iodepth=8 >/dev/null 2>&1 &
FIO=$!
sleep 1
kill -STOP "$(pid_of osd.0)"
wait_until 5 '[ "$(inflight_of "$dev")" -gt 0 ]'
held=$(inflight_of "$dev")
sleep 3
kill -CONT "$(pid_of osd.0)"
wait "$FIO"
st=$?
check "fio: exit $st with $held requests held by the stopped OSD, no verify error" sh -c \
	"[ $st -eq 0 ] && [ $held -gt 0 ] && grep -q 'err= 0' '$W/fio-osd.txt'"

echo "# hvdpad killed -9 under fio verify, restarted: nothing lost"
fio_crash_start "$dev" 32M
sleep 2
check "fio running at the kill" kill -0 "$FIO"
# The OSD stopped meanwhile: requests in librbd, unanswered.
kill_daemon_held "$dev" "$(pid_of osd.0)"
check "the kernel had $INFLIGHT requests in flight at the kill" test "$INFLIGHT" -gt 0
start_rbd r1 || { cleanup; summary; exit 1; }
check "a new hvdpad takes it over" grep -q '(taken over)' "$W/r1.log"
fio_crash_wait
again=$(resubmitted "$W/r1.log")
check "it ran again $again requests left in flight" test "$again" -gt 0

echo "# rbd resize in the cluster: the disk follows"
check "rbd resize to 192M" rbd_ resize --size 192M rbd/disk0
check "/dev/${dev#/dev/} is 192 MiB" wait_until 30 \
	"[ \"\$(blockdev --getsize64 '$dev')\" = 201326592 ]"
check "the log says so" grep -q 'hrbd0: resized to 201326592 bytes' "$W/r1.log"

echo "# the cluster stopped past the timeout: I/O errors in bounded time, then back"
kill -STOP "$(pid_of osd.0)" "$(pid_of mon.a)"
t0=$(date +%s)
# A block that was written: librbd answers one of an object that does not
# exist from its object map, without asking the cluster.
dd if="$dev" of=/dev/null bs=4k count=1 skip=4100 iflag=direct status=none 2>"$W/dd.err"
st=$?
t1=$(date +%s)
check "a read failed (exit $st) $((t1 - t0)) s after the cluster stopped (timeout=$TIMEOUT)" \
	test $st -ne 0 -a $((t1 - t0)) -le $((TIMEOUT + 10))
check "the kernel saw I/O errors" sh -c "dmesg | grep -q 'I/O error, dev ${dev#/dev/}'"
check "hvdpad is alive" kill -0 "$DPID"
dd if="$dev" of=/dev/null bs=4k count=1 skip=4200 iflag=direct status=none 2>/dev/null
kill -CONT "$(pid_of osd.0)" "$(pid_of mon.a)"
check "the log says the image was lost, once: $(grep -c 'requests fail after' "$W/r1.log")" \
	test "$(grep -c 'requests fail after' "$W/r1.log")" -eq 1
head -c 1M /dev/urandom >"$W/pat2"
check "writes work again once the cluster is back" wait_until 60 \
	"dd if='$W/pat2' of='$dev' bs=1M seek=3 oflag=direct conv=fsync status=none 2>/dev/null"
check "and read back" sh -c \
	"dd if='$dev' bs=1M skip=3 count=1 iflag=direct status=none | cmp -s - '$W/pat2'"
check "the log says it answers again" grep -q 'answers again' "$W/r1.log"

vdpa dev del hrbd0
check "removed, clean exit" stop_daemon 30
cleanup
summary
