#!/bin/sh
# One device's trouble stays its own (issue 12, hvdpad's side): a vhost-vdpa
# user that resets a device while its reads are stuck in a slow backend makes
# that device's reset wait, and another device's VDUSE messages are answered
# meanwhile (each device has its own message thread).
#   sh tests/vm/isolation-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
CTL=$B/hvdpactl
W=/run/hvdpa-isolation-test
. "$(dirname "$0")/lib.sh"

load_modules
ms() { echo $(($(date +%s%N) / 1000000)); }
# Every read of /dev/nullb0 completes after 4 s.
rmmod null_blk 2>/dev/null
modprobe null_blk nr_devices=1 irqmode=2 completion_nsec=4000000000 gb=1 || exit 1
truncate -s 64M "$W/img"

echo "# a slow device reset by a driver that does not wait, next to a disk in use"
start_daemon d --blk name=hslow,path=/dev/nullb0,attach=vhost \
	--blk name=hfast,path="$W/img",attach=virtio || exit 1
wait_until 60 'grep -q "hslow: attached" "$W/d.log" && grep -q "hfast: attached" "$W/d.log"'
vslow=$(sed -n 's/^hslow: attached (vhost_vdpa): //p' "$W/d.log")
check "hslow on vhost_vdpa ($vslow), hfast a disk" test -c "$vslow" -a -n "$(sed -n 's/^hfast: attached (virtio_vdpa): //p' "$W/d.log")"
"$B/tests/vm/tools/vhost_blk_hostile" "$vslow" reset 8 >"$W/reset" 2>&1 &
tool=$!
wait_until 30 "grep -q resetting '$W/reset'"
sleep 0.5
t0=$(ms)
echo hfast >/sys/bus/vdpa/drivers/virtio_vdpa/unbind
t1=$(ms)
wait $tool
cat "$W/reset"
took=$(sed -n 's/^reset took \([0-9]*\) ms.*/\1/p' "$W/reset")
check "hslow's reset waited for its stuck reads (${took:-?} ms)" test "${took:-0}" -ge 2000
check "meanwhile hfast's reset was answered in $((t1 - t0)) ms (< 1500)" test $((t1 - t0)) -lt 1500
check "no device marked broken" sh -c "! dmesg | grep -q 'vduse.*broken\|vduse.*timeout'"

echo "# both still work"
check "hfast attaches again" sh -c "'$CTL' detach hfast >/dev/null 2>&1; '$CTL' attach hfast virtio"
dev=$(sed -n 's/^hfast: attached (virtio_vdpa): //p' "$W/d.log" | tail -n 1)
check "and its disk reads" sh -c "dd if=\$(ls /sys/bus/vdpa/devices/hfast/virtio*/block | sed 's|^|/dev/|') of=/dev/null bs=1M count=4 iflag=direct 2>/dev/null"

echo "# a broken ring is parked until reset, not polled"
# A driver that runs its avail index more than a queue ahead: the queue
# thread used to spin at 100% until a reset (issue 12 #5).
"$B/tests/vm/tools/vhost_blk_hostile" "$vslow" break 6 >"$W/break" 2>&1 &
tool=$!
wait_until 30 "grep -q broken '$W/break'"
sleep 0.5
c0=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
sleep 3
c1=$(awk '{print $14 + $15}' "/proc/$DPID/stat")
check "hvdpad used $((c1 - c0)) ticks in 3 s with the ring broken (a spinning queue: 300)" \
	test $((c1 - c0)) -le 30
check "and says the queue is parked" grep -q "hslow/vq0: .*parked until the device is reset" "$W/d.log"
wait $tool
check "the driver's reset after it is answered" test $? -eq 0
check "no device marked broken" sh -c "! dmesg | grep -q 'vduse.*broken\|vduse.*timeout'"

echo "# a driver that resets in a loop: what hvdpad logs about it stays bounded"
# Each DRIVER_OK used to log a line, and each queue it set up wrong
# another (issue 12 #12): the log was the driver's to fill.
n0=$(wc -l <"$W/d.log")
"$B/tests/vm/tools/vhost_blk_hostile" "$vslow" cycle 300 >"$W/cycle" 2>&1
check "the driver: $(cat "$W/cycle")" grep -q "^cycled 300 times" "$W/cycle"
ms=$(sed -n 's/^cycled 300 times in \([0-9]*\) ms$/\1/p' "$W/cycle")
lines=$(tail -n +$((n0 + 1)) "$W/d.log" | wc -l)
# 10 lines per 5 s for each of its two limiters, and a line per window
# saying how many were left out.
bound=$((22 * (${ms:-0} / 5000 + 2)))
check "hvdpad logged $lines lines in ${ms:-?} ms (at most $bound; each DRIVER_OK: 300)" \
	test "$lines" -le "$bound" -a "$bound" -lt 300
check "no device marked broken" sh -c "! dmesg | grep -q 'vduse.*broken\|vduse.*timeout'"

"$CTL" detach hslow >/dev/null 2>&1
"$CTL" detach hfast >/dev/null 2>&1
check "SIGTERM: clean exit" stop_daemon 20
check "no sanitizer report" sh -c "! grep -q Sanitizer '$W/d.log'"
rmmod null_blk
summary
