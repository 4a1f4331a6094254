#!/bin/sh
# A container's network namespace gets a NIC served by hvdpad: hvnet0
# through virtio_vdpa, moved into the namespace with its MAC, and wired to a
# tap on the host side.
#   sh examples/container-net.sh [NETNS] [-- COMMAND...]
# Without a command the container runs an interactive shell. For docker or
# podman, give the container's namespace instead of a name:
#   hvdpactl netns hvnet0 /proc/$(docker inspect -f '{{.State.Pid}}' CONTAINER)/ns/net
set -eu
ns=ctr
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	ns=$1
	shift
fi
[ "${1:-}" = "--" ] && shift
B=${HVDPA_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
log=/run/hvdpad-hvnet0.log

modprobe -a vduse vdpa virtio_vdpa virtio_net tun
ip netns add "$ns" 2>/dev/null || true
# Persistent: the tap and its address outlive a restart of hvdpad.
ip tuntap add dev hvtap0 mode tap 2>/dev/null || true
ip addr replace 10.77.0.1/24 dev hvtap0
ip link set hvtap0 up
"$B/hvdpad" --net name=hvnet0,tap=hvtap0,attach=virtio >"$log" 2>&1 &
pid=$!
trap '"$B/hvdpactl" detach hvnet0 >/dev/null 2>&1; kill $pid 2>/dev/null; wait $pid' EXIT
i=0
until eth=$(sed -n 's/^hvnet0: attached (virtio_vdpa): //p' "$log") && [ -n "$eth" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done
"$B/hvdpactl" netns hvnet0 "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip addr add 10.77.0.2/24 dev "$eth"
ip netns exec "$ns" ip link set "$eth" up
echo "hvnet0: $eth in netns $ns, 10.77.0.2/24; host side hvtap0 10.77.0.1/24" >&2
ip netns exec "$ns" "${@:-sh}"
