#!/bin/sh
# Inside the test VM (see tests/bench/net-run.sh): TCP throughput with
# iperf3 into and out of a network namespace over hvdpa-net (hvdpad --net on
# a tap, attach=virtio), against a veth pair, in ONE boot, runs interleaved
# (hvdpa, veth, hvdpa, veth, ...) so drift hits both alike. Each direction
# RUNS times for SECONDS; medians to OUT/net-bench.md. With BASE_BUILD_DIR,
# that build is measured the same way first, one daemon at a time (an old
# daemon may burn CPU that would skew the other), and both rows are kept.
#   sh tests/bench/net-bench.sh BUILD_DIR OUT_DIR [SECONDS] [RUNS] [BASE_BUILD_DIR [BASE_LABEL]]
set -u
B=$(cd "${1:-build-release}" && pwd)
OUT=$(cd "${2:-docs/perf}" && pwd)
SECS=${3:-10}
RUNS=${4:-3}
BASE=${5:-}
BASE_LABEL=${6:-base}
W=/run/hvdpa-net-bench
. "$(dirname "$0")/../vm/lib.sh"
load_modules

ip netns add ctr
ip tuntap add dev hvtap0 mode tap
ip addr add 10.77.0.1/24 dev hvtap0
ip link set hvtap0 up
veth_ref vref

# mbits NS ADDR [-R]: one iperf3 run, receiver Mbit/s.
mbits() {
	ip netns exec "$1" iperf3 -s -1 -D
	wait_listen 5201 "$1"
	timeout $((SECS + 20)) iperf3 -c "$2" -t "$SECS" -f m $3 2>/dev/null |
		awk '/receiver/ {print $7}'
}
median() {
	sort -n | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : 0}'
}

# measure BUILD LABEL: serves hvnet0 from BUILD, measures, appends rows.
rows=""
measure() {
	HVDPAD=$1/hvdpad
	start_daemon d --net name=hvnet0,tap=hvtap0,attach=virtio || exit 1
	i=0
	until eth=$(sed -n 's/^hvnet0: attached (virtio_vdpa): //p' "$W/d.log") && [ -n "$eth" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && exit 1
		sleep 0.1
	done
	"$1/hvdpactl" netns hvnet0 ctr || exit 1
	ip netns exec ctr ip addr add 10.77.0.2/24 dev "$eth"
	ip netns exec ctr ip link set "$eth" up
	sleep 1
	for dir in "into the namespace:" "out of it:-R"; do
		label=${dir%%:*}
		flag=${dir#*:}
		: >"$W/hv" && : >"$W/ve"
		for r in $(seq "$RUNS"); do
			mbits ctr 10.77.0.2 "$flag" >>"$W/hv"
			mbits vref 10.78.0.2 "$flag" >>"$W/ve"
		done
		hv=$(median <"$W/hv")
		ve=$(median <"$W/ve")
		ratio=$(awk -v a="$hv" -v b="$ve" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "?"}')
		echo "# $2, $label: hvdpa-net $hv Mbit/s, veth $ve Mbit/s, ratio $ratio"
		rows="$rows| $2 | $label | $hv | $ve | $ratio |
"
	done
	"$1/hvdpactl" detach hvnet0
	stop_daemon 10
}
[ -n "$BASE" ] && measure "$(cd "$BASE" && pwd)" "$BASE_LABEL"
measure "$B" "this tree"
{
	echo "# hvdpa-net against a veth pair, TCP, iperf3"
	echo
	echo "Debian 6.12 kernel under QEMU TCG (2 vCPUs), release build, default"
	echo "offloads (TSO/GSO, checksum), MTU 1500, median of $RUNS runs of ${SECS} s,"
	echo "hvdpa-net and veth runs interleaved in one boot."
	echo "hvdpa-net: a network namespace with hvnet0 (hvdpad --net on a tap,"
	echo "attach=virtio); the host side is the tap. veth: a namespace with one end."
	echo
	echo "| build | direction | hvdpa-net Mbit/s | veth Mbit/s | ratio |"
	echo "|---|---|---|---|---|"
	printf "%s" "$rows"
} >"$OUT/net-bench.md"
cat "$OUT/net-bench.md"
