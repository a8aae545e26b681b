#!/usr/bin/env bash
# AF_XDP split mode (dataplane/afxdp.c, dataplane/xdp/bs_steer.bpf.c): the kernel owns
# bs-dp0 (10.77.0.1, ARP, TCP) and serves control's HTTP itself; bootstorm-dp runs
# net_af_xdp in native XDP mode on it, and the steering program sends only DHCP,
# TFTP (69 + the server-port range) and RS to the dataplane's XSK.
#   1. refusals at start: the kernel's ephemeral UDP ports overlapping the TFTP range
#      (the message names net.ipv4.ip_local_port_range), a punt tap in this mode, and
#      a server.mac that is not the interface's (the kernel answers ARP with its own);
#      the program is detached after each refused start;
#   2. dhclient gets a lease, tftp-hpa (512 B lock-step) and atftp (blksize 1468 +
#      windowsize 8) fetch 1 MiB and 24 MiB by sha256, curl fetches 64 MiB over HTTP
#      from control's kernel listener by sha256, at the same time as a TFTP transfer;
#   3. a SIGKILLed dataplane leaves the program attached: the next start removes it;
#   4. after a clean exit `ip link show bs-dp0` shows no xdp, and HTTP still works.
source "$(dirname "$0")/lib.sh"
need_cmd dhclient isc-dhcp-client
need_cmd tftp tftp-hpa
need_cmd atftp atftp
need_cmd curl curl
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: AF_XDP split mode is bootstorm's"
e2e_init --clients 1 --vms 0
t=$WORK/tftp
head -c $((1 << 20)) /dev/urandom >"$t/f1m"
head -c $((24 << 20)) /dev/urandom >"$t/f24m"
mkdir -p "$WORK/repo/lab"
head -c $((64 << 20)) /dev/urandom >"$WORK/repo/lab/big.bin"
write_config
# Split mode: the AF_XDP port, no punt tap.
sed -i -e 's|dev: net_af_packet0,iface=bs-dp0|dev: net_af_xdp0,iface=bs-dp0|' -e '/^  punt: /d' "$CONF"
grep -q net_af_xdp0 "$CONF" || fail "config rewrite"

BS_BIN=$BS_BUILD/control/bootstorm
BS_DP=$BS_BUILD/dataplane/bootstorm-dp
[ -f "$BS_BUILD/dataplane/xdp/bs_steer.bpf.o" ] || fail "steering program not built"
xdp_on() { in_srv ip link show bs-dp0 | grep -q 'prog/xdp'; }
spawn "$WORK/control.log" ip netns exec "$SRV" "$BS_BIN" serve -c "$CONF" --foreground
for ((i = 0; i < 100; i++)); do [ -e "/dev/shm/bootstorm-$INSTANCE" ] && break; sleep 0.1; done
[ -e "/dev/shm/bootstorm-$INSTANCE" ] || fail "control did not create its region"
"$LAB" afxdp on >/dev/null || fail "lab afxdp on"

# ---- 1. refusals
dp_refused() { # label regex conf
	timeout 60 ip netns exec "$SRV" "$BS_DP" -c "$3" >"$WORK/dp-refused.log" 2>&1
	local rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "$1: dataplane started (rc $rc): $(tail -3 "$WORK/dp-refused.log")"
	grep -qE "$2" "$WORK/dp-refused.log" || fail "$1: no message /$2/: $(tail -5 "$WORK/dp-refused.log")"
	xdp_on && fail "$1: XDP program left attached after a refused start"
	log "refused: $1 ($(grep -oE "$2" "$WORK/dp-refused.log" | head -1))"
}
in_srv sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
dp_refused "ephemeral ports overlap tftp ports" "net.ipv4.ip_local_port_range" "$CONF"
in_srv sysctl -qw net.ipv4.ip_local_port_range="32768 39999"
sed -e 's|^  workers: 1|  workers: 1\n  punt: bs-punt0|' "$CONF" >"$WORK/punt.yaml"
dp_refused "punt tap in split mode" "no punt tap" "$WORK/punt.yaml"
sed -e 's|^  mac: 02:00:00:77:00:01$|  mac: 02:00:00:77:00:99|' "$CONF" >"$WORK/mac.yaml"
grep -q '02:00:00:77:00:99' "$WORK/mac.yaml" || fail "config rewrite (server.mac)"
dp_refused "server.mac not the interface's" "server.mac differs from the interface's" "$WORK/mac.yaml"

# ---- 2. clients
dp_start() {
	spawn "$WORK/dp.log" ip netns exec "$SRV" "$BS_DP" -c "$CONF"
	DP_PID=$LAST_PID
	for ((i = 0; i < 150; i++)); do
		grep -q "split mode on ifindex" "$WORK/dp.log" && grep -q "running:" "$WORK/dp.log" && return 0
		kill -0 "$DP_PID" 2>/dev/null || fail "dataplane exited: $(tail -5 "$WORK/dp.log")"
		sleep 0.2
	done
	fail "dataplane not up in 30 s: $(tail -5 "$WORK/dp.log")"
}
dp_start
xdp_on || fail "no XDP program on bs-dp0"
in_srv ip link show bs-dp0 | grep -q 'name bs_steer' || fail "the program on bs-dp0 is not bs_steer"
wait_http "$HTTP/" 30 || fail "control HTTP not reachable on the kernel's bs-dp0"
log "bootstorm up in AF_XDP split mode: $(in_srv ip link show bs-dp0 | grep -o 'prog/xdp.*')"

cat >"$WORK/dhclient-script" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT) ip addr replace "\$new_ip_address/24" dev "\$interface" ;;
PREINIT) ip link set "\$interface" up ;;
esac
exit 0
SCRIPT
chmod +x "$WORK/dhclient-script"
timeout 30 ip netns exec bs-c1 dhclient -4 -1 -sf "$WORK/dhclient-script" -lf "$WORK/c1.leases" \
	-pf "$WORK/c1.pid" cl0 || fail "dhclient got no lease through AF_XDP"
E2E_PIDS+=("$(cat "$WORK/c1.pid")")
ip1=$(in_client 1 ip -4 -o addr show dev cl0 | awk '{print $4}' | cut -d/ -f1 | head -1)
[[ $ip1 =~ ^10\.77\.0\.1[0-9][0-9]$ ]] || fail "dhclient address '$ip1' not from the pool"
lease_active 52:54:00:77:01:01 "$ip1" || fail "server lease list lacks $ip1"
log "dhclient bound $ip1"

dl=$WORK/dl
mkdir -p "$dl"
sum() { sha256sum "$1" | cut -d' ' -f1; }
same() { [ "$(sum "$1")" = "$(sum "$2")" ] || fail "$3: sha256 mismatch"; }
hpa() { # file timeout
	local s=$SECONDS
	timeout "$2" ip netns exec bs-c1 tftp -m binary "$SERVER_IP" -c get "$1" "$dl/hpa.$1" ||
		fail "tftp-hpa get $1 (rc $?)"
	same "$dl/hpa.$1" "$t/$1" "tftp-hpa $1"
	log "tftp-hpa $1 ok ($((SECONDS - s)) s)"
}
atf() { # file timeout
	local s=$SECONDS
	timeout "$2" ip netns exec bs-c1 atftp --option "blksize 1468" --option "windowsize 8" \
		-g -r "$1" -l "$dl/atftp.$1" "$SERVER_IP" >"$WORK/atftp.out" 2>&1 ||
		fail "atftp get $1: $(tail -3 "$WORK/atftp.out")"
	same "$dl/atftp.$1" "$t/$1" "atftp $1"
	log "atftp $1 ok ($((SECONDS - s)) s)"
}
hpa f1m 20
atf f1m 20
# HTTP from the kernel while the dataplane serves TFTP.
ip netns exec bs-c1 curl -sS --max-time 120 -o "$dl/big.bin" "$HTTP/repo/lab/big.bin" &
curl_pid=$!
hpa f24m 120
atf f24m 60
wait $curl_pid || fail "curl HTTP 64 MiB through the kernel failed"
same "$dl/big.bin" "$WORK/repo/lab/big.bin" "curl HTTP big.bin"
log "curl HTTP 64 MiB ok (kernel path) alongside TFTP"
grep -q "chained tx no" "$WORK/dp.log" || fail "net_af_xdp must send TFTP DATA unchained: $(grep 'chained tx' "$WORK/dp.log")"

# ---- the program follows the config: TFTP ports moved to 30000-30999 by a reload.
# The DATA of the next transfer leaves from the new range and its ACKs come back
# there: only if bs_steer_cfg was updated do they reach the XSK (else the kernel
# answers ICMP port unreachable and the transfer fails).
sed -e 's|^  retries: 5$|  retries: 5\n  ports: 30000-30999|' "$CONF" >"$CONF.new"
grep -q '^  ports: 30000-30999' "$CONF.new" || fail "config rewrite (tftp.ports)"
mv "$CONF.new" "$CONF"
kill -HUP "$(pgrep -of "bootstorm serve -c $CONF")" 2>/dev/null || true
for ((i = 0; i < 50; i++)); do grep -q "config generation 2" "$WORK/dp.log" && break; sleep 0.2; done
grep -q "config generation 2" "$WORK/dp.log" || fail "the dataplane did not take the reloaded config"
hpa f1m 20
log "tftp.ports reloaded to 30000-30999: steering followed"

# ---- 3. a killed dataplane leaves the program; the next start removes it
kill -9 "$DP_PID"; wait "$DP_PID" 2>/dev/null
xdp_on || log "note: no program left after SIGKILL (kernel released it)"
dp_start
grep -q "stale bs_steer" "$WORK/dp.log" || xdp_on || fail "restart after SIGKILL"
hpa f1m 20
log "restart after SIGKILL ok"

# ---- 4. clean exit detaches
stop_pid "$DP_PID"
xdp_on && fail "XDP program still attached after the dataplane exited: $(in_srv ip link show bs-dp0)"
grep -qE "rx queues .* must be equal|rte_exit|Segmentation" "$WORK/dp.log" && fail "dataplane log: $(tail -5 "$WORK/dp.log")"
ip netns exec bs-c1 curl -fsS --max-time 10 -o /dev/null "$HTTP/repo/lab/big.bin" || fail "HTTP after the dataplane exited"
log "program detached on exit; HTTP still served by the kernel"
pass
