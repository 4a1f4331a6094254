#!/bin/sh
# hvbridge on an hvisor-tool virtio_cfg.json, unchanged, with the zone
# simulator playing zone 1 (--sim): blk, console and net devices served
# locally, each driven and checked. Needs root for the tap.
#   sh tests/unit/bridge-hvisor-tool.sh BUILD_DIR
set -u
B=$1
W=$(mktemp -d)
TAP=hvht$$
trap 'rm -rf "$W"; ip link del "$TAP" 2>/dev/null' EXIT
Z="$B/tests/zonesim/zonesim --socket $W/zone1.sock --ram-base 0x50000000 --ram-size 0x30000000"
fail=0
ok() {
	if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi
}
cd "$W" || exit 1
truncate -s 64M rootfs2.ext4
cat >virtio_cfg.json <<JSON
{
    "zones": [
        {
            "id": 1,
            "memory_region": [
                {"zone0_ipa": "0x50000000", "zonex_ipa": "0x50000000", "size": "0x30000000"}
            ],
            "devices": [
                {"type": "blk", "addr": "0xa003c00", "len": "0x200", "irq": 78,
                 "img": "rootfs2.ext4", "status": "enable"},
                {"type": "console", "addr": "0xa003800", "len": "0x200", "irq": 76,
                 "status": "enable"},
                {"type": "net", "addr": "0xa003600", "len": "0x200", "irq": 75, "tap": "$TAP",
                 "mac": ["00", "16", "3e", "10", "10", "10"], "status": "enable"},
                {"type": "net", "addr": "0xa003400", "len": "0x200", "irq": 74, "tap": "unused",
                 "status": "disable"}
            ]
        }
    ]
}
JSON
"$B/hvbridge" --sim "$W" --config virtio_cfg.json 2>bridge.log &
bp=$!
i=0
until grep -q "zone 1: ready, 3 devices" bridge.log || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
ok "$(grep -q 'zone 1: ready, 3 devices' bridge.log; echo $?)" "accepted: 3 devices, the disabled one left out"

$Z --dev 0xa003c00 --mib 4 --seed 9 blk >zs1 2>&1
ok $? "blk: 4 MiB written and read back"
"$B/tests/zonesim/zonesim" gen-pattern 9 1048576 4194304 >expect
dd if=rootfs2.ext4 bs=1M skip=1 count=4 status=none >got
cmp -s expect got
ok $? "blk: the image holds it"

pty=$(sed -n 's/.*console1: console on //p' bridge.log)
(timeout 10 head -c 12 "$pty" >con.out) &
rd=$!
sleep 0.3
$Z --dev 0xa003800 --text "zone console" console-write >zs2 2>&1
wait $rd
ok "$(test "$(cat con.out)" = "zone console"; echo $?)" "console: the zone's text on $pty"

ip link set "$TAP" up
ip addr add 10.99.$(($$ % 200)).1/24 dev "$TAP"
before=$(cat "/sys/class/net/$TAP/statistics/rx_packets")
(sleep 1; ping -c 3 -W 1 "10.99.$(($$ % 200)).2" >/dev/null 2>&1) &
$Z --dev 0xa003600 --seconds 4 net >zs3 2>&1
ok $? "net: the zone sends and receives frames"
grep -q "mac 00:16:3e:10:10:10" zs3
ok $? "net: with the configured MAC"
after=$(cat "/sys/class/net/$TAP/statistics/rx_packets")
ok "$(test "$after" -gt "$before"; echo $?)" "net: the zone's frame came out of the tap"

# A local NIC reports its tap's link, as hvdpad's does: carrier off is a
# config interrupt and LINK_UP clear in config space.
(sleep 1; ip link set "$TAP" carrier off) &
$Z --dev 0xa003600 --seconds 5 net-link >zs4 2>&1
ok $? "net: the tap's carrier off reaches the zone: $(grep 'net-link:' zs4 | tail -n 1)"
ip link set "$TAP" carrier on

kill -TERM $bp
wait $bp
ok $? "clean exit"
grep -q Sanitizer bridge.log && ok 1 "sanitizer report"
[ $fail -eq 0 ] || { cat zs1 zs2 zs3 zs4; tail -30 bridge.log; }
exit $fail
