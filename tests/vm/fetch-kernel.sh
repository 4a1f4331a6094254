#!/bin/sh
# Fetches Debian's bookworm-backports 6.12 kernel (it ships vduse, vdpa,
# virtio_vdpa, vhost_vdpa and 9p as modules), unpacks it into the cache and
# runs depmod. The mirror is whatever this machine's own apt sources name:
# no host name lives in this repository.
#
# Prints the directory of the unpacked kernel: it holds boot/vmlinuz-VER and
# lib/modules/VER.
set -eu

. "$(dirname "$0")/backports.sh"

# The generic flavour, not -rt or -cloud.
# shellcheck disable=SC2086
find_pkg() {
	apt-cache $apt_opts search --names-only '^linux-image-6\.12\.[0-9.]*[+]deb[0-9]*-amd64-unsigned$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1
}

pkg=""
if [ -z "${HVDPA_KERNEL_REFRESH:-}" ]; then
	pkg=$(find_pkg || true)
fi
if [ -z "$pkg" ]; then
	bp_refresh
	pkg=$(find_pkg)
fi
[ -n "$pkg" ] || { echo "fetch-kernel: no linux-image-6.12.*-amd64-unsigned in bookworm-backports" >&2; exit 1; }

ver=${pkg#linux-image-}
ver=${ver%-unsigned}
root=$cache/kernel-$ver
if [ ! -f "$root/.complete" ]; then
	deb=$(bp_download "$pkg")
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$deb" "$root"
	depmod -b "$root" "$ver"
	touch "$root/.complete"
fi
echo "$root"
