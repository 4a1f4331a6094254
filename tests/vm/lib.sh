# Shared by the scripts that run inside the test VM: device set-up and
# checks. Sourced; expects $HVDPAD (the daemon) and $W (scratch dir), which
# it creates. Scratch lives in /run: tmpfs in the VM.
mkdir -p "$W"
export TMPDIR=/run

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "ok - $*"
}
not_ok() {
	fail=$((fail + 1))
	echo "not ok - $*"
}
# check DESCRIPTION command...: passes when the command succeeds.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
summary() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

load_modules() {
	for m in vduse vdpa virtio_vdpa vhost_vdpa virtio_blk ext4 tun virtio_net veth; do
		modprobe "$m" || echo "modprobe $m failed"
	done
}

# await_up PID LOG WHAT CONDITION: waits up to UP_WAIT seconds (10; more
# for a daemon that first connects to a Ceph cluster under TCG) for the
# shell condition while PID lives; on failure shows LOG.
await_up() {
	i=0
	until eval "$4"; do
		i=$((i + 1))
		if [ $i -gt $((${UP_WAIT:-10} * 10)) ] || ! kill -0 "$1" 2>/dev/null; then
			echo "$3 did not come up:"
			cat "$2"
			return 1
		fi
		sleep 0.1
	done
}

# wait_until SECONDS CONDITION: polls the shell condition every 0.1 s;
# fails if it is still false after SECONDS.
wait_until() {
	i=0
	until eval "$2"; do
		i=$((i + 1))
		[ $i -gt $(($1 * 10)) ] && return 1
		sleep 0.1
	done
}

# wait_listen PORT [NETNS]: waits up to 10 s for a TCP listener on PORT
# (in NETNS if given). A fixed sleep before connecting raced the listener's
# start on a loaded machine and the connection was refused.
wait_listen() {
	wl_ns=${2:+ip netns exec $2}
	wait_until 10 "$wl_ns ss -Hltn 'sport = :$1' | grep -q ."
}

# start_daemon LOGNAME ARGS...: starts hvdpad and waits for one ready line
# per device. Sets DPID.
start_daemon() {
	log=$W/$1.log
	shift
	want=$(printf '%s\n' "$@" | grep -c -e '^--blk$' -e '^--net$')
	"$HVDPAD" "$@" >"$log" 2>&1 &
	DPID=$!
	await_up "$DPID" "$log" hvdpad "[ \$(grep -c ': ready:' '$log') -ge $want ]"
}

# fio_verify NAME DEV SIZE [ARGS...]: randwrite then verify, crc32c,
# its output in $W/fio-NAME.txt.
fio_verify() {
	n=$1 d=$2 s=$3
	shift 3
	fio --eta=never --name="$n" --filename="$d" --ioengine=io_uring --direct=1 \
		--rw=randwrite --bs=4k --iodepth=16 --size="$s" --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_state_save=0 --output="$W/fio-$n.txt" "$@"
}

# fio_crash_start DEV SIZE [FIO_ARGS...]: randwrite verify=crc32c in the
# background (depth 32 unless FIO_ARGS say otherwise), to kill hvdpad
# under; FIO is its pid, its output $W/fio-crash.txt.
fio_crash_start() {
	fcs_dev=$1 fcs_size=$2
	shift 2
	fio --eta=never --name=crash --filename="$fcs_dev" --ioengine=io_uring --direct=1 \
		--rw=randwrite --bs=4k --iodepth=32 --size="$fcs_size" --verify=crc32c \
		--verify_backlog=1024 --verify_fatal=1 --verify_state_save=0 \
		--output="$W/fio-crash.txt" "$@" >/dev/null 2>&1 &
	FIO=$!
}

# fio_crash_wait: waits for fio_crash_start's fio and checks it ended clean.
# Lost requests would hang it for ever: it is stopped after 240 s instead.
fio_crash_wait() {
	(sleep 240 && kill -9 "$FIO" && echo "fio still waiting after 240s: requests were lost") &
	fcw_wd=$!
	wait "$FIO"
	fcw_st=$?
	kill "$fcw_wd" 2>/dev/null
	check "fio verify=crc32c: exit $fcw_st, no verify or I/O error" sh -c \
		"[ $fcw_st -eq 0 ] && grep -q 'err= 0' '$W/fio-crash.txt' &&
		 ! grep -qi 'verify:.*bad\|crc32c: verify failed' '$W/fio-crash.txt'"
	[ $fcw_st -eq 0 ] || tail -n 20 "$W/fio-crash.txt"
}

# resubmitted LOG...: requests the restarted daemons said they ran again,
# summed over their logs.
resubmitted() {
	cat "$@" | sed -n 's/.*: \([0-9]*\) requests\{0,1\} to run again.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# inflight_of DEV: requests the kernel has sent to DEV and not had back.
inflight_of() {
	awk '{ print $1 + $2 }' "/sys/block/${1#/dev/}/inflight"
}

# kill_daemon_held DEV SERVER_PID: kill -9 of hvdpad ($DPID) while its
# remote server is stopped, so that requests are certainly in flight (sent,
# unanswered) when it dies; a kill that fell between two batches would test
# nothing. The server goes on afterwards. INFLIGHT: the kernel's count for
# DEV at the kill.
kill_daemon_held() {
	# wait_until evals its test with positional parameters of its own.
	held_dev=$1
	kill -STOP "$2"
	wait_until 5 '[ "$(inflight_of "$held_dev")" -gt 0 ]'
	INFLIGHT=$(inflight_of "$held_dev")
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	kill -CONT "$2"
}

# stop_daemon [SECONDS]: SIGTERM, then wait; fails if it takes longer or
# the exit status is not 0.
stop_daemon() {
	limit=${1:-10}
	kill -TERM "$DPID" 2>/dev/null
	i=0
	while kill -0 "$DPID" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $((limit * 10)) ]; then
			echo "hvdpad still running ${limit}s after SIGTERM"
			kill -9 "$DPID"
			return 1
		fi
		sleep 0.1
	done
	wait "$DPID"
}

# attach NAME: adds the device to the vDPA bus and prints its /dev/vdX
# once virtio_vdpa has bound it and the disk is there.
attach() {
	vdpa dev add name "$1" mgmtdev vduse || return 1
	i=0
	while :; do
		b=$(ls /sys/bus/vdpa/devices/"$1"/virtio*/block 2>/dev/null | head -n 1)
		if [ -n "$b" ] && [ -b "/dev/$b" ]; then
			echo "/dev/$b"
			return 0
		fi
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# attach_vhost NAME: adds the device to the vDPA bus bound to vhost_vdpa
# and prints its /dev/vhost-vdpa-N.
attach_vhost() {
	vdpa dev add name "$1" mgmtdev vduse || return 1
	d=/sys/bus/vdpa/devices/$1
	if [ -e "$d/driver" ] && [ "$(bound_driver "$1")" != vhost_vdpa ]; then
		echo "$1" >"$d/driver/unbind"
	fi
	echo vhost_vdpa >"$d/driver_override"
	[ -e "$d/driver" ] || echo "$1" >/sys/bus/vdpa/drivers/vhost_vdpa/bind
	i=0
	while :; do
		v=$(ls -d "$d"/vhost-vdpa-* 2>/dev/null | head -n 1)
		if [ -n "$v" ] && [ -c "/dev/$(basename "$v")" ]; then
			echo "/dev/$(basename "$v")"
			return 0
		fi
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# Timings and a process's counters, for the benchmarks: now is seconds
# since the epoch, secs_since T the seconds since now gave T (2 decimals),
# status_of PID KEY a field of /proc/PID/status (VmRSS, Threads).
now() { date +%s.%N; }
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
status_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# CPU time, for the benchmarks' cost per I/O or per MB: ticks_of PID is
# the process's user + system clock ticks, busy_ticks the whole machine's
# (all but idle and iowait); pid_ticks PID is ticks_of, or 0 for no
# process (empty, "-", or gone).
ticks_of() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
pid_ticks() { if [ -n "$1" ] && [ -e "/proc/$1/stat" ]; then ticks_of "$1"; else echo 0; fi; }
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# Kicks the guest's drivers sent to VDUSE and interrupts VDUSE delivered to
# them, counted by kprobes (hit counts in kprobe_profile, nothing
# recorded): vduse_kprobes_on, then vduse_hits hvdpa_kick|hvdpa_irq for
# the count so far (empty without kprobes), vduse_kprobes_off. A VDUSE
# interrupt is a work item the guest's kworker runs: each costs a wake-up.
TRACE=/sys/kernel/tracing
vduse_kprobes_on() {
	[ -e $TRACE/kprobe_events ] || mount -t tracefs nodev $TRACE 2>/dev/null || return 0
	echo 'p:hvdpa_kick vduse_vdpa_kick_vq' >>$TRACE/kprobe_events 2>/dev/null &&
		echo 'p:hvdpa_irq vduse_vq_irq_inject' >>$TRACE/kprobe_events 2>/dev/null || {
		echo "# no kprobes on vduse: kicks and interrupts not counted"
		return 0
	}
	echo 0 >$TRACE/tracing_on
	echo 1 >$TRACE/events/kprobes/hvdpa_kick/enable
	echo 1 >$TRACE/events/kprobes/hvdpa_irq/enable
}
vduse_kprobes_off() {
	[ -e $TRACE/events/kprobes/hvdpa_kick ] || return 0
	echo 0 >$TRACE/events/kprobes/enable
	echo >$TRACE/kprobe_events
	echo 1 >$TRACE/tracing_on
}
vduse_hits() { awk -v e="$1" '$1 == e { print $2 }' $TRACE/kprobe_profile 2>/dev/null; }

# veth_ref NS [NET]: the reference for network throughput, a veth pair
# (NSa here as NET.1, NSb in netns NS as NET.2; NET defaults to 10.78.0).
veth_ref() {
	vr_net=${2:-10.78.0}
	ip netns add "$1"
	ip link add "${1}a" type veth peer name "${1}b"
	ip link set "${1}b" netns "$1"
	ip addr add "$vr_net.1/24" dev "${1}a"
	ip link set "${1}a" up
	ip netns exec "$1" ip addr add "$vr_net.2/24" dev "${1}b"
	ip netns exec "$1" ip link set "${1}b" up
}

bound_driver() {
	basename "$(readlink "/sys/bus/vdpa/devices/$1/driver")"
}

# start_qsd NAME IMAGE QUEUES QUEUE_SIZE: the reference, qemu-storage-daemon's
# vduse-blk export with io_uring. Sets QPID once /dev/vduse/NAME exists.
start_qsd() {
	start_qsd_node "$1" "$3" "$4" driver=file,filename="$2",aio=io_uring,cache.direct=off
}

# start_qsd_node NAME QUEUES QUEUE_SIZE BLOCKDEV: the same export of any
# block node (BLOCKDEV: --blockdev's options but its node-name), e.g.
# qsd's null-co driver or its NBD client. Sets QPID.
start_qsd_node() {
	qemu-storage-daemon \
		--blockdev "$4",node-name=node0 \
		--export type=vduse-blk,id=exp0,node-name=node0,name="$1",writable=on,num-queues="$2",queue-size="$3" \
		>"$W/qsd-$1.log" 2>&1 &
	QPID=$!
	await_up "$QPID" "$W/qsd-$1.log" qemu-storage-daemon "[ -e '/dev/vduse/$1' ]" || return 1
	# HVDPA_BENCH_QSD_CPUS (benchmarks): kept to these CPUs (a taskset
	# list), as hvdpad is with cpus=: a CPU of its own for either.
	[ -z "${HVDPA_BENCH_QSD_CPUS:-}" ] || taskset -a -p -c "$HVDPA_BENCH_QSD_CPUS" "$QPID" >/dev/null
}

# check_idle PID WHAT: an idle daemon's main thread uses no CPU (at most 2
# clock ticks in 3 s), so nothing spins.
check_idle() {
	t0=$(awk '{print $14 + $15}' "/proc/$1/task/$1/stat")
	sleep 3
	t1=$(awk '{print $14 + $15}' "/proc/$1/task/$1/stat")
	check "$2: idle main thread used $((t1 - t0)) ticks in 3 s" test $((t1 - t0)) -le 2
}
