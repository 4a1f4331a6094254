#!/bin/sh
# hvbridge serving a blk device locally (no vDPA: runs on any Linux) to the
# zone simulator: I/O read back and found in the image, two resets, a
# hostile zone, I/O again, a clean exit on SIGTERM. Zone 2 has its RAM in
# two regions (two memfds, mapped apart): its data buffers lie in the
# second, one of them across the boundary.
#   sh tests/unit/bridge-local.sh BUILD_DIR
set -u
B=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
step() {
	if "$@" >>"$W/steps" 2>&1; then echo "ok - $*"; else echo "not ok - $*"; fail=1; fi
}
truncate -s 64M "$W/img" "$W/img2"
cat >"$W/c.json" <<JSON
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/z.sock",
  "devices": [{"name": "blk1", "base": "0xa0000000", "irq": 78, "local": "blk:path=$W/img"}]},
 {"id": 2,
  "ram": [{"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
          {"base": "0x84000000", "size": "0x1000000", "backing": "sim"}],
  "sim_socket": "$W/z2.sock",
  "devices": [{"name": "blk2", "base": "0xa0000000", "irq": 78, "local": "blk:path=$W/img2"}]}]}
JSON
"$B/hvbridge" --config "$W/c.json" 2>"$W/bridge.log" &
bp=$!
zs() {
	"$B/tests/zonesim/zonesim" --socket "$W/z.sock" "$@"
}
step zs --seed 5 blk resets
"$B/tests/zonesim/zonesim" gen-pattern 5 1048576 16777216 >"$W/expect"
dd if="$W/img" bs=1M skip=1 count=16 status=none >"$W/got"
step cmp "$W/expect" "$W/got"
step zs --count 100000 hostile
step kill -0 $bp
step zs --seed 6 blk resets
# Zone 2: slot 0's 64 KiB buffer runs from region 1 into region 2, the
# others lie in region 2.
zs2() {
	"$B/tests/zonesim/zonesim" --socket "$W/z2.sock" --zone 2 --ram2-size 0x1000000 "$@"
}
step zs2 --ram2-base 0x84000000 --blk-bufs 0x83ff8000 --seed 7 --offset 3145728 blk resets
"$B/tests/zonesim/zonesim" gen-pattern 7 3145728 16777216 >"$W/expect2"
dd if="$W/img2" bs=1M skip=3 count=16 status=none >"$W/got2"
step cmp "$W/expect2" "$W/got2"
step grep -q "zone 2: RAM 0x80000000+0x4000000, 0x84000000+0x1000000 mapped" "$W/bridge.log"
# A region the config does not name is refused, saying so; the zone
# then comes back with the right ones.
zs2 --ram2-base 0x86000000 --count 10 latency >>"$W/steps" 2>&1
step grep -q "zone 2: RAM offered at 0x86000000+0x1000000, but the config says 0x80000000+0x4000000, 0x84000000+0x1000000" "$W/bridge.log"
step zs2 --ram2-base 0x84000000 --blk-bufs 0x84000000 --seed 7 --offset 3145728 verify
kill -TERM $bp
wait $bp
step test $? -eq 0
step grep -q "local blk:path=" "$W/bridge.log"
if grep -q Sanitizer "$W/bridge.log"; then
	echo "not ok - sanitizer report"
	fail=1
fi
[ $fail -eq 0 ] || { cat "$W/steps"; tail -40 "$W/bridge.log"; }
exit $fail
