#!/bin/sh
# The Debian package: dpkg-buildpackage -b builds it from a copy of the
# source tree (the working tree's files, committed or not), lintian finds
# no error in it, and what it installs is where its units, helper and
# manual pages say: every Exec*= path of every unit is an executable in the
# package, the config dir the units read holds the example, the manual
# pages and bash completions are where man and bash look for them, and
# the completions complete.
#   sh tests/unit/package.sh SOURCE_DIR
# Ends with "N passed, N failed"; exit 77 (skipped) without debhelper.
# About 15 s: meson test runs it (tests/unit/meson.build).
set -u
S=$(cd "${1:-.}" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
pass=0
fail=0
ok() {
	if [ "$1" = 0 ]; then
		pass=$((pass + 1))
		echo "ok - $2"
	else
		fail=$((fail + 1))
		echo "not ok - $2"
	fi
}
done_() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# Not a Debian build host: nothing to test (meson test says SKIP). CI's
# host-deps.sh installs them.
for t in dpkg-buildpackage dh lintian; do
	if ! command -v $t >/dev/null; then
		echo "# SKIP: no $t (apt-get install dpkg-dev debhelper lintian)"
		exit 77
	fi
done

# A copy, so the build's debian/ droppings and ../*.deb stay out of the
# tree; git's list of files, so no build dir comes along.
mkdir "$w/src"
if git -C "$S" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$S" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -C "$w/src" -xf -
else
	(cd "$S" && tar --exclude='./build*' --exclude=./debian/hvdpa -cf - .) | tar -C "$w/src" -xf -
fi
t0=$(date +%s)
(cd "$w/src" && dpkg-buildpackage -b -us -uc) >"$w/build.log" 2>&1
st=$?
deb=$(ls "$w"/hvdpa_*.deb 2>/dev/null | head -n 1)
[ $st -eq 0 ] && [ -n "$deb" ]
ok $? "dpkg-buildpackage -b -us -uc: status $st, $(basename "${deb:-no .deb}") in $(($(date +%s) - t0)) s"
if [ -z "$deb" ]; then
	tail -n 30 "$w/build.log"
	done_
fi
! grep -q 'tests/run-all\|meson test' "$w/build.log"
ok $? "no tests run in the package build"

lintian --no-tag-display-limit "$deb" >"$w/lintian" 2>&1
grep '^E:' "$w/lintian" >"$w/errors"
[ ! -s "$w/errors" ]
ok $? "lintian: no error ($(grep -c '^W:' "$w/lintian") warnings)"
cat "$w/errors"

dpkg-deb -x "$deb" "$w/root"
r=$w/root
missing=""
for f in usr/bin/hvdpad usr/bin/hvdpactl usr/bin/hvbridge; do
	[ -x "$r/$f" ] || missing="$missing /$f"
done
[ -z "$missing" ]
ok $? "the programs are in /usr/bin${missing:+ (missing:$missing)}"
"$r/usr/bin/hvdpad" --version >/dev/null && "$r/usr/bin/hvdpactl" --version >/dev/null &&
	"$r/usr/bin/hvbridge" --version >/dev/null
ok $? "they run (--version), linked against what Depends names: $(dpkg-deb -f "$deb" Depends)"
# The CNI plugin where runtimes look for plugins (CNI_PATH's default).
[ -x "$r/usr/lib/cni/hvdpa-cni" ] && printf '{"cniVersion":"1.0.0"}' |
	CNI_COMMAND=VERSION "$r/usr/lib/cni/hvdpa-cni" | grep -q '"supportedVersions"'
ok $? "hvdpa-cni is in /usr/lib/cni and answers VERSION"

missing=""
for m in man8/hvdpad.8 man8/hvdpactl.8 man8/hvbridge.8 man5/hvdpa.conf.5; do
	[ -f "$r/usr/share/man/$m.gz" ] || missing="$missing $m"
done
[ -z "$missing" ]
ok $? "manual pages in /usr/share/man${missing:+ (missing:$missing)}"

ud=$r/lib/systemd/system
missing=""
for u in hvdpad@.service hvdpa-attach@.service hvbridge.service; do
	[ -f "$ud/$u" ] || missing="$missing $u"
done
[ -z "$missing" ]
ok $? "units in /lib/systemd/system${missing:+ (missing:$missing)}"

# Every command a unit runs, and the programs its helper runs, are in the
# package at those paths.
bad=""
n=0
for f in "$ud"/hvdpad@.service "$ud"/hvdpa-attach@.service "$ud"/hvbridge.service; do
	for p in $(sed -n 's/^Exec[A-Za-z]*=[-@!+:]*\([^ ]*\).*/\1/p' "$f"); do
		n=$((n + 1))
		[ -x "$r$p" ] || bad="$bad $(basename "$f"):$p"
		case $p in
		*/hvdpa-attach)
			h=$(sed -n 's/^hvdpactl=//p' "$r$p" 2>/dev/null)
			[ -n "$h" ] && [ -x "$r$h" ] || bad="$bad hvdpa-attach:hvdpactl=$h"
			;;
		esac
	done
done
[ -z "$bad" ] && [ $n -ge 4 ]
ok $? "the units' $n Exec lines run executables of the package${bad:+ (not there:$bad)}"

# The config path the units read: /etc/hvdpa, as the man page says, with
# the example there and read by no unit (not *.conf).
grep -q '^Environment=HVDPA_CONFIG=/etc/hvdpa/%i.conf$' "$ud/hvdpad@.service" &&
	grep -q 'HVBRIDGE_CONFIG=/etc/hvdpa/hvbridge.json' "$ud/hvbridge.service" &&
	zcat "$r/usr/share/man/man5/hvdpa.conf.5.gz" | groff -man -Tascii -P-cbou 2>/dev/null |
	grep -q '/etc/hvdpa/hvdpa.conf.example'
ok $? "the units read /etc/hvdpa, as hvdpa.conf(5) says"
[ -f "$r/etc/hvdpa/hvdpa.conf.example" ] && ! ls "$r"/etc/hvdpa/*.conf >/dev/null 2>&1
ok $? "/etc/hvdpa/hvdpa.conf.example installed, and no *.conf"
grep -qx /etc/hvdpa/hvdpa.conf.example "$w/src/debian/hvdpa/DEBIAN/conffiles" 2>/dev/null
ok $? "it is a conffile"
# The example parses: hvdpad gets past it to the VDUSE check (a mistake
# would name the file and line). With VDUSE (in a VM) it would serve.
"$r/usr/bin/hvdpad" --config "$r/etc/hvdpa/hvdpa.conf.example" >/dev/null 2>"$w/ex.err"
! grep -q 'hvdpa.conf.example:' "$w/ex.err"
ok $? "the example config parses ($(head -c 120 "$w/ex.err"))"

cd=$r/usr/share/bash-completion/completions
[ -f "$cd/hvdpad" ] && [ -f "$cd/hvdpactl" ] && bash -n "$cd/hvdpad" && bash -n "$cd/hvdpactl"
ok $? "bash completions in /usr/share/bash-completion/completions, valid bash"
# complete PROGRAM WORDS...: what PROGRAM's completion offers for the last word.
complete_() {
	bash -c '. /usr/share/bash-completion/bash_completion && . "$1" && shift &&
		COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) && COMP_LINE="$*" &&
		COMP_POINT=${#COMP_LINE} && { "_$1"; printf "%s\n" "${COMPREPLY[@]}"; }' \
		sh "$cd/$1" "$@" 2>/dev/null | sort | tr '\n' ' '
}
if [ -f /usr/share/bash-completion/bash_completion ]; then
	c1=$(complete_ hvdpactl at)
	c2=$(complete_ hvdpactl attach x '')
	c3=$(complete_ hvdpad --)
	c4=$(complete_ hvdpad --blk name=d0,att)
	[ "$c1" = "attach " ] && [ "$c2" = "vhost virtio " ] &&
		echo "$c3" | grep -q -- '--config' && [ "$c4" = "name=d0,attach= " ]
	ok $? "they complete: 'hvdpactl at' -> $c1; 'attach x' -> $c2; 'hvdpad --blk name=d0,att' -> $c4"
	# Every key the option parsers take is offered (packed= was not).
	missing=""
	for opt in blk net; do
		for k in $(sed -n 's/.*strcmp(tok, "\([a-z-]*\)").*/\1/p' "$S/devices/${opt}_options.c" | sort -u); do
			complete_ hvdpad --$opt "name=d0,$k" | grep -q "name=d0,$k= " || missing="$missing --$opt $k="
		done
	done
	[ -z "$missing" ]
	ok $? "every key of blk_options.c and net_options.c completes${missing:+; missing:$missing}"
fi
done_
