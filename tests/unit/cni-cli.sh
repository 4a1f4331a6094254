#!/bin/sh
# hvdpa-cni driven as a runtime drives it (CNI_* environment, JSON on
# stdin), where no VDUSE is needed: VERSION, and the spec's error object
# and exit status for broken input, before anything is touched.
#   sh tests/unit/cni-cli.sh BUILD_DIR
set -u
CNI=$1/hvdpa-cni
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
n=0
fail=0
check() {
	d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=$((fail + 1)); fi
}
# run STDIN ENV...: the plugin's stdout in $w/out, stderr in $w/err,
# status in $st.
run() {
	in=$1
	shift
	printf '%s' "$in" | env -i "$@" "$CNI" >"$w/out" 2>"$w/err"
	st=$?
}
# json_is KEY VALUE: stdout's top-level "KEY" is VALUE (a number, or a
# string when quoted), whatever the spacing.
json_is() {
	tr -d ' \n' <"$w/out" | grep -q "\"$1\":$2[,}]"
}
good='{"cniVersion": "1.0.0", "name": "hv", "type": "hvdpa-cni", "bridge": "hvbr-none0"}'
ENV="CNI_CONTAINERID=c1 CNI_NETNS=/proc/self/ns/net CNI_IFNAME=eth7 CNI_PATH=/usr/lib/cni"

# shellcheck disable=SC2086
run '{"cniVersion": "1.0.0"}' CNI_COMMAND=VERSION
check "VERSION: status 0" test $st -eq 0
check "VERSION: lists 0.3.1, 0.4.0 and 1.0.0" sh -c "tr -d ' \n' <'$w/out' | grep -q '\"supportedVersions\":\[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"\]'"

# shellcheck disable=SC2086
run '{"cniVersion": "1.0.0", "name": ' CNI_COMMAND=ADD $ENV
check "truncated JSON: status 1" test $st -eq 1
check "truncated JSON: code 6" json_is code 6
check "truncated JSON: says so" grep -q 'not JSON' "$w/out"
check "and one line on stderr" test "$(wc -l <"$w/err")" -eq 1

run "$good" CNI_COMMAND=ADD
check "no environment: status 1" test $st -eq 1
check "no environment: code 4" json_is code 4
check "it names what is missing" grep -q 'CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH' "$w/out"

# shellcheck disable=SC2086
run '{"cniVersion": "0.2.0", "name": "hv", "bridge": "b"}' CNI_COMMAND=ADD $ENV
check "cniVersion 0.2.0: code 1" json_is code 1
check "answered in a version we speak" json_is cniVersion '"1.0.0"'

# shellcheck disable=SC2086
run '{"cniVersion": "0.4.0", "name": "hv", "bridge": "b", "mtu": 12}' CNI_COMMAND=ADD $ENV
check "mtu 12: code 7, in the configuration's version" sh -c "[ $st -eq 1 ]"
check "mtu 12: code 7" json_is code 7
check "mtu 12: cniVersion 0.4.0" json_is cniVersion '"0.4.0"'

# shellcheck disable=SC2086
run '{"cniVersion": "1.0.0", "name": "hv", "bridge": "b", "bridg": "c"}' CNI_COMMAND=ADD $ENV
check "unknown key: code 2" json_is code 2

# shellcheck disable=SC2086
run "$good" CNI_COMMAND=ADD $ENV
check "a bridge that does not exist: status 1" test $st -eq 1
check "a bridge that does not exist: code 7" json_is code 7
check "it is named" grep -q 'bridge hvbr-none0 does not exist' "$w/out"

# shellcheck disable=SC2086
run "$good" CNI_COMMAND=CHECK $ENV
check "CHECK without prevResult: code 7" json_is code 7

run "$good" CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/proc/self/ns/net CNI_IFNAME=a/b CNI_PATH=/x
check "CNI_IFNAME with a slash: code 4" json_is code 4

# shellcheck disable=SC2086
run "$(head -c 1100000 /dev/zero | tr '\0' ' ')" CNI_COMMAND=ADD $ENV
check "over 1 MiB of stdin: code 6" json_is code 6

echo "1..$n"
[ $fail -eq 0 ]
