#!/bin/sh
# The zone tests' retry (tests/vm/zone-lib.sh, zone()) against a fake
# hvzone: a zone the nested platform failed (a triple fault with nothing
# logged before it, an RCU stall) boots again and its last try counts; a
# zone that failed on its own (an Oops, a hang with its CPUs running, a
# panic) does not, and neither does one past ZONE_TRIES.
set -u
vm=$(cd "$(dirname "$0")/../vm" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
pass=0
fail=0
check() {
	d=$1
	shift
	if "$@"; then pass=$((pass + 1)); echo "ok - $d"; else fail=$((fail + 1)); echo "not ok - $d"; fi
}
# What zone-lib.sh needs around it: the build ($B, its hvzone), scratch
# ($W), fetch-kernel.sh (here a fake that prints a directory).
mkdir -p "$w/vm" "$w/b" "$w/s"
cp "$vm/zone-lib.sh" "$w/vm/"
printf '#!/bin/sh\necho %s\n' "$w" >"$w/vm/fetch-kernel.sh"
# The fake hvzone plays the outcomes listed in $w/plan, one per boot:
# ok, triple, oops-triple, stall, hang, panic.
cat >"$w/b/hvzone" <<'F'
#!/bin/sh
for a in "$@"; do [ "${prev:-}" = --console ] && con=$a; prev=$a; done
n=$(($(cat "$PLAN.n" 2>/dev/null || echo 0) + 1))
echo $n >"$PLAN.n"
what=$(sed -n "${n}p" "$PLAN")
echo "[    0.000000] Linux version 6.12" >"$con"
case $what in
ok) echo "zone: done" >>"$con"; echo "hvzone: the zone powered off" >&2; exit 0 ;;
triple) echo "hvzone: the zone triple-faulted; accesses forwarded to hvbridge by vCPU: 0" >&2; exit 4 ;;
oops-triple)
	echo "[    9.000000] Oops: general protection fault" >>"$con"
	echo "hvzone: the zone triple-faulted; accesses forwarded to hvbridge by vCPU: 9" >&2
	exit 4 ;;
stall) echo "[   63.3] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" >>"$con"; exit 124 ;;
hang) echo "[   20.0] zone: fio starting" >>"$con"; exit 124 ;;
stuck)
	echo "[   20.0] zone: fio starting" >>"$con"
	echo "[  316.3] watchdog: BUG: soft lockup - CPU#0 stuck for 37s! [hvzone:379]" >>"$DMESG"
	exit 124 ;;
panic) echo "hvzone: the zone panicked" >&2; exit 3 ;;
esac
F
chmod +x "$w/b/hvzone"
export PLAN=$w/plan DMESG=$w/dmesg
B=$w/b W=$w/s here=$w/vm ZONE_BASE=$w/base.cpio.gz
. "$w/vm/zone-lib.sh"
: >"$w/t.sh"
: >"$ZONE_BASE"
# Stands for taskset: the fake needs no CPU of its own. And for dmesg:
# the VM's kernel log, which the fake adds to through $w/dmesg.
taskset() { shift 2; "$@"; }
: >"$w/dmesg"
dmesg() { cat "$w/dmesg"; }

# run NAME PLAN...: boots zone NAME with that plan; sets st and out.
run() {
	n=$1
	shift
	printf '%s\n' "$@" >"$PLAN"
	rm -f "$PLAN.n"
	out=$(zone "$n" "$w/t.sh")
	st=$?
}
run a triple ok
check "a triple fault, then a clean boot: status 0 ($st)" test $st -eq 0
check "the retry is said: $out" sh -c "echo '$out' | grep -q 'a: try 1: the platform failed the zone (status 4, the zone triple-faulted'"
check "the failed try's console is kept" grep -q "triple-faulted" "$W/a.try1.log"
check "the last try's console is the zone's log" grep -q "zone: done" "$W/a.log"
run b stall triple ok
check "an RCU stall, a triple fault, then a clean boot: status 0 ($st), 3 boots" \
	test $st -eq 0 -a "$(cat "$PLAN.n")" -eq 3
run c triple triple triple ok
check "three platform failures: the third counts (status $st, $(cat "$PLAN.n") boots)" \
	test $st -eq 4 -a "$(cat "$PLAN.n")" -eq 3
run d oops-triple ok
check "a triple fault after an Oops is the zone's own: not retried (status $st)" \
	test $st -eq 4 -a "$(cat "$PLAN.n")" -eq 1 -a -z "$out"
run e hang ok
check "a hang with no stall (fio waiting) is not retried (status $st)" \
	test $st -eq 124 -a "$(cat "$PLAN.n")" -eq 1
echo "[  100.0] watchdog: BUG: soft lockup - CPU#1 stuck for 30s! [hvzone:100]" >>"$w/dmesg"
run h hang ok
check "a hang, with an older hvzone lockup (an earlier zone's) in the VM's log: not retried (status $st)" \
	test $st -eq 124 -a "$(cat "$PLAN.n")" -eq 1
run i stuck ok
check "a hang while the VM's kernel saw hvzone stuck in KVM_RUN: retried (status $st)" \
	test $st -eq 0 -a "$(cat "$PLAN.n")" -eq 2
check "and said: $out" sh -c "echo '$out' | grep -q 'status 124, soft lockup - CPU#0 stuck for 37s! \[hvzone'"
run f panic ok
check "a panic is not retried (status $st)" test $st -eq 3 -a "$(cat "$PLAN.n")" -eq 1
ZONE_PRE='echo pre >>"$w/hooks"' ZONE_POST='echo post >>"$w/hooks"'
run g triple ok
check "ZONE_PRE and ZONE_POST run around each try: $(tr '\n' ' ' <"$w/hooks")" \
	test "$(tr '\n' ' ' <"$w/hooks")" = "pre post pre post "
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
