#!/bin/sh
# hvbridge serving a blk device locally (no vDPA: runs on any Linux) to the
# zone simulator: I/O read back and found in the image, two resets, a
# hostile zone, I/O again, a clean exit on SIGTERM.
#   sh tests/unit/bridge-local.sh BUILD_DIR
set -u
B=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
step() {
	if "$@" >>"$W/steps" 2>&1; then echo "ok - $*"; else echo "not ok - $*"; fail=1; fi
}
truncate -s 64M "$W/img"
cat >"$W/c.json" <<JSON
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/z.sock",
  "devices": [{"name": "blk1", "base": "0xa0000000", "irq": 78, "local": "blk:path=$W/img"}]}]}
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
