#!/bin/sh
# VM integration tests of hvbridge: a simulated zone drives a virtio-mmio
# block device that hvdpad serves over VDUSE, through vhost-vdpa.
#   sh tests/vm/bridge-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
HVBRIDGE=$B/hvbridge
ZONESIM=$B/tests/zonesim/zonesim
W=/run/hvbridge-test
. "$(dirname "$0")/lib.sh"

RAM_BASE=0x80000000
RAM_SIZE=0x4000000
DEV=0xa0000000
SOCK=$W/zone1.sock
CTL=$W/control.sock

# zone ACTION...: runs the simulator against the bridge; output in $W/zs.log.
zone() {
	"$ZONESIM" --socket "$SOCK" --zone 1 --ram-base $RAM_BASE --ram-size $RAM_SIZE \
		--dev $DEV "$@" >"$W/zs.log" 2>&1
	st=$?
	sed 's/^/  zonesim: /' "$W/zs.log"
	return $st
}

bridge_alive() {
	kill -0 "$BPID" 2>/dev/null
}

load_modules
truncate -s 256M "$W/img"
truncate -s 64M "$W/img2"
export HVDPA_CONTROL=$W/hvdpad.sock
start_daemon d1 --control "$HVDPA_CONTROL" --blk name=hblk1,path="$W/img" \
	--blk name=hblk2,path="$W/img2" --net name=hnet1,tap=hvzn0,mac=52:54:00:5a:00:01 || exit 1
vhost=$(attach_vhost hblk1)
check "hblk1 on the vDPA bus, bound to vhost_vdpa ($vhost)" test -c "$vhost"
vhost2=$(attach_vhost hblk2)
check "hblk2 too ($vhost2)" test -c "$vhost2"
vnet=$(attach_vhost hnet1)
check "hnet1 too ($vnet)" test -c "$vnet"

# config DATA_MODE: the bridge's config for zone 1 with blk1 on hblk1.
config() {
	cat <<EOF
{
  "trap": "sim",
  "control": "$CTL",
  "zones": [
    {
      "id": 1,
      "ram": {"base": "$RAM_BASE", "size": "$RAM_SIZE", "backing": "sim"},
      "sim_socket": "$SOCK",
      "data": "$1",
      "devices": [
        {"name": "blk1", "base": "$DEV", "size": "0x200", "irq": 78, "vhost": "$vhost"}
      ]
    },
    {
      "id": 2,
      "ram": {"base": "0x100000000", "size": "0x2000000", "backing": "sim"},
      "sim_socket": "$W/zone2.sock",
      "data": "$1",
      "devices": [
        {"name": "blk2", "base": "0xa0000000", "irq": 78, "vhost": "$vhost2"}
      ]
    }
  ]
}
EOF
}

echo "# config errors name the field"
config auto >"$W/bridge.json"
sed 's/"irq": 78, //' "$W/bridge.json" >"$W/bad1.json"
"$HVBRIDGE" --config "$W/bad1.json" 2>"$W/bad1.err"
st=$?
check "missing irq: exit $st, $(cat "$W/bad1.err")" \
	sh -c "[ $st -eq 2 ] && grep -q 'zones\[0\].devices\[0\].irq: missing' '$W/bad1.err'"
sed "s/\"base\": \"$DEV\"/\"base\": \"0x8000zz\"/" "$W/bridge.json" >"$W/bad2.json"
"$HVBRIDGE" --config "$W/bad2.json" 2>"$W/bad2.err"
check "bad hex: $(cat "$W/bad2.err")" grep -q "devices\[0\].base: '0x8000zz' is not a number" "$W/bad2.err"
sed "s/\"base\": \"$DEV\"/\"base\": \"0x80001000\"/" "$W/bridge.json" >"$W/bad3.json"
"$HVBRIDGE" --config "$W/bad3.json" 2>"$W/bad3.err"
check "window in RAM: $(cat "$W/bad3.err")" grep -q "overlaps the zone's RAM" "$W/bad3.err"
sed 's/"data": "auto"/"data": "sideways"/' "$W/bridge.json" >"$W/bad4.json"
"$HVBRIDGE" --config "$W/bad4.json" 2>"$W/bad4.err"
check "bad data mode: $(cat "$W/bad4.err")" grep -q "zones\[0\].data: expected" "$W/bad4.err"

# round MODE SEED: one bridge in data mode MODE; the zone writes 16 MiB of
# pattern SEED, a hostile zone follows, then a well-behaved one again.
round() {
	echo "# data mode $1: a zone writes 16 MiB through hvbridge and hvdpad"
	config "$1" >"$W/bridge.json"
	"$HVBRIDGE" --config "$W/bridge.json" >"$W/bridge.log" 2>&1 &
	BPID=$!
	await_up "$BPID" "$W/bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/bridge.log'" || return 1
	"$ZONESIM" --socket "$W/zone2.sock" --zone 2 --ram-base 0x100000000 --ram-size 0x2000000 \
		--dev 0xa0000000 --seed $(($2 + 50)) --mib 8 blk resets >"$W/zs2.log" 2>&1 &
	z2=$!
	check "$1: zone negotiates, writes 16 MiB, flushes, reads back; resets twice" \
		zone --seed "$2" blk resets
	wait $z2
	check "$1: meanwhile zone 2 did the same with 8 MiB on hblk2" test $? -eq 0
	"$ZONESIM" gen-pattern $(($2 + 50)) 1048576 8388608 >"$W/expect"
	dd if="$W/img2" bs=1M skip=1 count=8 status=none >"$W/got"
	check "$1: img2 holds zone 2's pattern" cmp -s "$W/expect" "$W/got"
	check "$1: hvbridge says which data mode" grep -q "data mode $1" "$W/bridge.log"
	"$ZONESIM" gen-pattern "$2" 1048576 16777216 >"$W/expect"
	dd if="$W/img" bs=1M skip=1 count=16 status=none >"$W/got"
	check "$1: the image holds the pattern at 1 MiB" cmp -s "$W/expect" "$W/got"
	rm -f "$W/expect" "$W/got"
	check "$1: hostile zone: 1e5 random accesses, rings and buffers outside RAM" \
		zone --count 100000 hostile
	check "$1: hvbridge survives it" bridge_alive
	check "$1: hvdpad survives it" kill -0 "$DPID"
	check "$1: a well-behaved zone after it: 16 MiB, resets" zone --seed $(($2 + 1)) blk resets
	zone --count 20000 latency iops --seconds 5
	grep -h 'latency:\|iops:' "$W/zs.log" | sed "s/^ok - /# $1: /"
}

stop_bridge() {
	kill -TERM "$BPID"
	wait "$BPID"
	check "$1: hvbridge exits 0 on SIGTERM" test $? -eq 0
	check "$1: no sanitizer report from hvbridge" sh -c "! grep -q 'Sanitizer' '$W/bridge.log'"
	grep -c 'ignored' "$W/bridge.log" | sed "s/^/# $1: hvbridge log lines about ignored accesses: /"
}

round shadow 11
stop_bridge shadow
round direct 1

echo "# devices removed and added while the bridge runs"
"$HVBRIDGE" ctl "$CTL" list >"$W/list.txt" 2>&1
check "list shows blk1" grep -q "zone 1 blk1 base 0xa0000000" "$W/list.txt"
check "remove blk1" "$HVBRIDGE" ctl "$CTL" "remove 1 blk1"
"$ZONESIM" --socket "$SOCK" --ram-base $RAM_BASE --ram-size $RAM_SIZE --dev $DEV blk \
	>"$W/zs-gone.log" 2>&1
check "a zone finds no device there" grep -q "not ok - driver initialisation" "$W/zs-gone.log"
"$HVBRIDGE" ctl "$CTL" "remove 1 blk1" 2>"$W/ctl.err"
check "removing it again: $(cat "$W/ctl.err")" grep -q "has no device 'blk1'" "$W/ctl.err"
check "add it back at another address" "$HVBRIDGE" ctl "$CTL" \
	"add {\"zone\": 1, \"name\": \"blk1\", \"base\": \"0xa0000400\", \"irq\": 79, \"vhost\": \"$vhost\"}"
DEV=0xa0000400
check "a zone uses it there" zone --seed 3 blk

echo "# hvdpad stopped while zone 1 negotiates: zone 2 is answered meanwhile"
# FEATURES_OK goes to hvdpad (VHOST_VDPA_SET_STATUS waits for its answer,
# with the device's lock held): on the bridge thread it kept every zone
# waiting until hvdpad went on. Both zones connect (their RAM mapped)
# before hvdpad stops: mapping RAM into a device's IOTLB waits for hvdpad
# on the bridge thread (docs/hvbridge.md), and a zone 1 that connected
# after the stop (a loaded machine: 0.5 s was not always enough) held
# zone 2 for as long.
rm -f "$W/zs.log"
"$ZONESIM" --socket "$W/zone2.sock" --zone 2 --ram-base 0x100000000 --ram-size 0x2000000 \
	--dev 0xa0000000 --seconds 8 --bound-us 500000 watch >"$W/zs2w.log" 2>&1 &
z2=$!
wait_until 20 "grep -q 'watch: started' '$W/zs2w.log'"
zone --seed 4 --seconds 1 watch blk &
z1=$!
wait_until 20 "grep -q 'watch: started' '$W/zs.log' 2>/dev/null"
sleep 0.5
kill -STOP "$DPID"
sleep 2
kill -CONT "$DPID"
wait $z2
st2=$?
wait $z1
st1=$?
check "zone 2's reads answered within 0.5 s: $(grep 'ok - watch' "$W/zs2w.log")" test $st2 -eq 0
check "zone 1 negotiated and wrote once hvdpad went on" test $st1 -eq 0

stop_bridge direct

echo "# one zone, three devices: a local console, blk through vhost-vdpa, a local NIC"
cat >"$W/three.json" <<EOF
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "$RAM_BASE", "size": "$RAM_SIZE", "backing": "sim"},
  "sim_socket": "$SOCK",
  "devices": [
    {"name": "blk1", "base": "0xa0000000", "irq": 78, "vhost": "$vhost"},
    {"name": "con1", "base": "0xa0000200", "irq": 79, "local": "console:pty,link=$W/con"},
    {"name": "net1", "base": "0xa0000400", "irq": 80, "local": "net:tap=hvzt0"}]}]}
EOF
"$HVBRIDGE" --config "$W/three.json" >"$W/bridge.log" 2>&1 &
BPID=$!
await_up "$BPID" "$W/bridge.log" hvbridge "grep -q 'zone 1: ready, 3 devices' '$W/bridge.log'" || exit 1
ip link set hvzt0 up
ip addr add 10.66.0.1/24 dev hvzt0
(timeout 30 head -c 13 "$W/con" >"$W/con.out") &
rd=$!
(sleep 3; ping -c 3 -W 1 10.66.0.2 >/dev/null 2>&1) &
"$ZONESIM" --socket "$SOCK" --ram-base $RAM_BASE --ram-size $RAM_SIZE --seed 31 --mib 4 \
	--seconds 6 --text "three devices" blk@0xa0000000 console-write@0xa0000200 net@0xa0000400 \
	>"$W/zs.log" 2>&1
st=$?
sed 's/^/  zonesim: /' "$W/zs.log"
wait $rd
check "one zone run drives all three" test $st -eq 0
check "the console's text reached the pty" test "$(cat "$W/con.out")" = "three devices"
check "the zone's frame came out of the tap" test "$(cat /sys/class/net/hvzt0/statistics/rx_packets)" -gt 0
stop_bridge three

# zone_watch LOG ADDR ACTION TRIGGER...: zonesim's ACTION (net-link,
# blk-resize) on zone 1's device at ADDR; once its driver has read the
# first value (its "# ACTION:" line), TRIGGER runs, its output in
# LOG.trigger. The zone waits for the change.
zone_watch() {
	zw_log=$1 zw_addr=$2 zw_action=$3
	shift 3
	rm -f "$zw_log"
	(wait_until 60 "grep -q '# $zw_action:' '$zw_log' 2>/dev/null" && sleep 0.5 && "$@") \
		>"$zw_log.trigger" 2>&1 &
	zw_trig=$!
	"$ZONESIM" --socket "$SOCK" --zone 1 --ram-base $RAM_BASE --ram-size $RAM_SIZE \
		--dev "$zw_addr" --seconds 30 "$zw_action" >"$zw_log" 2>&1
	zw_st=$?
	wait $zw_trig
	sed 's/^/  zonesim: /' "$zw_log"
	return $zw_st
}

echo "# a disk resized with hvdpactl: the zone hears of it and reads the new capacity"
config direct >"$W/bridge.json"
"$HVBRIDGE" --config "$W/bridge.json" >"$W/bridge.log" 2>&1 &
BPID=$!
await_up "$BPID" "$W/bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/bridge.log'" || exit 1
zone_watch "$W/zs-resize.log" $DEV blk-resize "$B/hvdpactl" resize hblk1 320M
st=$?
check "resize 256M -> 320M: $(cat "$W/zs-resize.log.trigger")" grep -q '^hblk1: 335544320 bytes$' "$W/zs-resize.log.trigger"
check "the zone got a config interrupt and reads 655360 sectors" sh -c "[ $st -eq 0 ] &&
	grep -q '# blk-resize: capacity 524288' '$W/zs-resize.log' &&
	grep -q 'ok - blk-resize: capacity 655360 at the end (changed), config interrupt raised' '$W/zs-resize.log'"
stop_bridge resize
"$B/hvdpactl" resize hblk1 256M >/dev/null

echo "# a config change of hvdpad's NIC through vhost-vdpa reaches the zone"
# hvdpad turns the tap's link into config space (VIRTIO_NET_S_LINK_UP) and
# VDUSE's config interrupt; vhost-vdpa signals the eventfd hvbridge gave it
# (VHOST_VDPA_SET_CONFIG_CALL), and the zone gets a config interrupt and
# reads the new status. Before, nothing told the zone.
cat >"$W/net.json" <<EOF
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "$RAM_BASE", "size": "$RAM_SIZE", "backing": "sim"},
  "sim_socket": "$SOCK",
  "devices": [{"name": "net1", "base": "0xa0000000", "irq": 78, "vhost": "$vnet"}]}]}
EOF
"$HVBRIDGE" --config "$W/net.json" >"$W/bridge.log" 2>&1 &
BPID=$!
await_up "$BPID" "$W/bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/bridge.log'" || exit 1
ip link set hvzn0 up
wait_until 10 'grep -q "hnet1: link up" "$W/d1.log"'
# link_flip UP|DOWN: once the zone's driver has read the link, turns the
# tap UP or DOWN; the zone waits for the change (net-link).
link_flip() {
	zone_watch "$W/zs-link.log" 0xa0000000 net-link ip link set hvzn0 "$1"
}
check "tap down: the zone gets a config interrupt and reads LINK_UP clear" link_flip down
check "  it saw the link up first, down after" \
	sh -c "grep -q '# net-link: link up' '$W/zs-link.log' && grep -q 'ok - net-link: link down at the end (changed), config interrupt raised' '$W/zs-link.log'"
# The zone connects again and its driver starts over: the device was
# reset, which drops the eventfd in VDUSE; it is given again at DRIVER_OK.
check "tap up again, after a reset: the zone hears that too" link_flip up
check "  down first, up after" \
	sh -c "grep -q '# net-link: link down' '$W/zs-link.log' && grep -q 'ok - net-link: link up at the end (changed), config interrupt raised' '$W/zs-link.log'"
check "hvdpad logged both changes" sh -c "grep -q 'hnet1: link down' '$W/d1.log' && [ \$(grep -c 'hnet1: link up' '$W/d1.log') -ge 2 ]"
stop_bridge net

vdpa dev del hnet1
vdpa dev del hblk1
vdpa dev del hblk2

check "hvdpad exits cleanly" stop_daemon 5
check "no sanitizer report from hvdpad" sh -c "! grep -q 'Sanitizer' '$W/d1.log'"

echo "# the same image served locally reads back what was written through vhost-vdpa"
cat >"$W/local.json" <<EOF
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "$RAM_BASE", "size": "$RAM_SIZE", "backing": "sim"},
  "sim_socket": "$SOCK",
  "devices": [{"name": "blk1", "base": "0xa0000000", "irq": 78, "local": "blk:path=$W/img"}]}]}
EOF
"$HVBRIDGE" --config "$W/local.json" >"$W/bridge.log" 2>&1 &
BPID=$!
await_up "$BPID" "$W/bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/bridge.log'" || exit 1
check "local=blk: the 4 MiB written through vhost-vdpa read back identical" \
	zone --dev 0xa0000000 --seed 31 --mib 4 verify
stop_bridge local

summary
