#!/bin/sh
# hvdpad's control socket in use, as an admin drives it with hvdpactl and a
# script with raw JSON: a daemon started with no device is given a disk and
# a NIC at run time, they are used, counted, resized, set down and removed;
# a device added at run time outlives kill -9; bad requests get errors and
# leave the daemon serving.
#   sh tests/vm/control-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
CTL=$B/hvdpactl
W=/run/hvdpa-control-test
. "$(dirname "$0")/lib.sh"

load_modules
S=$W/ctl.sock
ST=$W/state
export HVDPA_CONTROL=$S
NS="ip netns exec cctr"
ip netns del cctr 2>/dev/null
ip netns add cctr
$NS ip link set lo up
ip tuntap add dev ctap0 mode tap
ip addr add 10.79.0.1/24 dev ctap0
ip link set ctap0 up
truncate -s 64M "$W/disk.img"

# raw JSON: one request line, its answer line.
raw() {
	printf '%s\n' "$1" | timeout 10 socat -t 5 - UNIX-CONNECT:"$S"
}
echo "# an empty hvdpad, given devices through the socket"
"$HVDPAD" --control "$S" --state-dir "$ST" >"$W/d1.log" 2>&1 &
DPID=$!
await_up "$DPID" "$W/d1.log" hvdpad "[ -S '$S' ] && raw '{\"execute\":\"query-devices\"}' | grep -q return" || exit 1
a=$(raw '{"execute":"query-devices"}')
check "no device: query-devices answers $a" test "$a" = '{"return":[]}'
check "the socket is 0600" sh -c "[ \$(stat -c %a '$S') = 600 ]"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "printf '{\"execute\":\"query-devices\"}\n' | timeout 5 socat -t 2 - UNIX-CONNECT:$S" 2>&1)
check "another user gets nothing (${out:-no answer})" sh -c "! echo '$out' | grep -q return"

"$CTL" add --blk name=cdisk,path="$W/disk.img",attach=virtio >"$W/add1" 2>&1
cat "$W/add1"
dev=$(sed -n 's/^cdisk: added (\(.*\))$/\1/p' "$W/add1")
check "add --blk: attached as a disk ($dev)" test -b "$dev"
"$CTL" add --net name=cnic,tap=ctap0,mac=52:54:00:cc:00:01,attach=virtio >"$W/add2" 2>&1
cat "$W/add2"
eth=$(sed -n 's/^cnic: added (\(.*\))$/\1/p' "$W/add2")
check "add --net: attached as a netdev ($eth)" test -n "$eth" -a -e "/sys/class/net/$eth"
"$CTL" devices >"$W/devs" 2>&1
cat "$W/devs"
check "devices: cdisk blk virtio $dev control" grep -Eq "^cdisk +blk +virtio +$dev +control" "$W/devs"
check "devices: cnic net virtio $eth control" grep -Eq "^cnic +net +virtio +$eth +control" "$W/devs"
check "recorded for a restart" grep -q "^blk name=cdisk,path=$W/disk.img,attach=virtio$" "$S.devices"

echo "# the disk in use, and counted"
before=$("$CTL" -j stats cdisk | jq '.[0].requests')
fio --name=mix --filename="$dev" --direct=1 --ioengine=io_uring --iodepth=8 --rw=randrw \
	--bs=4k --size=32M --io_size=16M --output-format=json >"$W/fio.json" 2>"$W/fio.err"
check "fio randrw ran" test $? -eq 0
after=$("$CTL" -j stats cdisk | jq '.[0].requests')
fio_ios=$(jq '[.jobs[0].read.total_ios, .jobs[0].write.total_ios] | add' "$W/fio.json")
delta=$((after - before))
check "query-stats counted $delta requests for fio's $fio_ios (within 1%)" \
	sh -c "[ $fio_ios -gt 0 ] && [ \$(( ($delta - $fio_ios) * 100 / $fio_ios )) -le 1 ] && [ \$(( ($fio_ios - $delta) * 100 / $fio_ios )) -le 1 ]"
"$CTL" stats cdisk
check "no errors counted, nothing in flight" sh -c "\"$CTL\" -j stats cdisk | jq -e '.[0].errors == 0 and .[0][\"in-flight\"] == 0 and .[0].bytes >= 16777216' >/dev/null"
fio --name=v --filename="$dev" --direct=1 --ioengine=io_uring --iodepth=8 --rw=randwrite \
	--bs=4k --size=16M --verify=crc32c --verify_state_save=0 --output="$W/fiov.out" >/dev/null 2>&1
check "fio verify=crc32c clean" test $? -eq 0

echo "# resize: the container's disk grows, ext4 takes the room"
mkfs.ext4 -q -F "$dev" && mkdir -p "$W/mnt" && mount "$dev" "$W/mnt"
echo precious >"$W/mnt/file"
"$CTL" resize cdisk 128M
check "resize answered 128M" sh -c "\"$CTL\" -j resize cdisk 134217728 | jq -e '.size == 134217728' >/dev/null"
check "the image file is 128 MiB" sh -c "[ \$(stat -c %s '$W/disk.img') -eq 134217728 ]"
check "blockdev sees 128 MiB without a detach" wait_until 10 "[ \$(blockdev --getsize64 $dev) -eq 134217728 ]"
resize2fs "$dev" >/dev/null 2>&1
check "resize2fs grew the mounted ext4 past 100 MiB" sh -c "[ \$(df -k --output=size '$W/mnt' | tail -1) -gt 100000 ]"
check "the file is still there" grep -qx precious "$W/mnt/file"
out=$("$CTL" resize cdisk 1000 2>&1)
check "resize to a non-sector size refused: $out" sh -c "echo '$out' | grep -q '512-byte sectors'"
out=$("$CTL" resize cnic 1G 2>&1)
check "resize of a NIC refused: $out" sh -c "echo '$out' | grep -q 'is not a disk'"
umount "$W/mnt"

echo "# the NIC in a container, its link set down and up"
"$CTL" netns cnic cctr
$NS ip addr add 10.79.0.2/24 dev "$eth"
$NS ip link set "$eth" up
sleep 1
check "ping into the container" sh -c "ping -c 3 -i 0.2 -W 2 10.79.0.2 | grep -q ' 0% packet loss'"
check "stats count the NIC's packets" sh -c "\"$CTL\" -j stats cnic | jq -e '.[0].requests > 0 and (.[0].queues | length) == 2' >/dev/null"
"$CTL" link cnic down
check "link down: the container's NIC has no carrier" wait_until 10 "[ \"\$($NS cat /sys/class/net/$eth/carrier)\" = 0 ]"
check "devices says link down" sh -c "\"$CTL\" devices | grep -q 'link down'"
"$CTL" link cnic up
check "link up: carrier back" wait_until 10 "[ \"\$($NS cat /sys/class/net/$eth/carrier)\" = 1 ]"
check "ping again" sh -c "ping -c 3 -i 0.2 -W 2 10.79.0.2 | grep -q ' 0% packet loss'"

echo "# bad requests: an error each, the daemon keeps serving"
a=$(raw '{"execute":"frobnicate"}')
check "unknown command: $a" sh -c "echo '$a' | jq -e '.error.class == \"CommandNotFound\"' >/dev/null"
a=$(raw '{"execute":"device-add","arguments":{"type":"blk","name":"x1","path":"/x","colour":"red"}}')
check "unknown key: $a" sh -c "echo '$a' | jq -e '.error.class == \"InvalidParameter\"' >/dev/null"
a=$(raw "{\"execute\":\"device-add\",\"arguments\":{\"type\":\"blk\",\"name\":\"cdisk\",\"path\":\"$W/disk.img\"}}")
check "duplicate name: $a" sh -c "echo '$a' | jq -e '.error.desc | test(\"exists\")' >/dev/null"
a=$(raw '{"execute":"device-add","arguments":{"type":"blk","name":"x2","path":"/nonexistent.img"}}')
check "a path that does not exist: $a" sh -c "echo '$a' | jq -e '.error.desc | test(\"No such file\")' >/dev/null"
check "and no device x2 left" test ! -e /dev/vduse/x2
a=$(raw '{"execute":"device-del","arguments":{"name":"nope"}}')
check "unknown device: $a" sh -c "echo '$a' | jq -e '.error.class == \"DeviceNotFound\"' >/dev/null"
a=$(printf 'this is not json\n' | timeout 10 socat -t 5 - UNIX-CONNECT:"$S")
check "garbage bytes: $a" sh -c "echo '$a' | jq -e '.error' >/dev/null"
head -c 70000 /dev/zero | tr '\0' 'x' >"$W/big"
a=$(timeout 10 socat -t 5 - UNIX-CONNECT:"$S" <"$W/big")
check "a request over 64 KiB: $a" sh -c "echo '$a' | jq -e '.error.desc | test(\"64 KiB\")' >/dev/null"
# A client that connects and says nothing holds nobody up.
socat -u UNIX-CONNECT:"$S" EXEC:"sleep 30" &
silent=$!
sleep 0.5
t0=$(date +%s%N)
"$CTL" devices >/dev/null
t1=$(date +%s%N)
check "with a silent client connected, devices answers in $(((t1 - t0) / 1000000)) ms" test $(((t1 - t0) / 1000000)) -lt 2000
kill $silent 2>/dev/null
check "the daemon lives on" kill -0 "$DPID"
out=$("$HVDPAD" --control "$S" --state-dir "$W/state2" 2>&1)
st=$?
check "a second hvdpad on the same --control: status $st, $out" sh -c "[ $st -eq 2 ] && echo '$out' | grep -q 'another hvdpad answers there'"

echo "# kill -9: the devices added at run time come back"
dd if=/dev/urandom of="$W/pattern" bs=1M count=4 2>/dev/null
dd if="$W/pattern" of="$dev" bs=1M oflag=direct 2>/dev/null
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
"$HVDPAD" --control "$S" --state-dir "$ST" >"$W/d2.log" 2>&1 &
DPID=$!
await_up "$DPID" "$W/d2.log" hvdpad "[ \$(grep -c 'ready:.*(taken over)' '$W/d2.log') -ge 2 ]"
check "both taken over by the restarted hvdpad" test "$(grep -c 'ready:.*(taken over)' "$W/d2.log")" -eq 2
check "the disk reads back what was written" sh -c "dd if=$dev bs=1M count=4 iflag=direct 2>/dev/null | cmp -s - '$W/pattern'"
check "the 128 MiB size was kept" test "$(blockdev --getsize64 "$dev")" -eq 134217728
check "devices lists both, from control" sh -c "[ \$(\"$CTL\" devices | grep -c ' control ') -eq 2 ]"

echo "# remove"
"$CTL" remove cdisk
check "remove: /dev/vduse/cdisk gone" test ! -e /dev/vduse/cdisk
check "remove: its disk gone" test ! -b "$dev"
check "remove: no longer recorded" sh -c "! grep -q cdisk '$S.devices'"
"$CTL" remove cnic
check "remove the NIC: gone from the container" sh -c "! $NS test -e /sys/class/net/$eth"
a=$(raw '{"execute":"query-devices"}')
check "nothing served: $a" test "$a" = '{"return":[]}'
check "SIGTERM: a clean stop" stop_daemon
check "the socket is removed" test ! -e "$S"

ip netns del cctr
ip link del ctap0
summary
