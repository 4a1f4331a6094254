#!/bin/sh
# Every program's --version: "NAME VERSION" (meson's project version) on
# stdout alone, status 0, and not 0 when stdout cannot take it; --help
# (status 0) names --version.
#   sh tests/unit/version.sh BUILD_DIR VERSION
set -u
B=$1
V=$2
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail=0
n=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
for p in hvdpad hvdpactl hvbridge hvzone; do
	if [ ! -x "$B/$p" ]; then
		# hvzone is built on x86_64 only.
		[ "$p" = hvzone ] && { echo "# $p not built here"; continue; }
		ok 1 "$p: built"
		continue
	fi
	"$B/$p" --version >"$w/out" 2>"$w/err"
	st=$?
	ok $st "$p --version: status 0 (got $st)"
	out=$(cat "$w/out")
	[ "$out" = "$p $V" ]
	ok $? "$p --version: prints '$p $V' (got '$out')"
	[ ! -s "$w/err" ]
	ok $? "$p --version: nothing on stderr"
	if [ -w /dev/full ]; then
		"$B/$p" --version >/dev/full 2>/dev/null
		[ $? -ne 0 ]
		ok $? "$p --version >/dev/full: a non-zero status"
	fi
	"$B/$p" --help >"$w/out" 2>"$w/err"
	st=$?
	ok $st "$p --help: status 0 (got $st)"
	grep -q -e '--version' "$w/out"
	ok $? "$p --help: names --version"
done
echo "1..$n"
exit $fail
