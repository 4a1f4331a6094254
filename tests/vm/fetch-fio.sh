#!/bin/sh
# fio for the zones' initramfs, built static from bookworm's fio source
# package without the engines that need libraries: Debian's fio binary
# loads 64 libraries (80 MB: librbd, librados, gluster...), which in a
# 256 MiB zone's initramfs hung every zone before its init. io_uring,
# psync and the verify code are all there. The source comes through a
# private deb-src apt configuration with this machine's own bookworm URI
# (tests/vm/backports.sh). Cached; prints the binary's path.
#
# Run it on the host before the VM boots: the VM has no network.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/backports.sh"

out=$cache/fio-static
if [ ! -x "$out/fio" ]; then
	src_apt=$cache/apt-src
	mkdir -p "$src_apt/lists/partial" "$src_apt/sources.list.d"
	cat >"$src_apt/sources.list.d/bookworm-src.sources" <<SRC
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	src_opts="-o Dir::Etc::SourceList=/dev/null
		-o Dir::Etc::SourceParts=$src_apt/sources.list.d
		-o Dir::State::Lists=$src_apt/lists
		-o Debug::NoLocking=1
		-o APT::Sandbox::User=root"
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	# shellcheck disable=SC2086
	apt-get $src_opts update -q >&2
	# shellcheck disable=SC2086
	(cd "$out.tmp" && apt-get $src_opts source --download-only fio >&2)
	(cd "$out.tmp" && tar xzf fio_*.orig.tar.gz && cd fio-*/ &&
		./configure --build-static --disable-native --disable-numa --disable-rdma \
			--disable-rados --disable-rbd --disable-http --disable-gfapi \
			--disable-libnfs --disable-pmem --disable-xnvme --disable-libzbc \
			--disable-tcmalloc --disable-dfs --disable-lex >&2 &&
		make -s -j"$(nproc)" fio >&2 && strip fio && cp fio ..) >&2
	mkdir -p "$out"
	mv "$out.tmp/fio" "$out/fio"
	rm -rf "$out.tmp"
fi
echo "$out/fio"
