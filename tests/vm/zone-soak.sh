#!/bin/sh
# Boots the same real Linux zone N times (default 10) and counts how many
# ran to the end: hvbridge serves a local blk to a zone of 2 vCPUs that runs
# fio with verify and powers off. Not part of run-all: a tool to measure
# how often the nested platform (KVM inside the TCG test VM) fails a zone,
# e.g. under another outer QEMU (HVDPA_VM_QEMU) or another hvzone.
#   tests/vm/run.sh 'sh tests/vm/zone-soak.sh BUILD_DIR [N]'
set -u
B=$(cd "${1:-build}" && pwd)
N=${2:-10}
W=/run/hvzone-soak
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/zone-lib.sh"
SOCK=$W/zone1.sock
# Every boot counts once: zone-lib.sh's retry of a zone the platform
# failed would hide what this measures.
ZONE_TRIES=1
zone_setup || {
	summary
	exit 1
}
cat >"$W/soak.sh" <<'Z'
#!/bin/sh
echo "zone: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
fio --name=soak --filename=/dev/vda --size=16M --rw=randwrite --bs=4k --eta=never \
	--ioengine=io_uring --iodepth=16 --direct=1 --verify=crc32c --verify_fatal=1 \
	--output=/tmp/fio.out && grep -q "err= 0" /tmp/fio.out && echo "zone: fio verify ok"
Z
truncate -s 64M "$W/img"
cat >"$W/soak.json" <<J
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x0", "size": "$((RAM_MIB << 20))", "backing": "sim"},
  "sim_socket": "$SOCK", "data": "auto",
  "devices": [{"name": "blk1", "base": "0xd0000000", "irq": 5, "local": "blk:path=$W/img"}]}]}
J
"$HVBRIDGE" --config "$W/soak.json" >"$W/bridge.log" 2>&1 &
BPID=$!
await_up "$BPID" "$W/bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/bridge.log'"
i=0
while [ $i -lt "$N" ]; do
	i=$((i + 1))
	t0=$(date +%s)
	zone "soak$i" "$W/soak.sh" --cpus 2 --bridge "$SOCK" --zone 1 --virtio 0xd0000000:5
	st=$?
	v=no
	grep -q 'zone: fio verify ok' "$W/soak$i.log" && v=yes
	cs=$(sed -n 's/^zone: clocksource //p' "$W/soak$i.log")
	check "boot $i: status $st, fio verified: $v, clocksource ${cs:-?}, $(($(date +%s) - t0)) s" \
		test $st -eq 0 -a $v = yes
	if [ $st -ne 0 ]; then
		why=$(ZONE_TRIES=2 platform_fault "soak$i" $st) && echo "# boot $i: the platform's ($why)"
		show "soak$i"
	fi
done
kill -TERM "$BPID"
wait "$BPID"
summary
