#!/usr/bin/env bash
# Real DHCP clients against the server, one per client namespace:
#   bs-c1: ISC dhclient   lease (DORA) -> renew at T1 (unicast REQUEST) -> stop without
#          release -> restart: INIT-REBOOT (REQUEST with requested-ip, RFC 2131 §4.3.2)
#          for the same address -> release (DHCPRELEASE)
#   bs-c2: busybox udhcpc lease -> renew (SIGUSR1) -> release (SIGUSR2)
# Each step is checked on the client (address on cl0, script reason) and on the
# server (`bootstorm leases`).  Short lease (20 s, T1 10 s) so renew happens in time.
source "$(dirname "$0")/lib.sh"
need_cmd dhclient isc-dhcp-client
need_cmd busybox busybox
e2e_init --clients 2 --vms 0
E2E_LEASE=20s
T1_WAIT=25
# dnsmasq (validation peer only) enforces a 2 min minimum lease: T1 = 60 s.
[ "$BS_SERVER" = dnsmasq ] && { E2E_LEASE=2m; T1_WAIT=75; }
write_config
server_start

# dhclient runs its script with a fresh environment: bake the log path in.
cat >"$WORK/dhclient-script" <<SCRIPT
#!/bin/sh
echo "\$reason \${new_ip_address:-} \${old_ip_address:-}" >>"$WORK/dhclient.reasons"
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
	[ -n "\$old_ip_address" ] && [ "\$old_ip_address" != "\$new_ip_address" ] &&
		ip addr del "\$old_ip_address/\${old_subnet_mask:-24}" dev "\$interface" 2>/dev/null
	ip addr replace "\$new_ip_address/\${new_subnet_mask:-255.255.255.0}" dev "\$interface" ;;
EXPIRE|FAIL|RELEASE|STOP)
	[ -n "\$old_ip_address" ] && ip addr del "\$old_ip_address/\${old_subnet_mask:-255.255.255.0}" dev "\$interface" 2>/dev/null ;;
PREINIT) ip link set "\$interface" up ;;
esac
exit 0
SCRIPT
cat >"$WORK/udhcpc-script" <<SCRIPT
#!/bin/sh
echo "\$1 \${ip:-}" >>"$WORK/udhcpc.reasons"
case "\$1" in
deconfig) ip addr flush dev "\$interface" ;;
bound|renew) ip addr replace "\$ip/\${mask:-24}" dev "\$interface" ;;
esac
exit 0
SCRIPT
chmod +x "$WORK/dhclient-script" "$WORK/udhcpc-script"
DHC=(dhclient -4 -sf "$WORK/dhclient-script" -lf "$WORK/c1.leases" -pf "$WORK/c1.pid")
mac1=52:54:00:77:01:01 mac2=52:54:00:77:01:02
cl_ip() { in_client "$1" ip -4 -o addr show dev cl0 | awk '{print $4}' | cut -d/ -f1 | head -1; }
in_pool() { [[ $1 =~ ^10\.77\.0\.([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 100 ] && [ "${BASH_REMATCH[1]}" -le 199 ]; }
wait_reason() { # file regex timeout
	local deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}

# ---- dhclient: lease
log "dhclient: DORA"
timeout 30 ip netns exec bs-c1 "${DHC[@]}" -1 cl0 || fail "dhclient got no lease: $(cat "$WORK/dhclient.reasons" 2>/dev/null)"
ip1=$(cl_ip 1)
in_pool "$ip1" || fail "dhclient address '$ip1' not from the pool 10.77.0.100-199"
grep -q "^BOUND $ip1" "$WORK/dhclient.reasons" || fail "dhclient script did not see BOUND: $(cat "$WORK/dhclient.reasons")"
lease_active "$mac1" "$ip1" || fail "server lease list lacks $mac1 $ip1: $(server_leases | head -20)"
log "dhclient bound $ip1; server lists it"

# ---- dhclient: renew at T1 (it stays running; 20 s lease -> T1 10 s)
pid_of_dhc=$(cat "$WORK/c1.pid")
E2E_PIDS+=("$pid_of_dhc")
log "dhclient: waiting for RENEW at T1"
wait_reason "$WORK/dhclient.reasons" "^RENEW $ip1" "$T1_WAIT" || fail "dhclient did not renew: $(cat "$WORK/dhclient.reasons")"
lease_active "$mac1" "$ip1" || fail "lease for $mac1 not active after renew: $(server_leases | head -20)"
log "dhclient renewed $ip1"

# ---- dhclient: stop without release, restart -> INIT-REBOOT for the same address
stop_pid "$pid_of_dhc"
in_client 1 ip addr flush dev cl0
log "dhclient: INIT-REBOOT"
timeout 30 ip netns exec bs-c1 "${DHC[@]}" -1 cl0 || fail "dhclient restart failed: $(cat "$WORK/dhclient.reasons")"
wait_reason "$WORK/dhclient.reasons" "^REBOOT $ip1" 2 || fail "no INIT-REBOOT ACK for $ip1: $(tail -3 "$WORK/dhclient.reasons")"
[ "$(cl_ip 1)" = "$ip1" ] || fail "INIT-REBOOT gave $(cl_ip 1), expected $ip1"
log "dhclient INIT-REBOOT kept $ip1"

# The RELEASE is unicast from the client's kernel (ARP for the server first):
# give it up to 5 s on a loaded machine.
released() { # mac ip
	local i
	for ((i = 0; i < 50; i++)); do
		lease_active "$1" "$2" || return 0
		sleep 0.1
	done
	return 1
}

# ---- dhclient: release
timeout 20 ip netns exec bs-c1 "${DHC[@]}" -r cl0 || fail "dhclient -r failed"
released "$mac1" "$ip1" || fail "lease $mac1 $ip1 still active 5 s after DHCPRELEASE: $(server_leases | grep -i "$mac1")"
log "dhclient released $ip1; server no longer lists it active"

# ---- udhcpc: lease, renew, release
log "udhcpc: DORA"
spawn "$WORK/udhcpc.log" ip netns exec bs-c2 busybox udhcpc -f -i cl0 -t 5 -T 2 -s "$WORK/udhcpc-script" -x hostname:e2e-udhcpc
UD_PID=$LAST_PID
wait_reason "$WORK/udhcpc.reasons" '^bound ' 20 || fail "udhcpc got no lease: $(cat "$WORK/udhcpc.log")"
ip2=$(cl_ip 2)
in_pool "$ip2" || fail "udhcpc address '$ip2' not from the pool"
[ "$ip2" != "$ip1" ] || log "note: udhcpc got the address dhclient released ($ip2)"
lease_active "$mac2" "$ip2" || fail "server lease list lacks $mac2 $ip2: $(server_leases | head -20)"
log "udhcpc bound $ip2"
kill -USR1 "$UD_PID"
wait_reason "$WORK/udhcpc.reasons" "^renew $ip2" 15 || fail "udhcpc renew (SIGUSR1) not acknowledged: $(tail -5 "$WORK/udhcpc.log")"
log "udhcpc renewed $ip2"
kill -USR2 "$UD_PID"
wait_reason "$WORK/udhcpc.log" 'unicasting a release|sending release|entering released state' 10 || fail "udhcpc did not release: $(tail -5 "$WORK/udhcpc.log")"
released "$mac2" "$ip2" || fail "lease $mac2 $ip2 still active 5 s after udhcpc release: $(server_leases | grep -i "$mac2")"
log "udhcpc released $ip2"
pass
