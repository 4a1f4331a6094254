#!/bin/sh
# VM integration tests of hvdpad's virtio-net over VDUSE and of the attach
# tools: a container (a network namespace) gets hvnet0 as its NIC.
#   sh tests/vm/net-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
CTL=$B/hvdpactl
W=/run/hvdpa-net-test
. "$(dirname "$0")/lib.sh"

load_modules
NS="ip netns exec ctr"
ip netns del ctr 2>/dev/null
ip netns add ctr
$NS ip link set lo up
# Persistent, so that it and its address outlive a restarted daemon.
ip tuntap add dev hvtap0 mode tap
truncate -s 64M "$W/img"

echo "# argument errors"
"$HVDPAD" --net name=bad0 2>"$W/e1"
check "no tap: $(cat "$W/e1")" grep -q "tap= is required" "$W/e1"
"$HVDPAD" --net name=bad0,tap=t0,attach=sideways 2>"$W/e2"
check "bad attach: $(cat "$W/e2")" grep -q "attach must be virtio, vhost or none" "$W/e2"

echo "# hvnet0 and hblk0, both attach=virtio"
start_daemon d1 --net name=hvnet0,tap=hvtap0,mac=52:54:00:aa:bb:01,mtu=9000,attach=virtio \
	--blk name=hblk0,path="$W/img",attach=virtio || exit 1
check "ready line names tap and mac" grep -q "hvnet0: ready: virtio-net tap hvtap0, mac 52:54:00:aa:bb:01" "$W/d1.log"
wait_until 60 'grep -q "hblk0: attached" "$W/d1.log"'
eth=$(sed -n 's/^hvnet0: attached (virtio_vdpa): //p' "$W/d1.log")
check "hvnet0 is a netdev ($eth)" test -n "$eth" -a -e "/sys/class/net/$eth"
check "hblk0 is a disk" grep -q "hblk0: attached (virtio_vdpa): /dev/vd" "$W/d1.log"
check_idle "$DPID" "attach=virtio"
"$CTL" list >"$W/list1" 2>&1
cat "$W/list1"
check "list: hvnet0 net virtio $eth" grep -Eq "^hvnet0 +net +virtio +virtio_vdpa +$eth" "$W/list1"
check "list: hblk0 blk virtio /dev/vd*" grep -Eq "^hblk0 +blk +virtio +virtio_vdpa +/dev/vd" "$W/list1"

check "netns: $eth into ctr" "$CTL" netns hvnet0 ctr
check "it keeps its MAC" sh -c "$NS cat /sys/class/net/$eth/address | grep -q 52:54:00:aa:bb:01"
ip addr add 10.77.0.1/24 dev hvtap0
ip link set hvtap0 up
$NS ip addr add 10.77.0.2/24 dev "$eth"
$NS ip link set "$eth" up
sleep 1
check "ping into the container, 0% loss" sh -c "ping -c 5 -i 0.2 -W 2 10.77.0.2 | grep -q ' 0% packet loss'"
check "ping out of it, 0% loss" sh -c "$NS ping -c 5 -i 0.2 -W 2 10.77.0.1 | grep -q ' 0% packet loss'"
check "offloads negotiated and set on the tap" grep -q "hvtap0 offloads 0x[0-9a-f]* (csum on, tso4 on, tso6 on)" "$W/d1.log"

head -c 64M /dev/urandom >"$W/data"
want=$(sha256sum <"$W/data" | cut -d' ' -f1)
# transfer LABEL: 64 MiB over TCP each way, sha256 compared.
transfer() {
	rm -f "$W/r1" "$W/r2"
	$NS timeout 120 socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$W/r1",creat,trunc &
	l=$!
	wait_listen 5001 ctr
	timeout 120 socat -u OPEN:"$W/data" TCP:10.77.0.2:5001
	wait $l
	check "$1: 64 MiB into the container, same sha256" \
		test "$(sha256sum <"$W/r1" | cut -d' ' -f1)" = "$want"
	timeout 120 socat -u TCP-LISTEN:5002,reuseaddr OPEN:"$W/r2",creat,trunc &
	l=$!
	wait_listen 5002
	$NS timeout 120 socat -u OPEN:"$W/data" TCP:10.77.0.1:5002
	wait $l
	check "$1: 64 MiB out of it, same sha256" \
		test "$(sha256sum <"$W/r2" | cut -d' ' -f1)" = "$want"
}
transfer "offloads on"
$NS ethtool -K "$eth" tx off tso off gso off sg off >/dev/null 2>&1
ethtool -K hvtap0 tx off tso off gso off sg off >/dev/null 2>&1
check "offloads off in the container" sh -c "$NS ethtool -k $eth | grep -q 'tcp-segmentation-offload: off'"
transfer "offloads off"
rm -f "$W/r1" "$W/r2"

echo "# jumbo frames"
ip link set hvtap0 mtu 9000
check "the container's NIC takes MTU 9000" $NS ip link set "$eth" mtu 9000
check "but not 9001: the device's maximum is mtu=" sh -c "! $NS ip link set $eth mtu 9001 2>/dev/null"
check "MTU 9000: 8972-byte ping with DF into the container" \
	sh -c "ping -M do -s 8972 -c 3 -i 0.2 -W 2 10.77.0.2 | grep -q ' 0% packet loss'"
check "and out of it" \
	sh -c "$NS ping -M do -s 8972 -c 3 -i 0.2 -W 2 10.77.0.1 | grep -q ' 0% packet loss'"

echo "# link state follows the tap"
carrier() {
	[ "$($NS cat "/sys/class/net/$eth/carrier" 2>/dev/null)" = "$1" ]
}
ip link set hvtap0 carrier off 2>/dev/null || ip link set hvtap0 down
check "tap down: link down in the container" wait_until 5 "carrier 0"
ip link set hvtap0 carrier on 2>/dev/null
ip link set hvtap0 up
check "tap up again: link up" wait_until 5 "carrier 1"

echo "# detach and attach again"
check "detach hblk0" "$CTL" detach hblk0
check "the disk is gone" sh -c "! grep -q ' vd' /proc/partitions"
"$CTL" attach hblk0 vhost >"$W/att" 2>&1
check "attach hblk0 vhost: $(cat "$W/att")" grep -q "attached (vhost_vdpa): /dev/vhost-vdpa-" "$W/att"
"$CTL" list >"$W/list2" 2>&1
check "list: hblk0 vhost" grep -Eq "^hblk0 +blk +vhost +vhost_vdpa +/dev/vhost-vdpa-[0-9]" "$W/list2"
"$CTL" attach hblk0 vhost 2>"$W/e3"
st=$?
check "again: status $st, $(cat "$W/e3")" sh -c "[ $st -eq 1 ] && grep -q 'already attached' '$W/e3'"
"$CTL" attach nosuch virtio 2>"$W/e4"
st=$?
check "unknown device: status $st, $(cat "$W/e4")" sh -c "[ $st -eq 1 ] && [ \$(wc -l <'$W/e4') -eq 1 ]"
"$CTL" detach hblk0 >/dev/null 2>&1
rmmod vhost_vdpa
"$CTL" attach hblk0 vhost 2>"$W/e5"
st=$?
check "driver not loaded: status $st, $(cat "$W/e5")" sh -c "[ $st -eq 1 ] && grep -q 'modprobe vhost_vdpa' '$W/e5'"
check "and nothing was left on the bus" sh -c "! '$CTL' list | grep -Eq '^hblk0 +blk'"
modprobe vhost_vdpa
"$CTL" list >"$W/list3" 2>&1
check "list: hblk0 detached" grep -Eq "^hblk0 +- +detached" "$W/list3"

echo "# throughput: hvdpa-net against a veth pair, same boot"
$NS iperf3 -s -1 -D
wait_listen 5201 ctr
hv=$(timeout 30 iperf3 -c 10.77.0.2 -t 5 -f m 2>/dev/null | awk '/receiver/ {print $7}')
veth_ref vref
ip netns exec vref iperf3 -s -1 -D
wait_listen 5201 vref
ve=$(timeout 30 iperf3 -c 10.78.0.2 -t 5 -f m 2>/dev/null | awk '/receiver/ {print $7}')
echo "# iperf3 TCP, 5 s: hvdpa-net ${hv:-?} Mbit/s, veth ${ve:-?} Mbit/s" \
	"(ratio $(awk -v a="${hv:-0}" -v b="${ve:-0}" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "?"}'))"
check "iperf3 ran over hvdpa-net" test -n "$hv"
ip netns del vref

"$CTL" detach hvnet0 >/dev/null 2>&1
check "clean exit" stop_daemon 10
check "no sanitizer report" sh -c "! grep -q Sanitizer '$W/d1.log'"
ip netns del ctr
ip tuntap del dev hvtap0 mode tap

echo "# the examples, as a user runs them"
mkfs.ext4 -q -F "$W/ex.img" 64M
HVDPA_BUILD=$B sh examples/container-blk.sh "$W/ex.img" hblkx -- \
	sh -c 'echo written-in-the-container >f && sync && cat f && grep " /mnt/hblkx " /proc/mounts' \
	>"$W/ex1" 2>&1
cat "$W/ex1"
check "container-blk.sh: the container mounts and writes its disk" grep -q "^written-in-the-container" "$W/ex1"
check "and it is gone after" sh -c "! '$CTL' list | grep -q hblkx"
HVDPA_BUILD=$B sh examples/container-net.sh exns -- ping -c 3 -i 0.2 -W 2 10.77.0.1 >"$W/ex2" 2>&1
cat "$W/ex2"
check "container-net.sh: the container pings the host" grep -q " 0% packet loss" "$W/ex2"
ip netns del exns
ip tuntap del dev hvtap0 mode tap
summary
