# Shared by the VM suites that boot real Linux zones under hvzone (the VM's
# own kernel and a busybox initramfs, under nested KVM). Sourced after
# lib.sh; expects $B (the build), $W (scratch) and $here (tests/vm). Sets
# $HVBRIDGE, $HVZONE, $KVER, $KERNEL, $RAM_MIB; builds the zones' common
# initramfs in $ZONE_BASE; holds a KVM vCPU until the boot ends.
HVBRIDGE=$B/hvbridge
HVZONE=$B/hvzone
KVER=$(uname -r)
KERNEL=$(sh "$here/fetch-kernel.sh")/boot/vmlinuz-$KVER
RAM_MIB=256
# Built once per boot of the test VM (/run is its tmpfs): every part of
# every zone suite boots the same.
ZONE_BASE=${ZONE_BASE:-/run/hvzone-base.cpio.gz}

# add_bin DIR PROG...: the programs and the libraries they load.
add_bin() {
	d=$1
	shift
	for p in "$@"; do
		f=$(command -v "$p") || return 1
		mkdir -p "$d/sbin"
		cp "$f" "$d/sbin/$p"
		ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
			while read -r lib; do
				mkdir -p "$d$(dirname "$lib")"
				cp -L "$lib" "$d$lib"
			done
	done
}

# zone_setup: /dev/kvm, the held vCPU, the common initramfs (busybox, the
# modules, hvzone_guest, e2fsprogs, a static fio). Fails with a reason.
zone_setup() {
	KO=$(sh "$here/zone-module.sh") || {
		not_ok "zone module (run sh tests/vm/zone-module.sh on the host first)"
		return 1
	}
	FIO=$(sh "$here/fetch-fio.sh") || {
		not_ok "static fio (run sh tests/vm/fetch-fio.sh on the host first)"
		return 1
	}
	modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
	check "/dev/kvm (nested)" test -c /dev/kvm || return 1
	# A VM whose one vCPU never runs, held for the rest of the boot (one
	# for every part of every zone suite): zones coming and going must not
	# flip KVM's apic_sw_disabled static key (see the tool).
	if ! kill -0 "$(cat /run/kvm_hold.pid 2>/dev/null)" 2>/dev/null; then
		"$B/tests/vm/tools/kvm_hold" &
		echo $! >/run/kvm_hold.pid
	fi
	T0=$(date +%s)
	if [ ! -f "$ZONE_BASE" ]; then
		rm -rf "$W/extra"
		sh "$here/mkinitrd.sh" / "$KVER" "$ZONE_BASE.tmp" "$here/zone-init.sh" \
			virtio_mmio virtio_blk virtio_net ext4 || return 1
		mkdir -p "$W/extra/etc"
		cp "$KO" "$W/extra/hvzone_guest.ko"
		cp /etc/mke2fs.conf "$W/extra/etc/"
		add_bin "$W/extra" mkfs.ext4 e2fsck || return 1
		cp "$FIO" "$W/extra/sbin/fio"
		(cd "$W/extra" && find . | cpio -o -H newc --quiet | gzip -1) >>"$ZONE_BASE.tmp"
		mv "$ZONE_BASE.tmp" "$ZONE_BASE"
		echo "# zone initramfs built in $(($(date +%s) - T0)) s"
	fi
}

# platform_fault NAME STATUS: zone NAME's end was the nested platform's
# doing (KVM inside the TCG test VM), not its devices': a triple fault or
# KVM error with no Oops, BUG or panic logged before it, or a hang in which
# the zone's kernel saw one of its own vCPUs stop (an RCU stall, a lockup)
# or the VM's kernel saw hvzone stuck in KVM_RUN (a soft lockup in its
# dmesg while the zone ran, $W/NAME.dmesg).
# Measured with tests/vm/zone-soak.sh: about one zone boot in six ends so,
# under QEMU 7.2 and 10 alike, at any point of the boot (the decompressor
# included) and with no hvbridge access at all (docs/hvbridge.md). A hang
# with the zone's CPUs running (fio waiting on a lost interrupt, say) is
# not one. Prints why.
platform_fault() {
	case $2 in
	4)
		grep -q -e 'Oops' -e 'BUG:' -e 'Kernel panic' "$W/$1.log" && return 1
		sed -n 's/^hvzone: \(.*triple-faulted\|KVM internal error\|KVM entry failed\)\(.*\)/\1\2/p' \
			"$W/$1.err" | head -n 1 | grep .
		;;
	124)
		grep -m 1 -o -e 'rcu: INFO: [a-z_]* detected stalls' -e 'soft lockup - CPU#[0-9]*' \
			-e 'hard LOCKUP' "$W/$1.log" ||
			grep -m 1 -o 'soft lockup - CPU#[0-9]* stuck for [0-9]*s! \[hvzone' "$W/$1.dmesg"
		;;
	*) return 1 ;;
	esac
}

# zone NAME TEST HVZONE_ARGS...: boots a zone that runs the shell script
# TEST as its /test.sh; its console in $W/NAME.log, hvzone's stderr in
# $W/NAME.err. Returns hvzone's exit status (124 after $ZONE_TIMEOUT s,
# default 180). A zone the platform failed (platform_fault) boots again,
# up to $ZONE_TRIES times in all (default 3), each try said on stdout
# and its console kept as $W/NAME.tryN.log. $ZONE_PRE and $ZONE_POST, when
# set, are run before and after each try: the host's side of the test
# (a sender, a listener) starts again with the zone.
zone() {
	name=$1 test=$2
	shift 2
	mkdir -p "$W/t-$name"
	cp "$test" "$W/t-$name/test.sh"
	chmod +x "$W/t-$name/test.sh"
	cp "$ZONE_BASE" "$W/$name.cpio.gz"
	(cd "$W/t-$name" && find . | cpio -o -H newc --quiet | gzip -1) >>"$W/$name.cpio.gz"
	try=1
	while :; do
		if [ -n "${ZONE_PRE:-}" ]; then eval "$ZONE_PRE"; fi
		dm0=$(dmesg 2>/dev/null | wc -l)
		taskset -c 0 timeout -k 5 "${ZONE_TIMEOUT:-180}" "$HVZONE" --kernel "$KERNEL" \
			--initrd "$W/$name.cpio.gz" --mem $RAM_MIB --console "$W/$name.raw" "$@" \
			2>"$W/$name.err"
		st=$?
		tr -d '\r' <"$W/$name.raw" >"$W/$name.log" # the zone's tty writes CR LF
		dmesg 2>/dev/null | tail -n +$((dm0 + 1)) >"$W/$name.dmesg"
		if [ -n "${ZONE_POST:-}" ]; then eval "$ZONE_POST"; fi
		[ $try -lt "${ZONE_TRIES:-3}" ] && why=$(platform_fault "$name" $st) || return $st
		echo "# $name: try $try: the platform failed the zone (status $st, $why): booting it again"
		cp "$W/$name.log" "$W/$name.try$try.log"
		cat "$W/$name.err" >>"$W/$name.try$try.log"
		try=$((try + 1))
	done
}

# seen NAME TEXT: the zone's console showed TEXT (a fixed string).
seen() {
	grep -qF -- "$2" "$W/$1.log"
}

# show NAME: the end of the zone's console and hvzone's stderr.
show() {
	echo "# --- zone console ($1) ---"
	tail -n 40 "$W/$1.log" | sed 's/^/#   /'
	echo "# --- hvzone ---"
	sed 's/^/#   /' "$W/$1.err"
}

# no_oops NAME: the zone's kernel logged no Oops or BUG.
no_oops() {
	check "$1: the zone's kernel logged no Oops or BUG" \
		sh -c "! grep -q -e 'Oops' -e 'BUG:' '$W/$1.log'"
}
