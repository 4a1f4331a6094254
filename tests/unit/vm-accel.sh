#!/bin/sh
# The VM harness's accelerator choice (tests/vm/accel.sh) against fakes of
# /dev/kvm and QEMU: a KVM that fails the way some hosts' do falls back to
# TCG quickly and says why; a working one is used; HVDPA_VM_TCG wins.
set -u
here=$(cd "$(dirname "$0")/../vm" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
pass=0
fail=0
check() {
	d=$1
	shift
	if "$@"; then pass=$((pass + 1)); echo "ok - $d"; else fail=$((fail + 1)); echo "not ok - $d"; fi
}
: >"$w/kvm"
# A QEMU whose KVM pauses the guest forever after an internal error.
cat >"$w/qemu-bad" <<Q
#!/bin/sh
echo \$\$ >"$w/bad.pid"
echo "KVM internal error. Suberror: 1"
echo "emulation failure"
exec sleep 1000
Q
# One whose guest boots (and panics without an init, as the trial wants).
cat >"$w/qemu-good" <<'Q'
#!/bin/sh
for a in "$@"; do case $a in file:*) out=${a#file:} ;; esac; done
echo "Kernel panic - not syncing: No working init found." >>"$out"
Q
chmod +x "$w/qemu-bad" "$w/qemu-good"

t0=$(date +%s)
a=$(HVDPA_KVM_DEV=$w/kvm HVDPA_VM_QEMU=$w/qemu-bad sh "$here/accel.sh" /nonexistent 2>"$w/why")
t1=$(date +%s)
check "bad KVM: TCG ($a)" sh -c "echo '$a' | grep -q 'accel tcg'"
check "bad KVM: says why: $(cat "$w/why")" grep -q "TCG (KVM internal error" "$w/why"
check "bad KVM: decided in $((t1 - t0)) s, not hung" test $((t1 - t0)) -le 10
check "the paused QEMU was killed" sh -c "! kill -0 \$(cat '$w/bad.pid') 2>/dev/null"
a=$(HVDPA_KVM_DEV=$w/kvm HVDPA_VM_QEMU=$w/qemu-good sh "$here/accel.sh" /nonexistent 2>"$w/why")
check "good KVM: used ($a)" sh -c "echo '$a' | grep -q 'accel kvm'"
# A QEMU command with options, as run.sh takes HVDPA_VM_QEMU.
a=$(HVDPA_KVM_DEV=$w/kvm HVDPA_VM_QEMU="$w/qemu-good -L /nonexistent" sh "$here/accel.sh" /nonexistent 2>"$w/why")
check "good KVM, HVDPA_VM_QEMU with options: used ($a)" sh -c "echo '$a' | grep -q 'accel kvm'"
a=$(HVDPA_VM_TCG=1 HVDPA_KVM_DEV=$w/kvm HVDPA_VM_QEMU=$w/qemu-good sh "$here/accel.sh" /nonexistent 2>"$w/why")
check "HVDPA_VM_TCG=1: TCG" sh -c "echo '$a' | grep -q 'accel tcg' && grep -q HVDPA_VM_TCG '$w/why'"
a=$(HVDPA_KVM_DEV=$w/none sh "$here/accel.sh" /nonexistent 2>"$w/why")
check "no /dev/kvm: TCG, $(cat "$w/why")" sh -c "echo '$a' | grep -q 'accel tcg'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
