#!/bin/sh
# hvbridge serving a console locally on a pty, to the zone simulator: the
# zone's text reaches a reader of the pty, also when the reader comes
# later; 64 KiB typed into the pty reach a slow zone byte for byte.
#   sh tests/unit/bridge-console.sh BUILD_DIR
set -u
B=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
Z=$B/tests/zonesim/zonesim
fail=0
ok() {
	if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi
}
cat >"$W/c.json" <<JSON
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/z.sock",
  "devices": [{"name": "con1", "base": "0xa0000000", "irq": 78,
               "local": "console:pty,link=$W/pty,cols=132,rows=43"},
              {"name": "con2", "base": "0xa0000200", "irq": 79,
               "local": "console:socket,path=$W/con.sock"}]}]}
JSON
"$B/hvbridge" --config "$W/c.json" 2>"$W/bridge.log" &
bp=$!
i=0
until [ -e "$W/pty" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done

# SIGTERM must reach the bridge loop, which lets it in only while it
# waits: every other thread (the socket console's relay is one from the
# start) blocks it, or it could take the signal and leave the loop asleep.
for t in /proc/$bp/task/*; do
	[ "${t##*/}" = "$bp" ] && continue
	m=$(awk '/^SigBlk/ {print $2}' "$t/status")
	m=${m#"${m%????}"}
	ok "$(test $((0x$m & 0x4002)) -eq $((0x4002)); echo $?)" \
		"thread ${t##*/} ($(cat "$t/comm")) blocks SIGTERM and SIGINT"
done

(timeout 10 head -c 22 "$W/pty" >"$W/out1") &
rd=$!
sleep 0.3
"$Z" --socket "$W/z.sock" --text "text from the zone 01
" console-write >"$W/zs1" 2>&1
wait $rd
ok "$(test "$(cat "$W/out1")" = "text from the zone 01"; echo $?)" "the zone's text reaches the pty's reader"
grep -q "console: negotiated, 132x43" "$W/zs1"
ok $? "the zone reads the size from config space"

# No reader while the zone writes: kept, and read later.
"$Z" --socket "$W/z.sock" --text "written while nobody read" console-write >/dev/null 2>&1
timeout 10 head -c 25 "$W/pty" >"$W/out2"
ok "$(test "$(cat "$W/out2")" = "written while nobody read"; echo $?)" "output waits for a late reader"

head -c 65536 /dev/urandom >"$W/burst"
"$Z" --socket "$W/z.sock" --count 65536 --out "$W/got" console-read >"$W/zs3" 2>&1 &
zs=$!
sleep 0.5
cat "$W/burst" >"$W/pty"
wait $zs
ok $? "a slow zone reads 64 KiB typed into the pty"
cmp -s "$W/burst" "$W/got"
ok $? "byte for byte"

# The socket console: a client gets the zone's text and types into it.
(timeout 10 socat -T 2 -u UNIX-CONNECT:"$W/con.sock" - | head -c 17 >"$W/out4") &
rd=$!
sleep 0.5
"$Z" --socket "$W/z.sock" --dev 0xa0000200 --text "over the socket 1" console-write \
	>/dev/null 2>&1
wait $rd
ok "$(test "$(cat "$W/out4")" = "over the socket 1"; echo $?)" "socket: the zone's text reaches a client"
head -c 16384 /dev/urandom >"$W/burst2"
"$Z" --socket "$W/z.sock" --dev 0xa0000200 --count 16384 --out "$W/got2" console-read \
	>/dev/null 2>&1 &
zs=$!
sleep 0.5
timeout 10 socat -u OPEN:"$W/burst2" UNIX-CONNECT:"$W/con.sock"
wait $zs
cmp -s "$W/burst2" "$W/got2"
ok $? "socket: 16 KiB a client sends reach a slow zone byte for byte"

kill -TERM $bp
wait $bp
ok $? "clean exit"
grep -q Sanitizer "$W/bridge.log" && ok 1 "sanitizer report"

# stdio: hvbridge's own standard input and output are the console.
cat >"$W/c2.json" <<JSON
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/z2.sock",
  "devices": [{"name": "con1", "base": "0xa0000000", "irq": 78, "local": "console:stdio"}]}]}
JSON
(printf 'typed on stdin'; sleep 5) 2>/dev/null | "$B/hvbridge" --config "$W/c2.json" >"$W/stdout" 2>"$W/bridge2.log" &
sleep 0.7
"$Z" --socket "$W/z2.sock" --text "to stdout" console-write >/dev/null 2>&1
"$Z" --socket "$W/z2.sock" --count 14 --out "$W/got3" console-read >/dev/null 2>&1
ok "$(test "$(cat "$W/got3")" = "typed on stdin"; echo $?)" "stdio: what hvbridge's stdin gets reaches the zone"
ok "$(test "$(cat "$W/stdout")" = "to stdout"; echo $?)" "stdio: the zone's text on hvbridge's stdout"
pkill -TERM -f "hvbridge --config $W/c2.json"
grep -q Sanitizer "$W/bridge2.log" && ok 1 "sanitizer report (stdio)"
[ $fail -eq 0 ] || tail -30 "$W/bridge.log"
exit $fail
