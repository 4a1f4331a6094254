#!/bin/sh
# Inside the test VM (see tests/bench/bridge-run.sh): what a zone gets
# through hvbridge, against what a container gets from the same hvdpad, in
# ONE boot on the same image:
#   latency   one trapped MMIO register read, simulator round trip
#   zone      4 KiB random reads at queue depth 32 by the zone simulator's
#             driver, hvbridge in direct and in shadow mode
#   container the same workload by fio on /dev/vdX (virtio_vdpa) from a
#             second hvdpad device on the same image
# Results go to OUT/bridge-bench.md, .csv and .png.
#   sh tests/bench/bridge-bench.sh BUILD_DIR OUT_DIR [SECONDS]
set -u
B=$(cd "${1:-build-release}" && pwd)
OUT=$(cd "${2:-docs/perf}" && pwd)
SECS=${3:-10}
HVDPAD=$B/hvdpad
W=/run/hvbridge-bench
. "$(dirname "$0")/../vm/lib.sh"
load_modules

dd if=/dev/urandom of="$W/img" bs=1M count=512 status=none
start_daemon d --blk name=hblk1,path="$W/img",readonly=on \
	--blk name=hblk2,path="$W/img",readonly=on || exit 1
vhost=$(attach_vhost hblk1) || exit 1
dev=$(attach hblk2) || exit 1

cat >"$W/bridge.json" <<JSON
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$W/zone.sock", "data": "MODE",
  "devices": [{"name": "blk1", "base": "0xa0000000", "irq": 78, "vhost": "$vhost"}]}]}
JSON

row() {
	printf '| %s | %s | %s |\n' "$1" "$2" "$3" >>"$W/rows"
}
: >"$W/rows"
for mode in direct shadow; do
	sed "s/MODE/$mode/" "$W/bridge.json" >"$W/$mode.json"
	"$B/hvbridge" --config "$W/$mode.json" >"$W/bridge-$mode.log" 2>&1 &
	bp=$!
	await_up "$bp" "$W/bridge-$mode.log" hvbridge "grep -q 'zone 1: ready' '$W/bridge-$mode.log'" || exit 1
	"$B/tests/zonesim/zonesim" --socket "$W/zone.sock" --count 100000 latency iops \
		--seconds "$SECS" >"$W/zs-$mode.log" 2>&1
	cat "$W/zs-$mode.log"
	lat=$(sed -n 's/.*latency: \([0-9.]*\) us.*/\1/p' "$W/zs-$mode.log")
	iops=$(sed -n 's/.*iops: \([0-9]*\) 4 KiB.*/\1/p' "$W/zs-$mode.log")
	eval "iops_$mode=\${iops:-0}"
	row "zone via hvbridge, $mode" "${lat:-?}" "${iops:-?}"
	kill -TERM "$bp"
	wait "$bp"
done
fio --eta=never --name=c --filename="$dev" --ioengine=io_uring --direct=1 --rw=randread \
	--bs=4k --iodepth=32 --runtime="$SECS" --time_based --output-format=terse \
	--terse-version=3 >"$W/fio.txt" 2>&1
ciops=$(awk -F';' '{print $8}' "$W/fio.txt")
row "container via virtio_vdpa (fio)" "-" "${ciops:-?}"

{
	echo "# hvbridge: zone I/O against container I/O, same hvdpad, same boot"
	echo
	echo "Debian 6.12 kernel under QEMU TCG, release build, ${SECS} s per run,"
	echo "4 KiB random reads at queue depth 32 on a 512 MiB image in tmpfs."
	echo "Latency is one trapped register read through the simulator's socket"
	echo "and hvbridge (what a vCPU waits for); hvisor's shared-page path has"
	echo "no socket hop. Boot: $(uname -r), $(nproc) vCPU. Made by"
	echo "\`sh tests/bench/bridge-run.sh $SECS\` on $(date -u +%Y-%m-%d); also bridge-bench.csv and .png."
	echo
	echo "| path | trapped read, us | IOPS |"
	echo "|---|---|---|"
	cat "$W/rows"
	echo
	awk -v d="$iops_direct" -v s="$iops_shadow" -v c="${ciops:-0}" 'BEGIN {
		if (c > 0) printf "Zone/container IOPS ratio: direct %.2f, shadow %.2f.\n", d / c, s / c }'
} >"$OUT/bridge-bench.md"
# The rows again, as CSV and as a chart of IOPS.
awk -F' [|] ' '{ sub(/^[|] /, "", $1); sub(/ [|]$/, "", $3); print "\"" $1 "\"," $2 "," $3 }' "$W/rows" |
	sed '1i path,trapped_read_us,iops' >"$OUT/bridge-bench.csv"
awk -F' [|] ' '{ sub(/^[|] /, "", $1); sub(/ [|]$/, "", $3); gsub(/[^A-Za-z]+/, "-", $1); print $1, $3 + 0 }' \
	"$W/rows" >"$W/chart"
sh "$(dirname "$0")/histogram.sh" "$OUT/bridge-bench.png" "zone via hvbridge vs container, 4k randread qd32" \
	linear "$W/chart" IOPS
cat "$OUT/bridge-bench.md"
vdpa dev del hblk1
vdpa dev del hblk2
stop_daemon 5
