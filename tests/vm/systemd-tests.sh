#!/bin/sh
# The systemd units (systemd/) under a real systemd PID 1: hvdpad@NAME is
# active once its device is served (Type=notify), hvdpa-attach@NAME puts it
# on the bus, a kill -9 under fio is restarted and taken over with the disk
# attached and no I/O error, systemctl restart keeps the disk too, systemctl
# stop detaches and destroys it; log lines reach the journal with their
# priority; a bad config fails once, without a restart loop; hvbridge.service
# serves a zone and stops cleanly. Run inside a test VM booted with
# systemd (tests/run-all.sh):
#   HVDPA_VM_INIT=systemd sh tests/vm/run.sh 'sh tests/vm/systemd-tests.sh BUILD_DIR'
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
W=/run/hvdpa-systemd
. "$(dirname "$0")/lib.sh"

if [ "$(cat /proc/1/comm)" != systemd ]; then
	not_ok "PID 1 is systemd (boot the VM with HVDPA_VM_INIT=systemd), not $(cat /proc/1/comm)"
	summary
	exit 1
fi
load_modules

# The units as meson made them, their programs the build's: the ExecStart=
# and ExecStop= paths (the install's bindir) become the build dir. The
# config path is the drop-in's, as an admin would override it.
U=/run/systemd/system
# hvdpa-attach@'s helper likewise, in $W.
sed "s|^hvdpactl=.*|hvdpactl=$B/hvdpactl|" "$B/systemd/hvdpa-attach" >"$W/hvdpa-attach"
chmod +x "$W/hvdpa-attach"
for f in hvdpad@.service hvdpa-attach@.service hvbridge.service; do
	sed -E "s|^(Exec[A-Za-z]*=)[^ ]*/hvdpa-attach |\1$W/hvdpa-attach |
		s|^(Exec[A-Za-z]*=)[^ ]*/(hv[a-z]+) |\1$B/\2 |" "$B/systemd/$f" >"$U/$f"
done
mkdir -p "$U/hvdpad@.service.d" "$U/hvbridge.service.d"
printf '[Service]\nEnvironment=HVDPA_CONFIG=%s/%%i.conf\n' "$W" >"$U/hvdpad@.service.d/test.conf"
printf '[Unit]\nConditionPathExists=\nConditionPathExists=%s/hvbridge.json\n[Service]\nEnvironment=HVBRIDGE_CONFIG=%s/hvbridge.json\n' \
	"$W" "$W" >"$U/hvbridge.service.d/test.conf"
systemctl daemon-reload
loads=$(systemctl show -P LoadState hvdpad@disk0 hvdpa-attach@disk0 hvbridge | grep . | tr '\n' ' ')
check "the units load: $loads" test "$loads" = "loaded loaded loaded "
check "the drop-in's config path reaches hvdpad: $(systemctl show -P ExecStart hvdpad@disk0 | grep -o 'argv\[\]=[^;]*')" \
	sh -c "systemctl show -P ExecStart hvdpad@disk0 | grep -q 'argv\[\]=$HVDPAD --config \${HVDPA_CONFIG} --control /run/hvdpa/disk0.sock' &&
	       systemctl show -P Environment hvdpad@disk0 | grep -q 'HVDPA_CONFIG=$W/disk0.conf'"

prop() { systemctl show -P "$1" "$2"; }
jlog() { journalctl --no-pager -o cat -u "$@"; }
# jhas UNIT REGEX [JOURNALCTL_OPTION...]: the unit's journal has a matching
# line, within 10 s (journald reads the service's streams on its own time).
jhas() {
	jh_u=$1 jh_re=$2
	shift 2
	wait_until 10 "journalctl --no-pager -o cat -u '$jh_u' $* 2>/dev/null | grep -qE -- '$jh_re'"
}
# jcount UNIT REGEX: how many of the unit's lines match.
jcount() { journalctl --no-pager -o cat -u "$1" 2>/dev/null | grep -cE -- "$2"; }

truncate -s 256M "$W/disk0.img"
echo "blk name=disk0,path=$W/disk0.img" >"$W/disk0.conf"

echo "# start: active once the device is served"
systemctl start hvdpad@disk0
check "systemctl start hvdpad@disk0 returned 0 and it is active" \
	test "$(prop ActiveState hvdpad@disk0)" = active
check "hvdpad said ready before systemd called it started (Type=notify)" \
	sh -c "journalctl --no-pager -o cat -u hvdpad@disk0 | grep -q '^disk0: ready: virtio-blk'"
check "STATUS= from hvdpad: $(prop StatusText hvdpad@disk0)" \
	test "$(prop StatusText hvdpad@disk0)" = "serving 1 device"
check "/dev/vduse/disk0 and its state file in the RuntimeDirectory" \
	test -e /dev/vduse/disk0 -a -f /run/hvdpa/disk0.state

check "the instance's control socket answers: disk0 from its config" sh -c \
	"$B/hvdpactl --control /run/hvdpa/disk0.sock devices | grep -Eq '^disk0 +blk +none .* cmdline '"

echo "# attach"
systemctl start hvdpa-attach@disk0
dev=/dev/$(ls /sys/bus/vdpa/devices/disk0/virtio*/block 2>/dev/null | head -n 1)
check "hvdpa-attach@disk0: active, on virtio_vdpa ($dev)" \
	sh -c "[ \"\$(systemctl show -P ActiveState hvdpa-attach@disk0)\" = active ] &&
	       [ \"$(bound_driver disk0)\" = virtio_vdpa ] && [ -b '$dev' ]"
head -c 8M /dev/urandom >"$W/pat"
dd if="$W/pat" of="$dev" bs=1M oflag=direct status=none
check "8 MiB written through $dev read back equal" sh -c \
	"dd if='$dev' bs=1M count=8 iflag=direct status=none | cmp -s - '$W/pat'"

echo "# kill -9 under fio: systemd restarts hvdpad, which takes the disk over"
pid0=$(prop MainPID hvdpad@disk0)
# The virtio device on the bus: a detach and attach would make another
# (virtioN+1).
vdev=$(basename /sys/bus/vdpa/devices/disk0/virtio*)
stays=$(jcount hvdpa-attach@disk0 'stays attached')
fio_crash_start "$dev" 96M --iodepth=16 --offset=16M
sleep 3
check "fio is running when hvdpad is killed" kill -0 "$FIO"
kill -9 "$pid0"
# Restarted after RestartSec=1, active again once it said READY=1.
wait_until 60 "[ \"\$(systemctl show -P MainPID hvdpad@disk0)\" != '$pid0' ] &&
	[ \"\$(systemctl show -P MainPID hvdpad@disk0)\" != 0 ] &&
	[ \"\$(systemctl show -P ActiveState hvdpad@disk0)\" = active ]"
check "restarted by systemd: pid $pid0 -> $(prop MainPID hvdpad@disk0), $(prop NRestarts hvdpad@disk0) restart" \
	test "$(prop NRestarts hvdpad@disk0)" = 1 -a "$(prop ActiveState hvdpad@disk0)" = active
jhas hvdpad@disk0 '^disk0: ready: .*\(taken over\)'
check "the new hvdpad took the disk over: $(jlog hvdpad@disk0 | grep 'taken over' | tail -n 1)" \
	test "$(jcount hvdpad@disk0 '^disk0: ready: .*\(taken over\)')" -eq 1
check "the disk stayed attached ($vdev, $dev; hvdpa-attach@disk0 $(prop ActiveState hvdpa-attach@disk0))" \
	sh -c "[ \"\$(systemctl show -P ActiveState hvdpa-attach@disk0)\" = active ] &&
	       [ -e /sys/bus/vdpa/devices/disk0/$vdev ] && [ -b '$dev' ] &&
	       [ \"\$(basename \"\$(readlink /sys/bus/vdpa/devices/disk0/driver)\")\" = virtio_vdpa ]"
check "hvdpa-attach said so: $(jlog hvdpa-attach@disk0 | grep 'stays attached' | tail -n 1)" \
	test "$(jcount hvdpa-attach@disk0 'stays attached')" -gt "$stays"
fio_crash_wait
check "data written before the kill reads back" sh -c \
	"dd if='$dev' bs=1M count=8 iflag=direct status=none | cmp -s - '$W/pat'"

echo "# systemctl restart: the disk stays attached, taken over"
pid1=$(prop MainPID hvdpad@disk0)
systemctl restart hvdpad@disk0
check "restarted: pid $pid1 -> $(prop MainPID hvdpad@disk0), active" \
	test "$(prop MainPID hvdpad@disk0)" != "$pid1" -a "$(prop ActiveState hvdpad@disk0)" = active
wait_until 10 "[ \$(jcount hvdpad@disk0 '^disk0: ready: .*\(taken over\)') -ge 2 ]"
check "taken over again ($(jcount hvdpad@disk0 '^disk0: ready: .*\(taken over\)') ready lines say so)" \
	test "$(jcount hvdpad@disk0 '^disk0: ready: .*\(taken over\)')" -eq 2
check "the disk stayed attached ($vdev, hvdpa-attach@disk0 $(prop ActiveState hvdpa-attach@disk0)), the data there" \
	sh -c "[ \"\$(systemctl show -P ActiveState hvdpa-attach@disk0)\" = active ] &&
	       [ -e /sys/bus/vdpa/devices/disk0/$vdev ] &&
	       [ \"$(bound_driver disk0)\" = virtio_vdpa ] &&
	       dd if='$dev' bs=1M count=8 iflag=direct status=none | cmp -s - '$W/pat'"

echo "# the journal has each log line's priority"
# SIGTERM with the disk attached: "signal 15" is info, "still on the vDPA
# bus" a warning. Without the <N> prefixes both would be info (stderr's).
jhas hvdpad@disk0 '^hvdpa: info: signal 15'
check "hvdpa: warning: lines are priority warning: $(jlog hvdpad@disk0 -p warning | head -n 1)" \
	jhas hvdpad@disk0 '^hvdpa: warning: disk0: still on the vDPA bus' -p warning
check "hvdpa: info: lines are priority info, not warning" sh -c \
	"journalctl --no-pager -o cat -u hvdpad@disk0 -p info | grep -q '^hvdpa: info: signal 15' &&
	 ! journalctl --no-pager -o cat -u hvdpad@disk0 -p warning | grep -q 'signal 15'"
check "no <N> prefix left in the messages" sh -c \
	"! journalctl --no-pager -o cat -u hvdpad@disk0 | grep -q '^<[0-9]>'"
warned=$(jcount hvdpad@disk0 'still on the vDPA bus')

echo "# systemctl stop: detached first, then the device is gone"
systemctl stop hvdpad@disk0
check "hvdpad@disk0 inactive (not failed): $(prop ActiveState hvdpad@disk0), result $(prop Result hvdpad@disk0)" \
	test "$(prop ActiveState hvdpad@disk0)" = inactive -a "$(prop Result hvdpad@disk0)" = success
check "the stop reached hvdpa-attach@disk0: $(prop ActiveState hvdpa-attach@disk0)" \
	test "$(prop ActiveState hvdpa-attach@disk0)" = inactive
check "off the bus, /dev/vduse/disk0 and $dev gone" \
	test ! -e /sys/bus/vdpa/devices/disk0 -a ! -e /dev/vduse/disk0 -a ! -b "$dev"
check "its state file removed (the RuntimeDirectory kept)" \
	test ! -e /run/hvdpa/disk0.state -a -d /run/hvdpa
# Its own "signal 15" line in the journal first, so all it said is there.
wait_until 10 "[ \$(jcount hvdpad@disk0 'signal 15') -ge 2 ]"
check "hvdpad did not find it still on the bus this time" \
	test "$(jcount hvdpad@disk0 'still on the vDPA bus')" = "$warned"

echo "# start after stop: a new device, attached by starting the attach unit alone"
systemctl start hvdpa-attach@disk0
check "hvdpa-attach@disk0 pulled hvdpad@disk0 in, new device on the bus" sh -c \
	"[ \"\$(systemctl show -P ActiveState hvdpad@disk0)\" = active ] &&
	 [ \"\$(systemctl show -P ActiveState hvdpa-attach@disk0)\" = active ] &&
	 [ \"\$(basename \"\$(readlink /sys/bus/vdpa/devices/disk0/driver)\")\" = virtio_vdpa ]"
systemctl stop hvdpad@disk0
check "and stopped again: gone" test ! -e /dev/vduse/disk0 -a "$(prop ActiveState hvdpa-attach@disk0)" = inactive

echo "# a bad config: one failure, named file and line, no restart loop"
printf 'blk name=bad0,path=%s/disk0.img\nattach virtio\n' "$W" >"$W/bad0.conf"
systemctl start hvdpad@bad0 2>/dev/null
check "systemctl start hvdpad@bad0 fails" test "$(prop ActiveState hvdpad@bad0)" = failed
check "exit status 2, not restarted: $(prop ExecMainStatus hvdpad@bad0), $(prop NRestarts hvdpad@bad0) restarts" \
	test "$(prop ExecMainStatus hvdpad@bad0)" = 2 -a "$(prop NRestarts hvdpad@bad0)" = 0
check "the journal names the file and line: $(jlog hvdpad@bad0 | grep 'bad0.conf' | head -n 1)" \
	jhas hvdpad@bad0 "$W/bad0.conf:2: a line is blk"
systemctl reset-failed hvdpad@bad0

echo "# hvbridge.service"
truncate -s 64M "$W/bimg"
cat >"$W/hvbridge.json" <<JSON
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/z.sock",
  "devices": [{"name": "blk1", "base": "0xa0000000", "irq": 78, "local": "blk:path=$W/bimg"}]}]}
JSON
systemctl start hvbridge
wait_until 20 "journalctl --no-pager -o cat -u hvbridge | grep -q 'zone 1: ready'"
check "hvbridge.service active, its zone ready" test "$(prop ActiveState hvbridge)" = active
check "a simulated zone's blk I/O through it" "$B/tests/zonesim/zonesim" --socket "$W/z.sock" --seed 3 blk
systemctl stop hvbridge
check "stopped cleanly: $(prop Result hvbridge), status $(prop ExecMainStatus hvbridge)" \
	test "$(prop Result hvbridge)" = success -a "$(prop ExecMainStatus hvbridge)" = 0

summary
