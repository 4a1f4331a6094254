#!/bin/sh
# Inside the test VM (see tests/bench/net-run.sh): TCP throughput with
# iperf3 into and out of a network namespace over hvdpa-net (hvdpad --net on
# a tap, attach=virtio), against a veth pair, in ONE boot, runs interleaved
# (hvdpa, veth, hvdpa, veth, ...) so drift hits both alike. Each direction
# RUNS times for SECONDS; medians to OUT/net-bench.md. With BASE_BUILD_DIR,
# that build serves a second device (its own tap, namespace and daemon,
# both daemons idle when not measured) and the runs go base, veth, this
# tree, veth's run shared: an A/B of two builds against one reference.
# Also OUT/net-bench.csv (the medians), OUT/net-bench.png (their chart) and
# OUT/net-cost.csv (CPU, kicks and interrupts per MB, each run).
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

# What the VM spent per MB moved, to OUT/net-cost.csv: its busy time on
# all CPUs, the daemon's own, and VDUSE's kicks and interrupts. With both
# vCPUs busy, Mbit/s is about the inverse of the VM's time per MB.
COST=$OUT/net-cost.csv
echo "target,direction,run,mbits,vm_us_per_mb,daemon_us_per_mb,kicks_per_mb,irqs_per_mb" >"$COST"
measure() { # TARGET DIRECTION RUN PID|- NS ADDR FLAG: prints Mbit/s
	b0=$(busy_ticks) d0=$(pid_ticks "$4") k0=$(vduse_hits hvdpa_kick) i0=$(vduse_hits hvdpa_irq)
	m=$(mbits "$5" "$6" "$7")
	b1=$(busy_ticks) d1=$(pid_ticks "$4") k1=$(vduse_hits hvdpa_kick) i1=$(vduse_hits hvdpa_irq)
	echo "$m"
	awk -v t="$1" -v dir="${2%% *}" -v r="$3" -v m="${m:-0}" -v b=$((b1 - b0)) -v d=$((d1 - d0)) \
		-v pid="$4" -v k="${k0:+$((k1 - k0))}" -v i="${i0:+$((i1 - i0))}" -v hz="$(getconf CLK_TCK)" -v s="$SECS" '
		function per(x) { return x == "" ? "" : sprintf("%.2f", x / mb) }
		BEGIN { mb = m * s / 8; if (mb > 0) printf "%s,%s,%s,%s,%.1f,%s,%s,%s\n", t, dir, r, m,
			b * 1e6 / hz / mb, pid == "-" ? "" : sprintf("%.1f", d * 1e6 / hz / mb), per(k), per(i) }' >>"$COST"
}
# One kernel copy's rate here, the unit the paths differ by: a tmpfs file
# read into a process (copy_to_user; /dev/null takes it for free).
copy_rate() {
	dd if=/dev/zero of="$W/copy" bs=1M count=512 status=none
	dd if="$W/copy" of=/dev/null bs=64k 2>&1 | awk '/copied/ { print int($(NF - 1) * ($NF == "GB/s" ? 1000 : 1)) }'
	rm -f "$W/copy"
}
mkdir -p "$W"
COPY=$(copy_rate)
echo "# one kernel copy: $COPY MB/s"

# Device 0 is this tree, device 1 the base.
serve "$B" 0
[ -n "$BASE" ] && serve "$(cd "$BASE" && pwd)" 1
sleep 1
vduse_kprobes_on
rows=""
abrows=""
echo "build,direction,hvdpa_mbits,veth_mbits,ratio" >"$OUT/net-bench.csv"
: >"$W/chart"
for dir in "into the namespace:" "out of it:-R"; do
	label=${dir%%:*}
	flag=${dir#*:}
	: >"$W/hv0" && : >"$W/hv1" && : >"$W/ve"
	for r in $(seq "$RUNS"); do
		[ -n "$BASE" ] && measure "$BASE_LABEL" "$label" "$r" "$PID_1" ctr1 10.79.0.2 "$flag" >>"$W/hv1"
		measure veth "$label" "$r" - vref 10.78.0.2 "$flag" >>"$W/ve"
		measure hvdpa-net "$label" "$r" "$PID_0" ctr0 10.77.0.2 "$flag" >>"$W/hv0"
	done
	ve=$(median <"$W/ve")
	echo "# $label: veth runs $(tr '\n' ' ' <"$W/ve")"
	for n in 1 0; do
		[ $n = 1 ] && [ -z "$BASE" ] && continue
		[ $n = 1 ] && name=$BASE_LABEL || name="this tree"
		hv=$(median <"$W/hv$n")
		echo "# $name, $label: hvdpa-net $hv Mbit/s (runs $(tr '\n' ' ' <"$W/hv$n")), veth $ve Mbit/s, ratio $(ratio "$hv" "$ve")"
		r=$(ratio "$hv" "$ve")
		met=$(awk -v r="$r" 'BEGIN { print ((r + 0 >= 0.8) ? "met" : "not met") }')
		rows="$rows| $name | $label | $hv | $ve | $r | $met |
"
		echo "$name,$label,$hv,$ve,$r" >>"$OUT/net-bench.csv"
		echo "$(echo "$name" | tr ' ' _)-${label%% *} $hv $ve" >>"$W/chart"
	done
	[ -n "$BASE" ] && abrows="$abrows| $label | $(ratio "$(median <"$W/hv0")" "$(median <"$W/hv1")") |
"
done
vduse_kprobes_off
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
	echo "Target (issue 14): at least 0.8x veth's throughput in both directions."
	echo
	echo "| build | direction | hvdpa-net Mbit/s | veth Mbit/s | ratio | target >= 0.8x |"
	echo "|---|---|---|---|---|---|"
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
	echo
	echo "What the VM spent per MB moved (median of the runs; net-cost.csv has each):"
	echo "its busy time on all CPUs, the daemon's own, and VDUSE's kicks and interrupts."
	echo "One kernel copy (a tmpfs file read into a process) ran at $COPY MB/s here,"
	echo "$(awk -v c="$COPY" 'BEGIN { if (c > 0) printf "%.0f", 1e6 / c; else print "?" }') us of CPU per MB."
	echo
	echo "| target | direction | Mbit/s | VM us/MB | daemon us/MB | kicks/MB | interrupts/MB |"
	echo "|---|---|---|---|---|---|---|"
	for t in hvdpa-net veth ${BASE:+$BASE_LABEL}; do
		for d in into out; do
			grep -q "^$t,$d," "$COST" || continue
			med() { awk -F, -v t="$t" -v d="$d" -v f="$1" '$1 == t && $2 == d { print $f }' "$COST" | median; }
			echo "| $t | $d | $(med 4) | $(med 5) | $(med 6) | $(med 7) | $(med 8) |"
		done
	done
} >"$OUT/net-bench.md"
HV_CHART_UNIT=Mbit/s sh "$(dirname "$0")/histogram.sh" "$OUT/net-bench.png" \
	"hvdpa-net vs veth, iperf3 TCP" linear "$W/chart" hvdpa-net veth
cat "$OUT/net-bench.md"
