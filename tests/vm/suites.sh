#!/bin/sh
# Runs VM test suites (tests/vm/SUITE.sh) in one boot of the test VM, and
# says how each ended: "=== SUITE" before it, its own "N passed, N
# failed", "=== SUITE took N s", then "=== SUITE ended N".
#   sh tests/vm/suites.sh BUILD_DIR SUITE[:PART]...
# SUITE:PART runs tests/vm/SUITE.sh BUILD_DIR PART (the zone suites come in
# parts, so that a boot lost part-way costs one part). Exit 0 when every
# suite ended 0.
#
# The nested KVM under TCG that the zone suites run on sometimes takes the
# test VM down with it (docs/hvbridge.md): its kernel panics ("corrupted
# stack end"), hangs in a soft lockup under hvzone, or the VM resets and
# QEMU just ends. Whichever way a boot ends without finishing its suites
# (a panic, no exit status from the VM, or nothing said for
# $HVDPA_VM_SILENCE s, default 480, after which the VM is stopped), the
# suites it did not finish run again in a new boot, and that is said: up
# to $HVDPA_VM_BOOTS boots in all (default 4). A suite that fails, fails;
# so does a boot that ran out of time.
#
# All boots together get $HVDPA_VM_BUDGET s (default 3000); another boot
# needs 300 s of it left. The runner is $HVDPA_VM_RUNNER (default
# tests/vm/run.sh), which takes one shell command and its limit in
# HVDPA_VM_TIMEOUT.
set -u
build=$1
shift
runner=${HVDPA_VM_RUNNER:-sh tests/vm/run.sh}
budget=${HVDPA_VM_BUDGET:-3000}
silence=${HVDPA_VM_SILENCE:-480}
max_boots=${HVDPA_VM_BOOTS:-4}
t0=$(date +%s)
w=$(mktemp -d)
log=$w/log
trap 'rm -rf "$w"' EXIT

# boot SECONDS SUITE...: one boot running them in order, for at most
# SECONDS; its output (CR-free, as the serial console ends lines with CR)
# to stdout and to $log. Returns the runner's status; 124 if it said
# nothing for $silence s and was stopped.
boot() {
	limit=$1
	shift
	: >"$w/raw"
	# shellcheck disable=SC2086
	HVDPA_VM_TIMEOUT=$limit $runner "for t in $*; do echo \"=== \$t\"; s=\$(date +%s); p=\${t#\${t%%:*}}; sh tests/vm/\${t%%:*}.sh '$build' \${p#:}; r=\$?; echo \"=== \$t took \$((\$(date +%s) - s)) s\"; echo \"=== \$t ended \$r\"; done" \
		>"$w/raw" 2>&1 &
	rpid=$!
	tail -n +1 -f --pid=$rpid "$w/raw" | sed -u 's/\r//g' | tee "$log" &
	tpid=$!
	size=0
	heard=$(date +%s)
	quiet=""
	while kill -0 $rpid 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		s=$(wc -c <"$w/raw")
		if [ "$s" -ne "$size" ]; then
			size=$s
			heard=$now
		elif [ $((now - heard)) -ge "$silence" ] && [ -z "$quiet" ]; then
			quiet=1
			echo "# the VM said nothing for $silence s: stopping it" >>"$w/raw"
			kill $rpid 2>/dev/null
		fi
	done
	wait $rpid
	st=$?
	wait $tpid
	[ -z "$quiet" ] || return 124
	return $st
}

# unfinished SUITE...: those with no "ended" line in $log.
unfinished() {
	for t in "$@"; do
		grep -q "^=== $t ended [0-9]*$" "$log" || printf '%s ' "$t"
	done
}

# why: how the boot in $log ended without finishing (status $1), if the
# nested platform may be the cause; nothing if it ran out of time or
# finished.
why() {
	if grep -q 'Kernel panic - not syncing' "$log"; then
		echo "the VM's kernel panicked"
	elif [ "$1" -eq 124 ] && grep -q "^# the VM said nothing for" "$log"; then
		echo "the VM hung"
	elif [ "$1" -eq 125 ] && ! grep -q "^vm: qemu ended with status 124" "$log"; then
		echo "the VM ended by itself"
	fi
}

: >"$w/all"
left="$*"
boots=0
while :; do
	boots=$((boots + 1))
	# shellcheck disable=SC2086
	boot $((budget - ($(date +%s) - t0))) $left
	st=$?
	cat "$log" >>"$w/all"
	left=$(unfinished $left)
	reason=$(why $st)
	[ -n "$left" ] && [ -n "$reason" ] || break
	if [ $boots -ge "$max_boots" ]; then
		echo "# $reason before these suites ended: $left; that was boot $boots of $max_boots"
		break
	fi
	if [ $((budget - ($(date +%s) - t0))) -lt 300 ]; then
		echo "# $reason before these suites ended: $left; no time left for another boot"
		break
	fi
	echo "# $reason before these suites ended: $left"
	echo "# (the nested platform, docs/hvbridge.md); they run again in a new boot"
done
cp "$w/all" "$log"
left=$(unfinished "$@")
st=0
[ -z "$left" ] || {
	echo "# suites that never ended: $left"
	st=1
}
for t in "$@"; do
	grep -q "^=== $t ended 0$" "$log" || st=1
done
exit $st
