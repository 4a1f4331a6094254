#!/bin/sh
# tests/vm/suites.sh against a fake VM runner: suites run in one boot and
# each says how it ended; a boot lost part-way (a kernel panic, the VM
# ending by itself, a hang) runs the suites it cut short again in a new
# boot, up to 4 boots and within the time budget; a suite that fails, or
# a boot that ran out of time, fails the run.
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
# The fake VM: runs the command with tests/vm/ holding fake suites (a, b,
# c, and z, which comes in parts); a suite named in $w/panic.N (N = this
# boot; SUITE:PART for a part) prints a kernel panic and ends the boot
# there, as a dead VM would. The serial console's CR LF included.
mkdir -p "$w/tests/vm"
for t in a b c z; do
	cat >"$w/tests/vm/$t.sh" <<F
#!/bin/sh
name=$t\${2:+:\$2}
if grep -qx "\$name" "$w/panic.\$(cat "$w/boots")" 2>/dev/null; then
	echo "[ 9.0] Kernel panic - not syncing: corrupted stack end"
	kill -9 \$PPID
	exit 1
fi
echo "ok - \$name"
[ -f "$w/fail-\$name" ] && { echo "0 passed, 1 failed"; exit 1; }
echo "1 passed, 0 failed"
F
done
cat >"$w/vm" <<F
#!/bin/sh
n=\$((\$(cat "$w/boots" 2>/dev/null || echo 0) + 1))
echo \$n >"$w/boots"
cd "$w"
sh -c "\$1" | sed 's/\$/\r/'
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
check "a panic in b, then one in c: c in a third boot, status $st, $(cat "$w/boots") boots" \
	test $st -eq 0 -a "$(cat "$w/boots")" -eq 3
for n in 1 2 3 4 5; do printf 'b\n' >"$w/panic.$n"; done
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a panic in b in every boot: 4 boots and no more, failed (status $st)" \
	test $st -ne 0 -a "$(cat "$w/boots")" -eq 4
check "said" said "that was boot 4 of 4"
HVDPA_VM_BOOTS=2
export HVDPA_VM_BOOTS
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
check "HVDPA_VM_BOOTS=2: 2 boots" test "$(cat "$w/boots")" -eq 2
unset HVDPA_VM_BOOTS
rm -f "$w"/panic.*
# Parts: z:one and z:two run tests/vm/z.sh with the part; a boot lost
# in z:two runs z:two again, not z:one.
printf 'z:two\n' >"$w/panic.1"
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a z:one z:two)
st=$?
check "parts: z:one, z:two lost and run again, status $st, $(cat "$w/boots") boots" \
	test $st -eq 0 -a "$(cat "$w/boots")" -eq 2
check "each part ran with its name" test "$(echo "$out" | grep -c '^ok - z:one$')" -eq 1 -a \
	"$(echo "$out" | grep -c '^=== z:two ended 0$')" -eq 1
rm -f "$w"/panic.*
: >"$w/fail-a"
rm -f "$w/boots"
out=$(cd "$top" && HVDPA_VM_RUNNER="sh $w/vm" sh tests/vm/suites.sh BUILD a b c)
st=$?
check "a suite that fails fails the run, no second boot (status $st)" \
	test $st -ne 0 -a "$(cat "$w/boots")" -eq 1
rm -f "$w/fail-a"
# A VM that ends by itself (QEMU ended, no status: the VM reset): its
# unfinished suites get another boot, up to 4 in all; then it fails, said.
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
check "a VM that ended by itself: boots again, $(cat "$w/boots") in all" test "$(cat "$w/boots")" -eq 4
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
