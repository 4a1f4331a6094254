#!/bin/sh
# Inside the test VM (see tests/bench/run.sh): in ONE boot, on the same
# image in tmpfs, fio against
#   hvdpad       hvdpad serving the image (queues=2)
#   qsd          qemu-storage-daemon --export vduse-blk, aio=io_uring (num-queues=2)
#   hvdpad-null  hvdpad's null backend: the transport alone
#   qsd-null     qemu-storage-daemon's null-co driver, the same export: the
#                reference for the transport (read-zeroes=off: like
#                hvdpad's null backend it leaves the buffers untouched)
#   null_blk     the kernel's null_blk: the ceiling for the null backend
#   loop         a loop device on the image: the ceiling for hvdpad
#   hvdpad-b     with HVDPAD_B=path: another build of hvdpad, measured
#                against hvdpad run by run (then only those two, and qsd
#                in the same alternation with HVDPA_BENCH_AB_QSD=1)
# HVDPA_BENCH_TRANSPORT=1: only hvdpad-null and qsd-null, served at once,
# runs alternating (tests/bench/transport-run.sh).
# HVDPA_BENCH_FS=ext4 puts the images on an ext4 rather than on tmpfs.
# HVDPA_BENCH_HOG=N keeps N shell busy loops running beside the daemons
# (tests/bench/contention-run.sh): a host whose CPUs are wanted elsewhere.
# All the targets are served at once and each run goes through them in
# turn. Each workload runs RUNS times; medians go to OUT/blk-bench.{csv,md}.
# HVDPA_BENCH_TARGETS and HVDPA_BENCH_WORKLOADS (a regex of names) pick
# subsets.
#   sh tests/bench/blk-bench.sh BUILD_DIR OUT_DIR [SECONDS] [RUNS] [IMAGE_MiB]
set -u
B=$(cd "${1:-build}" && pwd)
OUT=$(cd "${2:-docs/perf}" && pwd)
SECS=${3:-5}
RUNS=${4:-3}
MIB=${5:-1024}
HVDPAD=$B/hvdpad
W=/run/hvdpa-bench
. "$(dirname "$0")/../vm/lib.sh"
. "$(dirname "$0")/fio-one.sh"
load_modules
modprobe loop

IMG=$W/bench.img
# HVDPA_BENCH_FS=ext4: the images on an ext4 (a loop device on tmpfs)
# instead of on tmpfs itself. ext4 answers a cached read inside io_uring's
# submit; tmpfs hands every read to an io-wq worker.
if [ "${HVDPA_BENCH_FS:-tmpfs}" = ext4 ]; then
	mkdir -p "$W/ext4"
	truncate -s $((MIB * 4 + 512))M "$W/ext4.img"
	mkfs.ext4 -q -F "$W/ext4.img" && mount -o loop "$W/ext4.img" "$W/ext4" || exit 1
	IMG=$W/ext4/bench.img
	echo "# images on ext4 ($W/ext4)"
fi
QUEUES=2
QSIZE=256
# Rows land in OUT as they come: a boot lost part-way keeps what it
# measured.
RAW=$OUT/blk-bench-raw.csv
echo "target,workload,run,iops,p50_us,p99_us" >"$RAW"
echo "# filling a ${MIB} MiB image"
dd if=/dev/urandom of="$IMG" bs=1M count="$MIB" status=none

# name: rw bs iodepth numjobs
WORKLOADS="randread-4k-qd1:randread:4k:1:1
randread-4k-qd32:randread:4k:32:1
randwrite-4k-qd32:randwrite:4k:32:1
seqread-128k-qd8:read:128k:8:1
randread-4k-qd32-2jobs:randread:4k:32:2"
# Subsets of targets and workloads (a regex of names).
TARGETS=${HVDPA_BENCH_TARGETS:-hvdpad qsd hvdpad-null qsd-null null_blk loop}
[ -n "${HVDPA_BENCH_WORKLOADS:-}" ] &&
	WORKLOADS=$(echo "$WORKLOADS" | grep -E "^(${HVDPA_BENCH_WORKLOADS}):")
HVDPAD_B=${HVDPAD_B:-}
HOG=${HVDPA_BENCH_HOG:-0}
hogs=""
i=0
while [ "$i" -lt "$HOG" ]; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done
[ -z "$hogs" ] || echo "# $HOG CPU hog(s) running:$hogs"

# What the CPUs spent per I/O during one fio run: the daemon's own time
# (/proc/PID/stat utime + stime) and the whole VM's busy time (/proc/stat:
# all but idle and iowait), in microseconds per I/O, to OUT's
# blk-transport-cpu.csv. With the VM's CPUs saturated, IOPS is
# 1 / (kernel + fio + daemon) per I/O: the daemon's share bounds what any
# daemon could gain. With them the kicks and interrupts per I/O (VDUSE's
# kprobes, lib.sh): one device is busy at a time, so the counts are its.
CPU=$OUT/blk-transport-cpu.csv
fio_cpu() { # TARGET PID, then fio_one's arguments from DEV on
	t=$1 p=$2
	shift 2
	d0=$(ticks_of "$p") b0=$(busy_ticks) k0=$(vduse_hits hvdpa_kick) i0=$(vduse_hits hvdpa_irq)
	row=$(fio_one "$t" "$@") || return 1
	d1=$(ticks_of "$p") b1=$(busy_ticks) k1=$(vduse_hits hvdpa_kick) i1=$(vduse_hits hvdpa_irq)
	echo "$row"
	echo "$row" | awk -F, -v d=$((d1 - d0)) -v b=$((b1 - b0)) -v hz="$(getconf CLK_TCK)" -v s="$SECS" \
		-v k="${k0:+$((k1 - k0))}" -v i="${i0:+$((i1 - i0))}" '
		function per(x) { return x == "" ? "" : sprintf("%.2f", x / n) }
		{ n = $4 * s; if (n > 0) printf "%s,%s,%s,%.1f,%.1f,%s,%s\n", $1, $2, $3,
			d * 1e6 / hz / n, b * 1e6 / hz / n, per(k), per(i) }' >>"$CPU"
}

serve() { # NAME BINARY ARGS...: hvdpad (or another build of it) on the bus
	name=$1
	bin=$2
	shift 2
	main_bin=$HVDPAD
	HVDPAD=$bin
	start_daemon "$name" --blk name="$name",queues=$QUEUES,queue-size=$QSIZE,"$1" || exit 1
	HVDPAD=$main_bin
	dev=$(attach "$name") || exit 1
}
unserve() {
	vdpa dev del "$1"
	stop_daemon 10
}

# A/B: both builds serve at once (each its own copy of the image) and the
# runs alternate A, B, A, B, so a change in the host's speed during the
# session hits both alike.
if [ -n "$HVDPAD_B" ]; then
	cp "$IMG" "$IMG.b"
	# HVDPA_BENCH_A_OPTS and HVDPA_BENCH_B_OPTS: more --blk options for A
	# and for B (poll-us=0, say): an A/B of options on one build, or of
	# two builds in one setup.
	serve hbench "$HVDPAD" path="$IMG"${HVDPA_BENCH_A_OPTS:+,$HVDPA_BENCH_A_OPTS}
	dev_a=$dev pid_a=$DPID
	serve hbenchb "$HVDPAD_B" path="$IMG.b"${HVDPA_BENCH_B_OPTS:+,$HVDPA_BENCH_B_OPTS}
	dev_b=$dev pid_b=$DPID
	dev_q=""
	if [ "${HVDPA_BENCH_AB_QSD:-0}" = 1 ]; then
		cp "$IMG" "$IMG.q"
		start_qsd qbench "$IMG.q" $QUEUES $QSIZE || exit 1
		dev_q=$(attach qbench) || exit 1
	fi
	echo "# A/B: hvdpad on $dev_a, hvdpad-b on $dev_b${dev_q:+, qsd on $dev_q}"
	echo "$WORKLOADS" | while IFS=: read -r name rw bs qd jobs; do
		run=1
		while [ $run -le "$RUNS" ]; do
			fio_one hvdpad "$dev_a" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			fio_one hvdpad-b "$dev_b" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			[ -z "$dev_q" ] || fio_one qsd "$dev_q" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			run=$((run + 1))
		done
	done
	vdpa dev del hbench
	vdpa dev del hbenchb
	if [ -n "$dev_q" ]; then
		vdpa dev del qbench
		kill $QPID
		wait $QPID
	fi
	DPID=$pid_a stop_daemon 10
	DPID=$pid_b stop_daemon 10
	TARGETS=""
fi

# The transport alone, interleaved as the A/B is: both null drivers at once.
if [ "${HVDPA_BENCH_TRANSPORT:-0}" = 1 ]; then
	serve hnull "$HVDPAD" null=on,size=${MIB}M
	dev_h=$dev
	start_qsd_node qnull $QUEUES $QSIZE driver=null-co,size=$((MIB << 20)),read-zeroes=off ||
		exit 1
	dev_q=$(attach qnull) || exit 1
	pid_h=$DPID
	# HVDPA_BENCH_NULL_B_OPTS: a second hvdpad-null with these --blk
	# options (poll-us=0, say), interleaved with the others.
	dev_hb=""
	if [ -n "${HVDPA_BENCH_NULL_B_OPTS:-}" ]; then
		serve hnullb "$HVDPAD" "null=on,size=${MIB}M,$HVDPA_BENCH_NULL_B_OPTS"
		dev_hb=$dev pid_hb=$DPID
	fi
	echo "# transport: hvdpad-null on $dev_h, qsd-null on $dev_q${dev_hb:+, hvdpad-null-b ($HVDPA_BENCH_NULL_B_OPTS) on $dev_hb}"
	echo "target,workload,run,daemon_us_per_io,vm_us_per_io,kicks_per_io,irqs_per_io" >"$CPU"
	vduse_kprobes_on
	echo "$WORKLOADS" | while IFS=: read -r name rw bs qd jobs; do
		run=1
		while [ $run -le "$RUNS" ]; do
			fio_cpu hvdpad-null "$pid_h" "$dev_h" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			fio_cpu qsd-null "$QPID" "$dev_q" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			[ -z "$dev_hb" ] ||
				fio_cpu hvdpad-null-b "$pid_hb" "$dev_hb" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			run=$((run + 1))
		done
	done
	vduse_kprobes_off
	[ -z "$dev_hb" ] || DPID=$pid_hb unserve hnullb
	DPID=$pid_h
	vdpa dev del qnull
	kill "$QPID"
	wait "$QPID"
	unserve hnull
	TARGETS=""
fi

# The main table: every target served at once and the runs interleaved,
# target after target for each run, so that a change in the host's speed
# hits all alike (one after the other, a busy minute fell on one target
# only). hvdpad, qsd and the loop device share one image: writes land in
# it in turn, no run overlaps another.
setup_target() { # TARGET: sets DEV, and TPID (its daemon, if any)
	TPID=""
	case $1 in
	hvdpad)
		serve hbench "$HVDPAD" path="$IMG"
		DEV=$dev TPID=$DPID
		;;
	qsd)
		start_qsd qbench "$IMG" $QUEUES $QSIZE || return 1
		DEV=$(attach qbench) || return 1
		TPID=$QPID
		;;
	hvdpad-null)
		serve hnull "$HVDPAD" null=on,size=${MIB}M
		DEV=$dev TPID=$DPID
		;;
	qsd-null)
		start_qsd_node qnull $QUEUES $QSIZE driver=null-co,size=$((MIB << 20)),read-zeroes=off ||
			return 1
		DEV=$(attach qnull) || return 1
		TPID=$QPID
		;;
	null_blk)
		modprobe null_blk nr_devices=1 gb=$((MIB / 1024 > 0 ? MIB / 1024 : 1)) \
			queue_mode=2 submit_queues=$QUEUES || return 1
		DEV=/dev/nullb0
		;;
	loop)
		DEV=$(losetup --show -f "$IMG") || return 1
		;;
	*)
		echo "unknown target $1"
		exit 2
		;;
	esac
}
teardown_target() { # TARGET DEV PID
	case $1 in
	hvdpad | hvdpad-null)
		if [ "$1" = hvdpad ]; then vdpa dev del hbench; else vdpa dev del hnull; fi
		DPID=$3 stop_daemon 10
		;;
	qsd | qsd-null)
		if [ "$1" = qsd ]; then vdpa dev del qbench; else vdpa dev del qnull; fi
		kill "$3"
		wait "$3"
		;;
	null_blk) rmmod null_blk ;;
	loop) losetup -d "$2" ;;
	esac
}
served=""
for target in $TARGETS; do
	setup_target "$target" || {
		echo "$target: not served"
		exit 1
	}
	echo "# $target on $DEV"
	served="$served $target:$DEV:$TPID"
done
echo "$WORKLOADS" | while IFS=: read -r name rw bs qd jobs; do
	run=1
	while [ $run -le "$RUNS" ]; do
		for s in $served; do
			t=${s%%:*} rest=${s#*:}
			fio_one "$t" "${rest%%:*}" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
		done
		run=$((run + 1))
	done
done
for s in $served; do
	t=${s%%:*} rest=${s#*:}
	teardown_target "$t" "${rest%%:*}" "${rest#*:}"
done

[ -z "$hogs" ] || kill $hogs
rm -f "$IMG" "$IMG.b" "$IMG.q"
! mountpoint -q "$W/ext4" || { umount "$W/ext4" && rm -f "$W/ext4.img"; }
sh "$(dirname "$0")/blk-bench-report.sh" "$RAW" "$OUT" "$SECS" "$RUNS" "$MIB"
