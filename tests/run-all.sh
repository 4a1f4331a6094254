#!/bin/sh
# Every test: unit tests built with ASan+UBSan, a short libFuzzer run of
# the decoders (virtqueue, blk, mmio, hvdpad config), a clang-format check, and the
# VDUSE integration tests in the test VM (with the same sanitized daemon),
# a real Linux zone under hvzone among them. Installs what it needs. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)

sh tests/vm/host-deps.sh || exit 1
# The VM has no network: what its tests boot (the kernel, QEMU 10 for the
# vhost-vdpa client tests) is fetched here, once, into the cache.
sh tests/vm/fetch-kernel.sh >/dev/null || exit 1
sh tests/vm/fetch-qemu.sh >/dev/null || exit 1
# The Linux zone's module (zone-tests), built against the VM kernel's
# headers, fetched likewise.
sh tests/vm/zone-module.sh >/dev/null || exit 1
# fio for the zones, built static from Debian's source (about a minute, once).
sh tests/vm/fetch-fio.sh >/dev/null || exit 1

passed=0
failed=0
t_stage=$(date +%s)
stage() {
	t_now=$(date +%s)
	echo "== $1: $((t_now - t_stage)) s"
	t_stage=$t_now
	if [ "$2" -eq 0 ]; then
		passed=$((passed + $3))
		echo "== $1: passed"
	else
		failed=$((failed + ${4:-1}))
		echo "== $1: FAILED"
	fi
}

build=$top/build-asan
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Db_sanitize=address,undefined >/dev/null || exit 1
fi
if ! ninja -C "$build"; then
	echo "0 passed, 1 failed"
	exit 1
fi

echo "== unit tests (ASan + UBSan)"
meson test -C "$build" --print-errorlogs >"$build/unit.log" 2>&1
st=$?
cat "$build/unit.log"
ok=$(awk '/^Ok:/ {print $2}' "$build/unit.log")
bad=$(awk '/^Fail:/ {print $2}' "$build/unit.log")
stage "unit tests" $st "${ok:-0}" "${bad:-1}"

echo "== fuzzing: libFuzzer, ${HVDPA_FUZZ_SECONDS:-60}s per target (ASan + UBSan)"
sh tests/fuzz/run.sh "${HVDPA_FUZZ_SECONDS:-60}"
stage "fuzzing" $? 4

# -O3 warns about things -O2 does not, and -Werror makes them errors.
echo "== release build (-O3)"
rel=$top/build-release
[ -f "$rel/build.ninja" ] || meson setup "$rel" --buildtype=release >/dev/null
ninja -C "$rel" >/dev/null
stage "release build" $? 1

echo "== clang-format"
clang-format --dry-run --Werror $(git ls-files '*.c' '*.h')
stage "clang-format" $? 1

echo "== VM integration tests (hvdpad under ASan, Debian 6.12 kernel, TCG)"
# One boot for the suites of the VM's own devices and one for the zone
# suites; another for those a boot lost part-way did not finish
# (tests/vm/suites.sh). The zone suites come in parts, each booting its
# own zones, so that a lost boot costs one part, and run on a VM of one
# CPU: nested KVM under multi-threaded TCG took the VM down in most runs
# on two (docs/hvbridge.md), and ran its zones at half the speed. The
# systemd units' suite boots systemd as PID 1 (tests/vm/init.sh).
suites="blk-tests restart-tests packed-tests nbd-tests rbd-tests bridge-tests net-tests cni-tests cni-podman-tests vhost-clients-tests isolation-tests control-tests
	bench-smoke-tests:device"
zone_suites="zone-tests:boot zone-tests:local zone-tests:vhost zone-tests:ram2 zone-tests:panic
	zone-tests:net zone-neighbour-tests:pair zone-neighbour-tests:hostile bench-smoke-tests:zone"
systemd_suites="systemd-tests"
{
	# shellcheck disable=SC2086
	HVDPA_VM_BUDGET=2700 sh tests/vm/suites.sh "$build" $suites
	a=$?
	# shellcheck disable=SC2086
	HVDPA_VM_CPUS=1 HVDPA_VM_BUDGET=1800 sh tests/vm/suites.sh "$build" $zone_suites
	b=$?
	# The systemd units under systemd as the VM's PID 1: a boot of its own
	# (about 2 minutes under TCG).
	# shellcheck disable=SC2086
	HVDPA_VM_INIT=systemd HVDPA_VM_BUDGET=600 sh tests/vm/suites.sh "$build" $systemd_suites
	c=$?
	echo $((a | b | c)) >"$build/vm.status"
} | tee "$build/vm.log"
st=$(cat "$build/vm.status")
# Each VM suite counts its own checks; a suite's count is the one of its
# last run (a boot lost part-way runs it again).
n_suites=$(echo $suites $zone_suites $systemd_suites | wc -w)
# shellcheck disable=SC2046
set -- $(awk -v want="$n_suites" '/^=== / && !/ ended / && !/ took / {t = $2}
	/^[0-9]+ passed, [0-9]+ failed$/ {ok[t] = $1; bad[t] = $3}
	END {for (t in ok) {o += ok[t]; b += bad[t]; n++}; print o + 0, (n == want ? b + 0 : 1)}' "$build/vm.log")
vm_ok=$1 vm_bad=$2
if [ $st -eq 0 ] && [ "${vm_bad:-1}" -eq 0 ]; then
	stage "VM tests" 0 "${vm_ok:-0}"
else
	stage "VM tests" 1 0 "$(( ${vm_bad:-0} > 0 ? ${vm_bad:-0} : 1 ))"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
