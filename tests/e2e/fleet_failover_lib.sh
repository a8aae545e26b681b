# shellcheck shell=bash
# Three bootstorm servers sharing one segment, for t_fleet_failover.sh and
# tests/perf/fleet_failover.sh (sourced after lib.sh and pg.sh).
#
#   netns bsf-sK (K = 1..3)          netns bsf-cli              netns bsf-c1
#   bsf-dp0 (the dataplane's veth) ── bsf-sKp ─┐               cl0 (bs-storm)
#   bsf-punt0 (tap, 10.77.0.K/20)             bsf-br0 ── bsf-c1b
#
# Server K is fleet server sK (instance bsfK, own state dir, own DPDK file
# prefix), fleet.peers [s1, s2, s3]: the three split the RFC 3074 buckets
# and the pool 10.77.1.0-10.77.15.250 in thirds.
FO_NS_CLI=bsf-cli
FO_NS_CL=bsf-c1
FO_PIDS_CTL=()
FO_PIDS_DP=()

fo_ns() { echo "bsf-s$1"; }
fo_ip() { echo "10.77.0.$1"; }
in_fo() { local k=$1; shift; ip netns exec "$(fo_ns "$k")" "$@"; }

fo_down() {
	local k
	for k in 1 2 3; do
		ip netns del "$(fo_ns "$k")" 2>/dev/null
		rm -f "/dev/shm/bootstorm-bsf$k"
	done
	ip netns del "$FO_NS_CL" 2>/dev/null
	ip netns del "$FO_NS_CLI" 2>/dev/null
	return 0
}

fo_quiet_if() { # ns if: no IPv6, no offloads (DPDK-NOTES.md)
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" 2>/dev/null
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off >/dev/null 2>&1 || true
}

fo_net_up() {
	local k ns
	fo_down
	ip netns add "$FO_NS_CLI" && ip netns add "$FO_NS_CL" || fail "netns add"
	ip -n "$FO_NS_CLI" link add bsf-br0 type bridge || fail "bridge"
	fo_quiet_if "$FO_NS_CLI" bsf-br0
	ip -n "$FO_NS_CLI" link set bsf-br0 up
	for k in 1 2 3; do
		ns=$(fo_ns "$k")
		ip netns add "$ns" || fail "netns $ns"
		ip -n "$ns" link add bsf-dp0 type veth peer name "bsf-s${k}p" netns "$FO_NS_CLI" || fail "veth $k"
		fo_quiet_if "$ns" bsf-dp0
		ip -n "$ns" link set bsf-dp0 arp off up
		ip -n "$ns" link set lo up
		fo_quiet_if "$FO_NS_CLI" "bsf-s${k}p"
		ip -n "$FO_NS_CLI" link set "bsf-s${k}p" master bsf-br0 up
	done
	ip -n "$FO_NS_CL" link add cl0 type veth peer name bsf-c1b netns "$FO_NS_CLI" || fail "client veth"
	fo_quiet_if "$FO_NS_CL" cl0
	fo_quiet_if "$FO_NS_CLI" bsf-c1b
	ip -n "$FO_NS_CL" link set cl0 address 02:b5:ff:00:00:01 up
	ip -n "$FO_NS_CLI" link set bsf-c1b master bsf-br0 up
}

# $WORK/sK/bootstorm.yaml from the e2e template: name, instance, address,
# MAC, ports and state of server K, a /20 with a 3,800-address pool.
fo_config() { # K
	local k=$1 d=$WORK/s$1
	mkdir -p "$d/state" "$d/tftp" "$d/repo" "$d/templates"
	cp /usr/lib/PXELINUX/pxelinux.0 "$d/tftp/" || fail "pxelinux.0 missing (package pxelinux)"
	cp "$ROOT"/tests/data/e2e/templates/* "$d/templates/" 2>/dev/null || true
	sed -e "s|@WORK@|$d|g" -e "s|@INSTANCE@|bsf$k|g" -e "s|@LEASE@|1h|g" -e "s|@IPXE_LINE@||" \
		"$ROOT/tests/data/e2e/bootstorm.yaml.in" | python3 -c '
import sys
k, conninfo = sys.argv[1], sys.argv[2]
t = sys.stdin.read()
for a, b in [("name: e2e", f"name: s{k}"), ("10.77.0.1/24", f"10.77.0.{k}/20"),
             ("02:00:00:77:00:01", f"02:00:00:77:00:0{k}"), ("iface=bs-dp0", "iface=bsf-dp0"),
             ("punt: bs-punt0", "punt: bsf-punt0"), ("10.77.0.0/24", "10.77.0.0/20"),
             ("10.77.0.100-10.77.0.199", "10.77.1.0-10.77.15.250"), ("10.77.0.1", f"10.77.0.{k}")]:
    assert a in t, a
    t = t.replace(a, b)
# the network behind the relay (fo_relay_up), selected by giaddr
anchor = f"      pools: [10.77.1.0-10.77.15.250]\n      next_server: 10.77.0.{k}\n"
assert anchor in t, anchor
t = t.replace(anchor, anchor + f"""    - subnet: 10.78.0.0/24
      router: 10.78.0.1
      pools: [10.78.0.100-10.78.0.249]
      next_server: 10.77.0.{k}
""")
t += f"""fleet:
  enabled: true
  database: {conninfo}
  ship_interval: 300ms
  heartbeat_deadline: 2s
  live_interval: 300ms
  peers: [s1, s2, s3]
"""
sys.stdout.write(t)' "$k" "$WORK/fleet.conninfo" >"$d/bootstorm.yaml" || fail "config $k"
}

fo_start() { # K: control, then the dataplane, then the punt tap's address
	local k=$1 d=$WORK/s$1 ns i
	ns=$(fo_ns "$k")
	spawn "$d/control.log" ip netns exec "$ns" "$BS_BUILD/control/bootstorm" serve -c "$d/bootstorm.yaml" --foreground
	FO_PIDS_CTL[$k]=$LAST_PID
	for ((i = 0; i < 100; i++)); do
		[ -e "/dev/shm/bootstorm-bsf$k" ] && break
		kill -0 "${FO_PIDS_CTL[$k]}" 2>/dev/null || fail "s$k control exited: $(tail -5 "$d/control.log")"
		sleep 0.1
	done
	spawn "$d/dp.log" ip netns exec "$ns" "$BS_BUILD/dataplane/bootstorm-dp" -c "$d/bootstorm.yaml"
	FO_PIDS_DP[$k]=$LAST_PID
	for ((i = 0; i < 150; i++)); do
		ip -n "$ns" link show bsf-punt0 >/dev/null 2>&1 && break
		kill -0 "${FO_PIDS_DP[$k]}" 2>/dev/null || fail "s$k dataplane exited: $(tail -5 "$d/dp.log")"
		sleep 0.2
	done
	fo_quiet_if "$ns" bsf-punt0
	ip -n "$ns" addr replace "$(fo_ip "$k")/20" dev bsf-punt0 || fail "s$k punt address"
	ip -n "$ns" link set bsf-punt0 up
	for ((i = 0; i < 100; i++)); do
		in_fo "$k" curl -s -o /dev/null -m 2 "http://$(fo_ip "$k")/" && return 0
		sleep 0.3
	done
	fail "s$k control HTTP not reachable: $(tail -5 "$d/control.log")"
}

fo_kill9() { # K: both processes, no goodbye
	kill -9 "${FO_PIDS_DP[$1]}" "${FO_PIDS_CTL[$1]}" 2>/dev/null
	wait "${FO_PIDS_DP[$1]}" "${FO_PIDS_CTL[$1]}" 2>/dev/null
	rm -f "/dev/shm/bootstorm-bsf$1"
}

# A python expression over server K's /api/status "fleet_lb" object (lb).
fo_lb() { # K expr
	in_fo "$1" curl -s -m 5 "http://$(fo_ip "$1")/api/status" |
		python3 -c "import json,sys; lb=json.load(sys.stdin).get('fleet_lb') or {}; print($2)" 2>/dev/null
}

# bs-storm: N DHCP-only clients from base MAC, client-side pcap in $2.
fo_storm() { # out pcap n mac [extra args]
	local out=$1 pcap=$2 n=$3 mac=$4
	shift 4
	timeout -k 3 150 ip netns exec "$FO_NS_CL" "$BS_BUILD/tools/storm/bs-storm" -i cl0 --dhcp-only \
		-n "$n" --mac "$mac" --pcap "$pcap" --pcap-snaplen 600 --max-time 120 "$@" >"$out" 2>&1
}

fo_storm_result() { # out key -> value from the RESULT line
	sed -n 's/.*RESULT.* '"$2"'=\([^ ]*\).*/\1/p' "$1"
}

# Real clients: ISC dhclient in namespaces bsf-dN on the same bridge.  No
# client identifier (Debian's dhclient.conf sends none), so the RFC 3074 key
# is chaddr: 52:54:00:99:00:02 and :06 hash to buckets 7 and 103 (s2's,
# b % 3 == 1), :04 to bucket 0 (s1's).
FO_DH_MACS=(52:54:00:99:00:02 52:54:00:99:00:06 52:54:00:99:00:04)

fo_dh_up() {
	local n ns
	cat >"$WORK/dhclient-script" <<'SCRIPT'
#!/bin/sh
case "$reason" in
BOUND|REBOOT|RENEW|REBIND) ip addr flush dev "$interface"; ip addr add "$new_ip_address/20" dev "$interface" ;;
PREINIT) ip link set "$interface" up ;;
esac
exit 0
SCRIPT
	chmod +x "$WORK/dhclient-script"
	for n in 1 2 3; do
		ns=bsf-d$n
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || fail "netns $ns"
		ip -n "$ns" link add cl0 type veth peer name "bsf-d${n}b" netns "$FO_NS_CLI" || fail "veth d$n"
		fo_quiet_if "$ns" cl0
		fo_quiet_if "$FO_NS_CLI" "bsf-d${n}b"
		ip -n "$ns" link set cl0 address "${FO_DH_MACS[$((n - 1))]}" up
		ip -n "$FO_NS_CLI" link set "bsf-d${n}b" master bsf-br0 up
	done
}

fo_dh_down() {
	local n f
	for f in "$WORK"/d*.pid; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	for n in 1 2 3 r rc; do ip netns del "bsf-d$n" 2>/dev/null; done
	return 0
}

# dhclient -1 in bsf-dN with its lease file kept across runs (a second run
# starts in INIT-REBOOT, RFC 2131 3.2); prints "address server-id".
fo_dhclient() { # N
	local n=$1 lf=$WORK/d$1.leases
	local pf=$WORK/d$1.pid i
	# dhclient forks into the background once bound: it must not inherit
	# the lab lock (fd 9, lib.sh e2e_lock), and it is stopped by the PID it
	# writes (a moment after -1 returns)
	rm -f "$pf"
	timeout 60 ip netns exec "bsf-d$n" dhclient -4 -sf "$WORK/dhclient-script" -lf "$lf" \
		-pf "$pf" -1 cl0 >>"$WORK/dhclient.$n.log" 2>&1 9>&- || return 1
	for ((i = 0; i < 100; i++)); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
	rm -f "$pf"
	awk '/fixed-address/ { ip = $2 } /dhcp-server-identifier/ { sid = $3 }
		END { gsub(";", "", ip); gsub(";", "", sid); print ip, sid }' "$lf"
}

# ISC dhcrelay (Debian isc-dhcp-relay) in bsf-dr between the servers'
# segment (up0, 10.77.0.9/20) and a relayed network 10.78.0.0/24 (dn0,
# 10.78.0.1) where dhclient runs in bsf-drc (52:54:00:98:00:01: bucket 4,
# s2's).  It forwards to every server of the segment.
FO_RELAY_MAC=52:54:00:98:00:01
fo_relay_up() {
	ip netns add bsf-dr && ip netns add bsf-drc || fail "relay netns"
	ip -n bsf-dr link add up0 type veth peer name bsf-drb netns "$FO_NS_CLI" || fail "relay up veth"
	ip -n bsf-dr link add dn0 type veth peer name cl0 netns bsf-drc || fail "relay down veth"
	fo_quiet_if bsf-dr up0
	fo_quiet_if bsf-dr dn0
	fo_quiet_if "$FO_NS_CLI" bsf-drb
	fo_quiet_if bsf-drc cl0
	ip -n "$FO_NS_CLI" link set bsf-drb master bsf-br0 up
	ip -n bsf-dr addr add 10.77.0.9/20 dev up0
	ip -n bsf-dr addr add 10.78.0.1/24 dev dn0
	ip -n bsf-dr link set up0 up
	ip -n bsf-dr link set dn0 up
	ip -n bsf-drc link set cl0 address "$FO_RELAY_MAC" up
	spawn "$WORK/dhcrelay.log" ip netns exec bsf-dr dhcrelay -4 -d --no-pid -id dn0 -iu up0 \
		"$(fo_ip 1)" "$(fo_ip 2)" "$(fo_ip 3)" 9>&-
	FO_RELAY_PID=$LAST_PID
}

# ---- a QEMU VM on the fleet's bridge (t_fleet_failover.sh) ----
# SeaBIOS + QEMU's iPXE ROM (TCG), MAC 52:54:00:77:10:18: RFC 3074 bucket
# 70 by chaddr and 46 by client identifier (01 + MAC, which iPXE and
# udhcpc send), both s2's (b % 3 == 1).  It is inventory node fvm without
# a fixed address (a dynamic lease from s2's slice, which the survivors
# adopt from the database when s2 dies).  -no-shutdown: the installer's
# poweroff stops the guest and the monitor (system_reset, cont) boots it
# again; no -no-reboot, which would turn system_reset into an exit.
FO_VM_MAC=52:54:00:77:10:18

# Boot files (lib.sh's installer: kernel + busybox initramfs) into every
# server's TFTP root, and node fvm into every server's config.  Before
# fo_start.
fo_vm_prepare() {
	local k b t
	"$E2E_DIR/mkinitramfs.sh" "$WORK/os" >"$WORK/mkinitramfs.log" 2>&1 ||
		fail "mkinitramfs: $(cat "$WORK/mkinitramfs.log")"
	for k in 1 2 3; do
		t=$WORK/s$k/tftp
		for b in ldlinux.c32 libcom32.c32 libutil.c32 menu.c32; do
			cp "/usr/lib/syslinux/modules/bios/$b" "$t/" || fail "$b missing (package syslinux-common)"
		done
		mkdir -p "$t/lab"
		ln -f "$WORK/os/vmlinuz" "$t/lab/vmlinuz"
		ln -f "$WORK/os/initrd.img" "$t/lab/initrd.img"
		python3 - "$WORK/s$k/bootstorm.yaml" "$FO_VM_MAC" <<'PY' || fail "fvm into s$k's config"
import sys
path, mac = sys.argv[1], sys.argv[2]
t = open(path).read()
i = t.index("  - range: vm[01-08]\n")  # the template's range entry, its last key profile
j = t.index("    profile: lab\n", i) + len("    profile: lab\n")
t = t[:j] + f"  - name: fvm\n    mac: {mac}\n    profile: lab\n" + t[j:]
open(path, "w").write(t)
PY
	done
}

fo_vm_start() {
	ip -n "$FO_NS_CLI" tuntap add dev bsf-vm0 mode tap || fail "tap bsf-vm0"
	fo_quiet_if "$FO_NS_CLI" bsf-vm0
	ip -n "$FO_NS_CLI" link set bsf-vm0 master bsf-br0 up
	spawn "$WORK/fvm.qemu.log" ip netns exec "$FO_NS_CLI" "$QEMU" -accel tcg,thread=single -M pc -m 256 \
		-nodefaults -display none -no-shutdown -serial "file:$WORK/fvm.serial" \
		-monitor "unix:$WORK/fvm.mon,server,nowait" \
		-netdev "tap,id=n0,ifname=bsf-vm0,script=no,downscript=no,vnet_hdr=off" \
		-device "e1000,netdev=n0,mac=$FO_VM_MAC,bootindex=1" \
		-fw_cfg name=etc/sercon-port,string=0x3f8 -boot order=n,reboot-timeout=1000 9>&-
	FO_VM_PID=$LAST_PID
}

fo_vm_monitor() { # command...: one line to the QEMU human monitor
	python3 - "$WORK/fvm.mon" "$*" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(2)
time.sleep(0.2)
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.5)
s.close()
PY
}

# Boot number N of fvm finished: its Nth BOOTSTORM-DONE-OK on the serial.
fo_vm_done() { # N
	[ "$(grep -ac 'BOOTSTORM-DONE-OK' "$WORK/fvm.serial" 2>/dev/null)" -ge "$1" ]
}

# "address server-id done-url" of fvm's last boot, from what the installer
# printed (udhcpc's lease and the URL its done POST went to).
fo_vm_last() {
	local l ip sid url
	l=$(tr -d '\r' <"$WORK/fvm.serial" | grep -a '^udhcpc: bound' | tail -1)
	ip=$(echo "$l" | sed -n 's/^udhcpc: bound \([0-9.]*\)\/.*/\1/p')
	sid=$(echo "$l" | sed -n 's/.* server \([0-9.]*\).*/\1/p')
	url=$(tr -d '\r' <"$WORK/fvm.serial" | grep -a 'BOOTSTORM-DONE-OK' | tail -1 | awk '{print $2}')
	echo "$ip $sid $url"
}

fo_vm_tail() { echo "---- fvm serial (tail)"; tail -c 3000 "$WORK/fvm.serial" 2>/dev/null | tr -d '\r' | tail -30; }

fo_vm_down() {
	[ -n "${FO_VM_PID:-}" ] && kill "$FO_VM_PID" 2>/dev/null && wait "$FO_VM_PID" 2>/dev/null
	ip -n "$FO_NS_CLI" link del bsf-vm0 2>/dev/null
	return 0
}

# ---- RFC 3074 section 6 secs override (t_fleet_failover.sh phase 5) ----

# fleet.lb_secs_override of server K's config (the fleet block is the
# config's last), then a reload: SIGHUP, and wait until control logged it.
fo_secs_override() { # K value
	local k=$1 d=$WORK/s$1 n i
	sed -i '/^  lb_secs_override:/d' "$d/bootstorm.yaml"
	echo "  lb_secs_override: $2" >>"$d/bootstorm.yaml"
	n=$(grep -c 'reloading' "$d/control.log")
	kill -HUP "${FO_PIDS_CTL[$k]}"
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c 'reloading' "$d/control.log")" -gt "$n" ] && { sleep 1; return 0; }
		sleep 0.2
	done
	fail "s$k did not reload"
}

# One counter of server K (/api/counters).
fo_counter() { # K NAME
	in_fo "$1" curl -s -m 5 "http://$(fo_ip "$1")/api/counters" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$2'])" 2>/dev/null
}

# ISC dhclient -1 in bsf-dN from a fresh lease file (DISCOVER first: its
# secs field grows with its retries), giving up after T seconds; prints
# "address server-id" or fails (1).
fo_dhclient_fresh() { # N T
	local n=$1 lf=$WORK/d$1.fresh.leases pf=$WORK/d$1.pid cf=$WORK/dhclient.fresh.conf i
	rm -f "$lf" "$pf"
	# a DISCOVER every 1-2 s (dhclient.conf(5)), its secs the seconds since the first
	echo "timeout $2; retry 600; initial-interval 1; backoff-cutoff 2;" >"$cf"
	timeout $(($2 + 10)) ip netns exec "bsf-d$n" dhclient -4 -cf "$cf" -sf "$WORK/dhclient-script" \
		-lf "$lf" -pf "$pf" -1 -v cl0 >>"$WORK/dhclient.$n.fresh.log" 2>&1 9>&- || return 1
	for ((i = 0; i < 100; i++)); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
	rm -f "$pf"
	awk '/fixed-address/ { ip = $2 } /dhcp-server-identifier/ { sid = $3 }
		END { gsub(";", "", ip); gsub(";", "", sid); print ip, sid }' "$lf"
}

fo_vm_wait() { # N timeout_s: boot N done, else the serial's tail and fail
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		fo_vm_done "$1" && return 0
		kill -0 "$FO_VM_PID" 2>/dev/null || break
		sleep 1
	done
	fo_vm_tail
	fail "fvm: boot $1 not done within $2 s"
}
# ---- added for t_fleet_campaign.sh ----
# A management network for BMCs: netns bsf-mg with bridge bsf-mbr
# (10.79.0.100/24, where the test's ipmi_sim BMCs listen), and in each
# server's namespace a veth bsf-mg0 with 10.79.0.K/24 on it, so every
# server reaches every BMC whatever its dataplane does.
FO_NS_MG=bsf-mg
FO_MG_IP=10.79.0.100
fo_mgmt_up() {
	local k ns
	ip netns del "$FO_NS_MG" 2>/dev/null
	ip netns add "$FO_NS_MG" || fail "netns $FO_NS_MG"
	ip -n "$FO_NS_MG" link add bsf-mbr type bridge || fail "mgmt bridge"
	fo_quiet_if "$FO_NS_MG" bsf-mbr
	ip -n "$FO_NS_MG" addr add "$FO_MG_IP/24" dev bsf-mbr
	ip -n "$FO_NS_MG" link set bsf-mbr up
	ip -n "$FO_NS_MG" link set lo up
	for k in 1 2 3; do
		ns=$(fo_ns "$k")
		ip -n "$ns" link add bsf-mg0 type veth peer name "bsf-m${k}p" netns "$FO_NS_MG" || fail "mgmt veth $k"
		fo_quiet_if "$ns" bsf-mg0
		fo_quiet_if "$FO_NS_MG" "bsf-m${k}p"
		ip -n "$ns" addr add "10.79.0.$k/24" dev bsf-mg0
		ip -n "$ns" link set bsf-mg0 up
		ip -n "$FO_NS_MG" link set "bsf-m${k}p" master bsf-mbr up
	done
}

fo_mgmt_down() {
	ip netns del "$FO_NS_MG" 2>/dev/null
	return 0
}
