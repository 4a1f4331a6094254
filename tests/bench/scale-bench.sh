#!/bin/sh
# Inside the test VM (see tests/bench/scale-run.sh): how the cost of one
# daemon grows with the number of blk devices it serves. In ONE boot, for
# each COUNT of COUNTS, run after run, the targets in turn:
#   hvdpad       one hvdpad, COUNT --blk devices (null=on), attach=virtio
#   hvdpad-base  with BASE_BUILD_DIR: the same from another build (A/B)
#   qsd          one qemu-storage-daemon, COUNT --export type=vduse-blk of
#                null-co blockdevs, each added with vdpa dev add
# Both serve null devices (no storage behind them: the daemon's own cost
# is what grows), 1 queue of 256 each, bound to virtio_vdpa. Then one fio
# with one job per device, 4k randread at qd8 each, for SECONDS.
# Per run: the daemon's RSS and threads with no device (count 0), then per
# count: seconds from the daemon's start until every device exists
# (ready_s) and until every /dev/vdX is there (attach_s), RSS and threads
# once attached (idle), fio's aggregate IOPS and p99, RSS after fio; RSS
# both whole and anonymous only (RssAnon: without the pages of the VDUSE
# bounce buffer and rings that the daemon maps and touches, which are the
# kernel's).
# Rows go to OUT/scale-bench-raw.csv as they come (a boot lost part-way
# keeps what it measured); tests/bench/scale-bench-report.sh makes the table.
#   sh tests/bench/scale-bench.sh BUILD_DIR OUT_DIR [SECONDS] [COUNTS] [RUNS] [BASE_BUILD_DIR]
set -u
B=$(cd "${1:-build}" && pwd)
OUT=$(cd "${2:-docs/perf}" && pwd)
SECS=${3:-5}
COUNTS=${4:-1 8 32 64}
RUNS=${5:-1}
BASE=${6:+$(cd "$6" && pwd)}
HVDPAD=$B/hvdpad
W=/run/hvdpa-scale
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../vm/lib.sh"
load_modules

QSIZE=256
SIZE_MIB=1024
RAW=$OUT/scale-bench-raw.csv
TARGETS="hvdpad${BASE:+ hvdpad-base} qsd"
echo "target,count,run,ready_s,attach_s,rss0_kib,rss_idle_kib,rss_busy_kib,threads0,threads,iops,p99_us,anon0_kib,anon_idle_kib,anon_busy_kib" >"$RAW"

# until_all PID SECONDS CONDITION: polls CONDITION every 0.05 s while PID
# lives; fails after SECONDS or when PID is gone.
until_all() {
	i=0
	until eval "$3"; do
		kill -0 "$1" 2>/dev/null || return 1
		i=$((i + 1))
		[ $i -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
}

# The /dev node virtio_blk made of vDPA device NAME, or nothing yet.
node_of() {
	b=$(ls /sys/bus/vdpa/devices/"$1"/virtio*/block 2>/dev/null | head -n 1)
	[ -n "$b" ] && [ -b "/dev/$b" ] && echo "/dev/$b"
}
all_nodes() { # PREFIX COUNT: every device's node, or fails
	k=0
	while [ $k -lt "$2" ]; do
		node_of "$1$k" >/dev/null || return 1
		k=$((k + 1))
	done
}

# start_empty TARGET: the daemon with no device; sets PID.
start_empty() {
	case $1 in
	qsd)
		qemu-storage-daemon >"$W/qsd0.log" 2>&1 &
		PID=$!
		sleep 1
		;;
	*)
		bin=$HVDPAD
		[ "$1" = hvdpad-base ] && bin=$BASE/hvdpad
		rm -f "$W/ctl0.sock"
		"$bin" --state-dir "$W/state" --control "$W/ctl0.sock" >"$W/empty.log" 2>&1 &
		PID=$!
		until_all $PID 30 "[ -S '$W/ctl0.sock' ]" || return 1
		;;
	esac
}

# start_full TARGET PREFIX COUNT: the daemon with COUNT devices, each on the
# bus with its /dev node; sets PID, READY_S, ATTACH_S.
start_full() {
	t=$1 p=$2 n=$3
	set --
	k=0
	case $t in
	qsd)
		while [ $k -lt "$n" ]; do
			set -- "$@" --blockdev driver=null-co,node-name=n$k,size=$((SIZE_MIB << 20)),read-zeroes=off \
				--export type=vduse-blk,id=e$k,node-name=n$k,name="$p$k",writable=on,num-queues=1,queue-size=$QSIZE
			k=$((k + 1))
		done
		t0=$(now)
		qemu-storage-daemon "$@" >"$W/qsd.log" 2>&1 &
		PID=$!
		until_all $PID 600 "[ \$(ls /dev/vduse | grep -c '^${p}[0-9]') -ge $n ]" || return 1
		READY_S=$(secs_since "$t0")
		k=0
		while [ $k -lt "$n" ]; do
			vdpa dev add name "$p$k" mgmtdev vduse || return 1
			k=$((k + 1))
		done
		;;
	*)
		bin=$HVDPAD
		[ "$t" = hvdpad-base ] && bin=$BASE/hvdpad
		while [ $k -lt "$n" ]; do
			set -- "$@" --blk name="$p$k",null=on,size=${SIZE_MIB}M,queues=1,queue-size=$QSIZE,attach=virtio
			k=$((k + 1))
		done
		t0=$(now)
		"$bin" --state-dir "$W/state" --control none "$@" >"$W/hvdpad.log" 2>&1 &
		PID=$!
		until_all $PID 600 "[ \$(grep -c ': ready:' '$W/hvdpad.log') -ge $n ]" || return 1
		READY_S=$(secs_since "$t0")
		;;
	esac
	# One cheap look per poll (a node per device would take longer than
	# the attaching under TCG), then every node once.
	until_all $PID 600 "[ \$(ls -d /sys/bus/vdpa/devices/${p}[0-9]*/virtio*/block/* 2>/dev/null | wc -l) -ge $n ]" ||
		return 1
	until_all $PID 30 "all_nodes $p $n" || return 1
	ATTACH_S=$(secs_since "$t0")
}

stop_full() { # PREFIX COUNT: off the bus, then the daemon ends
	k=0
	while [ $k -lt "$2" ]; do
		vdpa dev del "$1$k" 2>/dev/null
		k=$((k + 1))
	done
	kill -TERM "$PID" 2>/dev/null
	until_all "$PID" 120 false
	kill -9 "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
}

# fio_all PREFIX COUNT: one fio, one job per device; prints "IOPS P99_US".
fio_all() {
	p=$1 n=$2
	k=0
	jobs=""
	while [ $k -lt "$n" ]; do
		jobs="$jobs --name=$p$k --filename=$(node_of "$p$k")"
		k=$((k + 1))
	done
	# shellcheck disable=SC2086 # the job list is words by design
	fio --eta=never --minimal --group_reporting --ioengine=io_uring --direct=1 \
		--rw=randread --bs=4k --iodepth=8 --size=${SIZE_MIB}M --runtime="$SECS" \
		--time_based $jobs >"$W/fio.out" 2>"$W/fio.err" || {
		cat "$W/fio.err" >&2
		return 1
	}
	# Terse v3: read IOPS is field 8; the first 99th percentile is the
	# read completion latency's, in microseconds.
	awk -F';' '{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^99\.000000%=/) { split($i, a, "="); p99 = a[2]; break }
		printf "%d %d\n", $8, p99
	}' "$W/fio.out"
}

mkdir -p "$W/state"
BOOT="$(uname -r), $(nproc) vCPU, $(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
echo "# boot: $BOOT"
run=1
while [ $run -le "$RUNS" ]; do
	for t in $TARGETS; do
		start_empty "$t" || { echo "$t: no empty daemon"; exit 1; }
		echo "$(status_of $PID VmRSS) $(status_of $PID Threads) $(status_of $PID RssAnon)" >"$W/empty-$t"
		kill -TERM $PID
		wait $PID
	done
	for n in $COUNTS; do
		for t in $TARGETS; do
			case $t in qsd) p=q ;; hvdpad-base) p=b ;; *) p=h ;; esac
			echo "# $t: $n device(s), run $run"
			if ! start_full "$t" "$p" "$n"; then
				echo "$t: $n devices did not come up:"
				tail -n 20 "$W/hvdpad.log" "$W/qsd.log" 2>/dev/null
				stop_full "$p" "$n"
				exit 1
			fi
			rss_idle=$(status_of $PID VmRSS) anon_idle=$(status_of $PID RssAnon)
			threads=$(status_of $PID Threads)
			res=$(fio_all "$p" "$n") || {
				echo "$t: fio failed with $n devices"
				stop_full "$p" "$n"
				exit 1
			}
			rss_busy=$(status_of $PID VmRSS) anon_busy=$(status_of $PID RssAnon)
			read -r rss0 thr0 anon0 <"$W/empty-$t"
			echo "$t,$n,$run,$READY_S,$ATTACH_S,$rss0,$rss_idle,$rss_busy,$thr0,$threads,$(echo "$res" | tr ' ' ,),$anon0,$anon_idle,$anon_busy" |
				tee -a "$RAW"
			stop_full "$p" "$n"
		done
	done
	run=$((run + 1))
done
sh "$here/scale-bench-report.sh" "$RAW" "$OUT" "$SECS" "$RUNS" \
	"sh tests/bench/scale-bench.sh BUILD OUT $SECS '$COUNTS' $RUNS${BASE:+ BASE_BUILD}" "$BOOT"
