#!/bin/sh
# Inside the test VM: the packed ring against the split ring on ONE hvdpad
# build, in one boot. Two devices are served at once for each backend (a
# file image in tmpfs, then null=on), one with packed=on (virtio_vdpa
# takes it) and one without, and the fio runs alternate split, packed,
# split, packed, so a change in the host's speed hits both alike. Rows in
# OUT/packed-ab-raw.csv, medians in OUT/packed-ab.csv.
#   sh tests/bench/packed-run.sh BUILD_DIR OUT_DIR [SECONDS] [RUNS] [IMAGE_MiB]
set -u
B=$(cd "${1:-build}" && pwd)
OUT=$(cd "${2:-.}" && pwd)
SECS=${3:-5}
RUNS=${4:-5}
MIB=${5:-256}
HVDPAD=$B/hvdpad
W=/run/hvdpa-packed-bench
. "$(dirname "$0")/../vm/lib.sh"
. "$(dirname "$0")/fio-one.sh"
load_modules

RAW=$W/raw.csv
echo "target,workload,run,iops,p50_us,p99_us" >"$RAW"
WORKLOADS="randread-4k-qd1:randread:4k:1:1
randread-4k-qd32:randread:4k:32:1"

# serve NAME KEYS: one hvdpad device on the bus; sets dev and DPID.
serve() {
	start_daemon "$1" --blk name="$1",queue-size=256,"$2" || exit 1
	dev=$(attach "$1") || exit 1
}

for backend in file null; do
	if [ $backend = file ]; then
		dd if=/dev/urandom of="$W/a.img" bs=1M count="$MIB" status=none
		cp "$W/a.img" "$W/b.img"
		ka="path=$W/a.img" kb="path=$W/b.img"
	else
		ka="null=on,size=${MIB}M" kb=$ka
	fi
	serve hsplit "$ka"
	dev_s=$dev pid_s=$DPID
	serve hpacked "$kb,packed=on"
	dev_p=$dev pid_p=$DPID
	echo "# $backend: split on $dev_s, packed on $dev_p (features bit 34: $(cut -c35 "/sys/block/${dev_p#/dev/}/device/features"))"
	echo "$WORKLOADS" | while IFS=: read -r name rw bs qd jobs; do
		run=1
		while [ $run -le "$RUNS" ]; do
			fio_one "split-$backend" "$dev_s" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			fio_one "packed-$backend" "$dev_p" "$name" "$rw" "$bs" "$qd" "$jobs" "$run"
			run=$((run + 1))
		done
	done
	vdpa dev del hsplit
	vdpa dev del hpacked
	DPID=$pid_s stop_daemon 10
	DPID=$pid_p stop_daemon 10
	rm -f "$W/a.img" "$W/b.img"
done
cp "$RAW" "$OUT/packed-ab-raw.csv"
sh "$(dirname "$0")/medians.sh" "$RAW" | tee "$OUT/packed-ab.csv"
