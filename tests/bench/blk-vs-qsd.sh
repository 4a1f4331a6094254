#!/bin/sh
# Inside the test VM: fio 4k random reads against hvdpad and against
# qemu-storage-daemon's vduse-blk export, one after the other in this boot,
# on the same image in tmpfs, with the same queue count and size.
#   sh tests/bench/blk-vs-qsd.sh BUILD_DIR [SECONDS]
set -u
B=$(cd "${1:-build}" && pwd)
SECS=${2:-10}
HVDPAD=$B/hvdpad
W=/run/hvdpa-bench
mkdir -p "$W"
export TMPDIR=/run
. "$(dirname "$0")/../vm/lib.sh"
load_modules

IMG=$W/bench.img
QUEUES=1
QSIZE=256
dd if=/dev/urandom of="$IMG" bs=1M count=256 status=none

# fio_iops DEV QD: median-free single run; prints IOPS and p50 latency (us).
fio_run() {
	fio --eta=never --name=rr --filename="$1" --ioengine=io_uring --direct=1 --rw=randread \
		--bs=4k --iodepth="$2" --runtime="$SECS" --time_based --minimal >"$W/fio.out" || return 1
	# terse v3: field 8 read IOPS, 21 read clat mean... p50 is among the
	# percentile fields as "50.000000%=N".
	iops=$(cut -d';' -f8 "$W/fio.out")
	p50=$(tr ';' '\n' <"$W/fio.out" | grep -m1 '^50.000000%=' | cut -d= -f2)
	echo "$iops $p50"
}

results=""
measure() {
	name=$1
	dev=$2
	for qd in 32 1; do
		set -- $(fio_run "$dev" "$qd")
		echo "$name qd$qd: $1 IOPS, clat p50 $2 us"
		results="$results$name $qd $1 $2
"
	done
}

start_daemon hv --blk name=hbench,path="$IMG",queues=$QUEUES,queue-size=$QSIZE || exit 1
dev=$(attach hbench) || exit 1
measure hvdpad "$dev"
vdpa dev del hbench
stop_daemon 10

qemu-storage-daemon \
	--blockdev driver=file,node-name=file0,filename="$IMG",aio=io_uring,cache.direct=off \
	--export type=vduse-blk,id=exp0,node-name=file0,name=qbench,writable=on,num-queues=$QUEUES,queue-size=$QSIZE \
	>"$W/qsd.log" 2>&1 &
QPID=$!
i=0
while [ ! -e /dev/vduse/qbench ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
dev=$(attach qbench) || { cat "$W/qsd.log"; exit 1; }
measure qsd "$dev"
vdpa dev del qbench
kill $QPID
wait $QPID

echo
echo "| workload | hvdpad IOPS | qsd IOPS | hvdpad/qsd | hvdpad p50 us | qsd p50 us |"
echo "|---|---|---|---|---|---|"
for qd in 32 1; do
	h=$(echo "$results" | awk -v q=$qd '$1=="hvdpad" && $2==q {print $3, $4}')
	q=$(echo "$results" | awk -v q=$qd '$1=="qsd" && $2==q {print $3, $4}')
	echo "$h $q" | awk -v q=$qd '{ printf "| 4k randread qd%s | %d | %d | %.2f | %d | %d |\n", q, $1, $3, ($3 ? $1 / $3 : 0), $2, $4 }'
done
