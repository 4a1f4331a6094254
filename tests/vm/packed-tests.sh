#!/bin/sh
# VM tests of the packed virtqueue (packed=on): virtio_vdpa negotiates
# VIRTIO_F_RING_PACKED with a VDUSE blk device, data written through it
# verifies, and a kill -9 with requests in flight loses none of them.
#   sh tests/vm/packed-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
W=/run/hvdpa-packed
. "$(dirname "$0")/lib.sh"
load_modules
rm -rf "$W"
mkdir -p "$W"

# Bit N of a virtio device's negotiated features (sysfs: one char a bit).
feature() {
	cut -c$(($2 + 1)) "/sys/block/${1#/dev/}/device/features"
}

# The image on an ext4 of its own that can be frozen: writes then hang in
# the filesystem, so hvdpad is killed with requests in flight, every time.
modprobe loop 2>/dev/null
truncate -s 400M "$W/fs.img"
mkfs.ext4 -q -F "$W/fs.img"
mkdir -p "$W/fs"
mount -o loop "$W/fs.img" "$W/fs" || { not_ok "loop mount of an ext4 image"; summary; exit 1; }
truncate -s 256M "$W/fs/img"
ARGS="--blk name=hpk0,path=$W/fs/img,packed=on"

echo "# packed=on: negotiated by virtio_vdpa"
# shellcheck disable=SC2086
start_daemon p0 $ARGS || exit 1
dev=$(attach hpk0)
check "attached ($dev)" test -b "$dev"
# The kernel's log is the boot's: suites before this one may have left I/O
# errors on a device of the same name.
ioerrs() { dmesg | grep -c "I/O error, dev ${dev#/dev/}" || true; }
ioerrs0=$(ioerrs)
check "VIRTIO_F_RING_PACKED (34) negotiated" test "$(feature "$dev" 34)" = 1
check "with INDIRECT_DESC (28) and EVENT_IDX (29)" \
	test "$(feature "$dev" 28)$(feature "$dev" 29)" = 11

echo "# fio randwrite + verify over the packed ring"
fio_verify pk "$dev" 128M --iodepth=32
check "fio verify: exit 0, err= 0" grep -q 'err= 0' "$W/fio-pk.txt"

echo "# kill -9 with requests in flight (frozen filesystem), restart, verify"
fio_crash_start "$dev" 128M
sleep 2
fsfreeze -f "$W/fs"
sleep 1
inflight=$(inflight_of "$dev")
kill -9 "$DPID"
fsfreeze -u "$W/fs"
wait "$DPID" 2>/dev/null
# shellcheck disable=SC2086
start_daemon p1 $ARGS || exit 1
check "taken over" grep -q '(taken over)' "$W/p1.log"
n=$(resubmitted "$W/p1.log")
check "killed with $inflight in flight: $n requests ran again" test "$n" -gt 0
fio_crash_wait
check "no I/O error in the kernel log ($(($(ioerrs) - ioerrs0)) new)" test "$(ioerrs)" -eq "$ioerrs0"
fio_verify pk2 "$dev" 64M
check "fio verify after the restart" grep -q 'err= 0' "$W/fio-pk2.txt"

vdpa dev del hpk0
stop_daemon 10
check "stopped cleanly" test $? -eq 0
umount "$W/fs"
summary
