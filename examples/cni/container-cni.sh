#!/bin/sh
# A network namespace gets its NIC from hvdpa-cni, called exactly as a
# container runtime calls a CNI plugin: CNI_* in the environment, the
# network configuration (one plugin of examples/cni/hvdpa.conflist) on
# stdin, the result on stdout. hvdpad serves the NIC over VDUSE.
#   sh examples/cni/container-cni.sh [NETNS] [-- COMMAND...]
# Without a command the container runs an interactive shell; on exit the
# plugin's DEL takes the NIC, the tap and the address back. host-local
# keeps its leases in $HVDPA_CNI_DATA (default /var/lib/cni/networks).
set -eu
ns=cnictr
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	ns=$1
	shift
fi
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
B=${HVDPA_BUILD:-$(cd "$here/../.." && pwd)/build}
sock=/run/hvdpa/control.sock
log=/run/hvdpad-cni.log

modprobe -a vduse vdpa virtio_vdpa virtio_net tun bridge
# The bridge the configuration names, with the gateway's address on it.
ip link add hvbr0 type bridge 2>/dev/null || true
ip addr replace 10.89.7.1/24 dev hvbr0
ip link set hvbr0 up
ip netns add "$ns" 2>/dev/null || true
ip netns exec "$ns" ip link set lo up

# hvdpad with its control socket and no device: the plugin adds them.
mkdir -p /run/hvdpa
pid=""
if [ ! -S "$sock" ]; then
	"$B/hvdpad" --control "$sock" >"$log" 2>&1 &
	pid=$!
	i=0
	until [ -S "$sock" ]; do
		i=$((i + 1))
		[ $i -le 100 ] && kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.1
	done
fi

# The plugin's configuration: hvdpa.conflist's one plugin with the list's
# cniVersion and name, as the runtime hands it over.
conf='{"cniVersion": "1.0.0", "name": "hvdpa", "type": "hvdpa-cni", "bridge": "hvbr0",
  "control": "'$sock'", "mtu": 1500,
  "ipam": {"type": "host-local", "dataDir": "'${HVDPA_CNI_DATA:-/var/lib/cni/networks}'", "ranges": [[{"subnet": "10.89.7.0/24", "gateway": "10.89.7.1"}]],
           "routes": [{"dst": "0.0.0.0/0"}]},
  "dns": {"nameservers": ["10.89.7.1"]}}'
cni() {
	printf '%s' "$conf" | CNI_COMMAND=$1 CNI_CONTAINERID=example-$ns CNI_NETNS=/run/netns/$ns \
		CNI_IFNAME=eth0 CNI_PATH=$B:/usr/lib/cni "$B/hvdpa-cni"
}
cleanup() {
	cni DEL >/dev/null || true
	[ -z "$pid" ] || { kill "$pid"; wait "$pid"; }
}
trap cleanup EXIT
cni ADD
ip netns exec "$ns" "${@:-sh}"
