#!/bin/sh
# VM tests of real Linux zones (hvzone, nested KVM) that share hvdpad and
# hvbridge with others:
#   two zones at once, each with its own disk through vhost-vdpa (one in
#   direct mode, one in shadow), both running fio with verify while the
#   shadow zone's hvdpad is killed (-9) with its writes in flight and
#   started again;
#   a zone whose fio runs next to a hostile simulated zone on the same
#   hvdpad and hvbridge: its reads complete, their worst latency bounded.
#   sh tests/vm/zone-neighbour-tests.sh BUILD_DIR [PART...]   (pair hostile)
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
ZONESIM=$B/tests/zonesim/zonesim
W=/run/hvzone-neighbour-test
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/zone-lib.sh"
shift
# The parts to run (all when none is named), as zone-tests.sh's.
PARTS=${*:-pair hostile}

# Two zones share the VM's two CPUs: each runs at half speed or less.
ZONE_TIMEOUT=300
zone_setup || {
	summary
	exit 1
}
load_modules >"$W/modules.log" 2>&1

# The images live on an ext4 of their own, which can be frozen: the
# writes then hang there, so hvdpad is killed with requests in flight.
modprobe loop 2>/dev/null
truncate -s 400M "$W/fs.img"
mkfs.ext4 -q -F "$W/fs.img"
mkdir -p "$W/fs"
mount -o loop "$W/fs.img" "$W/fs" || {
	not_ok "loop mount of an ext4 image"
	summary
	exit 1
}
truncate -s 32M "$W/fs/img1" "$W/fs/img2"
truncate -s 1G "$W/fs/hostile.img" # sparse: the hostile zone's reads cost no disk
# Two daemons: A serves zone 1's disk (and the hostile zone's), B zone
# 2's, and B is the one killed. Killing A, which serves zone 1 in direct
# mode, hung or crashed zone 1 (see docs/hvbridge.md, "hvdpad killed
# under a zone in direct mode").
ARGS_B="--blk name=zn2,path=$W/fs/img2"
# shellcheck disable=SC2086
start_daemon dA --blk name=zn1,path="$W/fs/img1" --blk name=zn3,path="$W/fs/hostile.img" &&
	DPA=$DPID && start_daemon dB $ARGS_B && DPB=$DPID || {
	not_ok "hvdpad did not start"
	summary
	exit 1
}
v1=$(attach_vhost zn1)
v2=$(attach_vhost zn2)
v3=$(attach_vhost zn3)
check "three devices on vhost_vdpa: $v1 $v2 $v3" test -c "$v1" -a -c "$v2" -a -c "$v3"

# bridge NAME ZONES_JSON: starts hvbridge (log $W/NAME-bridge.log) and
# waits for every zone to be ready. Sets BPID.
bridge() {
	echo "{\"trap\": \"sim\", \"zones\": [$2]}" >"$W/$1.json"
	"$HVBRIDGE" --config "$W/$1.json" >"$W/$1-bridge.log" 2>&1 &
	BPID=$!
	n=$(echo "$2" | grep -o '"id"' | wc -l)
	await_up "$BPID" "$W/$1-bridge.log" hvbridge \
		"[ \$(grep -c ': ready' '$W/$1-bridge.log') -ge $n ]"
}

stop_bridge() {
	kill -TERM "$BPID"
	wait "$BPID"
	check "$1: hvbridge exits 0 on SIGTERM" test $? -eq 0
	check "$1: no sanitizer report from hvbridge" sh -c "! grep -q Sanitizer '$W/$1-bridge.log'"
}

# real_zone ID DATA_MODE VHOST: a real zone's JSON, its blk at 0xd0000000.
real_zone() {
	echo "{\"id\": $1, \"ram\": {\"base\": \"0x0\", \"size\": \"$((RAM_MIB << 20))\", \"backing\": \"sim\"},
	  \"sim_socket\": \"$W/zone$1.sock\", \"data\": \"$2\",
	  \"devices\": [{\"name\": \"blk$1\", \"base\": \"0xd0000000\", \"irq\": 5, \"vhost\": \"$3\"}]}"
}

# The console of zone NAME shows TEXT: waits up to SECONDS for it.
await_console() {
	wait_until "$3" "grep -qF -- '$2' '$W/$1.raw' 2>/dev/null"
}

# Requests the restarted daemon said it ran again.
resubmitted() {
	sed -n 's/.*: \([0-9]*\) requests\{0,1\} to run again.*/\1/p' "$@" |
		awk '{ s += $1 } END { print s + 0 }'
}

part_pair() {
	echo "# two zones at once, zone 2's hvdpad killed under their fio"
	# Each zone writes its whole disk at random with crc32c verify blocks,
	# reads it all back, and prints the disk's sha256 for the host to compare.
	cat >"$W/crash.sh" <<'EOF'
#!/bin/sh
echo "zone: fio starting"
fio --name=crash --filename=/dev/vda --ioengine=io_uring --direct=1 --rw=randwrite --eta=never \
	--bs=4k --iodepth=16 --size=8M --verify=crc32c --verify_backlog=256 \
	--verify_fatal=1 --verify_state_save=0 --output=/tmp/fio.out
st=$?
grep -e "err=" -e "IOPS" /tmp/fio.out | sed 's/^/zone fio: /'
[ $st -eq 0 ] && grep -q "err= 0" /tmp/fio.out && echo "zone: fio verify ok"
echo "zone: disk sha256 $(sha256sum /dev/vda | cut -d' ' -f1)"
EOF
	bridge pair "$(real_zone 1 direct "$v1"), $(real_zone 2 shadow "$v2")"
	zone z1 "$W/crash.sh" --bridge "$W/zone1.sock" --zone 1 --virtio 0xd0000000:5 &
	p1=$!
	zone z2 "$W/crash.sh" --bridge "$W/zone2.sock" --zone 2 --virtio 0xd0000000:5 &
	p2=$!
	running=0
	if await_console z1 "zone: fio starting" 150 && await_console z2 "zone: fio starting" 150; then
		sleep 2
		# Zone 2's writes stuck in the frozen filesystem, then the kill; the
		# old process finishes dying once thawed.
		fsfreeze -f "$W/fs"
		sleep 1
		grep -q "zone fio:" "$W/z1.raw" "$W/z2.raw" || running=1
		kill -9 "$DPB"
		fsfreeze -u "$W/fs"
		wait "$DPB" 2>/dev/null
		# shellcheck disable=SC2086
		start_daemon dB2 $ARGS_B && DPB=$DPID
		check "zone 2's hvdpad started again and took its device over" \
			grep -q '(taken over)' "$W/dB2.log"
	fi
	wait $p1
	s1=$?
	wait $p2
	s2=$?
	check "both zones' fio was still running when zone 2's hvdpad was killed" test $running -eq 1
	n=$(resubmitted "$W/dB2.log")
	check "the restarted hvdpad ran again $n requests left in flight" test "$n" -gt 0
	for z in 1 2; do
		eval "st=\$s$z"
		check "zone $z: hvzone exits 0 (status $st)" test "$st" -eq 0
		check "zone $z: fio with verify=crc32c completed with no error" seen z$z "zone: fio verify ok"
		sed -n "s/^zone fio: /# zone $z: fio: /p" "$W/z$z.log"
		zsha=$(sed -n 's/^zone: disk sha256 //p' "$W/z$z.log")
		hsha=$(sha256sum "$W/fs/img$z" | cut -d' ' -f1)
		check "zone $z: the image on the host is what the zone read back (sha256 $hsha, the zone's $zsha)" \
			test -n "$zsha" -a "$zsha" = "$hsha"
		no_oops z$z
		[ "$st" -eq 0 ] || show z$z
	done
	check "the two zones' disks differ (each wrote its own)" \
		sh -c "! cmp -s '$W/fs/img1' '$W/fs/img2'"
	# Zone 1 comes back on the same hvbridge: its device was reset when it
	# went, its new kernel probes it again and finds the same data.
	cat >"$W/again.sh" <<'EOF'
#!/bin/sh
echo "zone: disk sha256 $(sha256sum /dev/vda | cut -d' ' -f1)"
EOF
	zone z1again "$W/again.sh" --bridge "$W/zone1.sock" --zone 1 --virtio 0xd0000000:5
	st=$?
	check "zone 1 boots again on the same hvbridge (status $st) and reads the same disk" \
		sh -c "test $st -eq 0 && grep -q 'zone: disk sha256 $(sha256sum "$W/fs/img1" | cut -d' ' -f1)' '$W/z1again.log'"
	grep -q "zone 1: .*its devices are reset" "$W/pair-bridge.log"
	check "hvbridge reset zone 1's device when the zone went" test $? -eq 0
	stop_bridge pair
}

part_hostile() {
	echo "# a real zone next to a hostile simulated zone"
	# The real zone reads at queue depth 1 alone, then again while the
	# simulated zone resets its device over and over with its queue full of
	# large reads; terse fields 8, 15 and 16: IOPS, worst and mean completion
	# latency (us).
	cat >"$W/victim.sh" <<'EOF'
#!/bin/sh
run() {
	fio --name=$1 --filename=/dev/vda --ioengine=psync --direct=1 --rw=randread --eta=never \
		--bs=4k --size=16M --time_based --runtime=8 --output-format=terse \
		--output=/tmp/$1.out && echo "zone: $1 $(awk -F';' '{print "iops", $8, "worst", $15, "mean", $16}' /tmp/$1.out)"
}
run alone
echo "zone: next, with the neighbour"
sleep 3
run neighbour
EOF
	bridge hostile "$(real_zone 1 direct "$v1"),
		{\"id\": 2, \"ram\": {\"base\": \"0x80000000\", \"size\": \"0x4000000\", \"backing\": \"sim\"},
		 \"sim_socket\": \"$W/zone2.sock\",
		 \"devices\": [{\"name\": \"blk2\", \"base\": \"0xa0000000\", \"irq\": 78, \"vhost\": \"$v3\"}]}"
	# The storm starts again with each try of the zone (zone-lib.sh); after a
	# zone that failed, it goes with it.
	storm_host() {
		rm -f "$W/storm.st" "$W/victim.raw"
		(if await_console victim "zone: next, with the neighbour" 150; then
			"$ZONESIM" --socket "$W/zone2.sock" --zone 2 --ram-base 0x80000000 \
				--ram-size 0x4000000 --dev 0xa0000000 --seconds 14 --segs 1 reset-storm \
				>"$W/storm.log" 2>&1
			echo $? >"$W/storm.st"
		fi) &
		sp=$!
	}
	ZONE_PRE=storm_host
	ZONE_POST='[ $st -eq 0 ] || { pkill -P $sp; kill $sp; } 2>/dev/null; wait $sp'
	zone victim "$W/victim.sh" --bridge "$W/zone1.sock" --zone 1 --virtio 0xd0000000:5
	sv=$?
	unset ZONE_PRE ZONE_POST
	storm=$(cat "$W/storm.st" 2>/dev/null || echo 1)
	sed 's/^/# zonesim: /' "$W/storm.log"
	check "the simulated zone's reset storm ran (status $storm)" test $storm -eq 0
	check "the real zone: hvzone exits 0 (status $sv)" test $sv -eq 0
	a=$(sed -n 's/^zone: alone //p' "$W/victim.log")
	n=$(sed -n 's/^zone: neighbour //p' "$W/victim.log")
	echo "# real zone, 4 KiB random reads at qd1: alone: $a; with the storm: $n"
	worst_a=$(echo "$a" | awk '{print int($4)}')
	worst_n=$(echo "$n" | awk '{print int($4)}')
	# The bound bridge-tests set for a neighbour's trapped reads (0.5 s), or
	# 4 times the worst read alone when the machine is that noisy.
	bound=$(awk -v w="${worst_a:-0}" 'BEGIN { b = 4 * w; print (b > 500000 ? b : 500000) }')
	check "the real zone's reads completed alone and next to the storm" test -n "$a" -a -n "$n"
	check "its worst read next to the storm, ${worst_n:-?} us, within $bound us" \
		test -n "$n" -a "${worst_n:-0}" -le "$bound"
	no_oops victim
	[ $sv -eq 0 ] || show victim
	stop_bridge hostile
}

for p in $PARTS; do
	"part_$p"
done

for d in zn1 zn2 zn3; do vdpa dev del $d; done
DPID=$DPA
check "hvdpad A exits cleanly" stop_daemon 10
DPID=$DPB
check "hvdpad B exits cleanly" stop_daemon 10
check "no sanitizer report from hvdpad" sh -c "! grep -q Sanitizer '$W/dA.log' '$W/dB.log' '$W/dB2.log'"
umount "$W/fs"
echo "# zone-neighbour-tests took $(($(date +%s) - T0)) s"
summary
