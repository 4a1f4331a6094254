#!/bin/sh
# Builds tools/hvzone/guest's module for the test VM's kernel (the zone
# boots the same one) against Debian's linux-headers and linux-kbuild
# packages of that kernel, fetched like the kernel itself. Cached; rebuilt
# when the source changes. Prints the .ko's path.
#
# Run it on the host before the VM boots: the VM has no network. Inside the
# VM it finds the cache.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../tools/hvzone/guest
kroot=$(sh "$here/fetch-kernel.sh")
kver=$(basename "$(ls -d "$kroot"/lib/modules/*)")
. "$here/backports.sh"

hdr=$cache/headers-$kver
if [ ! -f "$hdr/.complete" ]; then
	base=${kver%-amd64}
	rm -rf "$hdr"
	mkdir -p "$hdr"
	for p in "linux-headers-$kver" "linux-headers-$base-common" "linux-kbuild-$base"; do
		deb=$(bp_download "$p" || { bp_refresh && bp_download "$p"; })
		dpkg-deb -x "$deb" "$hdr"
	done
	# Its Makefile includes the common part by absolute path.
	sed -i "s|/usr/src/|$hdr/usr/src/|" "$hdr/usr/src/linux-headers-$kver/Makefile"
	touch "$hdr/.complete"
fi

out=$cache/hvzone-guest-$kver
stamp=$(cat "$src/Kbuild" "$src/hvzone_guest.c" | cksum | cut -d' ' -f1)
if [ ! -f "$out/hvzone_guest.ko" ] || [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$out"
	mkdir -p "$out"
	cp "$src/Kbuild" "$src/hvzone_guest.c" "$out/"
	# No BTF for it: that would need pahole, and nothing here needs BTF.
	make -s -C "$hdr/usr/src/linux-headers-$kver" M="$out" CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2
	echo "$stamp" >"$out/stamp"
fi
echo "$out/hvzone_guest.ko"
