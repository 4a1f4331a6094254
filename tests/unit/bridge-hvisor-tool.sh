#!/bin/sh
# hvbridge on an hvisor-tool virtio_cfg.json, unchanged, with the zone
# simulator playing zone 1 (--sim): blk, console and net devices served
# locally, each driven and checked. Needs root for the tap.
# Then hvisor-tool's own qemu-aarch64 example (tests/unit/data/), whose gpu
# hvbridge does not serve: skipped with a warning, the blk still served,
# refused with --strict; and its older flat format, refused.
#   sh tests/unit/bridge-hvisor-tool.sh BUILD_DIR
set -u
B=$1
D=$(cd "$(dirname "$0")" && pwd)/data
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

# hvisor-tool's examples/qemu-aarch64/virtio_cfg.json, as it is: blk and
# console served, net disabled, gpu skipped (its rootfs2.ext4 is here).
mkdir qa
"$B/hvbridge" --sim "$W/qa" --config "$D/hvisor-tool-qemu-aarch64.json" 2>qa.log &
bp=$!
i=0
until grep -q "zone 1: ready, 2 devices" qa.log || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
ok "$(grep -q 'zone 1: ready, 2 devices' qa.log; echo $?)" "qemu-aarch64 example: 2 devices"
ok "$(test "$(grep -c 'warning: zone 1: gpu device at 0xa003400 (zones\[0\].devices\[3\]) skipped' qa.log)" = 1; echo $?)" \
	"qemu-aarch64 example: one warning line for the gpu"
ZQ="$B/tests/zonesim/zonesim --socket $W/qa/zone1.sock --ram-base 0x50000000 --ram-size 0x30000000"
$ZQ --dev 0xa003c00 --mib 2 --seed 5 blk >zs5 2>&1
ok $? "qemu-aarch64 example: blk served"
$ZQ --dev 0xa003400 --count 1 latency >zs6 2>&1
grep -q "zone 1: read of 0xa003460 hits no device" qa.log
ok $? "qemu-aarch64 example: the zone finds no device at the gpu's address"
kill -TERM $bp
wait $bp
ok $? "qemu-aarch64 example: clean exit"

"$B/hvbridge" --strict --sim "$W/qa" --config "$D/hvisor-tool-qemu-aarch64.json" 2>strict.log
ok "$(test $? = 2 && grep -q "zones\[0\].devices\[3\].type: 'gpu' is not blk, net or console (refused by --strict)" strict.log; echo $?)" \
	"--strict refuses the gpu"
"$B/hvbridge" --config "$D/hvisor-tool-flat.json" 2>flat.log
ok "$(test $? = 2 && grep -q "hvisor-tool's flat format (devices\[\] with zone_id) has no memory_region" flat.log; echo $?)" \
	"the flat format is refused, saying what it lacks"

cat qa.log strict.log flat.log >>bridge.log
grep -q Sanitizer bridge.log && ok 1 "sanitizer report"
[ $fail -eq 0 ] || { cat zs1 zs2 zs3 zs4 zs5 zs6 strict.log flat.log; tail -30 bridge.log; }
exit $fail
