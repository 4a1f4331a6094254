#!/bin/sh
# One zone must not keep another waiting (issue 12 #2, #7, #8). hvbridge serves
# two zones of the simulator, each a local blk device: zone 1 attacks, zone
# 2 (the victim) reads a register in a loop and reports its worst round
# trip, which must stay under BOUND_US (default 250 ms), or 4 times its
# worst read without an attack when the machine is that noisy (a loaded
# 2-CPU machine under ASan: 5-20 ms). Before the fixes the attacks held the
# victim for 0.5-3 s.
#   reset storm:  zone 1 keeps its queue full of large reads from one vCPU
#                 while another writes Status 0 (stopping the queue waits
#                 for every read in flight); its answer must wait for the
#                 reset (Status reads 0 at once after it, as Linux, which
#                 does not read it back, expects);
#   notify flood: three vCPUs of zone 1 write QueueNotify non-stop;
#   leave storm:  zone 1 fills its queue, then disconnects without a reset
#                 and comes back, over and over: its device must be reset
#                 before its RAM goes, in the background;
#   remove:       zone 1 keeps its queue full while its device is removed
#                 through the control socket (and added back): the request
#                 is answered at once, the device closes when reset;
#   idle clients: five connections to the control socket that say nothing
#                 (issue 12 #8).
#   sh tests/unit/bridge-isolation.sh BUILD_DIR [BOUND_US]
set -u
B=$1
BOUND=${2:-250000}
W=$(mktemp -d)
bp=
trap '[ -n "$bp" ] && kill $bp 2>/dev/null; rm -rf "$W"' EXIT
fail=0
note() { echo "# $*"; }
check() {
	if "$@"; then echo "ok - $*"; else echo "not ok - $*"; fail=1; fi
}
# Sparse: reading it costs the kernel copies, no disk.
truncate -s 1G "$W/hostile.img"
truncate -s 16M "$W/victim.img"
cat >"$W/c.json" <<JSON
{"trap": "sim", "control": "$W/ctl.sock", "zones": [
 {"id": 1, "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/z1.sock",
  "devices": [{"name": "blk1", "base": "0xa0000000", "irq": 78, "local": "blk:path=$W/hostile.img"}]},
 {"id": 2, "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/z2.sock",
  "devices": [{"name": "blk2", "base": "0xa0000000", "irq": 78, "local": "blk:path=$W/victim.img"}]}]}
JSON
"$B/hvbridge" --config "$W/c.json" 2>"$W/bridge.log" &
bp=$!
zs() {
	sock=$1
	shift
	"$B/tests/zonesim/zonesim" --socket "$W/$sock" "$@"
}
# The victim's worst read, in us, from a watch line.
worst() {
	sed -n 's/.*worst \([0-9.]*\) us.*/\1/p' "$1" | tail -1
}
# Starts an attack in the background and waits until it is under way.
attack() {
	out=$1
	shift
	zs z1.sock --zone 1 "$@" >"$out" 2>&1 &
	ap=$!
	i=0
	until grep -q attacking "$out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $ap 2>/dev/null; then
			echo "not ok - $*: did not start"
			cat "$out"
			fail=1
			return 1
		fi
		sleep 0.1
	done
	sleep 0.2
}

zs z2.sock --zone 2 --seconds 2 watch >"$W/base" 2>&1
check grep -q "^ok - watch" "$W/base"
base=$(worst "$W/base")
note "baseline: $(grep "ok - watch" "$W/base")"
BOUND=$(awk -v b="${base:-0}" -v d="$BOUND" 'BEGIN { n = int(4 * b); print (n > d ? n : d) }')

# victim OUT LABEL: the victim's reads for 3 s during the attack under way,
# then the attack's own end.
victim() {
	zs z2.sock --zone 2 --seconds 3 --bound-us "$BOUND" watch >"$W/$1" 2>&1
	check grep -q "^ok - watch" "$W/$1"
	wait $ap
	check test $? -eq 0
	note "$2: $(grep "ok - watch" "$W/$1")"
}

if attack "$W/storm" --seconds 6 reset-storm; then
	victim v1 "reset storm"
	note "$(grep -h -e reset-storm -e 'no answer' -e 'does not' "$W/storm" | tail -2)"
fi

if attack "$W/flood" --seconds 5 --threads 3 notify-flood; then
	victim v2 "notify flood"
	note "$(grep -h notify-flood "$W/flood" | tail -1)"
fi

# The attacker's own reset, from leaving until it is answered again: a
# bridge that waits for it on its thread keeps the victim waiting about as
# long. The victim must wait less than half of it (when it is long enough
# to tell, 100 ms; else the bound above).
if attack "$W/leave" --seconds 6 leave-storm; then
	victim v3 "leave storm"
	note "$(grep -h leave-storm "$W/leave" | tail -1)"
	back=$(sed -n 's/.*back after \([0-9]*\).* ms at worst.*/\1/p' "$W/leave" | tail -1)
	RESET_US=$((${back:-0} * 1000))
	if [ $RESET_US -ge 100000 ]; then
		check test "$(worst "$W/v3" | cut -d. -f1)" -lt $((RESET_US / 2))
	else
		note "the attacker's reset took ${back:-?} ms: too quick to compare"
		RESET_US=$((BOUND * 2))
	fi
fi

ms() { date +%s%3N; }
RESET_US=${RESET_US:-$((BOUND * 2))}
if attack "$W/fill" --seconds 4 fill; then
	zs z2.sock --zone 2 --seconds 3 --bound-us "$BOUND" watch >"$W/v4" 2>&1 &
	wp=$!
	sleep 0.5
	t0=$(ms)
	"$B/hvbridge" ctl "$W/ctl.sock" "remove 1 blk1" >"$W/rm" 2>&1
	st=$?
	t1=$(ms)
	check test $st -eq 0
	note "remove under load answered in $((t1 - t0)) ms: $(cat "$W/rm")"
	wait $wp
	check grep -q "^ok - watch" "$W/v4"
	# The same device, queue and reads as the leave storm's: its reset
	# takes as long.
	check test "$(worst "$W/v4" | cut -d. -f1)" -lt $((RESET_US / 2))
	wait $ap
	check test $? -eq 0
	note "remove: $(grep "ok - watch" "$W/v4")"
	# It closes once reset: the same window and image can be added again.
	i=0
	until "$B/hvbridge" ctl "$W/ctl.sock" "add {\"zone\": 1, \"name\": \"blk1\", \"base\": \"0xa0000000\", \"irq\": 78, \"local\": \"blk:path=$W/hostile.img\"}" >"$W/add" 2>&1; do
		i=$((i + 1))
		[ $i -gt 50 ] && break
		sleep 0.1
	done
	check grep -q "^blk1 added to zone 1$" "$W/add"
	check grep -q "blk1: reset, and closed" "$W/bridge.log"
fi

# Idle control clients (#8): each connection used to hold the bridge
# thread for its 1 s receive timeout; a client is read only when it writes.
zs z2.sock --zone 2 --seconds 3 --bound-us "$BOUND" watch >"$W/v5" 2>&1 &
wp=$!
sleep 0.3
for i in 1 2 3 4 5; do
	sleep 3 | socat - UNIX-CONNECT:"$W/ctl.sock" >/dev/null 2>&1 &
	sleep 0.4
done
wait $wp
check grep -q "^ok - watch" "$W/v5"
note "idle control clients: $(grep "ok - watch" "$W/v5")"
check sh -c "'$B/hvbridge' ctl '$W/ctl.sock' list | grep -q '^zone 2 blk2 base 0x'"
# -j: the JSON return as it came; the request's words may be apart too.
check sh -c "'$B/hvbridge' ctl -j '$W/ctl.sock' list | grep -q '^\\[.*\"name\":\"blk2\"'"
"$B/hvbridge" ctl "$W/ctl.sock" remove 2 nosuch 2>"$W/ctl.err"
check test $? -eq 1
check grep -q "DeviceNotFound: zone 2 has no device 'nosuch'" "$W/ctl.err"
"$B/hvbridge" ctl "$W/ctl.sock" frobnicate 2>/dev/null
check test $? -eq 2

note "victim worst register read: baseline $base us, reset storm $(worst "$W/v1") us," \
	"notify flood $(worst "$W/v2") us, leave storm $(worst "$W/v3") us," \
	"remove under load $(worst "$W/v4") us, idle control clients $(worst "$W/v5") us" \
	"(bound $BOUND us)"
check kill -0 $bp
kill -TERM $bp
wait $bp
check test $? -eq 0
bp=
if grep -q Sanitizer "$W/bridge.log"; then
	echo "not ok - sanitizer report"
	fail=1
fi
if [ $fail -ne 0 ]; then
	for f in base storm v1 flood v2 leave v3 fill v4 rm add v5; do
		[ -f "$W/$f" ] && { echo "--- $f"; cat "$W/$f"; }
	done
	tail -40 "$W/bridge.log"
fi
exit $fail
