#!/bin/sh
# The manual pages (docs/man/*.scd, built by scdoc): each renders with groff
# without a warning, carries the project version, and documents every option
# of its program: each long option of the program's getopt table (or that
# its main() compares argv with), each short option of its optstring, each
# command, each option its --help names. And each option the page's OPTIONS
# section lists is one the program has: page and program stay in step.
#   sh tests/unit/man.sh BUILD_DIR SOURCE_DIR VERSION
set -u
B=$1
S=$2
V=$3
M=$B/docs/man
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail=0
n=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
if [ ! -f "$M/hvdpad.8" ]; then
	echo "1..0 # SKIP no manual pages built (scdoc not found: apt-get install scdoc)"
	exit 0
fi
if ! command -v groff >/dev/null; then
	ok 1 "groff is installed (apt-get install groff-base)"
	echo "1..$n"
	exit 1
fi
# Every long option the source names: its struct option table, and the
# "--x" strings main() compares argv with (hvdpactl has no table).
long_opts() {
	{
		grep -oE '\{"[a-z0-9-]+", *(no|required|optional)_argument' "$1" |
			sed -E 's/^\{"([a-z0-9-]+)".*/--\1/'
		grep -oE '"--[a-z0-9-]+"' "$1" | tr -d '"'
	} | sort -u
}
short_opts() {
	sed -n 's/.*getopt_long([^"]*"\([a-zA-Z:]*\)".*/\1/p' "$1" | tr -d ':' | sed 's/./-& /g'
}
# hvdpactl's commands: what main() compares argv[1] with.
commands() {
	grep -oE 'argv\[1\], "[a-z]+"' "$1" | sed -E 's/.*"([a-z]+)"/\1/' | sort -u
}
has() {
	grep -qE -e "(^|[^a-zA-Z0-9-])$2([^a-zA-Z0-9-]|\$)" "$1"
}

for page in hvdpad.8:tools/hvdpad.c hvdpactl.8:tools/hvdpactl.c \
	hvbridge.8:tools/hvbridge.c hvzone.1:tools/hvzone/main.c; do
	src=$S/${page#*:}
	page=${page%%:*}
	prog=${page%.*}
	if [ ! -f "$M/$page" ]; then
		# hvzone (and its page) are built on x86_64 only.
		[ "$prog" = hvzone ] && [ ! -e "$B/hvzone" ] && continue
		ok 1 "$page: built"
		continue
	fi
	groff -man -Tutf8 -ww -z "$M/$page" >"$w/warn" 2>&1
	st=$?
	[ $st -eq 0 ] && [ ! -s "$w/warn" ]
	ok $? "$page: groff -man -ww renders it without a warning (status $st$(
		[ -s "$w/warn" ] && printf ': %s' "$(head -3 "$w/warn" | tr '\n' ' ')"))"
	# One line per paragraph, so that no option is broken or hyphenated.
	groff -man -Tascii -P-cbou -rLL=3000n "$M/$page" 2>/dev/null >"$w/text"
	grep -q "^NAME" "$w/text" && grep -q "^SYNOPSIS" "$w/text"
	ok $? "$page: renders to text"
	grep -q "hvdpa $V" "$w/text"
	ok $? "$page: its footer says hvdpa $V"

	missing=""
	for o in $(long_opts "$src") $(short_opts "$src"); do
		has "$w/text" "$o" || missing="$missing $o"
	done
	[ -z "$missing" ]
	ok $? "$page: documents every option of ${src#"$S"/}${missing:+ (missing:$missing)}"
	missing=""
	for c in $(commands "$src"); do
		has "$w/text" "$prog $c" || missing="$missing $c"
	done
	[ -z "$missing" ]
	ok $? "$page: documents every command${missing:+ (missing:$missing)}"
	if [ -x "$B/$prog" ]; then
		"$B/$prog" --help >"$w/help" 2>&1
		missing=""
		for o in $(grep -oE -e '--[a-z0-9-]+' "$w/help" | sort -u); do
			has "$w/text" "$o" || missing="$missing $o"
		done
		[ -z "$missing" ]
		ok $? "$page: documents every option $prog --help names${missing:+ (missing:$missing)}"
	fi
	# The OPTIONS section's headings (indented 7, starting with -).
	extra=""
	long_opts "$src" >"$w/known"
	for o in $(awk '/^[A-Z]/ { in_opts = ($0 == "OPTIONS") } in_opts && /^       -/' "$w/text" |
		grep -oE -e '--[a-z0-9-]+' | sort -u); do
		grep -qx -e "$o" "$w/known" || extra="$extra $o"
	done
	[ -z "$extra" ]
	ok $? "$page: OPTIONS lists no option ${src#"$S"/} lacks${extra:+ (unknown:$extra)}"
done

# hvdpa.conf(5): renders cleanly, and names every line a config file may
# hold (hvdpad_conf.c's table) and every key of --blk and --net (the
# devices' parsers, and hvdpad's attach=).
page=hvdpa.conf.5
if [ ! -f "$M/$page" ]; then
	ok 1 "$page: built"
else
	groff -man -Tutf8 -ww -z "$M/$page" >"$w/warn" 2>&1
	st=$?
	[ $st -eq 0 ] && [ ! -s "$w/warn" ]
	ok $? "$page: groff -man -ww renders it without a warning (status $st)"
	groff -man -Tascii -P-cbou -rLL=3000n "$M/$page" 2>/dev/null >"$w/text"
	grep -q "hvdpa $V" "$w/text"
	ok $? "$page: its footer says hvdpa $V"
	missing=""
	for o in $(grep -oE '^[[:space:]]*\{"[a-z-]+", (true|false)\}' "$S/tools/hvdpad_conf.c" |
		sed -E 's/.*"([a-z-]+)".*/\1/'); do
		grep -qE "^       $o( |\$)" "$w/text" || missing="$missing $o"
	done
	[ -z "$missing" ] && grep -q 'blk' "$w/text"
	ok $? "$page: a heading for each line hvdpad_conf.c takes${missing:+ (missing:$missing)}"
	missing=""
	for k in $(grep -ohE 'strcmp\(tok, "[a-z-]+"\)' "$S/devices/blk_options.c" "$S/devices/net_options.c" |
		sed -E 's/.*"([a-z-]+)".*/\1/' | sort -u) attach; do
		has "$w/text" "$k=" || missing="$missing $k="
	done
	[ -z "$missing" ]
	ok $? "$page: names every --blk and --net key${missing:+ (missing:$missing)}"
fi
echo "1..$n"
exit $fail
