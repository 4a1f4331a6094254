#!/bin/sh
# Host-only profile of the RBD engine (micro_remote.c): ceph-up.sh's one-OSD
# cluster on this machine, a 32 MiB image filled with random data (reads
# reach the OSD), then micro-remote reading and writing 4k at depth BATCH
# under perf: the share of the client process's CPU samples in hvdpad's
# own code (blk_rbd.c and the request path) against librbd, librados and
# the kernel, and the symbols that lead; and, where perf can probe libc
# (root), the process's malloc() and calloc() calls per request (hvdpad's
# own: a calloc for each request, a malloc for a read's bounce buffer).
# The cluster's daemons are other processes and not counted.
#   sh tests/bench/micro-rbd.sh [BUILD_DIR] [REQUESTS] [BATCH]
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build-release}
n=${2:-20000}
batch=${3:-32}
[ -f "$B/build.ninja" ] || meson setup "$B" --buildtype=release >/dev/null
ninja -C "$B" tests/bench/micro-remote >/dev/null
D=$(mktemp -d /tmp/micro-rbd.XXXXXX)
libc=$(ldd "$B/tests/bench/micro-remote" | awk '/libc.so/ { print $3 }')
trap 'sh tests/vm/ceph-up.sh "$D/ceph" --stop; rm -rf "$D"; perf probe -q -d "probe_libc:*" 2>/dev/null' EXIT
# A port of its own: the unit tests' clusters may be up beside it.
CEPH_PORT=$((20000 + $$ % 10000)) sh tests/vm/ceph-up.sh "$D/ceph" >/dev/null
head -c 32M /dev/urandom >"$D/fill"
rbd -c "$D/ceph/ceph.conf" import --no-progress "$D/fill" rbd/m >/dev/null
for op in read write; do
	perf record -q -o "$D/perf.data" -- "$B/tests/bench/micro-remote" "rbd=rbd/m,ceph-conf=$D/ceph/ceph.conf" \
		"$n" "$batch" $op
	# Per DSO, then hvdpad's symbols (the binary's own) and the top ten.
	perf report -i "$D/perf.data" --stdio --sort dso 2>/dev/null | grep '%' | head -n 8
	perf report -i "$D/perf.data" --stdio --sort dso,sym 2>/dev/null | grep '%' |
		awk '/micro-remote/ { s += $1 } END { printf "micro-remote (hvdpad code) total: %.2f%%\n", s }'
	perf report -i "$D/perf.data" --stdio --sort sym 2>/dev/null | grep '%' | head -n 12
done

# Calls per request: the difference between n and 2n requests, so that
# connecting and opening do not count.
if perf probe -q -x "$libc" malloc 2>/dev/null && perf probe -q -x "$libc" calloc 2>/dev/null; then
	for op in read write; do
		for k in 1 2; do
			perf stat -x, -e probe_libc:malloc,probe_libc:calloc -o "$D/stat$k" -- \
				"$B/tests/bench/micro-remote" "rbd=rbd/m,ceph-conf=$D/ceph/ceph.conf" $((n * k)) "$batch" $op >/dev/null
		done
		awk -F, -v n="$n" -v op=$op 'FNR == NR && /probe_libc/ { a[$3] = $1; next }
			/probe_libc/ { printf "%s: %.1f %s() calls per request\n", op, ($1 - a[$3]) / n, substr($3, 12) }' \
			"$D/stat1" "$D/stat2"
	done
fi
