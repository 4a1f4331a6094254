#!/bin/sh
# Runs VM test suites (tests/vm/SUITE.sh) in one boot of the test VM, and
# says how each ended: "=== SUITE" before it, its own "N passed, N
# failed", then "=== SUITE ended N". If the VM's kernel panics part-way (the
# nested KVM under TCG has corrupted the VM's own kernel stack under a
# zone's hvzone: docs/hvbridge.md), the suites it did not finish run again
# once, in a new boot, and that is said; whatever else fails, fails.
#   sh tests/vm/suites.sh BUILD_DIR SUITE...
# Exit 0 when every suite ended 0. The runner is $HVDPA_VM_RUNNER (default
# tests/vm/run.sh with a 2700 s limit), which takes one shell command.
set -u
build=$1
shift
runner=${HVDPA_VM_RUNNER:-sh tests/vm/run.sh -t 2700}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# boot SUITE...: one boot running them in order; its output (CR-free, as
# the serial console ends lines with CR) to stdout and to $log.
boot() {
	# shellcheck disable=SC2086
	$runner "for t in $*; do echo \"=== \$t\"; sh tests/vm/\$t.sh '$build'; echo \"=== \$t ended \$?\"; done" |
		tr -d '\r' | tee "$log"
}

# unfinished SUITE...: those with no "ended" line in $log.
unfinished() {
	for t in "$@"; do
		grep -q "^=== $t ended [0-9]*$" "$log" || printf '%s ' "$t"
	done
}

boot "$@"
left=$(unfinished "$@")
if [ -n "$left" ] && grep -q 'Kernel panic - not syncing' "$log"; then
	echo "# the VM's kernel panicked before these suites ended: $left"
	echo "# (the nested platform, docs/hvbridge.md); they run again in a new boot"
	cp "$log" "$log.first"
	# shellcheck disable=SC2086
	boot $left
	cat "$log.first" "$log" >"$log.all"
	mv "$log.all" "$log"
	rm -f "$log.first"
	left=$(unfinished "$@")
fi
st=0
[ -z "$left" ] || {
	echo "# suites that never ended: $left"
	st=1
}
for t in "$@"; do
	grep -q "^=== $t ended 0$" "$log" || st=1
done
exit $st
