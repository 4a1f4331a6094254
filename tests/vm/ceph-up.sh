#!/bin/sh
# A single-node Ceph cluster for the RBD tests: one ceph-mon and one
# ceph-osd on memstore (the OSD's data in its own memory), pool size 1, no
# mgr (librbd and the rbd tool need only the mon and the OSD), no
# authentication, listening on 127.0.0.1 only. Everything under DIR (tmpfs
# in the VM): its ceph.conf is DIR/ceph.conf.
#   sh tests/vm/ceph-up.sh DIR [POOL]        bring it up, create POOL (rbd)
#   sh tests/vm/ceph-up.sh DIR --stop        stop it
# Each step waits a bounded time and says which one failed, with the end of
# the daemon's log. CEPH_PORT (default 6789) is the mon's msgr v1 port.
# It takes some 40 s in the test VM under TCG (mon and osd new 14 s, the
# OSD 14 s, the pool writable 12 s), 3 s on the build machine.
set -eu
D=$1
pool=${2:-rbd}
port=${CEPH_PORT:-6789}
C=$D/ceph.conf
# Seconds for each wait: TCG runs Ceph ~20x slower than a real CPU, and
# each run of the ceph tool (Python) takes some 10 s there: it is run as
# few times as can be, the rest is asked of rados (C++).
wait_s=${CEPH_WAIT:-120}

die() {
	echo "ceph-up: $*" >&2
	for l in "$D"/log/*.log; do
		[ -f "$l" ] && { echo "--- $l" >&2; tail -n 15 "$l" >&2; }
	done
	exit 1
}

# until_ok SECONDS WHAT COMMAND...: runs it every second until it succeeds.
until_ok() {
	end=$(($(date +%s) + $1)) what=$2
	shift 2
	until "$@" >"$D/log/last.out" 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && die "$what: not within $1 s: $(tail -n 3 "$D/log/last.out")"
		sleep 1
	done
}

ceph_() {
	timeout 60 ceph -c "$C" --connect-timeout 50 "$@"
}

stop_all() {
	for p in "$D"/run/*.pid; do
		[ -f "$p" ] || continue
		pid=$(cat "$p")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$p"
	done
}

if [ "$pool" = --stop ]; then
	stop_all
	exit 0
fi

stop_all
rm -rf "$D"
mkdir -p "$D/mon.a" "$D/osd.0" "$D/run" "$D/log"
fsid=$(cat /proc/sys/kernel/random/uuid)
cat >"$C" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$port
mon initial members = a
public network = 127.0.0.0/8
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $D/run
pid file = $D/run/\$name.pid
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
mon data = $D/mon.\$id
osd data = $D/osd.\$id
osd objectstore = memstore
memstore device bytes = 2147483648
# No OSD is ever marked out or down for lack of peers: there is one.
mon osd down out interval = 0
osd heartbeat grace = 600
# A client killed with its watch on an image (hvdpad -9) holds the image's
# exclusive lock until the watch times out: 5 s here, not 30, so that a
# new hvdpad takes over within the tests' request timeout.
osd client watch timeout = 5
# The OSD placed in the CRUSH map here, with retries, not by itself at its
# start: its own mon command there was sometimes refused ("wrong fsid")
# right after the mon came up, and the OSD exited.
osd crush update on start = false
osd class update on start = false
[client]
log file = $D/log/client.\$pid.log
EOF

t0=$(date +%s)
monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$port]" "$D/monmap" >/dev/null ||
	die "monmaptool failed"
ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" >"$D/log/mkfs-mon.out" 2>&1 ||
	die "ceph-mon --mkfs failed: $(cat "$D/log/mkfs-mon.out")"
ceph-mon -c "$C" -i a || die "ceph-mon did not start"

# Retried until the mon answers; the same uuid gets the same id again.
uuid=$(cat /proc/sys/kernel/random/uuid)
until_ok "$wait_s" "ceph osd new (the mon answering)" ceph_ osd new "$uuid"
id=$(cat "$D/log/last.out")
[ "$id" = 0 ] || die "the OSD got id '$id', not 0"
t_mon=$(date +%s)
ceph-osd -c "$C" -i 0 --mkfs --osd-uuid "$uuid" >"$D/log/mkfs-osd.out" 2>&1 ||
	die "ceph-osd --mkfs failed: $(cat "$D/log/mkfs-osd.out")"
until_ok 30 "osd.0 in the CRUSH map" ceph_ osd crush add osd.0 1 root=default host=localhost
i=0
until ceph-osd -c "$C" -i 0 >>"$D/log/start-osd.out" 2>&1; do
	i=$((i + 1))
	[ $i -ge 3 ] && die "ceph-osd did not start: $(tail -n 5 "$D/log/start-osd.out")"
	sleep 1
done
t_osd=$(date +%s)

# Size 1 from osd pool default size. Retried: a client that has not had
# the monmap yet is sometimes refused ("handle_command on fsid 0"). No
# application tag: librbd does not need it, only a health warning would.
until_ok "$wait_s" "pool create $pool" ceph_ osd pool create "$pool" 8 8
# Without a mgr no PG states are reported: an object written and read back
# says that the OSD is up and the pool's PGs are active.
probe() {
	echo probe >"$D/probe" &&
		timeout 20 rados -c "$C" -p "$pool" put probe "$D/probe" &&
		timeout 20 rados -c "$C" -p "$pool" stat probe
}
until_ok "$wait_s" "pool $pool writable" probe
timeout 20 rados -c "$C" -p "$pool" rm probe >/dev/null 2>&1 || true
t1=$(date +%s)
echo "ceph-up: mon and osd new $((t_mon - t0)) s, osd started $((t_osd - t_mon)) s, pool up $((t1 - t_osd)) s; total $((t1 - t0)) s"
