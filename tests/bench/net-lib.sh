# shellcheck shell=sh
# Sourced by the net benchmarks (net-bench.sh, net-scale-bench.sh) inside the
# test VM, after tests/vm/lib.sh: a device's namespace, iperf3, medians.
# Expects $W (scratch) and $SECS (seconds per iperf3 run).

# net_plumb K NET: tap hvtapK with NET.1/24 here, namespace ctrK for the
# driver's end (NET.2, set by net_into_ns).
net_plumb() {
	ip netns add "ctr$1"
	ip tuntap add dev "hvtap$1" mode tap
	ip addr add "$2.1/24" dev "hvtap$1"
	ip link set "hvtap$1" up
}

# net_into_ns BUILD LOG K NET: waits for hvnetK's attach line in LOG, moves
# its interface into ctrK as NET.2/24 and brings it up.
net_into_ns() {
	i=0
	until eth=$(sed -n "s/^hvnet$3: attached (virtio_vdpa): //p" "$2") && [ -n "$eth" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.1
	done
	"$1/hvdpactl" netns "hvnet$3" "ctr$3" || return 1
	ip netns exec "ctr$3" ip addr add "$4.2/24" dev "$eth"
	ip netns exec "ctr$3" ip link set "$eth" up
}

# iperf_server NS: one iperf3 server in NS for one test, listening.
iperf_server() {
	ip netns exec "$1" iperf3 -s -1 -D
	wait_listen 5201 "$1"
}

# iperf_client ADDR [-R]: one SECS-long TCP run to ADDR; prints the
# receiver's Mbit/s.
iperf_client() {
	timeout $((SECS + 20)) iperf3 -c "$1" -t "$SECS" -f m $2 2>/dev/null |
		awk '/receiver/ {print $7}'
}

# mbits NS ADDR [-R]: one iperf3 run against a fresh server in NS.
mbits() {
	iperf_server "$1"
	iperf_client "$2" "$3"
}

median() {
	sort -n | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : 0}'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "?"}'
}
