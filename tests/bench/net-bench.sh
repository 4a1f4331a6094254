#!/bin/sh
# Inside the test VM (see tests/bench/net-run.sh): TCP throughput with
# iperf3 into and out of a network namespace over hvdpa-net (hvdpad --net on
# a tap, attach=virtio), against a veth pair, in ONE boot, runs interleaved
# (hvdpa, veth, hvdpa, veth, ...) so drift hits both alike. Each direction
# RUNS times for SECONDS; medians to OUT/net-bench.md. With BASE_BUILD_DIR,
# that build serves a second device (its own tap, namespace and daemon,
# both daemons idle when not measured) and the runs go base, veth, this
# tree, veth's run shared: an A/B of two builds against one reference.
# Also OUT/net-bench.csv (the medians) and OUT/net-bench.png (their chart).
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
. "$(dirname "$0")/net-lib.sh"
load_modules

veth_ref vref

# serve BUILD N: device hvnetN from BUILD's hvdpad on tap hvtapN, its
# driver's interface in namespace ctrN as 10.(77+2N).0.2, the tap here
# as .1. Sets PID_N.
serve() {
	net=10.$((77 + 2 * $2)).0
	net_plumb "$2" "$net"
	HVDPAD=$1/hvdpad
	start_daemon "d$2" --net "name=hvnet$2,tap=hvtap$2,attach=virtio" || exit 1
	eval "PID_$2=\$DPID"
	net_into_ns "$1" "$W/d$2.log" "$2" "$net" || exit 1
}
unserve() {
	"$1/hvdpactl" detach "hvnet$2"
	DPID=$(eval "echo \$PID_$2")
	stop_daemon 10
}

# Device 0 is this tree, device 1 the base.
serve "$B" 0
[ -n "$BASE" ] && serve "$(cd "$BASE" && pwd)" 1
sleep 1
rows=""
abrows=""
echo "build,direction,hvdpa_mbits,veth_mbits,ratio" >"$OUT/net-bench.csv"
: >"$W/chart"
for dir in "into the namespace:" "out of it:-R"; do
	label=${dir%%:*}
	flag=${dir#*:}
	: >"$W/hv0" && : >"$W/hv1" && : >"$W/ve"
	for _ in $(seq "$RUNS"); do
		[ -n "$BASE" ] && mbits ctr1 10.79.0.2 "$flag" >>"$W/hv1"
		mbits vref 10.78.0.2 "$flag" >>"$W/ve"
		mbits ctr0 10.77.0.2 "$flag" >>"$W/hv0"
	done
	ve=$(median <"$W/ve")
	echo "# $label: veth runs $(tr '\n' ' ' <"$W/ve")"
	for n in 1 0; do
		[ $n = 1 ] && [ -z "$BASE" ] && continue
		[ $n = 1 ] && name=$BASE_LABEL || name="this tree"
		hv=$(median <"$W/hv$n")
		echo "# $name, $label: hvdpa-net $hv Mbit/s (runs $(tr '\n' ' ' <"$W/hv$n")), veth $ve Mbit/s, ratio $(ratio "$hv" "$ve")"
		rows="$rows| $name | $label | $hv | $ve | $(ratio "$hv" "$ve") |
"
		echo "$name,$label,$hv,$ve,$(ratio "$hv" "$ve")" >>"$OUT/net-bench.csv"
		echo "$(echo "$name" | tr ' ' _)-${label%% *} $hv $ve" >>"$W/chart"
	done
	[ -n "$BASE" ] && abrows="$abrows| $label | $(ratio "$(median <"$W/hv0")" "$(median <"$W/hv1")") |
"
done
unserve "$B" 0
[ -n "$BASE" ] && unserve "$(cd "$BASE" && pwd)" 1
{
	echo "# hvdpa-net against a veth pair, TCP, iperf3"
	echo
	echo "Debian 6.12 kernel under QEMU TCG (2 vCPUs), release build, default"
	echo "offloads (TSO/GSO, checksum), MTU 1500, median of $RUNS runs of ${SECS} s,"
	echo "hvdpa-net and veth runs interleaved in one boot."
	echo "hvdpa-net: a network namespace with hvnet0 (hvdpad --net on a tap,"
	echo "attach=virtio); the host side is the tap. veth: a namespace with one end."
	echo "Boot: $(uname -r), $(nproc) vCPU. Made by \`sh tests/bench/net-run.sh $SECS $RUNS${BASE:+ $BASE_LABEL}\`"
	echo "on $(date -u +%Y-%m-%d); medians also in net-bench.csv, chart net-bench.png."
	echo
	echo "| build | direction | hvdpa-net Mbit/s | veth Mbit/s | ratio |"
	echo "|---|---|---|---|---|"
	printf "%s" "$rows"
	if [ -n "$BASE" ]; then
		echo
		echo "This tree against $BASE_LABEL (medians; each run of one followed"
		echo "the other's, with a veth run between):"
		echo
		echo "| direction | this tree / $BASE_LABEL |"
		echo "|---|---|"
		printf "%s" "$abrows"
	fi
} >"$OUT/net-bench.md"
HV_CHART_UNIT=Mbit/s sh "$(dirname "$0")/histogram.sh" "$OUT/net-bench.png" \
	"hvdpa-net vs veth, iperf3 TCP" linear "$W/chart" hvdpa-net veth
cat "$OUT/net-bench.md"
