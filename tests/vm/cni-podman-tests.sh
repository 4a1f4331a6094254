#!/bin/sh
# podman (Debian's 4.3, CNI backend, crun) running containers with
# hvdpa's devices: `--network` a CNI network of type hvdpa-cni, and
# `--device hvdpa.dev/blk=disk0` through the CDI spec. The image is a
# busybox root imported with `podman import`: the VM has no network.
#   sh tests/vm/cni-podman-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
CNI=$B/hvdpa-cni
W=/run/hvdpa-podman-test
. "$(dirname "$0")/lib.sh"
SOCK=$W/control.sock

load_modules
modprobe bridge
modprobe overlay 2>/dev/null
# podman's state on tmpfs, not in the shared root: its storage (vfs: no
# overlay over 9p), libcni's result cache, and cgroup2 for crun.
mkdir -p /var/lib/cni
mount -t tmpfs tmpfs /var/lib/cni
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p "$W/net.d" "$W/bin" "$W/rootfs/bin"
ln -sf "$CNI" "$W/bin/hvdpa-cni"
cat >"$W/containers.conf" <<C
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
[network]
network_backend = "cni"
network_config_dir = "$W/net.d"
cni_plugin_dirs = ["$W/bin", "/usr/lib/cni"]
C
cat >"$W/storage.conf" <<C
[storage]
driver = "vfs"
runroot = "$W/run"
graphroot = "$W/root"
C
export CONTAINERS_CONF=$W/containers.conf CONTAINERS_STORAGE_CONF=$W/storage.conf
cat >"$W/net.d/hvdpanet.conflist" <<C
{"cniVersion": "1.0.0", "name": "hvdpanet", "plugins": [
  {"type": "hvdpa-cni", "bridge": "hvpbr0", "control": "$SOCK",
   "ipam": {"type": "host-local", "dataDir": "$W/ipam",
            "ranges": [[{"subnet": "10.90.0.0/24", "gateway": "10.90.0.1"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
C
ip link add hvpbr0 type bridge
ip addr add 10.90.0.1/24 dev hvpbr0
ip link set hvpbr0 up

cp /bin/busybox "$W/rootfs/bin/busybox"
# Relative links: `busybox --install` would point them at this path.
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$W/rootfs/bin/$a"
done
mkdir -p "$W/rootfs/dev" "$W/rootfs/proc" "$W/rootfs/sys" "$W/rootfs/etc" "$W/rootfs/tmp"
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
podman import --change 'ENV PATH=/bin' "$W/rootfs.tar" localhost/hvbb >"$W/import.log" 2>&1
check "podman import of a busybox root: $(tail -n 1 "$W/import.log")" \
	sh -c "podman image exists localhost/hvbb"

truncate -s 64M "$W/disk.img"
start_daemon d1 --control "$SOCK" --blk name=disk0,path="$W/disk.img",attach=virtio || exit 1
wait_until 30 "grep -q 'disk0: attached' '$W/d1.log'"

echo "# podman run --network hvdpanet"
podman run --rm --network hvdpanet localhost/hvbb sh -c \
	'ip -o addr show eth0; ip route; cat /sys/class/net/eth0/device/driver/module/drivers/* 2>/dev/null; ping -c 3 -W 2 10.90.0.1' \
	>"$W/run1" 2>&1
st=$?
cat "$W/run1"
check "status $st" test $st -eq 0
check "the container's eth0 has a 10.90.0.x/24 from host-local" grep -q 'eth0 *inet 10\.90\.0\.[0-9]*/24' "$W/run1"
check "default route via the bridge's address" grep -q 'default via 10.90.0.1' "$W/run1"
check "it pings the host" grep -q ' 0% packet loss' "$W/run1"
check "and after --rm nothing is left: no tap, no device, no lease" \
	sh -c "! ip -o link show | grep -q hvcni && ! vdpa dev show | grep -q cni- && ! ls '$W/ipam/hvdpanet' 2>/dev/null | grep -q '^10\\.'"

echo "# a long-running container, its NIC seen from inside"
podman run -d --name web --network hvdpanet localhost/hvbb sh -c 'ethtool -i eth0 2>/dev/null; sleep 600' >/dev/null 2>"$W/run2.err"
check "podman run -d: $(cat "$W/run2.err")" sh -c "podman ps | grep -q web"
ip=$(podman inspect -f '{{.NetworkSettings.Networks.hvdpanet.IPAddress}}' web 2>/dev/null)
check "podman inspect gives its address ($ip)" sh -c "echo '$ip' | grep -q '^10\\.90\\.0\\.'"
check "the host pings it" sh -c "ping -c 3 -i 0.2 -W 2 '$ip' | grep -q ' 0% packet loss'"
pid=$(podman inspect -f '{{.State.Pid}}' web)
check "its eth0 is a virtio_net" sh -c "nsenter -t $pid -n ethtool -i eth0 | grep -q 'driver: virtio_net'"
podman rm -f web >/dev/null 2>&1
check "podman rm: its tap and device are gone" \
	sh -c "! ip -o link show | grep -q hvcni && ! vdpa dev show | grep -q cni-"

echo "# podman run --device hvdpa.dev/blk=disk0 (CDI)"
"$B/hvdpactl" cdi
check "the CDI spec is in /var/run/cdi" test -s /var/run/cdi/hvdpa.json
vd=$(sed -n 's/^disk0: attached (virtio_vdpa): //p' "$W/d1.log")
# The container makes a file system on the disk and writes a file in it
# (mounting needs CAP_SYS_ADMIN); the host reads the file back from the
# image after the container is gone.
podman run --rm --cap-add SYS_ADMIN --device hvdpa.dev/blk=disk0 --network none localhost/hvbb \
	sh -c "ls -l $vd && mke2fs -q $vd && mkdir -p /mnt && mount -t ext4 $vd /mnt &&
	       echo written-by-a-container >/mnt/hello && umount /mnt" >"$W/run3" 2>&1
st=$?
cat "$W/run3"
check "status $st, the container sees $vd, makes a file system, writes a file" \
	sh -c "[ $st -eq 0 ] && grep -q '^b.* $vd\$' '$W/run3'"
check "the host reads the file back from disk0's image" \
	sh -c "debugfs -R 'cat /hello' '$W/disk.img' 2>/dev/null | grep -qx written-by-a-container"
podman run --rm --device hvdpa.dev/blk=nosuch --network none localhost/hvbb true >"$W/run4" 2>&1
st=$?
check "an unknown CDI name is refused: status $st, $(head -n 1 "$W/run4")" test $st -ne 0

check "clean exit" stop_daemon 10
check "no sanitizer report" sh -c "! grep -q Sanitizer '$W/d1.log'"
rm -f /var/run/cdi/hvdpa.json
ip link del hvpbr0
umount /var/lib/cni
summary
