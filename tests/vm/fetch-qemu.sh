#!/bin/sh
# Fetches QEMU 10 from bookworm-backports (the host keeps its own QEMU 7.2,
# which has no vhost-vdpa-device-pci) and unpacks it into the cache; its
# libraries are bookworm's, which host-deps.sh installs with QEMU 7.2.
#
# Prints the directory: usr/bin/qemu-system-x86_64 in it, run with
# -L DIR/usr/share/qemu -L /usr/share/qemu (SeaBIOS comes from the host).
set -eu

. "$(dirname "$0")/backports.sh"

# shellcheck disable=SC2086
ver=$(apt-cache $apt_opts show qemu-system-x86 2>/dev/null | awk '/^Version: 1:1[0-9]/ {print $2; exit}')
if [ -z "$ver" ]; then
	bp_refresh
	# shellcheck disable=SC2086
	ver=$(apt-cache $apt_opts show qemu-system-x86 | awk '/^Version: 1:1[0-9]/ {print $2; exit}')
fi
[ -n "$ver" ] || { echo "fetch-qemu: no QEMU 10 in bookworm-backports" >&2; exit 1; }

root=$cache/qemu-${ver#1:}
if [ ! -f "$root/.complete" ]; then
	rm -rf "$root"
	mkdir -p "$root"
	for p in qemu-system-x86 qemu-system-common qemu-system-data; do
		dpkg-deb -x "$(bp_download "$p")" "$root"
	done
	"$root/usr/bin/qemu-system-x86_64" --version >&2
	touch "$root/.complete"
fi
echo "$root"
