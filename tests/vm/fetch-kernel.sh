#!/bin/sh
# Fetches Debian's bookworm-backports 6.12 kernel (it ships vduse, vdpa,
# virtio_vdpa, vhost_vdpa and 9p as modules), unpacks it into the cache and
# runs depmod. The mirror is whatever this machine's own apt sources name:
# no host name lives in this repository.
#
# Prints the directory of the unpacked kernel: it holds boot/vmlinuz-VER and
# lib/modules/VER.
set -eu

cache=${HVDPA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvdpa}
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	"$apt_dir/sources.list.d" "$cache/debs"

sources=/etc/apt/sources.list.d/debian.sources
[ -r "$sources" ] || { echo "fetch-kernel: $sources not readable" >&2; exit 1; }

# The URIs of the stanza that carries the plain bookworm suite, not -security.
uri=$(awk '
	/^URIs:/ { u = $2 }
	/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print u; exit } }
' "$sources")
[ -n "$uri" ] || { echo "fetch-kernel: no bookworm URI in $sources" >&2; exit 1; }

cat >"$apt_dir/sources.list.d/backports.sources" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

apt_opts="-o Dir::Etc::SourceList=/dev/null
	-o Dir::Etc::SourceParts=$apt_dir/sources.list.d
	-o Dir::State::Lists=$apt_dir/lists
	-o Dir::Cache=$apt_dir/cache
	-o Debug::NoLocking=1
	-o APT::Sandbox::User=root"

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
	# shellcheck disable=SC2086
	apt-get $apt_opts update -q >&2
	pkg=$(find_pkg)
fi
[ -n "$pkg" ] || { echo "fetch-kernel: no linux-image-6.12.*-amd64-unsigned in bookworm-backports" >&2; exit 1; }

ver=${pkg#linux-image-}
ver=${ver%-unsigned}
root=$cache/kernel-$ver
if [ ! -f "$root/.complete" ]; then
	deb=$(ls "$cache/debs/${pkg}_"*.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$deb" ]; then
		# shellcheck disable=SC2086
		(cd "$cache/debs" && apt-get $apt_opts download "$pkg" >&2)
		deb=$(ls "$cache/debs/${pkg}_"*.deb | tail -n 1)
	fi
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$deb" "$root"
	depmod -b "$root" "$ver"
	touch "$root/.complete"
fi
echo "$root"
