#!/usr/bin/env bash
# bootstorm-dp-setup in AF_XDP split mode (BOOTSTORM_MODE=af_xdp) on real interfaces
# of a namespace of its own (no lab, no lock): veths and a bridge, the namespace's own
# net.ipv4.ip_local_port_range (a per-namespace sysctl: nothing outside is touched).
#   1. ephemeral UDP ports overlapping the TFTP range (config tftp.ports, or
#      BOOTSTORM_TFTP_PORTS) are refused, naming the sysctl and the range to set;
#      BOOTSTORM_EPHEMERAL_PORTS sets it (dry run: shown, not done);
#   2. native XDP: veth passes, a bridge (no ndo_bpf) gets the generic-mode warning;
#   3. RX queues: a veth with 2 RX queues and a dataplane serving 1 is refused
#      (DHCP/TFTP on the other queue would be lost); BOOTSTORM_SET_CHANNELS=yes
#      lowers it with ethtool -L and the check passes; queue_count=2 in the config's
#      devargs on a 1-queue veth is refused;
#   4. server.mac other than the interface's is refused.
source "$(dirname "$0")/lib.sh"
need_cmd ethtool ethtool
[ "$(id -u)" -eq 0 ] || notrun "NOT RUN: needs root (network namespaces)"
H=$ROOT/packaging/systemd/bootstorm-dp-setup
NS=bs-afs-$$
WORK=$(mktemp -d /tmp/bs-afxdp-setup.XXXXXX)
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link add a0 address 02:00:00:77:00:01 type veth peer name a1 || fail "veth"
ip -n "$NS" link add a2 numrxqueues 2 type veth peer name a3 numrxqueues 2 || fail "veth with 2 RX queues"
ip -n "$NS" link add br0 type bridge || fail "bridge"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns sysctl -qw net.ipv4.ip_local_port_range="32768 60999"

conf() { # tftp-ports mac devargs-extra
	cat >"$WORK/bs.yaml" <<EOF
server:
  name: t
  ip: 10.77.0.1/24
  mac: $2
dataplane:
  ports:
    - dev: net_af_xdp0,iface=a0$3
tftp:
  root: /srv/tftp
  ports: $1
EOF
}
HRC=0
helper() { # env-lines... -- args...
	local env=$WORK/env
	echo "BOOTSTORM_MODE=af_xdp" >"$env"
	echo "BOOTSTORM_CONFIG=$WORK/bs.yaml" >>"$env"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do echo "$1" >>"$env"; shift; done
	shift
	in_ns "$H" --env "$env" "$@" >"$WORK/h.out" 2>&1
	HRC=$?
}
expect() { # rc regex what
	[ "$HRC" = "$1" ] || fail "$3: exit $HRC, want $1: $(cat "$WORK/h.out")"
	grep -qE -- "$2" "$WORK/h.out" || fail "$3: no /$2/ in: $(cat "$WORK/h.out")"
	log "$3: exit $HRC, $(grep -oE -- "$2" "$WORK/h.out" | head -1)"
}
range() { in_ns cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' ' '; }

# ---- 1. ephemeral ports
conf 40000-59999 02:00:00:77:00:01 ""
helper BOOTSTORM_NIC=a0 --
expect 2 "ephemeral UDP ports 32768-60999 \(net.ipv4.ip_local_port_range\) overlap the TFTP server ports 40000-59999" "overlap refused"
grep -q "BOOTSTORM_EPHEMERAL_PORTS=32768-39999" "$WORK/h.out" || fail "overlap: no range to set: $(cat "$WORK/h.out")"
helper BOOTSTORM_NIC=a0 BOOTSTORM_EPHEMERAL_PORTS=32768-39999 -- --dry-run
expect 0 "would run: sysctl -qw net.ipv4.ip_local_port_range=32768 39999" "dry run shows the sysctl"
[ "$(range)" = "32768 60999" ] || fail "dry run changed the sysctl: $(range)"
helper BOOTSTORM_NIC=a0 BOOTSTORM_EPHEMERAL_PORTS=32768-39999 --
expect 0 "ephemeral UDP ports 32768-39999 clear of the TFTP ports 40000-59999" "sysctl set"
[ "$(range)" = "32768 39999" ] || fail "ip_local_port_range not set: $(range)"
helper BOOTSTORM_NIC=a0 BOOTSTORM_TFTP_PORTS=35000-35999 -- --dry-run
expect 2 "overlap the TFTP server ports 35000-35999" "BOOTSTORM_TFTP_PORTS overrides the config"
conf 33000-33999 02:00:00:77:00:01 ""
helper BOOTSTORM_NIC=a0 -- --dry-run
expect 2 "overlap the TFTP server ports 33000-33999" "tftp.ports read from the config"
conf 40000-59999 02:00:00:77:00:01 ""

# ---- 2. native XDP
helper BOOTSTORM_NIC=a0 -- --dry-run
expect 0 "a0: driver veth has native XDP" "veth native"
grep -q "a0: 1 RX queue(s), 1 served by the dataplane" "$WORK/h.out" || fail "queues line: $(cat "$WORK/h.out")"
helper BOOTSTORM_NIC=br0 BOOTSTORM_CONFIG=/nonexistent -- --dry-run
expect 0 "WARNING: br0: driver 'bridge' has no native XDP" "bridge: generic mode said"

# ---- 3. RX queues
conf 40000-59999 "" ""
helper BOOTSTORM_NIC=a2 -- --dry-run
expect 2 "a2 receives on 2 queues but the dataplane serves 1" "2 RX queues, 1 served: refused"
helper BOOTSTORM_NIC=a2 BOOTSTORM_SET_CHANNELS=yes -- --dry-run
expect 0 "would run: ethtool -L a2 rx 1" "dry run shows ethtool -L"
helper BOOTSTORM_NIC=a2 BOOTSTORM_SET_CHANNELS=yes --
expect 0 "a2: 1 RX queue\(s\), 1 served" "ethtool -L lowered the RX queues"
helper BOOTSTORM_NIC=a2 BOOTSTORM_QUEUES=2 -- --dry-run
expect 2 "a2 has 1 RX queue\(s\), fewer than the 2" "BOOTSTORM_QUEUES above the NIC's"
conf 40000-59999 "" ",queue_count=2"
helper BOOTSTORM_NIC=a0 -- --dry-run
expect 2 "a0 has 1 RX queue\(s\), fewer than the 2" "queue_count=2 from the config on a 1-queue veth"

# ---- 4. server.mac
conf 40000-59999 02:00:00:77:00:99 ""
helper BOOTSTORM_NIC=a0 -- --dry-run
expect 2 "server.mac 02:00:00:77:00:99 .* is not a0's 02:00:00:77:00:01" "server.mac mismatch refused"
pass
