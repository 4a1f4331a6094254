#!/bin/sh
# Inside the test VM (see tests/bench/zone-run.sh): what a real Linux zone
# (hvzone under nested KVM, its own virtio_mmio + virtio_blk/virtio_net)
# gets through hvbridge's vhost-vdpa path, against the VM's root on the same
# kind of hvdpad device, in ONE boot:
#   blk  fio (io_uring, direct) in the zone, hvbridge in direct and in shadow
#        mode, against fio on /dev/vdX (virtio_vdpa) from a second hvdpad
#        device on an identical image in the same daemon. Root runs bracket
#        every zone run (root, direct, root, shadow, root, ...): each zone
#        run is compared with the mean of the root runs on either side.
#   rtt  one trapped register read from a real vCPU: the zone reads
#        MagicValue with busybox devmem in a loop; hvzone times each access
#        from its send to hvbridge until the answer wakes the vCPU thread.
#   net  iperf3 (TCP, both directions) from a zone whose NIC is hvdpad's
#        --net through hvbridge (direct), against a QEMU 10 guest (nested
#        KVM) whose NIC is QEMU's own -netdev vhost-vdpa on another hvdpad
#        --net; the iperf3 server runs here, on the taps' side.
# Results: OUT/zone-bench.md, OUT/zone-bench.csv and the blk IOPS charted in
# OUT/zone-bench.png.
#   sh tests/bench/zone-bench.sh BUILD_DIR OUT_DIR [SECONDS] [ROUNDS] [PARTS]
# SECONDS per fio job and iperf3 run (default 6), ROUNDS of direct+shadow
# zone runs (default 1), PARTS a subset of "blk rtt net" (default all).
set -u
B=$(cd "${1:-build-release}" && pwd)
OUT=$(cd "${2:-docs/perf}" && pwd)
SECS=${3:-6}
ROUNDS=${4:-1}
PARTS=${5:-blk rtt net}
HVDPAD=$B/hvdpad
W=/run/zone-bench
here=$(cd "$(dirname "$0")/../vm" && pwd)
rm -rf "$W"
. "$here/lib.sh"
. "$here/zone-lib.sh"
SOCK=$W/zone.sock
IMG_MIB=256
TB=$(date +%s)
stamp() {
	echo "# [$(($(date +%s) - TB)) s] $*"
}
has() {
	case " $PARTS " in *" $1 "*) return 0 ;; esac
	return 1
}

stamp "setup ($(uname -r), $(nproc) CPUs, parts: $PARTS)"
load_modules >"$W/modules.log" 2>&1
zone_setup || {
	summary
	exit 1
}
# Two images with the same bytes: hvdpad locks an image it serves for
# writing, so the two devices cannot share one file.
dd if=/dev/urandom of="$W/img1" bs=1M count=$IMG_MIB status=none
cp "$W/img1" "$W/img2"
ip tuntap add dev ztap0 mode tap
ip tuntap add dev qtap0 mode tap
for t in ztap0 qtap0; do sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1"; done
start_daemon d --blk name=zb1,path="$W/img1" --blk name=zb2,path="$W/img2" \
	--net name=zn1,tap=ztap0,mac=52:54:00:81:00:02 \
	--net name=qn1,tap=qtap0,mac=52:54:00:82:00:02 || exit 1
vblk=$(attach_vhost zb1) && vdev=$(attach zb2) && vnetz=$(attach_vhost zn1) &&
	vnetq=$(attach_vhost qn1) || {
	echo "attaching the devices failed"
	exit 1
}
grep ': ready:' "$W/d.log" | sed 's/^/# /'
echo "# zone blk $vblk, root blk $vdev, zone NIC $vnetz, QEMU NIC $vnetq"

# The fio jobs, the same text in the zone and here: one line per job,
# "fio: JOB IOPS KiB/s MEAN_LATENCY_US".
cat >"$W/fiojobs.sh" <<'EOF'
fiojob() { # NAME RW BS QD DEV SECS
	fio --eta=never --name="$1" --filename="$5" --ioengine=io_uring --direct=1 \
		--rw="$2" --bs="$3" --iodepth="$4" --runtime="$6" --ramp_time=1 --time_based \
		--norandommap --randrepeat=0 --output-format=terse --terse-version=3 2>/dev/null |
		awk -F';' -v n="$1" '$1 == "3" {
			if ($49 > 0) print "fio:", n, $49, $48, $81; else print "fio:", n, $8, $7, $40 }'
}
fiojobs() { # DEV SECS
	fiojob randread-4k-qd1 randread 4k 1 "$1" "$2"
	fiojob randread-4k-qd32 randread 4k 32 "$1" "$2"
	fiojob randwrite-4k-qd32 randwrite 4k 32 "$1" "$2"
	fiojob read-128k-qd8 read 128k 8 "$1" "$2"
}
EOF
. "$W/fiojobs.sh"
JOBS="randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 read-128k-qd8"

# bridge_up NAME MODE DEVICE_JSON: hvbridge for zone 1 (all its RAM),
# log in $W/NAME-bridge.log. Sets BPID.
bridge_up() {
	cat >"$W/$1.json" <<EOF
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x0", "size": "$((RAM_MIB << 20))", "backing": "sim"},
  "sim_socket": "$SOCK", "data": "$2", "devices": [$3]}]}
EOF
	"$HVBRIDGE" --config "$W/$1.json" >"$W/$1-bridge.log" 2>&1 &
	BPID=$!
	await_up "$BPID" "$W/$1-bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/$1-bridge.log'"
}
bridge_down() {
	kill -TERM "$BPID"
	wait "$BPID"
	grep -v -e ': info: ' -e 'ready, ' "$W/$1-bridge.log" | sed "s/^/# $1: hvbridge: /"
}
# bench_zone NAME MODE TEST [APPEND]: one zone of 1 vCPU on the blk
# (0xd0000000, irq 5) through hvbridge in MODE, running TEST; APPEND goes on
# its kernel's command line. Quiet kernel: its lines do not cut ours.
bench_zone() {
	bn=$1 bm=$2 bt=$3 ba="loglevel=4 ${4:-}"
	bridge_up "$bn" "$bm" "{\"name\": \"blk1\", \"base\": \"0xd0000000\", \"irq\": 5, \"vhost\": \"$vblk\"}" ||
		return 1
	t0=$(date +%s)
	zone "$bn" "$bt" --cpus 1 --bridge "$SOCK" --zone 1 --virtio 0xd0000000:5 --append "$ba"
	st=$?
	bridge_down "$bn"
	stamp "$bn: hvzone exited $st after $(($(date +%s) - t0)) s"
	grep 'round trips' "$W/$bn.err" | sed "s/^/# $bn: /"
	[ $st -eq 0 ] || show "$bn"
	return $st
}

: >"$W/raw" # RUN PATH JOB IOPS KIB_S LAT_US
run=0
root_run() {
	run=$((run + 1))
	fiojobs "$vdev" "$SECS" | sed -n "s/^fio: /$run root /p" >>"$W/raw"
	stamp "root run $run: $(awk -v r=$run '$1 == r { printf "%s %s; ", $3, $4 }' "$W/raw")"
}
cat >"$W/blk.sh" <<EOF
#!/bin/sh
$(cat "$W/fiojobs.sh")
i=0
while [ ! -b /dev/vda ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
fiojobs /dev/vda $SECS | sed 's/^/zone /'
EOF
zone_run() {
	run=$((run + 1))
	bench_zone "$1-$run" "$1" "$W/blk.sh"
	sed -n "s/^zone fio: /$run zone-$1 /p" "$W/$1-$run.log" >>"$W/raw"
	stamp "zone $1 run $run: $(awk -v r=$run '$1 == r { printf "%s %s; ", $3, $4 }' "$W/raw")"
}
if has blk; then
	stamp "blk: root, then (direct, root, shadow, root) x $ROUNDS, ${SECS} s per job"
	root_run
	for r in $(seq "$ROUNDS"); do
		zone_run direct
		root_run
		zone_run shadow
		root_run
	done
fi

if has rtt; then
	NREADS=1000
	stamp "rtt: $NREADS MagicValue reads by devmem in a zone, direct"
	cat >"$W/rtt.sh" <<EOF
#!/bin/sh
echo "zone: magic \$(devmem 0xd0000000 32)"
t0=\$(cut -d' ' -f1 /proc/uptime)
i=1
while [ \$i -lt $NREADS ]; do devmem 0xd0000000 32 >/dev/null; i=\$((i + 1)); done
t1=\$(cut -d' ' -f1 /proc/uptime)
echo "zone: rtt loop \$t0 \$t1"
EOF
	# The same register read from the zone simulator (a process that sends
	# the access itself, no KVM), the same hvbridge and device: the
	# reference for what the socket round trip costs in this boot.
	cat >"$W/sim.json" <<EOF
{"trap": "sim", "zones": [{"id": 1,
  "ram": {"base": "0x80000000", "size": "0x4000000", "backing": "sim"},
  "sim_socket": "$SOCK", "data": "direct",
  "devices": [{"name": "blk1", "base": "0xa0000000", "irq": 78, "vhost": "$vblk"}]}]}
EOF
	"$HVBRIDGE" --config "$W/sim.json" >"$W/sim-bridge.log" 2>&1 &
	BPID=$!
	if await_up "$BPID" "$W/sim-bridge.log" hvbridge "grep -q 'zone 1: ready' '$W/sim-bridge.log'"; then
		"$B/tests/zonesim/zonesim" --socket "$SOCK" --count 20000 latency >"$W/zs.log" 2>&1
		sed 's/^/# zonesim: /' "$W/zs.log"
		bridge_down sim
	fi
	sim_us=$(sed -n 's/.*latency: \([0-9.]*\) us.*/\1/p' "$W/zs.log")
	# iomem=relaxed: /dev/mem may map the window virtio_mmio holds.
	bench_zone rtt direct "$W/rtt.sh" iomem=relaxed
	seen rtt "zone: magic 0x74726976" || echo "# rtt: MagicValue not read: $(grep 'zone: magic' "$W/rtt.log")"
fi

if has net; then
	add_bin "$W/iperf" iperf3 || echo "# no iperf3 here (apt-get install iperf3 on the host)"
	ip addr add 10.81.0.1/24 dev ztap0
	ip addr add 10.82.0.1/24 dev qtap0
	ip link set ztap0 up
	ip link set qtap0 up
	iperf3 -s -p 5201 >"$W/iperf-server.log" 2>&1 &
	ISRV=$!
	wait_listen 5201
	# The client side, the same in the zone and in the QEMU guest:
	# "iperf: tx|rx MBIT_S" from the receiver's summary.
	cat >"$W/iperf.sh" <<'EOF'
iperf_both() { # SERVER SECS
	for d in tx rx; do
		o=
		[ $d = rx ] && o=-R
		iperf3 -c "$1" -p 5201 -t "$2" -f m $o >/tmp/iperf.$d 2>&1
		grep -e sender -e receiver -e error /tmp/iperf.$d | sed "s/^/iperf raw $d: /"
		awk -v d=$d '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print "iperf:", d, $(i - 1) }' \
			/tmp/iperf.$d
	done
}
EOF
	stamp "net: iperf3 from a zone, hvdpad's NIC through hvbridge (direct), ${SECS} s each way"
	mkdir -p "$W/t-znet"
	cp -a "$W/iperf/." "$W/t-znet/"
	cat >"$W/znet.sh" <<EOF
#!/bin/sh
$(cat "$W/iperf.sh")
ip link set lo up
ip link set eth0 up && ip addr add 10.81.0.2/24 dev eth0
ping -c 2 -W 5 10.81.0.1 >/dev/null || echo "zone: no ping"
iperf_both 10.81.0.1 $SECS | sed 's/^/zone /'
EOF
	bridge_up znet direct "{\"name\": \"net1\", \"base\": \"0xd0000000\", \"irq\": 5, \"vhost\": \"$vnetz\"}" &&
		{
			t0=$(date +%s)
			zone znet "$W/znet.sh" --cpus 1 --bridge "$SOCK" --zone 1 --virtio 0xd0000000:5 \
				--append loglevel=4
			st=$?
			bridge_down znet
			stamp "znet: hvzone exited $st after $(($(date +%s) - t0)) s"
			[ $st -eq 0 ] || show znet
			sed -n 's/^zone iperf raw /# znet: /p' "$W/znet.log"
		}

	stamp "net: iperf3 from a QEMU 10 guest, -netdev vhost-vdpa on hvdpad's NIC (nested KVM)"
	QEMU10=$(sh "$here/fetch-qemu.sh")
	# With blk measured: the guest also runs the fio jobs on zb1 (the
	# zones' device, free now) through QEMU's vhost-vdpa-device-pci.
	GUEST_BLK=
	has blk && GUEST_BLK="-device vhost-vdpa-device-pci,vhostdev=$vblk"
	cat >"$W/ginit" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp
for m in \$(cat /modules.order); do insmod "/modules/\$m"; done
$(cat "$W/iperf.sh")
$(cat "$W/fiojobs.sh")
if [ -n "$GUEST_BLK" ]; then
	i=0
	while [ ! -b /dev/vda ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
	fiojobs /dev/vda $SECS | sed 's/^/guest /'
fi
ip link set lo up
ip link set eth0 up && ip addr add 10.82.0.2/24 dev eth0
ping -c 2 -W 5 10.82.0.1 >/dev/null || echo "guest: no ping"
iperf_both 10.82.0.1 $SECS | sed 's/^/guest /'
echo "guest: done"
poweroff -f
EOF
	sh "$here/mkinitrd.sh" / "$KVER" "$W/ginitrd" "$W/ginit" virtio_net virtio_blk
	cp "$FIO" "$W/iperf/sbin/fio"
	(cd "$W/iperf" && find . | cpio -o -H newc --quiet | gzip -1) >>"$W/ginitrd"
	t0=$(date +%s)
	timeout -k 5 240 "$QEMU10/usr/bin/qemu-system-x86_64" -L "$QEMU10/usr/share/qemu" -L /usr/share/qemu \
		-accel kvm -cpu host -M q35,memory-backend=m0 -m $RAM_MIB -smp 1 \
		-object memory-backend-memfd,id=m0,size=${RAM_MIB}M,share=on \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$W/guest.raw" -kernel "$KERNEL" -initrd "$W/ginitrd" \
		-append "console=ttyS0 panic=-1 loglevel=4" \
		-netdev "vhost-vdpa,id=n0,vhostdev=$vnetq" -device "virtio-net-pci,netdev=n0,mac=52:54:00:82:00:02" \
		$GUEST_BLK </dev/null >"$W/guest.qemu" 2>&1
	st=$?
	tr -d '\r' <"$W/guest.raw" >"$W/guest.log"
	stamp "guest: QEMU exited $st after $(($(date +%s) - t0)) s"
	[ $st -eq 0 ] || { tail -n 30 "$W/guest.log"; cat "$W/guest.qemu"; }
	sed -n 's/^guest iperf raw /# guest: /p' "$W/guest.log"
	sed -n 's/^guest fio: /# guest fio: /p' "$W/guest.log"
	kill $ISRV
	wait $ISRV 2>/dev/null
fi

# --- the report ---
stamp "report"
mean() { # FILE AWK_CONDITION: the mean of column 4 where the condition holds
	awk "$2 { s += \$4; n++ } END { if (n) printf \"%.0f\", s / n }" "$1"
}
csv=$OUT/zone-bench.csv
echo "section,path,job,metric,value" >"$csv"
rows=$W/rows
: >"$rows"
if has blk; then
	for j in $JOBS; do
		r=$(mean "$W/raw" "\$2 == \"root\" && \$3 == \"$j\"")
		lat_r=$(awk -v j=$j '$2 == "root" && $3 == j { s += $6; n++ } END { if (n) printf "%.0f", s / n }' "$W/raw")
		line="| $j | ${r:-?}"
		echo "blk,root-virtio_vdpa,$j,iops,${r:-}" >>"$csv"
		echo "blk,root-virtio_vdpa,$j,lat_us,${lat_r:-}" >>"$csv"
		for m in direct shadow; do
			# The zone runs of mode m, each against the root runs just
			# before and after it.
			set -- $(awk -v j=$j -v m=zone-$m '
				$3 == j { v[$1] = $4; p[$1] = $2; if ($1 > last) last = $1 }
				END {
					for (k = 1; k <= last; k++) if (p[k] == m) {
						z += v[k]; n++
						for (d = -1; d <= 1; d += 2) if (p[k + d] == "root") { rs += v[k + d]; rn++ }
					}
					if (n && rn) printf "%.0f %.2f\n", z / n, (z / n) / (rs / rn)
				}' "$W/raw")
			lat=$(awk -v j=$j -v m=zone-$m '$2 == m && $3 == j { s += $6; n++ } END { if (n) printf "%.0f", s / n }' "$W/raw")
			line="$line | ${1:-?} | ${2:-?}"
			echo "blk,zone-$m,$j,iops,${1:-}" >>"$csv"
			echo "blk,zone-$m,$j,lat_us,${lat:-}" >>"$csv"
			echo "blk,zone-$m,$j,ratio_to_root,${2:-}" >>"$csv"
		done
		echo "$line |" >>"$rows"
	done
	awk '{ print "blk-run," $2 "," $3 ",run" $1 "_iops," $4 }' "$W/raw" >>"$csv"
	sed -n 's/^guest fio: //p' "$W/guest.log" 2>/dev/null >"$W/graw" # JOB IOPS KIB_S LAT_US
	awk '{ print "blk,qemu-vhost-vdpa-guest," $1 ",iops," $2; print "blk,qemu-vhost-vdpa-guest," $1 ",lat_us," $4 }' \
		"$W/graw" >>"$csv"
fi
rtt_line() { # LOG_NAME: "reads N, mean M us" from hvzone
	sed -n 's/^hvzone: read round trips: \([0-9]*\), mean \([0-9.]*\) us, min \([0-9.]*\), max \([0-9.]*\)/\1 \2 \3 \4/p' "$W/$1.err"
}
if has rtt; then
	set -- $(rtt_line rtt)
	rtt_n=${1:-?} rtt_mean=${2:-?} rtt_min=${3:-?} rtt_max=${4:-?}
	loop=$(sed -n 's/^zone: rtt loop //p' "$W/rtt.log")
	devmem_us=$(echo "$loop" | awk -v n=$NREADS 'NF == 2 { printf "%.0f", ($2 - $1) * 1e6 / (n - 1) }')
	echo "rtt,zone-direct,read,count,$rtt_n" >>"$csv"
	echo "rtt,zone-direct,read,mean_us,$rtt_mean" >>"$csv"
	echo "rtt,zone-direct,read,min_us,$rtt_min" >>"$csv"
	echo "rtt,zone-direct,read,max_us,$rtt_max" >>"$csv"
	echo "rtt,zone-direct,devmem,wall_us_per_call,${devmem_us:-}" >>"$csv"
	echo "rtt,zonesim-direct,read,mean_us,${sim_us:-}" >>"$csv"
fi
if has net; then
	for d in tx rx; do
		zt=$(sed -n "s/^zone iperf: $d //p" "$W/znet.log" 2>/dev/null)
		gt=$(sed -n "s/^guest iperf: $d //p" "$W/guest.log" 2>/dev/null)
		echo "net,zone-hvbridge-direct,$d,mbit_s,${zt:-}" >>"$csv"
		echo "net,qemu-vhost-vdpa,$d,mbit_s,${gt:-}" >>"$csv"
		eval "net_z_$d=\${zt:-?} net_g_$d=\${gt:-?}"
	done
fi

md=$OUT/zone-bench.md
{
	echo "# A real Linux zone through hvbridge: blk, trapped reads, net"
	echo
	echo "Measured $(date -u +%Y-%m-%d) in one boot of the test VM: Debian $(uname -r) under"
	echo "QEMU TCG ($(nproc) vCPUs), release build; zones under \`hvzone\` (nested KVM,"
	echo "1 vCPU, $RAM_MIB MiB), the QEMU guest likewise. TCG figures swing between boots:"
	echo "compare only figures from one run. Rerun (about 10 minutes of VM time):"
	echo
	echo "    sh tests/bench/zone-run.sh $SECS $ROUNDS"
	echo
	if has blk; then
		echo "## blk: fio in the zone against fio in the VM's root"
		echo
		echo "One hvdpad serves two devices on identical $IMG_MIB MiB images in tmpfs (1 queue"
		echo "of 256 each): one on vhost_vdpa, driven by hvbridge for the zone's own"
		echo "virtio_mmio + virtio_blk, one on virtio_vdpa as the root's /dev/vdX. fio"
		echo "(io_uring, direct, ${SECS} s after 1 s ramp) runs the same jobs on each."
		echo "Root runs bracket each zone run (root, direct, root, shadow, root$([ "$ROUNDS" -gt 1 ] && echo ", x$ROUNDS"));"
		echo "the ratio is the zone's IOPS over the mean of the root runs either side."
		echo
		echo "| job | root IOPS | zone direct IOPS | direct/root | zone shadow IOPS | shadow/root |"
		echo "|---|---|---|---|---|---|"
		cat "$rows"
		echo
		echo "Every run (IOPS):"
		echo
		echo "| run | path | $(echo "$JOBS" | sed 's/ / | /g') |"
		echo "|---|---|---|---|---|---|"
		awk '{ k = $1; p[k] = $2; v[k] = v[k] " | " $4; if (k > last) last = k }
			END { for (k = 1; k <= last; k++) print "| " k " | " p[k] v[k] " |" }' "$W/raw"
		echo
		if [ -s "$W/graw" ]; then
			echo "The same jobs in a QEMU 10 guest under the same nested KVM (1 vCPU,"
			echo "$RAM_MIB MiB), its virtio_blk on the zones' own device (zb1) through QEMU's"
			echo "\`-device vhost-vdpa-device-pci\` (kicks and interrupts through KVM's"
			echo "ioeventfd and irqfd, no exit to userspace), run once after the zones:"
			echo
			echo "| job | QEMU guest IOPS | zone direct/guest | zone shadow/guest |"
			echo "|---|---|---|---|"
			for j in $JOBS; do
				g=$(awk -v j=$j '$1 == j { print $2 }' "$W/graw")
				printf '| %s | %s' "$j" "${g:-?}"
				for m in direct shadow; do
					printf ' | %s' "$(awk -v j=$j -v m=zone-$m -v g="${g:-0}" '$2 == m && $3 == j { s += $4; n++ }
						END { if (n && g > 0) printf "%.2f", s / n / g; else printf "?" }' "$W/raw")"
				done
				echo " |"
			done
			echo
		fi
		echo "Mean completion latency, us (fio lat mean):"
		echo
		echo "| job | root | zone direct | zone shadow | QEMU guest |"
		echo "|---|---|---|---|---|"
		for j in $JOBS; do
			printf '| %s' "$j"
			for p in root zone-direct zone-shadow; do
				printf ' | %s' "$(awk -v j=$j -v p=$p '$2 == p && $3 == j { s += $6; n++ } END { if (n) printf "%.0f", s / n; else printf "?" }' "$W/raw")"
			done
			printf ' | %s' "$(awk -v j=$j '$1 == j { printf "%.0f", $4 }' "$W/graw" 2>/dev/null)"
			echo " |"
		done
		echo
	fi
	if has rtt; then
		echo "## One trapped register read from a real vCPU"
		echo
		echo "The zone reads MagicValue (0xd0000000) $NREADS times with busybox \`devmem\`"
		echo "(hvbridge in direct mode, the device idle). hvzone times each access from"
		echo "its send to hvbridge until the vCPU thread has the answer; KVM's MMIO exit"
		echo "and re-entry are not in it. The count includes the reads of the zone's boot"
		echo "(virtio_mmio's probe, virtio_blk's config)."
		echo
		echo "| reads timed | mean, us | min, us | max, us | devmem call in the zone, wall, us | zone simulator, mean, us |"
		echo "|---|---|---|---|---|---|"
		echo "| $rtt_n | $rtt_mean | $rtt_min | $rtt_max | ${devmem_us:-?} | ${sim_us:-?} |"
		echo
		echo "A devmem call is a fork and exec of busybox in the zone: an upper bound."
		echo "The zone simulator's figure is the same read of the same device through the"
		echo "same kind of hvbridge, sent by a process without KVM (zonesim latency,"
		echo "20000 reads), in the same boot."
		echo
		if has blk; then
			echo "Under fio, the same timing over all of each zone's accesses"
			echo "(reads: InterruptStatus; writes: QueueNotify, InterruptACK, set-up):"
			echo
			echo "| zone | reads | read mean, us | writes | write mean, us |"
			echo "|---|---|---|---|---|"
			for f in "$W"/direct-*.err "$W"/shadow-*.err; do
				[ -f "$f" ] || continue
				n=$(basename "$f" .err)
				awk -v n=$n '/read round trips/ { rn = $5; rm = $7 } /write round trips/ { wn = $5; wm = $7 }
					END { gsub(",", "", rn); gsub(",", "", rm); gsub(",", "", wn); gsub(",", "", wm)
						print "| " n " | " rn " | " rm " | " wn " | " wm " |" }' "$f"
			done
		fi
		echo
	fi
	if has net; then
		echo "## net: iperf3 (TCP, ${SECS} s each way, receiver's figure)"
		echo
		echo "Zone: hvdpad --net on a tap, vhost_vdpa, hvbridge (direct) to the zone's"
		echo "virtio_mmio + virtio_net. Guest: QEMU 10 under nested KVM, 1 vCPU,"
		echo "\`-netdev vhost-vdpa\` + virtio-net-pci on another hvdpad --net. The iperf3"
		echo "server runs in the VM's root on the tap's address. tx: from the zone or"
		echo "guest; rx: to it (-R). MTU 1500, offloads as negotiated."
		echo
		echo "| direction | zone via hvbridge, Mbit/s | QEMU vhost-vdpa guest, Mbit/s | zone/guest |"
		echo "|---|---|---|---|"
		for d in tx rx; do
			eval "zt=\$net_z_$d gt=\$net_g_$d"
			echo "| $d | $zt | $gt | $(awk -v a="$zt" -v b="$gt" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.2f", a / b; else printf "?" }') |"
		done
		echo
	fi
} >"$md"
# IOPS per job: the VM's root, the zone direct and shadow.
awk -F, '$1 == "blk" && $4 == "iops" { v[$2, $3] = $5; if (!($3 in seen)) { seen[$3] = 1; o[++n] = $3 } }
	END { for (i = 1; i <= n; i++) print o[i], v["root-virtio_vdpa", o[i]] + 0, v["zone-direct", o[i]] + 0, v["zone-shadow", o[i]] + 0 }' \
	"$csv" >"$W/chart"
[ -s "$W/chart" ] && sh "$here/../bench/histogram.sh" "$OUT/zone-bench.png" \
	"fio in a zone through hvbridge vs on the VM's root" log "$W/chart" root zone-direct zone-shadow
cat "$md"
cat "$csv"
for d in zb1 zn1 qn1 zb2; do vdpa dev del $d; done
stop_daemon 10 || echo "# hvdpad did not stop cleanly"
ip tuntap del dev ztap0 mode tap
ip tuntap del dev qtap0 mode tap
stamp "done"
