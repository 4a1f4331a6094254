#!/bin/sh
# Installs, with apt-get, whatever the build and the VM harness need and the
# machine lacks: systemd for the VM's systemd boot (systemd-tests.sh),
# debhelper, build-essential (which dpkg-buildpackage checks for) and
# lintian for the package test (tests/unit/package.sh); a Ceph mon, OSD
# and client for the RBD tests (ceph-up.sh, rbd-tests.sh), and QEMU's rbd
# driver for qemu-storage-daemon in the RBD benchmark (qemu-block-extra,
# tests/bench/rbd-bench.sh); gnuplot for the benchmarks' charts
# (tests/bench/*-report.sh).
# Safe to run again: it does nothing when all is present.
set -eu

pkgs="meson ninja-build pkg-config gcc make liburing-dev qemu-system-x86 \
qemu-system-common qemu-utils busybox-static fio e2fsprogs iproute2 kmod \
cpio gzip util-linux clang-format valgrind libjson-c-dev \
libnl-3-dev libnl-genl-3-dev libnl-route-3-dev iperf3 ethtool socat iputils-ping \
dpdk-dev librte-net-virtio23 librte-mempool-ring23 scdoc groff-base jq \
systemd debhelper dpkg-dev build-essential lintian bash-completion \
libnbd-dev nbdkit containernetworking-plugins podman crun gnuplot-nox \
librbd-dev ceph-mon ceph-osd ceph-common qemu-block-extra"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "host-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
	echo "host-deps: need root to install$missing" >&2
	exit 1
fi
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
