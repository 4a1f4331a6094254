#!/bin/sh
# Builds a busybox initramfs: INIT as /init, and the named kernel modules
# with their dependencies, decompressed (busybox insmod may not read .ko.xz),
# in /modules, loading order in /modules.order. Used for the test VM and for
# the guests and zones that run inside it.
#
#   tests/vm/mkinitrd.sh KERNEL_ROOT KVER OUT INIT [MODULE ...]
#
# KERNEL_ROOT holds lib/modules/KVER (/ inside the test VM).
set -eu
[ $# -ge 4 ] || { echo "usage: $0 KERNEL_ROOT KVER OUT INIT [MODULE ...]" >&2; exit 2; }
kroot=$1 kver=$2 out=$3 init=$4
shift 4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/proc" "$work/sys" "$work/dev" "$work/modules"
cp /bin/busybox "$work/bin/busybox"
cp "$init" "$work/init"
chmod +x "$work/init"
: >"$work/modules.order"
if [ $# -gt 0 ]; then
	modprobe -d "$kroot" -S "$kver" -a --show-depends "$@" |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r ko; do
			name=$(basename "$ko" .xz)
			case $ko in
			*.xz) xz -dc "$ko" >"$work/modules/$name" ;;
			*) cp "$ko" "$work/modules/$name" ;;
			esac
			echo "$name" >>"$work/modules.order"
		done
fi
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
