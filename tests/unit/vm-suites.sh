#!/bin/sh
# tests/vm/suites.sh against a fake VM runner: suites run in one boot and
# each says how it ended; a kernel panic of the VM part-way runs the
# suites it cut short once more in a new boot; a second panic, a suite
# that fails, or a VM that dies without a panic fails the run.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
pass=0
fail=0
check() {
	d=$1
	shift
	if "$@"; then pass=$((pass + 1)); echo "ok - $d"; else fail=$((fail + 1)); echo "not ok - $d"; fi
}
# The fake VM: runs the command with tests/vm/ holding fake suites; a
# suite named in $w/panic.N (N = this boot) prints a kernel panic and
# ends the boot there. The serial console's CR LF included.
mkdir -p "$w/tests/vm"
for t in a b c; do
	printf '#!/bin/sh\necho "ok - %s"\n[ -f "%s/fail-%s" ] && { echo "0 passed, 1 failed"; exit 1; }\necho "1 passed, 0 failed"\n' \
		"$t" "$w" "$t" >"$w/tests/vm/$t.sh"
done
cat >"$w/vm" <<F
#!/bin/sh
n=\$((\$(cat "$w/boots" 2>/dev/null || echo 0) + 1))
echo \$n >"$w/boots"
cd "$w"
# Stops at the suite this boot panics in, as a dead VM would.
sh -c "\$(echo "\$1" | sed 's|sh tests/vm/\\\$t.sh|if grep -qx \\\$t panic.'\$n' 2>/dev/null; then echo "[ 9.0] Kernel panic - not syncing: corrupted stack end"; exit 125; fi; sh tests/vm/\\\$t.sh|')" | sed 's/\$/\r/'
F
chmod +x "$w/vm"
run() {
	rm -f "$w/boots" "$w"/panic.* "$w"/fail-*
	for x in "$@"; do : >"$w/$x"; done
	out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
	st=$?
	boots=$(cat "$w/boots")
}
run
check "three suites, one boot: status $st, $boots boot(s)" test $st -eq 0 -a "$boots" -eq 1
said() { printf '%s\n' "$out" | grep -q "$@"; }
check "each said how it ended, CRs gone" said -x '=== c ended 0'
rm -f "$w"/panic.*
printf 'b\n' >"$w/panic.1"
out=$(cd "$top" && rm -f "$w/boots" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a panic in b: b and c again in a second boot, status $st, $(cat "$w/boots") boots" \
	test $st -eq 0 -a "$(cat "$w/boots")" -eq 2
check "and said" said "panicked before these suites ended: b c"
check "a ran once" test "$(echo "$out" | grep -c '^=== a ended 0$')" -eq 1
printf 'b\n' >"$w/panic.1"
printf 'c\n' >"$w/panic.2"
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a second panic (in c): no third boot, status $st" test $st -ne 0 -a "$(cat "$w/boots")" -eq 2
rm -f "$w"/panic.*
: >"$w/fail-a"
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a suite that fails fails the run, no second boot (status $st)" \
	test $st -ne 0 -a "$(cat "$w/boots")" -eq 1
rm -f "$w/fail-a"
# A VM that ends by itself (QEMU ended, no status: the VM reset): its
# unfinished suites get a second boot; ending so again fails, said.
cat >"$w/dead" <<F
#!/bin/sh
echo \$((\$(cat "$w/boots" 2>/dev/null || echo 0) + 1)) >"$w/boots"
echo "=== a"
echo "vm: the VM reported no exit status (boot failure or timeout after \${HVDPA_VM_TIMEOUT}s)" >&2
exit 125
F
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/dead" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a VM that ended by itself: a second boot, $(cat "$w/boots") in all" test "$(cat "$w/boots")" -eq 2
check "said" said "the VM ended by itself before these suites ended: a b c"
check "ended so again: failed, said ($(echo "$out" | tail -n 1))" \
	test $st -ne 0 -a "$(printf '%s\n' "$out" | grep -c 'never ended: a b c')" -eq 1
# A boot that ran out of time is not booted again.
sed -i 's/^echo "vm: the VM/echo "vm: qemu ended with status 124" >\&2; echo "vm: the VM/' "$w/dead"
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/dead" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a boot that timed out: failed, no second boot (status $st)" \
	test $st -ne 0 -a "$(cat "$w/boots")" -eq 1
# A VM that hangs (nothing said for HVDPA_VM_SILENCE s) is stopped, and
# its unfinished suites get a second boot.
cat >"$w/hang" <<F
#!/bin/sh
n=\$((\$(cat "$w/hangs" 2>/dev/null || echo 0) + 1))
echo \$n >"$w/hangs"
[ \$n -eq 1 ] && { echo "=== a"; echo "ok - a"; echo "1 passed, 0 failed"; echo "=== a ended 0"; echo "=== b"; exec sleep 60; }
exec sh "$w/vm" "\$1"
F
rm -f "$w/boots" "$w/hangs"
t0=$(date +%s)
out=$(cd "$top" && HVDPA_VM_SILENCE=4 HVDPA_VM_RUNNER="sh $w/hang" sh tests/vm/suites.sh BUILD a b c)
st=$?
t1=$(date +%s)
check "a VM that hung in b: stopped after $((t1 - t0)) s (< 30), b and c in a second boot, status $st" \
	test $st -eq 0 -a "$(cat "$w/hangs")" -eq 2 -a $((t1 - t0)) -lt 30
check "said" said "the VM hung before these suites ended: b c"
# The second boot gets what is left of the budget, and none if too little.
printf 'b\n' >"$w/panic.1"
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_BUDGET=200 HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a panic with under 300 s of the budget left: no second boot, failed, said" \
	test $st -ne 0 -a "$(cat "$w/boots")" -eq 1
check "said" said "no time left for another boot"
rm -f "$w"/panic.*
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
