#!/bin/sh
# VM integration tests of hvdpad's virtio-blk over VDUSE, run inside the
# test VM by tests/vm/run.sh:  sh tests/vm/blk-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
W=/run/hvdpa-test
. "$(dirname "$0")/lib.sh"

# expect_usage_error DESCRIPTION WORDS ARGS...: exit status 2, one line
# on stderr naming the problem, and no device left behind.
expect_usage_error() {
	d=$1
	words=$2
	shift 2
	"$HVDPAD" "$@" >"$W/err.out" 2>"$W/err.txt"
	st=$?
	lines=$(wc -l <"$W/err.txt")
	if [ $st -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$words" "$W/err.txt" &&
		[ ! -e /dev/vduse/bad0 ]; then
		ok "$d: $(cat "$W/err.txt")"
	else
		not_ok "$d: status $st, stderr: $(cat "$W/err.txt")"
	fi
}

echo "# argument errors, before and after the module is loaded"
truncate -s 256M "$W/img"
expect_usage_error "no /dev/vduse/control" "modprobe vduse" --blk name=bad0,path="$W/img"
load_modules
expect_usage_error "unknown key" "unknown key 'colour'" --blk name=bad0,path="$W/img",colour=red
expect_usage_error "missing image" "No such file" --blk name=bad0,path="$W/missing.img"
expect_usage_error "queue size not a power of two" "power of two" \
	--blk name=bad0,path="$W/img",queue-size=100
expect_usage_error "size= with a file" "size= is only for null=on" \
	--blk name=bad0,path="$W/img",size=1G
expect_usage_error "no device and no control socket" "nothing to serve" --control none
truncate -s 16M "$W/other.img"
expect_usage_error "the same name twice" "given twice" \
	--blk name=bad0,path="$W/img" --blk name=bad0,path="$W/other.img"
expect_usage_error "cpus= a CPU it may not run on" "CPU 7 is not one this process may run on" \
	--blk name=bad0,path="$W/img",cpus=7

echo "# cpus=1: the queue threads, and only they, keep to CPU 1"
start_daemon dcpu --blk name=hcpu,null=on,size=64M,queues=2,cpus=1 || exit 1
dev=$(attach hcpu)
fio --eta=never --name=cpus --filename="$dev" --ioengine=io_uring --direct=1 --rw=randread --bs=4k \
	--iodepth=4 --numjobs=2 --runtime=1 --time_based --output=/dev/null
check "fio on the cpus=1 disk" test $? -eq 0
pinned=0 other=0
for t in /proc/$DPID/task/*; do
	case $(awk '/^Cpus_allowed_list:/ { print $2 }' "$t/status") in
	1) pinned=$((pinned + 1)) ;;
	0-1) other=$((other + 1)) ;;
	esac
done
check "2 queue threads on CPU 1 ($pinned), the other $other on any" \
	test "$pinned" -eq 2 -a "$other" -ge 1 -a $((pinned + other)) -eq "$(ls /proc/$DPID/task | wc -l)"
vdpa dev del hcpu
stop_daemon 10

echo "# hblk0 from a 256 MiB image"
start_daemon d1 --blk name=hblk0,path="$W/img",serial=HVDPA-SERIAL-1 || exit 1
check "ready line names the device" grep -q '^hblk0: ready: virtio-blk' "$W/d1.log"
expect_usage_error "name already served" "device 'hblk0' is served by a running hvdpad" \
	--blk name=hblk0,path="$W/other.img"
dev=$(attach hblk0)
check "vdpa dev add gives a disk ($dev)" test -b "$dev"
check "bound to virtio_vdpa" test "$(bound_driver hblk0)" = virtio_vdpa
check "size is 256 MiB" test "$(blockdev --getsize64 "$dev")" = 268435456
check "serial is HVDPA-SERIAL-1" test "$(cat /sys/block/"${dev#/dev/}"/serial)" = HVDPA-SERIAL-1

echo "# bytes written through the disk are in the image at that offset"
head -c 4096 /dev/urandom >"$W/pat"
dd if="$W/pat" of="$dev" bs=4096 seek=12345 oflag=direct conv=notrunc status=none
dd if="$W/img" of="$W/pat.back" bs=4096 skip=12345 count=1 status=none
check "image holds the pattern at byte $((12345 * 4096))" cmp -s "$W/pat" "$W/pat.back"

echo "# fio verify"
for spec in "4k 16" "64k 32"; do
	set -- $spec
	if fio --eta=never --name=verify --filename="$dev" --ioengine=io_uring --direct=1 \
		--rw=randwrite --bs="$1" --iodepth="$2" --size=64M --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--output="$W/fio-$1.txt"; then
		ok "fio randwrite bs=$1 iodepth=$2 verify=crc32c"
	else
		not_ok "fio randwrite bs=$1 iodepth=$2 verify=crc32c"
		cat "$W/fio-$1.txt"
	fi
done

echo "# ext4: mkfs, write, fsck, remount, read back"
mkdir -p "$W/mnt"
mkfs.ext4 -q -F "$dev"
mount "$dev" "$W/mnt"
for i in 1 2 3 4 5 6 7 8; do
	head -c $((i * 700000)) /dev/urandom >"$W/mnt/file$i"
done
(cd "$W/mnt" && sha256sum file*) >"$W/sums"
umount "$W/mnt"
check "fsck -fn is clean" fsck.ext4 -fn "$dev"
mount "$dev" "$W/mnt"
check "files read back with the same sha256" sh -c "cd '$W/mnt' && sha256sum -c --quiet '$W/sums'"
umount "$W/mnt"

echo "# discard punches holes in the image"
dd if=/dev/urandom of="$dev" bs=1M count=64 oflag=direct status=none
before=$(stat -c %b "$W/img")
blkdiscard -o 0 -l 64M "$dev"
after=$(stat -c %b "$W/img")
check "allocated blocks shrank by >= 60 MiB ($before -> $after)" \
	test $(((before - after) * 512)) -ge $((60 * 1048576))
check "discarded range reads as zeroes" sh -c \
	"cmp -s -n 1048576 '$dev' /dev/zero"

echo "# reset: the driver goes away and comes back, twice"
head -c 4096 /dev/urandom >"$W/pat2"
dd if="$W/pat2" of="$dev" bs=4096 seek=777 oflag=direct conv=notrunc status=none
for round in 1 2; do
	vdpa dev del hblk0
	dev=$(attach hblk0)
	check "re-added disk ($round) reads back what was written before" sh -c \
		"dd if='$dev' bs=4096 skip=777 count=1 iflag=direct status=none | cmp -s - '$W/pat2'"
done

echo "# removal and shutdown"
vdpa dev del hblk0
check "SIGTERM after vdpa dev del: clean exit" stop_daemon 5
check "no /dev/vduse/hblk0 left" test ! -e /dev/vduse/hblk0

echo "# read-only"
cp "$W/pat" "$W/ro.img"
truncate -s 16M "$W/ro.img"
sum_before=$(sha256sum <"$W/ro.img")
start_daemon d2 --blk name=hblk0,path="$W/ro.img",readonly=on || exit 1
dev=$(attach hblk0)
check "the disk is read-only to the kernel" test "$(blockdev --getro "$dev")" = 1
check "reads work" sh -c "dd if='$dev' bs=4096 count=1 iflag=direct status=none | cmp -s - '$W/pat'"
# The kernel refuses writes to an F_RO disk itself (EPERM); a write that
# got past it would get VIRTIO_BLK_S_IOERR from hvdpad (unit test
# test_readonly). Either way nothing may reach the image.
blockdev --setrw "$dev" 2>/dev/null
if dd if=/dev/urandom of="$dev" bs=4096 count=1 oflag=direct status=none 2>"$W/ro.err"; then
	not_ok "a write to the read-only device fails"
else
	check "a write to the read-only device fails: $(cat "$W/ro.err")" \
		grep -q -e "Input/output error" -e "Operation not permitted" "$W/ro.err"
fi
check "the image is unchanged" test "$(sha256sum <"$W/ro.img")" = "$sum_before"
vdpa dev del hblk0
stop_daemon 5

echo "# two devices, one of them with two queues, from one process"
truncate -s 64M "$W/a.img" "$W/b.img"
start_daemon d3 --blk name=hblka,path="$W/a.img" \
	--blk name=hblkb,path="$W/b.img",queues=2,queue-size=128 || exit 1
da=$(attach hblka)
db=$(attach hblkb)
check "two disks ($da, $db)" test -b "$da" -a -b "$db"
check "hblkb has 2 queues" test "$(ls /sys/block/"${db#/dev/}"/mq | wc -l)" = 2
fio --eta=never --name=a --filename="$da" --ioengine=io_uring --direct=1 --rw=randwrite --bs=4k \
	--iodepth=16 --size=16M --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
	--output="$W/fa.txt" &
pa=$!
# Two jobs on separate 16 MiB halves, so each verifies only its own writes.
fio --eta=never --name=b --filename="$db" --ioengine=io_uring --direct=1 --rw=randwrite --bs=4k \
	--iodepth=16 --numjobs=2 --size=16M --offset_increment=16M --verify=crc32c \
	--verify_fatal=1 --verify_state_save=0 --output="$W/fb.txt" &
pb=$!
wait $pa
sa=$?
wait $pb
sb=$?
check "fio verify on both at once (status $sa, $sb)" test $sa -eq 0 -a $sb -eq 0
vdpa dev del hblka
vdpa dev del hblkb
check "both removed, clean exit" stop_daemon 5
check "no VDUSE devices left" test -z "$(ls /dev/vduse | grep -v control)"

echo "# SIGTERM while fio runs: the daemon ends within seconds"
start_daemon d4 --blk name=hblk0,path="$W/img" || exit 1
dev=$(attach hblk0)
fio --eta=never --name=load --filename="$dev" --ioengine=io_uring --direct=1 --rw=randrw --bs=4k \
	--iodepth=32 --runtime=60 --time_based --output="$W/load.txt" >/dev/null 2>&1 &
FIO=$!
sleep 3
t0=$(date +%s)
stop_daemon 5
st=$?
t1=$(date +%s)
check "hvdpad exited ($st) $((t1 - t0))s after SIGTERM under load" test $st -eq 0 -a $((t1 - t0)) -le 5
check "it says the device stays on the bus" grep -q "vdpa dev del hblk0" "$W/d4.log"
start_daemon d5 --blk name=hblk0,path="$W/img" || exit 1
check "a new hvdpad takes it over" grep -q "(taken over)" "$W/d5.log"
sleep 2
check "fio is still running on it" kill -0 "$FIO"
kill "$FIO"
wait "$FIO"
vdpa dev del hblk0
check "removed, clean exit" stop_daemon 5

echo "# from config files: a directory of two, read in name order"
mkdir -p "$W/conf.d"
truncate -s 64M "$W/c1.img" "$W/c2.img"
printf '# first\nblk name=hcfg1,path=%s,attach=virtio\n' "$W/c1.img" >"$W/conf.d/10-one.conf"
printf 'blk name=hcfg2,path=%s,serial=FROM-CONFIG\nstate-dir %s\n' "$W/c2.img" "$W/cstate" \
	>"$W/conf.d/20-two.conf"
echo "blk name=ignored,path=/nonexistent" >"$W/conf.d/30-off.conf.disabled"
# As under a Type=notify unit: systemd's notification socket, whose
# datagrams the listener appends to notify.out.
rm -f "$W/notify.sock" "$W/notify.out"
socat -u UNIX-RECV:"$W/notify.sock" OPEN:"$W/notify.out",creat,append &
NL=$!
wait_until 10 "[ -S '$W/notify.sock' ]"
NOTIFY_SOCKET=$W/notify.sock "$HVDPAD" --config "$W/conf.d" >"$W/dc.log" 2>&1 &
DPID=$!
wait_until 60 "grep -q READY=1 '$W/notify.out' 2>/dev/null"
check "READY=1 to \$NOTIFY_SOCKET, once hcfg1 is attached and hcfg2 served" \
	sh -c "grep -q '^hcfg1: attached' '$W/dc.log' && grep -q '^hcfg2: ready' '$W/dc.log'"
check "with a STATUS= line: $(tr '\n' ' ' <"$W/notify.out" 2>/dev/null)" \
	grep -q "STATUS=serving 2 devices" "$W/notify.out"
c1=$(sed -n 's/^hcfg1: attached (virtio_vdpa): //p' "$W/dc.log")
check "the first file's disk is served and attached by hvdpad ($c1)" test -b "${c1:-/none}"
c2=$(attach hcfg2)
check "the second file's disk has its serial ($c2)" \
	test "$(cat "/sys/block/${c2#/dev/}/serial" 2>/dev/null)" = FROM-CONFIG
check "the state-dir line holds for every device" \
	test -f "$W/cstate/hcfg1.state" -a -f "$W/cstate/hcfg2.state"
check "a file not named *.conf is not read" sh -c "! grep -q ignored '$W/dc.log'"
head -c 8M /dev/urandom >"$W/cpat"
dd if="$W/cpat" of="${c1:-/none}" bs=1M oflag=direct 2>/dev/null
check "8 MiB through the first disk: read back equal, and in its image" sh -c \
	"dd if='${c1:-/none}' bs=1M count=8 iflag=direct 2>/dev/null | cmp -s '$W/cpat' - &&
	 head -c 8M '$W/c1.img' | cmp -s '$W/cpat' -"
vdpa dev del hcfg1
vdpa dev del hcfg2
check "both removed, clean exit" stop_daemon 5
check "STOPPING=1 told on the way out" grep -q "STOPPING=1" "$W/notify.out"
kill "$NL"

summary
