#!/bin/sh
# hvdpad --config against malformed files: each refused before anything
# is created, exit status 2, one line naming the file and line. (Files
# that parse are served in the VM: blk-tests.sh.)
set -u
H=$1/hvdpad
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
pass=0
fail=0
# refused DESCRIPTION EXPECTED_MESSAGE ARGS...
refused() {
	d=$1 want=$2
	shift 2
	"$H" "$@" >"$w/out" 2>"$w/err"
	st=$?
	if [ $st -eq 2 ] && grep -qxF "hvdpad: $want" "$w/err" && [ "$(wc -l <"$w/err")" -eq 1 ]; then
		pass=$((pass + 1))
		echo "ok - $d"
	else
		fail=$((fail + 1))
		echo "not ok - $d (status $st): $(cat "$w/err")"
	fi
}
printf '# disks\nblk name=d0,path=/srv/d0.img\nblk name=d1\n' >"$w/a.conf"
refused "a device's own error, with its file and line" \
	"--config $w/a.conf:3: blk name=d1: path= is required" --config "$w/a.conf"
printf 'blk name=d0,path=/x\n\nattach virtio\n' >"$w/b.conf"
refused "an unknown option" \
	"--config $w/b.conf:3: a line is blk, net, control, state-dir or verbose, not 'attach'" --config "$w/b.conf"
printf 'net name=n0,tap=t0,attach=sideways\n' >"$w/c.conf"
refused "attach= checked as on the command line" \
	"--config $w/c.conf:1: net name=n0,tap=t0,attach=sideways: attach must be virtio, vhost or none, not 'sideways'" \
	--config "$w/c.conf"
mkdir "$w/d"
printf 'blk name=disk,path=/a\n' >"$w/d/10-a.conf"
printf '# second\nblk name=disk,path=/b\n' >"$w/d/20-b.conf"
refused "a name given twice across a directory's files: both places said" \
	"device name 'disk' given twice ($w/d/10-a.conf:1, $w/d/20-b.conf:2)" --config "$w/d"
refused "a name in a file and on the command line" \
	"device name 'disk' given twice ($w/d/10-a.conf:1, --blk)" --config "$w/d/10-a.conf" --blk name=disk,path=/c
refused "a file that is not there" "--config $w/none: No such file or directory" --config "$w/none"
mkdir "$w/empty"
refused "an empty directory, no control socket: nothing to serve" \
	"nothing to serve: give at least one --blk or --net, or a control socket to add them through" \
	--config "$w/empty" --control none
i=0
while [ $i -le 256 ]; do
	echo "blk name=d$i,path=/x"
	i=$((i + 1))
done >"$w/many.conf"
refused "more than 256 devices" "--config $w/many.conf:257: blk name=d256,path=/x: more than 256 devices" \
	--config "$w/many.conf"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
