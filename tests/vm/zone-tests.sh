#!/bin/sh
# VM tests of hvzone: a real Linux zone (the VM's own kernel and a busybox
# initramfs, under nested KVM) whose virtio-mmio devices hvbridge serves
# through the simulator's socket. The zone's own virtio_mmio, virtio_blk
# and virtio_console drive them.
#   sh tests/vm/zone-tests.sh BUILD_DIR [PART...]   (boot local vhost ram2 panic net)
# The zone's module is built by tests/vm/zone-module.sh, which needs the
# network the first time: run it on the host before the VM boots.
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
W=/run/hvzone-test
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/zone-lib.sh"
SOCK=$W/zone1.sock
shift
# The parts to run (all when none is named): each boots its own zones, so
# that a test VM the nested platform took down part-way runs again from
# the part it was in (tests/vm/suites.sh runs them as zone-tests:PART).
PARTS=${*:-boot local vhost ram2 panic net}

zone_setup || {
	summary
	exit 1
}

part_boot() {
	echo "# boot: the zone's kernel reaches its init and powers off"
	cat >"$W/boot.sh" <<'EOF'
#!/bin/sh
echo "zone: hello from $(uname -r)"
EOF
	t0=$(date +%s)
	zone boot "$W/boot.sh"
	st=$?
	check "hvzone exits 0 when the zone powers off (status $st, $(($(date +%s) - t0)) s)" test $st -eq 0
	check "the zone's console shows the kernel and its init" \
		sh -c "grep -q 'Linux version' '$W/boot.log' && grep -q 'zone: hello from $KVER' '$W/boot.log'"
	check "hvzone says why it ended" grep -q "the zone powered off" "$W/boot.err"
	[ $st -eq 0 ] || show boot
}

# What each blk zone does: virtio_blk's disk made, mounted, written,
# read back, checked, let go and taken again; a few lines of what the zone
# saw, for the log.
cat >"$W/blk.sh" <<'EOF'
#!/bin/sh
# The page cache by memory zone: with RAM above 4 GiB (hvzone --ram2) the
# zone's kernel has a Normal zone, all of it in that region.
file_pages() {
	awk -v when="$1" '$1 == "Node" { z = $4 } $1 ~ /^nr_zone_(in)?active_file$/ { n[z] += $2 }
		END { for (z in n) printf "zone: file pages %s in %s: %d\n", when, z, n[z] }' /proc/zoneinfo
}
dmesg | grep -e virtio -e vda -e hvzone_guest | sed 's/^/zone dmesg: /'
[ -b /dev/vda ] && echo "zone: vda $(cat /sys/block/vda/size) sectors"
echo "zone: $(nproc) CPUs"
if [ -e /dev/hvc0 ]; then
	printf "hello through hvc0" >/dev/hvc0 && echo "zone: wrote to hvc0"
	# A login-less shell on hvc0, as getty -n -l /bin/sh would give: the
	# host types its commands into the pty.
	timeout 60 sh </dev/hvc0 >/dev/hvc0 2>&1
	echo "zone: the hvc0 shell ended ($?)"
fi
mkfs.ext4 -q -F /dev/vda && echo "zone: mkfs ok"
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt && echo "zone: mount ok"
# Written from vCPU 1: its accesses reach hvbridge as src_cpu 1.
taskset 2 dd if=/dev/urandom of=/mnt/data bs=1M count=16 2>/dev/null
fio --name=verify --filename=/mnt/fio.dat --size=8M --rw=randwrite --bs=4k --eta=never \
	--ioengine=io_uring --iodepth=16 --direct=1 --verify=crc32c --verify_fatal=1 \
	--output=/tmp/fio.out && grep -q "err= 0" /tmp/fio.out && echo "zone: fio verify ok"
grep -e "err=" -e "IOPS" /tmp/fio.out | sed 's/^/zone fio: /'
sha256sum /mnt/data | cut -d' ' -f1 >/mnt/data.sha
echo "zone: data sha256 $(cat /mnt/data.sha)"
umount /mnt && echo "zone: umount ok"
echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 -o ro /dev/vda /mnt
file_pages before
[ "$(sha256sum /mnt/data | cut -d' ' -f1)" = "$(cat /mnt/data.sha)" ] && echo "zone: read back ok"
file_pages after
umount /mnt
e2fsck -fn /dev/vda >/tmp/fsck.out 2>&1 && echo "zone: fsck clean"
cat /tmp/fsck.out
# virtio_blk lets the device go (a reset) and takes it again (a new
# initialisation), twice, and the data is still there.
for i in 1 2; do
	echo virtio0 >/sys/bus/virtio/drivers/virtio_blk/unbind
	echo virtio0 >/sys/bus/virtio/drivers/virtio_blk/bind
done
sleep 1
mount -t ext4 -o ro /dev/vda /mnt &&
	[ "$(sha256sum /mnt/data | cut -d' ' -f1)" = "$(cat /mnt/data.sha)" ] && echo "zone: read back after rebinding ok"
umount /mnt
dmesg | grep -i -e virtio -e vda -e blk_update -e 'I/O error' | sed 's/^/zone dmesg after: /'
echo 3 >/proc/sys/vm/drop_caches
time taskset 2 dd if=/dev/vda of=/dev/null bs=1M count=64 iflag=direct 2>&1 | sed 's/^/zone read: /'
for d in /sys/bus/virtio/devices/*; do
	echo "zone features: $(basename "$d") device $(cat "$d/device") $(cat "$d/features")"
done
grep -e CPU -e virtio -e ttyS /proc/interrupts | sed 's/^/zone interrupts: /'
EOF

# blk_zone NAME IMAGE DATA_MODE DEVICES RAM HVZONE_ARGS...: hvbridge serves
# the devices (JSON) to a zone running blk.sh; the first device, at
# 0xd0000000, is a blk on IMAGE. RAM is the zone's "ram" (JSON), or empty
# for $RAM_MIB MiB from 0. The zone's console in $W/NAME.log, hvbridge's
# log in $W/NAME-bridge.log.
blk_zone() {
	bz=$1 img=$2 data=$3 devs=$4 ram=$5
	shift 5
	[ -n "$ram" ] || ram="{\"base\": \"0x0\", \"size\": \"$((RAM_MIB << 20))\", \"backing\": \"sim\"}"
	cat >"$W/$bz.json" <<EOF
{"trap": "sim", "zones": [{"id": 1,
  "ram": $ram,
  "sim_socket": "$SOCK", "data": "$data",
  "devices": [$devs]}]}
EOF
	"$HVBRIDGE" --config "$W/$bz.json" >"$W/$bz-bridge.log" 2>&1 &
	BPID=$!
	await_up "$BPID" "$W/$bz-bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/$bz-bridge.log'" ||
		return 1
	t0=$(date +%s)
	zone "$bz" "$W/blk.sh" "$@"
	bst=$?
	check "$bz: hvzone exits 0 (status $bst, $(($(date +%s) - t0)) s)" test $bst -eq 0
	sed -n 's/^zone dmesg: /# /p' "$W/$bz.log"
	check "$bz: virtio_blk in the zone finds /dev/vda: $(sed -n 's/^zone: vda //p' "$W/$bz.log")" \
		seen "$bz" "zone: vda 131072 sectors"
	check "$bz: mkfs.ext4 in the zone" seen "$bz" "zone: mkfs ok"
	check "$bz: the zone mounts it" seen "$bz" "zone: mount ok"
	check "$bz: fio in the zone (io_uring, 4 KiB random writes at qd16, verify=crc32c): no error" \
		seen "$bz" "zone: fio verify ok"
	sed -n "s/^zone fio: /# $bz: fio: /p" "$W/$bz.log"
	check "$bz: 16 MiB written, unmounted" seen "$bz" "zone: umount ok"
	check "$bz: read back with the same sha256 after a remount" seen "$bz" "zone: read back ok"
	check "$bz: e2fsck -fn in the zone: clean" seen "$bz" "zone: fsck clean"
	check "$bz: virtio_blk unbound and bound again twice (a reset, a new initialisation): data intact" \
		seen "$bz" "zone: read back after rebinding ok"
	sha=$(sed -n 's/^zone: data sha256 //p' "$W/$bz.log")
	check "$bz: the image on the host is clean (e2fsck -fn)" e2fsck -fn "$img" >"$W/fsck.out" 2>&1
	debugfs -R 'cat /data' "$img" >"$W/data" 2>"$W/debugfs.err"
	host_sha=$(sha256sum "$W/data" | cut -d' ' -f1)
	check "$bz: the host reads the zone's file from the image: sha256 $host_sha, the zone's $sha" \
		test -n "$sha" -a "$host_sha" = "$sha"
	kill -TERM "$BPID"
	wait "$BPID"
	check "$bz: hvbridge exits 0 on SIGTERM" test $? -eq 0
	grep -c 'ignored' "$W/$bz-bridge.log" | sed "s/^/# $bz: hvbridge log lines about ignored accesses: /"
	grep -v -e ': info: ' -e 'ready, ' "$W/$bz-bridge.log" | sed "s/^/# $bz: hvbridge: /"
	sed -n "s/^zone dmesg after: /# $bz: after rebinding: /p" "$W/$bz.log"
	sed -n "s/^zone \(features\|interrupts\|read\): /# $bz: \1: /p" "$W/$bz.log"
	no_oops "$bz"
	check "$bz: no sanitizer report from hvbridge or hvzone" \
		sh -c "! grep -q Sanitizer '$W/$bz-bridge.log' '$W/$bz.err'"
	[ $bst -eq 0 ] || show "$bz"
}

part_local() {
	echo "# local: hvbridge serves a local blk and a local console to a zone of 2 vCPUs"
	truncate -s 64M "$W/img"
	rm -f "$W/con"
	# The pty's link appears when hvbridge starts; what the zone writes waits
	# in the pty until it is read.
	# Then the host types two commands to the zone's shell on hvc0, whose
	# answer comes back; the zone's tty echoes what it is sent, but the echo
	# has $((6*7)) where the answer has 42.
	# The host's side starts again with each try of the zone (zone-lib.sh).
	con_reader() {
		rm -f "$W/con.out" "$W/con.shell"
		(wait_until 30 "[ -e '$W/con' ]" && exec 3<>"$W/con" &&
			timeout 60 head -c 18 <&3 >"$W/con.out" &&
			printf 'echo zone-shell $((6*7)) $(uname -r)\nexit\n' >&3 &&
			timeout 60 grep -m 1 -a 'zone-shell 42' <&3 | tr -d '\r' >"$W/con.shell") &
		rd=$!
	}
	# By the zone's end its shell on hvc0 has long answered.
	ZONE_PRE=con_reader ZONE_POST='kill $rd 2>/dev/null; wait $rd'
	blk_zone local "$W/img" auto \
		"{\"name\": \"blk1\", \"base\": \"0xd0000000\", \"irq\": 5, \"local\": \"blk:path=$W/img\"},
		 {\"name\": \"con1\", \"base\": \"0xd0000200\", \"irq\": 6, \"local\": \"console:pty,link=$W/con\"}" "" \
		--cpus 2 --bridge "$SOCK" --zone 1 --virtio 0xd0000000:5 --virtio 0xd0000200:6
	unset ZONE_PRE ZONE_POST
	check "local: the zone runs on 2 vCPUs" seen local "zone: 2 CPUs"
	acc=$(sed -n 's/.*accesses forwarded to hvbridge by vCPU: //p' "$W/local.err")
	check "local: both vCPUs' accesses went through hvbridge (per vCPU: $acc)" \
		sh -c "echo '$acc' | awk '{ exit !(\$1 > 0 && \$2 > 0) }'"
	check "local: the zone's hvc0 text reached the pty: '$(cat "$W/con.out" 2>/dev/null)'" \
		test "$(cat "$W/con.out" 2>/dev/null)" = "hello through hvc0"
	check "local: a shell on the zone's hvc0 ran what the pty sent: '$(cat "$W/con.shell" 2>/dev/null)'" \
		test "$(cat "$W/con.shell" 2>/dev/null)" = "zone-shell 42 $KVER"
	check "local: the zone's hvc0 shell ended on the pty's 'exit'" seen local "zone: the hvc0 shell ended (0)"
}

# zblk_up: hvdpad serves zblk on $W/vimg, on vhost_vdpa; sets $vhost.
zblk_up() {
	load_modules >"$W/modules.log" 2>&1
	truncate -s 64M "$W/vimg"
	start_daemon hvdpad --blk name=zblk,path="$W/vimg" || {
		not_ok "hvdpad did not start"
		return 1
	}
	vhost=$(attach_vhost zblk)
	check "zblk on the vDPA bus, bound to vhost_vdpa ($vhost)" test -c "$vhost"
}

zblk_down() {
	vdpa dev del zblk
	check "hvdpad exits cleanly" stop_daemon 5
	check "no sanitizer report from hvdpad" sh -c "! grep -q Sanitizer '$W/hvdpad.log'"
}

part_vhost() {
	echo "# vhost-vdpa: hvdpad serves the blk over VDUSE, hvbridge drives it, in both data modes"
	zblk_up || return
	for mode in direct shadow; do
		blk_zone "$mode" "$W/vimg" "$mode" \
			"{\"name\": \"blk1\", \"base\": \"0xd0000000\", \"irq\": 5, \"vhost\": \"$vhost\"}" "" \
			--cpus 2 --bridge "$SOCK" --zone 1 --virtio 0xd0000000:5
		check "$mode: hvbridge says data mode $mode" grep -q "data mode $mode" "$W/$mode-bridge.log"
	done
	zblk_down
}

part_ram2() {
	echo "# two regions of zone RAM, through vhost-vdpa in both data modes"
	zblk_up || return
	# Two regions of zone RAM: 128 MiB from 0 and 256 MiB at 4 GiB, each a
	# memfd of hvzone's, a KVM memslot, an e820 RAM range and a HELLO, and
	# the config's "ram" an array of both. The zone's kernel makes the high
	# region its Normal zone and takes page cache from there first: after
	# a drop_caches, blk.sh's read back of its 16 MiB file lands in Normal,
	# written there by the device (direct) or by hvbridge's copy (shadow).
	for mode in direct shadow; do
		rz=ram2-$mode
		blk_zone "$rz" "$W/vimg" "$mode" \
			"{\"name\": \"blk1\", \"base\": \"0xd0000000\", \"irq\": 5, \"vhost\": \"$vhost\"}" \
			"[{\"base\": \"0x0\", \"size\": \"0x8000000\", \"backing\": \"sim\"},
			  {\"base\": \"0x100000000\", \"size\": \"0x10000000\", \"backing\": \"sim\"}]" \
			--mem 128 --ram2 0x100000000:256 --cpus 2 --bridge "$SOCK" --zone 1 \
			--virtio 0xd0000000:5
		check "$rz: the zone's e820 map has the region at 4 GiB" \
			grep -q 'BIOS-e820: \[mem 0x0000000100000000-0x000000010fffffff\] usable' \
			"$W/$rz.log"
		mem=$(sed -n 's/.*Memory: [0-9]*K\/\([0-9]*\)K available.*/\1/p' "$W/$rz.log")
		check "$rz: the zone's kernel has both regions: ${mem:-?} KiB of RAM, more than 256 MiB" \
			test "${mem:-0}" -gt $((256 << 10))
		check "$rz: hvbridge maps both regions, data mode $mode" grep -q \
			"RAM 0x0+0x8000000, 0x100000000+0x10000000 mapped; data mode $mode" \
			"$W/$rz-bridge.log"
		pb=$(sed -n 's/^zone: file pages before in Normal: //p' "$W/$rz.log")
		pa=$(sed -n 's/^zone: file pages after in Normal: //p' "$W/$rz.log")
		check "$rz: the 16 MiB read back landed above 4 GiB (Normal zone's file pages ${pb:-?} -> ${pa:-?})" \
			test $((${pa:-0} - ${pb:-0})) -ge 3072
	done
	zblk_down
}

part_panic() {
	echo "# a zone that panics"
	cat >"$W/panic.sh" <<'EOF'
#!/bin/sh
echo c >/proc/sysrq-trigger
EOF
	zone panic "$W/panic.sh"
	st=$?
	check "hvzone exits 3 when the zone panics (status $st)" test $st -eq 3
	check "hvzone says it panicked" grep -q "the zone panicked" "$W/panic.err"
}

part_net() {
	echo "# net: hvdpad's NIC through vhost-vdpa, the zone's own virtio_net"
	cat >"$W/net.sh" <<'EOF'
#!/bin/sh
ip link set eth0 up && ip addr add 10.81.0.2/24 dev eth0 && echo "zone: eth0 $(cat /sys/class/net/eth0/address)"
ping -c 3 -W 5 10.81.0.1 | sed 's/^/zone ping: /'
# 64 MiB from the host, then 16 MiB back: each side compares sha256.
echo "zone: listening"
nc -l -p 7001 | sha256sum | sed 's/ .*//; s/^/zone: received sha256 /'
dd if=/dev/urandom of=/tmp/out bs=1M count=16 2>/dev/null
echo "zone: sending sha256 $(sha256sum /tmp/out | cut -d' ' -f1)"
nc 10.81.0.1 7002 </tmp/out && echo "zone: sent"
EOF
	if start_daemon hvdpad-net --net name=znet,tap=ztap0,mac=52:54:00:81:00:02; then
		vnet=$(attach_vhost znet)
		check "znet on the vDPA bus, bound to vhost_vdpa ($vnet)" test -c "$vnet"
		ip addr add 10.81.0.1/24 dev ztap0
		ip link set ztap0 up
		head -c 64M /dev/urandom >"$W/blob"
		# The host's side, with each try of the zone: a listener for what
		# the zone sends back, and the blob sent once the zone listens (its
		# console says so). After a zone that failed, the sender goes too.
		net_host() {
			rm -f "$W/back" "$W/net.raw"
			socat -u TCP-LISTEN:7002,reuseaddr "OPEN:$W/back,creat" &
			rx=$!
			(wait_until 150 "grep -q 'zone: listening' '$W/net.raw' 2>/dev/null" && sleep 1 &&
				socat -u "OPEN:$W/blob" TCP:10.81.0.2:7001) &
			tx=$!
		}
		ZONE_PRE=net_host
		ZONE_POST='[ $st -eq 0 ] || kill $tx 2>/dev/null; wait $tx; kill $rx 2>/dev/null; wait $rx 2>/dev/null'
		cat >"$W/net.json" <<EOF
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x0", "size": "$((RAM_MIB << 20))", "backing": "sim"},
  "sim_socket": "$SOCK", "data": "direct",
  "devices": [{"name": "net1", "base": "0xd0000000", "irq": 5, "vhost": "$vnet"}]}]}
EOF
		"$HVBRIDGE" --config "$W/net.json" >"$W/net-bridge.log" 2>&1 &
		BPID=$!
		await_up "$BPID" "$W/net-bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/net-bridge.log'"
		zone net "$W/net.sh" --bridge "$SOCK" --zone 1 --virtio 0xd0000000:5
		st=$?
		unset ZONE_PRE ZONE_POST
		check "net: hvzone exits 0 (status $st)" test $st -eq 0
		check "net: the zone's virtio_net has eth0 with hvdpad's MAC" seen net "zone: eth0 52:54:00:81:00:02"
		sed -n 's/^zone ping: /# net: /p' "$W/net.log"
		check "net: the zone pings the host through hvdpad's tap, 0% loss" \
			sh -c "grep -q '^zone ping: 3 packets transmitted, 3 packets received' '$W/net.log'"
		want=$(sha256sum "$W/blob" | cut -d' ' -f1)
		check "net: 64 MiB over TCP from the host, the zone's sha256 matches" seen net "zone: received sha256 $want"
		got=$(sha256sum "$W/back" 2>/dev/null | cut -d' ' -f1)
		check "net: 16 MiB over TCP from the zone, the host's sha256 matches ($got)" \
			seen net "zone: sending sha256 ${got:-none}"
		no_oops net
		[ $st -eq 0 ] || show net
		kill -TERM "$BPID"
		wait "$BPID"
		check "net: hvbridge exits 0 on SIGTERM" test $? -eq 0
		check "net: no sanitizer report from hvbridge or hvzone" \
			sh -c "! grep -q Sanitizer '$W/net-bridge.log' '$W/net.err'"
		vdpa dev del znet
		check "hvdpad (net) exits cleanly" stop_daemon 5
		check "no sanitizer report from hvdpad (net)" sh -c "! grep -q Sanitizer '$W/hvdpad-net.log'"
	else
		not_ok "hvdpad --net did not start"
	fi
}

for p in $PARTS; do
	"part_$p"
done
echo "# zone-tests took $(($(date +%s) - T0)) s"
summary
