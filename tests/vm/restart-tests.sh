#!/bin/sh
# VM tests of what happens when things go wrong under a running disk: the
# daemon killed and restarted mid-I/O, a second daemon on the same name, a
# filesystem that fills up, an image deleted or truncated underneath. Run
# inside the test VM by tests/vm/run.sh:  sh tests/vm/restart-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
W=/run/hvdpa-restart
. "$(dirname "$0")/lib.sh"
load_modules

# One line on stderr, exit status 2, and the words given.
expect_refusal() {
	d=$1
	words=$2
	shift 2
	"$HVDPAD" "$@" >"$W/err.out" 2>"$W/err.txt"
	st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <"$W/err.txt")" -eq 1 ] && grep -q -- "$words" "$W/err.txt"; then
		ok "$d: $(cat "$W/err.txt")"
	else
		not_ok "$d: status $st, stderr: $(cat "$W/err.txt")"
	fi
}

# crash_restart LOGNAME ARGS...: SIGKILL the daemon, start it again with
# ARGS, and check it took its device over.
crash_restart() {
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	start_daemon "$@" || return 1
	grep -q '(taken over)' "$W/$1.log"
}

io_errors() {
	dmesg | grep -c "I/O error, dev ${1#/dev/}" || true
}

# The image lives on an ext4 of its own, which can be frozen: writes then
# hang in the filesystem, so the daemon is killed with a queue's worth of
# requests in flight, every time.
modprobe loop 2>/dev/null
truncate -s 640M "$W/fs.img"
mkfs.ext4 -q -F "$W/fs.img"
mkdir -p "$W/fs"
mount -o loop "$W/fs.img" "$W/fs" || { not_ok "loop mount of an ext4 image"; summary; exit 1; }
ARGS="--blk name=hrs0,path=$W/fs/img"
truncate -s 512M "$W/fs/img"
head -c 1M /dev/urandom >"$W/pat"

echo "# one daemon per name"
# shellcheck disable=SC2086
start_daemon r0 $ARGS || exit 1
dev=$(attach hrs0)
check "attached ($dev)" test -b "$dev"
dd if="$W/pat" of="$dev" bs=1M seek=7 oflag=direct status=none
expect_refusal "a second hvdpad on the same name" "served by a running hvdpad (pid $DPID" \
	--blk name=hrs0,path="$W/other.img"
check "the first one still serves" kill -0 "$DPID"

echo "# killed, then restarted with other arguments, then with the same ones"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
check "/dev/vduse/hrs0 outlives the daemon" test -e /dev/vduse/hrs0
check "its state file too" test -s /run/hvdpa/hrs0.state
expect_refusal "a restart with another queue count" "different number of queues" \
	--blk name=hrs0,path="$W/fs/img",queues=2
truncate -s 128M "$W/small.img"
expect_refusal "a restart on a smaller image" "different configuration space" \
	--blk name=hrs0,path="$W/small.img"
# shellcheck disable=SC2086
start_daemon r1 $ARGS || exit 1
check "the same arguments take it over" grep -q '(taken over)' "$W/r1.log"
check "data written before the crash reads back" sh -c \
	"dd if='$dev' bs=1M skip=7 count=1 iflag=direct status=none | cmp -s - '$W/pat'"

echo "# fio randwrite verify=crc32c while the daemon is killed 3 times"
errs0=$(io_errors "$dev")
fio --eta=never --name=crash --filename="$dev" --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --iodepth=32 --size=384M --verify=crc32c \
	--verify_backlog=1024 --verify_fatal=1 --verify_state_save=0 \
	--output="$W/fio-crash.txt" >/dev/null 2>&1 &
FIO=$!
kills=0
for k in 1 2 3; do
	sleep 2
	kill -0 "$FIO" 2>/dev/null && kills=$((kills + 1))
	if [ $k -eq 2 ]; then
		# Kill it with writes stuck in the frozen filesystem; the old
		# process finishes dying (and lets go of the name) once thawed.
		fsfreeze -f "$W/fs"
		sleep 1
		kill -9 "$DPID"
		fsfreeze -u "$W/fs"
	fi
	# shellcheck disable=SC2086
	crash_restart "k$k" $ARGS || not_ok "restart $k: $(tail -n 3 "$W/k$k.log")"
done
# Lost requests would hang fio for ever: fail instead, and go on.
(sleep 240 && kill -9 "$FIO" && echo "fio still waiting after 240s: requests were lost") &
WD=$!
wait "$FIO"
st=$?
kill "$WD" 2>/dev/null
check "fio was running at all 3 kills" test $kills -eq 3
n=$(resubmitted "$W/k1.log" "$W/k2.log" "$W/k3.log")
check "the restarted daemons ran again $n requests left in flight ($(resubmitted "$W/k1.log") + $(resubmitted "$W/k2.log") + $(resubmitted "$W/k3.log"))" test "$n" -gt 0
check "killed while frozen: $(resubmitted "$W/k2.log") requests ran again" test "$(resubmitted "$W/k2.log")" -gt 0
check "fio: exit 0, no verify or I/O error" sh -c \
	"[ $st -eq 0 ] && grep -q 'err= 0' '$W/fio-crash.txt' && ! grep -qi 'verify:.*bad\|crc32c: verify failed' '$W/fio-crash.txt'"
[ $st -eq 0 ] || tail -n 20 "$W/fio-crash.txt"
check "no I/O error in the kernel log" test "$(io_errors "$dev")" = "$errs0"

echo "# mkfs, copy files, killed 3 times meanwhile; fsck clean"
mkdir -p "$W/mnt"
mkfs.ext4 -q -F "$dev"
mount "$dev" "$W/mnt"
head -c 48M /dev/urandom >"$W/src"
(cp "$W/src" "$W/mnt/a" && cp "$W/src" "$W/mnt/b" && sync) &
CP=$!
for k in 4 5 6; do
	sleep 1
	# shellcheck disable=SC2086
	crash_restart "k$k" $ARGS || not_ok "restart $k"
done
wait "$CP"
check "copy and sync succeeded" test $? -eq 0
umount "$W/mnt"
check "fsck -fn is clean" fsck.ext4 -fn "$dev"
mount "$dev" "$W/mnt"
check "both copies have the source's sha256" sh -c \
	"cd '$W/mnt' && [ \"\$(sha256sum <a)\" = \"\$(sha256sum <'$W/src')\" ] && [ \"\$(sha256sum <b)\" = \"\$(sha256sum <'$W/src')\" ]"
umount "$W/mnt"

echo "# SIGTERM under load, then a restart: the I/O carries on"
fio --eta=never --name=term --filename="$dev" --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --iodepth=16 --size=64M --verify=crc32c \
	--verify_fatal=1 --verify_state_save=0 --output="$W/fio-term.txt" >/dev/null 2>&1 &
FIO=$!
sleep 2
check "SIGTERM: clean exit" stop_daemon 5
check "the device stays, waiting" test -e /dev/vduse/hrs0
# shellcheck disable=SC2086
start_daemon t1 $ARGS || exit 1
check "taken over after a clean exit" grep -q '(taken over)' "$W/t1.log"
wait "$FIO"
check "fio finished with no error" test $? -eq 0

vdpa dev del hrs0
check "removed from the bus, clean exit" stop_daemon 5
check "state file removed with the device" test ! -e /run/hvdpa/hrs0.state
# shellcheck disable=SC2086
start_daemon n1 $ARGS || exit 1
check "next start creates it afresh" sh -c "! grep -q '(taken over)' '$W/n1.log'"
stop_daemon 5

echo "# the image's filesystem fills up"
mkdir -p "$W/small"
mount -t tmpfs -o size=16M tmpfs "$W/small"
truncate -s 64M "$W/small/img"
start_daemon e0 --blk name=hrs1,path="$W/small/img" || exit 1
dev=$(attach hrs1)
head -c 8M /dev/urandom >"$W/chunk"
check "8 MiB fit" dd if="$W/chunk" of="$dev" bs=1M oflag=direct status=none
if dd if=/dev/zero of="$dev" bs=1M seek=16 count=32 oflag=direct status=none 2>"$W/enospc.err"; then
	not_ok "writing 32 MiB more into 16 MiB fails"
else
	ok "writing 32 MiB more into 16 MiB fails: $(head -n 1 "$W/enospc.err")"
fi
check "hvdpad says why" grep -q "No space left on device" "$W/e0.log"
check "hvdpad still serves" kill -0 "$DPID"
check "what fitted reads back" sh -c \
	"dd if='$dev' bs=1M count=8 iflag=direct status=none | cmp -s - '$W/chunk'"
check "rewriting allocated blocks still works" \
	dd if="$W/chunk" of="$dev" bs=1M count=1 oflag=direct status=none

echo "# the image truncated, then deleted, underneath"
truncate -s 1M "$W/small/img"
if dd if="$dev" of=/dev/null bs=1M skip=8 count=1 iflag=direct status=none 2>/dev/null; then
	not_ok "a read past the truncated end fails"
else
	ok "a read past the truncated end fails"
fi
check "hvdpad reports the truncation" grep -q "was it truncated" "$W/e0.log"
check "and still serves" dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none
rm "$W/small/img"
check "a write and flush after deletion succeed" \
	dd if="$W/chunk" of="$dev" bs=1M count=1 oflag=direct conv=fsync status=none
check "hvdpad reports the deletion" grep -q "was deleted" "$W/e0.log"
vdpa dev del hrs1
check "clean exit" stop_daemon 5
umount "$W/small"
umount "$W/fs"

summary
