#!/bin/sh
# VM integration tests of hvdpa-cni, driven as a container runtime drives
# a CNI plugin (CNI_* environment, the network configuration on stdin):
# two network namespaces get a NIC from hvdpad, with host-local addresses,
# and talk through the bridge and the host; CHECK, DEL, broken input and
# rollback leave nothing behind; ADD is timed against the standard bridge
# plugin's (a veth pair) in the same boot. And the CDI spec of a disk.
#   sh tests/vm/cni-tests.sh BUILD_DIR
set -u
B=$(cd "${1:-build}" && pwd)
HVDPAD=$B/hvdpad
CTL=$B/hvdpactl
CNI=$B/hvdpa-cni
W=/run/hvdpa-cni-test
. "$(dirname "$0")/lib.sh"
PLUGINS=/usr/lib/cni
SOCK=$W/control.sock

load_modules
modprobe bridge
rm -rf "$W/ipam" "$W/cdi"
for n in c1 c2 c3; do
	ip netns del $n 2>/dev/null
	ip netns add $n
	ip netns exec $n ip link set lo up
done
ip link del hvcbr0 2>/dev/null
ip link add hvcbr0 type bridge
ip addr add 10.88.0.1/24 dev hvcbr0
ip link set hvcbr0 up

# The plugin's own directory first, then Debian's plugins (host-local).
mkdir -p "$W/bin"
ln -sf "$CNI" "$W/bin/hvdpa-cni"
CNI_PATH_ALL=$W/bin:$PLUGINS

# conf NAME BRIDGE [IPAM_EXTRA]: a network configuration; host-local keeps
# its leases under $W (tmpfs), not in the shared root's /var/lib/cni.
conf() {
	printf '{"cniVersion": "1.0.0", "name": "%s", "type": "hvdpa-cni", "bridge": "%s", "control": "%s", "ipam": {"type": "host-local", "dataDir": "%s/ipam", "ranges": [[{"subnet": "10.88.0.0/24", "gateway": "10.88.0.1"%s}]], "routes": [{"dst": "0.0.0.0/0"}]}}' \
		"$1" "$2" "$SOCK" "$W" "${3:-}"
}
NET=$(conf hvtest hvcbr0)
# cni COMMAND CONTAINERID NETNS IFNAME CONF: runs the plugin, as a runtime
# does, with nothing else in its environment; stdout to $W/out, status in
# $st.
cni() {
	printf '%s' "$5" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND="$1" \
		CNI_CONTAINERID="$2" ${3:+CNI_NETNS="$3"} CNI_IFNAME="$4" CNI_PATH="$CNI_PATH_ALL" \
		"$CNI" >"$W/out" 2>"$W/err"
	st=$?
}
# code: the error object's "code" in $W/out.
code() {
	tr -d ' \n' <"$W/out" | sed -n 's/.*"code":\([0-9]*\).*/\1/p'
}
# leftovers: what an attachment leaves on the host when it is gone: a
# tap, a vDPA or VDUSE device, a line in hvdpad's device file, an IPAM
# lease. Empty when clean.
leftovers() {
	{
		ip -o link show | grep -o 'hvcni[0-9a-f]*'
		vdpa dev show 2>/dev/null | grep -o 'cni-[0-9a-f]*'
		ls /dev/vduse 2>/dev/null | grep '^cni-'
		grep -o 'cni-[0-9a-f]*' "$SOCK.devices" 2>/dev/null
		ls "$W/ipam/hvtest" 2>/dev/null | grep '^10\.'
	} | sort -u | tr '\n' ' '
}
ns_of() { echo "/run/netns/$1"; }

echo "# hvdpad with its control socket, and a disk for CDI"
truncate -s 64M "$W/disk.img"
start_daemon d1 --control "$SOCK" --blk name=disk0,path="$W/disk.img",attach=virtio || exit 1
wait_until 30 "[ -S '$SOCK' ] && grep -q 'disk0: attached' '$W/d1.log'"
check "control socket up" test -S "$SOCK"

echo "# ADD: two containers"
for n in c1 c2; do
	t0=$(date +%s%N)
	cni ADD "id-$n" "$(ns_of $n)" eth0 "$NET"
	t1=$(date +%s%N)
	cp "$W/out" "$W/add-$n.json"
	cat "$W/out"
	check "ADD $n: status $st in $(((t1 - t0) / 1000000)) ms" test $st -eq 0
	[ $st -eq 0 ] || cat "$W/err"
	flat=$(tr -d ' \n' <"$W/add-$n.json")
	check "ADD $n: the result's interfaces[2] is eth0 in $(ns_of $n)" \
		sh -c "echo '$flat' | grep -q '{\"name\":\"eth0\",\"mac\":\"[0-9a-f:]*\",\"sandbox\":\"$(ns_of $n)\"}'"
	check "ADD $n: ips[0] points to it, 10.88.0.x/24 via 10.88.0.1" \
		sh -c "echo '$flat' | grep -q '\"ips\":\[{\"interface\":2,\"address\":\"10.88.0.[0-9]*/24\",\"gateway\":\"10.88.0.1\"}'"
	addr=$(sed -n 's/.*"address": *"\(10\.88\.0\.[0-9]*\)\/24".*/\1/p' "$W/add-$n.json")
	eval "ip_$n=$addr"
	check "$n: eth0 is virtio_net" sh -c "ip netns exec $n ethtool -i eth0 | grep -q 'driver: virtio_net'"
	check "$n: eth0 has $addr/24 and is up" \
		sh -c "ip -n $n -o addr show dev eth0 | grep -q 'inet $addr/24' && ip -n $n link show eth0 | grep -q ',UP'"
	check "$n: default route via 10.88.0.1" sh -c "ip -n $n route | grep -q '^default via 10.88.0.1 dev eth0'"
	check "$n: the MAC in the result is eth0's" \
		sh -c "echo '$flat' | grep -q \"\$(ip netns exec $n cat /sys/class/net/eth0/address)\""
done
# shellcheck disable=SC2154
echo "# c1 $ip_c1, c2 $ip_c2"
check "two different addresses" test "$ip_c1" != "$ip_c2" -a -n "$ip_c1" -a -n "$ip_c2"
check "their taps are in hvcbr0" sh -c "[ \$(ip -o link show master hvcbr0 | grep -c hvcni) -eq 2 ]"
"$CTL" list >"$W/list" 2>&1
check "hvdpactl list: two cni- net devices on virtio" \
	sh -c "[ \$(grep -Ec '^cni-[0-9a-f]{16} +net +virtio' '$W/list') -eq 2 ]"

echo "# traffic"
sleep 1
check "c1 pings c2 through the bridge" sh -c "ip netns exec c1 ping -c 5 -i 0.2 -W 2 $ip_c2 | grep -q ' 0% packet loss'"
check "c2 pings the host" sh -c "ip netns exec c2 ping -c 5 -i 0.2 -W 2 10.88.0.1 | grep -q ' 0% packet loss'"
check "the host pings c1" sh -c "ping -c 5 -i 0.2 -W 2 $ip_c1 | grep -q ' 0% packet loss'"
head -c 64M /dev/urandom >"$W/data"
want=$(sha256sum <"$W/data" | cut -d' ' -f1)
rm -f "$W/r1"
ip netns exec c2 timeout 120 socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$W/r1",creat,trunc &
l=$!
wait_listen 5001 c2
ip netns exec c1 timeout 120 socat -u OPEN:"$W/data" TCP:"$ip_c2":5001
wait $l
check "64 MiB from c1 to c2, same sha256" test "$(sha256sum <"$W/r1" | cut -d' ' -f1)" = "$want"
rm -f "$W/r1"
timeout 120 socat -u TCP-LISTEN:5002,reuseaddr OPEN:"$W/r1",creat,trunc &
l=$!
wait_listen 5002
ip netns exec c1 timeout 120 socat -u OPEN:"$W/data" TCP:10.88.0.1:5002
wait $l
check "64 MiB from c1 to the host, same sha256" test "$(sha256sum <"$W/r1" | cut -d' ' -f1)" = "$want"
rm -f "$W/r1" "$W/data"

echo "# CHECK"
# prevResult: ADD's result, added to the configuration as a runtime does.
with_prev() { printf '%s, "prevResult": %s}' "${NET%\}}" "$(cat "$W/add-$1.json")"; }
cni CHECK id-c1 "$(ns_of c1)" eth0 "$(with_prev c1)"
check "CHECK c1: status $st, nothing on stdout" test $st -eq 0 -a ! -s "$W/out"
[ $st -eq 0 ] || cat "$W/out"
cni CHECK id-c2 "$(ns_of c2)" eth0 "$(with_prev c2)"
check "CHECK c2: status $st" test $st -eq 0
ip -n c1 addr flush dev eth0
cni CHECK id-c1 "$(ns_of c1)" eth0 "$(with_prev c1)"
check "its address flushed: CHECK fails ($(code): $(cat "$W/err"))" \
	sh -c "[ $st -eq 1 ] && grep -q 'lacks its address' '$W/out'"
# c1's device, by the result's tap: hvcniXXXXXXXX is cni-XXXXXXXX........
tap1=$(grep -o 'hvcni[0-9a-f]*' "$W/add-c1.json" | head -n 1)
dev1=$(grep -Eo "^cni-${tap1#hvcni}[0-9a-f]{8}" "$W/list")
check "c1's device is $dev1 (tap $tap1)" test -n "$dev1"
vdpa dev del "$dev1"
check "its device taken off the bus behind its back: eth0 gone from c1" \
	sh -c "! ip -n c1 link show eth0 2>/dev/null"
cni CHECK id-c1 "$(ns_of c1)" eth0 "$(with_prev c1)"
check "CHECK fails: status $st, code $(code), $(cat "$W/err")" \
	sh -c "[ $st -eq 1 ] && grep -q 'eth0 is not in the container' '$W/out'"

echo "# DEL, twice each"
for n in c1 c2; do
	cni DEL "id-$n" "$(ns_of $n)" eth0 "$(with_prev $n)"
	check "DEL $n: status $st" test $st -eq 0
	[ $st -eq 0 ] || cat "$W/out"
	cni DEL "id-$n" "$(ns_of $n)" eth0 "$(with_prev $n)"
	check "DEL $n again: status $st" test $st -eq 0
done
# A runtime may DEL with the container's netns gone, and no prevResult.
cni DEL id-c9 "" eth0 "$NET"
check "DEL of what never was, without a netns: status $st" test $st -eq 0
check "nothing left: '$(leftovers)'" test -z "$(leftovers)"
check "c2's eth0 is gone" sh -c "! ip -n c2 link show eth0 2>/dev/null"

echo "# broken input: the spec's error, and nothing left behind"
cni ADD id-b1 "$(ns_of c3)" eth0 "$(conf hvtest nosuchbr0)"
check "unknown bridge: status $st, code $(code)" sh -c "[ $st -eq 1 ] && [ '$(code)' = 7 ]"
cni ADD id-b2 "$(ns_of c3)" eth0 '{"cniVersion": "1.0.0", "name": "hvtest", "bridge": '
check "bad JSON: status $st, code $(code)" sh -c "[ $st -eq 1 ] && [ '$(code)' = 6 ]"
cni ADD id-b3 "" eth0 "$NET"
check "no CNI_NETNS: status $st, code $(code)" sh -c "[ $st -eq 1 ] && [ '$(code)' = 4 ]"
cni ADD id-b4 /run/netns/nosuch eth0 "$NET"
check "a netns that is not there: status $st, code $(code)" sh -c "[ $st -eq 1 ] && [ '$(code)' = 3 ]"
check "nothing left: '$(leftovers)'" test -z "$(leftovers)"

echo "# a failure half-way is rolled back"
# A range of one address: the second ADD gets its device and its tap,
# then IPAM says no; both must go.
TINY=$(conf hvtest hvcbr0 ', "rangeStart": "10.88.0.50", "rangeEnd": "10.88.0.50"')
cni ADD id-t1 "$(ns_of c1)" eth0 "$TINY"
check "the range's one address: status $st" test $st -eq 0
cni ADD id-t2 "$(ns_of c2)" eth0 "$TINY"
check "the next ADD fails in IPAM: status $st, $(cat "$W/err")" \
	sh -c "[ $st -eq 1 ] && grep -q 'IPAM host-local ADD' '$W/out'"
check "c2 has no eth0" sh -c "! ip -n c2 link show eth0 2>/dev/null"
check "only id-t1's tap and device remain" \
	sh -c "[ \$(ip -o link show | grep -c hvcni) -eq 1 ] && [ \$(vdpa dev show | grep -c 'cni-') -eq 1 ]"
cni DEL id-t1 "$(ns_of c1)" eth0 "$TINY"
check "DEL id-t1: status $st" test $st -eq 0
# hvdpad unreachable: device-add cannot be asked, the tap goes again.
cni ADD id-t3 "$(ns_of c1)" eth0 "$(printf '%s' "$NET" | sed "s|$SOCK|$W/nosuch.sock|")"
check "no hvdpad at the control path: status $st, code $(code)" \
	sh -c "[ $st -eq 1 ] && grep -q 'is hvdpad running' '$W/out'"
check "nothing left: '$(leftovers)'" test -z "$(leftovers)"

echo "# 20 ADD/DEL cycles"
bad=0
tsum=0
for i in $(seq 1 20); do
	t0=$(date +%s%N)
	cni ADD "cyc-$i" "$(ns_of c3)" eth0 "$NET"
	t1=$(date +%s%N)
	[ $st -eq 0 ] || { bad=$((bad + 1)); cat "$W/out"; }
	tsum=$((tsum + (t1 - t0) / 1000000))
	ip -n c3 -o addr show dev eth0 2>/dev/null | grep -q 'inet 10.88.0.' || bad=$((bad + 1))
	cni DEL "cyc-$i" "$(ns_of c3)" eth0 "$NET"
	[ $st -eq 0 ] || { bad=$((bad + 1)); cat "$W/out"; }
done
hv_ms=$((tsum / 20))
check "20 cycles, each ADD addressed and each DEL clean: $bad failures" test $bad -eq 0
check "nothing left: '$(leftovers)'" test -z "$(leftovers)"
check "c3 has no eth0" sh -c "! ip -n c3 link show eth0 2>/dev/null"
check "hvdpad's device file lists no cni- device" sh -c "! grep -q cni- '$SOCK.devices' 2>/dev/null"

echo "# ADD time against the bridge plugin (veth), same boot"
BR='{"cniVersion": "1.0.0", "name": "hvref", "type": "bridge", "bridge": "hvcbr1", "isGateway": true, "ipam": {"type": "host-local", "dataDir": "'$W'/ipam", "ranges": [[{"subnet": "10.89.0.0/24"}]]}}'
tsum=0
bad=0
for i in $(seq 1 10); do
	t0=$(date +%s%N)
	printf '%s' "$BR" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND=ADD CNI_CONTAINERID="ref-$i" \
		CNI_NETNS="$(ns_of c3)" CNI_IFNAME=eth0 CNI_PATH=$PLUGINS $PLUGINS/bridge >"$W/out" 2>&1 || bad=$((bad + 1))
	t1=$(date +%s%N)
	tsum=$((tsum + (t1 - t0) / 1000000))
	printf '%s' "$BR" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND=DEL CNI_CONTAINERID="ref-$i" \
		CNI_NETNS="$(ns_of c3)" CNI_IFNAME=eth0 CNI_PATH=$PLUGINS $PLUGINS/bridge >/dev/null 2>&1 || bad=$((bad + 1))
done
br_ms=$((tsum / 10))
check "the bridge plugin ran 10 ADD/DEL cycles: $bad failures" test $bad -eq 0
echo "# ADD: hvdpa-cni ${hv_ms} ms, bridge plugin (veth) ${br_ms} ms, mean of 20 and 10 (ratio $(awk -v a=$hv_ms -v b=$br_ms 'BEGIN {if (b > 0) printf "%.1f", a / b; else print "?"}'))"
ip link del hvcbr1 2>/dev/null

echo "# CDI"
"$B/hvdpactl" cdi --output "$W/cdi" 2>"$W/cdi.err"
check "the spec is written: $(cat "$W/cdi.err")" test -s "$W/cdi/hvdpa.json"
cat "$W/cdi/hvdpa.json"
vd=$(sed -n 's/^disk0: attached (virtio_vdpa): //p' "$W/d1.log")
mm=$(stat -c '%t %T' "$vd")
maj=$(printf '%d' "0x${mm% *}")
min=$(printf '%d' "0x${mm#* }")
flat=$(tr -d ' \n' <"$W/cdi/hvdpa.json")
check "disk0: $vd, b $maj:$min" sh -c "echo '$flat' | grep -q '{\"name\":\"disk0\",\"containerEdits\":{\"deviceNodes\":\[{\"path\":\"$vd\",\"type\":\"b\",\"major\":$maj,\"minor\":$min}\]}}'"
check "cdiVersion 0.5.0, kind hvdpa.dev/blk" sh -c "echo '$flat' | grep -q '\"cdiVersion\":\"0.5.0\",\"kind\":\"hvdpa.dev/blk\"'"
check "no temporary file left" test "$(ls -A "$W/cdi")" = hvdpa.json
"$CTL" detach disk0 >/dev/null
"$B/hvdpactl" cdi --output "$W/cdi"
check "detached: the spec lists no device" sh -c "tr -d ' \n' <'$W/cdi/hvdpa.json' | grep -q '\"devices\":\[\]'"

echo "# the example, as a user runs it"
HVDPA_BUILD=$B HVDPA_CNI_DATA=$W/ipam-ex sh examples/cni/container-cni.sh exns -- \
	ping -c 3 -i 0.2 -W 2 10.89.7.1 >"$W/ex" 2>&1
cat "$W/ex"
check "container-cni.sh: the container pings the host through hvbr0" grep -q " 0% packet loss" "$W/ex"
check "and its DEL took the tap back" sh -c "! ip -o link show | grep -q hvcni"
ip netns del exns
ip link del hvbr0

check "clean exit" stop_daemon 10
check "no sanitizer report" sh -c "! grep -q Sanitizer '$W/d1.log'"
for n in c1 c2 c3; do ip netns del $n; done
ip link del hvcbr0
summary
