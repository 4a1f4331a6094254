#!/bin/sh
# Inside the test VM (see tests/bench/net-scale-run.sh): how hvdpa-net's
# aggregate throughput grows with the number of devices one hvdpad serves.
# For each COUNT of COUNTS, one hvdpad serves COUNT --net devices (each on
# its own tap hvtapK, its interface in namespace ctrK), and COUNT veth pairs
# stand beside them as the kernel's reference. One iperf3 stream per device,
# all in parallel, into the namespaces and then out of them (-R), SECONDS
# each; hvdpa and veth runs interleaved RUNS times. Per count: the sum of
# the receivers' Mbit/s (median over runs), hvdpad's threads and RSS per
# device, seconds until every device is ready and every interface attached.
# Rows go to OUT/net-scale-raw.csv as they come (a boot lost part-way keeps
# what it measured); the table is OUT/net-scale-bench.md.
#   sh tests/bench/net-scale-bench.sh BUILD_DIR OUT_DIR [SECONDS] [COUNTS] [RUNS]
set -u
B=$(cd "${1:-build-release}" && pwd)
OUT=$(cd "${2:-docs/perf}" && pwd)
SECS=${3:-8}
COUNTS=${4:-1 4 16}
RUNS=${5:-3}
HVDPAD=$B/hvdpad
W=/run/hvdpa-net-scale
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../vm/lib.sh"
. "$here/net-lib.sh"
load_modules
mkdir -p "$W"
RAW=$OUT/net-scale-raw.csv
echo "target,count,run,direction,mbits,ready_s,attach_s,threads,rss_idle_per_dev_kib" >"$RAW"

hv_net() { echo "10.$((100 + $1)).0"; }
ve_net() { echo "10.$((140 + $1)).0"; }

# parallel NSPREFIX NETFN COUNT FLAG: one iperf3 per device at once; prints
# the sum of the receivers' Mbit/s, or nothing when one run gave nothing.
parallel() {
	k=0
	while [ $k -lt "$3" ]; do
		iperf_server "$1$k" || return 1
		k=$((k + 1))
	done
	k=0
	while [ $k -lt "$3" ]; do
		iperf_client "$($2 $k).2" "$4" >"$W/mbits$k" &
		k=$((k + 1))
	done
	wait
	k=0
	while [ $k -lt "$3" ]; do
		[ -s "$W/mbits$k" ] || return 1
		cat "$W/mbits$k"
		k=$((k + 1))
	done | awk '{ s += $1 } END { printf "%d\n", s }'
}

BOOT="$(uname -r), $(nproc) vCPU"
echo "# boot: $BOOT"
rss0=""
for n in $COUNTS; do
	echo "# $n device(s)"
	set --
	k=0
	while [ $k -lt "$n" ]; do
		net_plumb $k "$(hv_net $k)"
		veth_ref "ve$k" "$(ve_net $k)"
		set -- "$@" --net "name=hvnet$k,tap=hvtap$k,attach=virtio"
		k=$((k + 1))
	done
	if [ -z "$rss0" ]; then
		"$HVDPAD" --state-dir "$W/state" --control none >"$W/empty.log" 2>&1 &
		DPID=$!
		sleep 1
		rss0=$(status_of $DPID VmRSS)
		stop_daemon 10
	fi
	t0=$(now)
	start_daemon "d$n" --state-dir "$W/state" --control none "$@" || exit 1
	ready_s=$(secs_since "$t0")
	k=0
	while [ $k -lt "$n" ]; do
		net_into_ns "$B" "$W/d$n.log" $k "$(hv_net $k)" || {
			echo "hvnet$k: not attached"
			tail -n 20 "$W/d$n.log"
			exit 1
		}
		k=$((k + 1))
	done
	attach_s=$(secs_since "$t0")
	threads=$(status_of $DPID Threads)
	rss_dev=$((($(status_of $DPID VmRSS) - rss0) / n))
	sleep 1
	for dir in "in:" "out:-R"; do
		label=${dir%%:*}
		flag=${dir#*:}
		run=1
		while [ $run -le "$RUNS" ]; do
			hv=$(parallel ctr hv_net "$n" "$flag") || hv=""
			ve=$(parallel ve ve_net "$n" "$flag") || ve=""
			echo "# $n device(s), $label, run $run: hvdpa-net ${hv:-?} Mbit/s, veth ${ve:-?}"
			[ -n "$hv" ] && echo "hvdpad,$n,$run,$label,$hv,$ready_s,$attach_s,$threads,$rss_dev" >>"$RAW"
			[ -n "$ve" ] && echo "veth,$n,$run,$label,$ve,,,," >>"$RAW"
			run=$((run + 1))
		done
	done
	k=0
	while [ $k -lt "$n" ]; do
		"$B/hvdpactl" detach "hvnet$k" >/dev/null 2>&1
		k=$((k + 1))
	done
	stop_daemon 20
	k=0
	while [ $k -lt "$n" ]; do
		ip netns del "ctr$k"
		ip netns del "ve$k"
		ip link del "hvtap$k" 2>/dev/null
		k=$((k + 1))
	done
done
sh "$here/net-scale-report.sh" "$RAW" "$OUT" "$SECS" "$RUNS" \
	"sh tests/bench/net-scale-bench.sh BUILD OUT $SECS '$COUNTS' $RUNS" "$BOOT"
