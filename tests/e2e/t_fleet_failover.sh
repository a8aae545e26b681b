#!/usr/bin/env bash
# Fleet failover (issue 20), three bootstorm servers sharing one segment on a
# real PostgreSQL 15 (tests/e2e/pg.sh, a throw-away cluster under $WORK):
#   1. s1, s2, s3 (fleet.peers) split the clients by RFC 3074 bucket and the
#      pool in thirds: bs-storm's N clients (default 300) are each ACKed by
#      exactly one server, every ACK reaches the leases table; three ISC
#      dhclients whose MACs hash to s2's (two) and s1's buckets are answered
#      by those;
#   2. s2 is killed -9 (control and dataplane) and the same N clients boot
#      again at once, spread over 12 s; PostgreSQL is stopped and restarted
#      while they do.  s1 and s3 see s2's heartbeat go stale, load its leases
#      from the database and take its buckets: every client of s2 is ACKed by
#      a survivor within the DHCP retry window, with the address s2 gave it,
#      and so are the two dhclients restarted (INIT-REBOOT);
#   3. s2 comes back (same state directory): the survivors hand its buckets
#      back and the clients (bs-storm, dhclient) boot once more without a
#      single NAK;
#   4. ISC dhcrelay (isc-dhcp-relay) forwards a relayed network to the three
#      servers: a dhclient there in s2's bucket is answered by s2; s2 killed
#      -9 again, the same dhclient's INIT-REBOOT through the relay is ACKed by
#      a survivor with the same address;
#   5. RFC 3074 section 6 (fleet.lb_secs_override): s2 back, then PostgreSQL
#      stopped AND s2 killed -9, so the survivors cannot learn it died: with
#      the override off (phases 1-4 run with it off) a fresh dhclient in s2's
#      bucket gets no answer for 12 s; with it at 3 s on s1 and s3 (reload)
#      it is answered by one of them once its secs reach 3, with an address
#      of that server's own slice, counted DHCP_LB_SECS.
# A QEMU VM (SeaBIOS + iPXE ROM, TCG; BS_FO_VM=0 skips it) whose MAC hashes
# to s2's buckets PXE-boots through s2 in phase 1 (DHCP, pxelinux, kernel +
# initramfs over TFTP, kickstart over HTTP, done POSTed); after s2's kill -9
# in phase 2 it is reset from the QEMU monitor and boots again through a
# survivor, with the same address (adopted from the database).
# Over all phases no address is bound to two MACs: in what the clients saw
# (bs-storm's pcap, decoded by fleet_check.py), in the three journals and in
# the database.  Figures: failover time (first/last ACK of s2's clients after
# the kill), takeover time seen in the survivors' status.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
source "$(dirname "$0")/fleet_failover_lib.sh"

N=${BS_FAILOVER_N:-300}
[ "$(id -u)" -eq 0 ] || notrun "NOT RUN: needs root (network namespaces)"
[ -x "${PG_BIN}/initdb" ] || notrun "NOT RUN: PostgreSQL 15 not installed (Debian package postgresql-15)"
[ -x "$BS_BUILD/tools/storm/bs-storm" ] || fail "bs-storm not built"
e2e_lock
WORK=$(mktemp -d /tmp/bs-e2e.XXXXXX)
chmod 755 "$WORK"
trap 'r=$?; fo_vm_down; pg_down; fo_dh_down; fo_down; (exit $r); e2e_cleanup' EXIT
trap 'exit 130' INT TERM
dump_server_logs() {
	local k
	for k in 1 2 3; do
		for f in "$WORK/s$k/control.log" "$WORK/s$k/dp.log"; do
			[ -s "$f" ] && { echo "---- tail of s$k/$(basename "$f")"; tail -15 "$f"; }
		done
	done
}

pg_setup "$WORK" || fail "pg_setup"
pg_up || fail "pg_up"
printf '%s\n' "$PG_CONNINFO" >"$WORK/fleet.conninfo"
chmod 600 "$WORK/fleet.conninfo"
need_cmd dhclient isc-dhcp-client
need_cmd dhcrelay isc-dhcp-relay
fo_net_up
fo_dh_up
for k in 1 2 3; do fo_config "$k"; done
# phases 1-4: liveness from the database only (phase 5 turns the override on)
for k in 1 2 3; do echo "  lb_secs_override: 0s" >>"$WORK/s$k/bootstorm.yaml"; done
FO_VM=${BS_FO_VM:-1}
QEMU=$(command -v qemu-system-x86_64 || true)
if [ "$FO_VM" = 1 ] && { [ -z "$QEMU" ] || ! [ -r /usr/lib/ipxe/qemu/pxe-e1000.rom ]; }; then
	log "VM part NOT RUN: qemu-system-x86_64 or ipxe-qemu missing"
	FO_VM=0
fi
[ "$FO_VM" = 1 ] && fo_vm_prepare
"$BS_BUILD/control/bootstorm" db init -c "$WORK/s1/bootstorm.yaml" >/dev/null || fail "db init"
for k in 1 2 3; do fo_start "$k"; done
log "3 servers up, PostgreSQL up, $N clients"

wait_for() { # timeout_s description command...
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.2
	done
	fail "timed out ($what)"
}
db_bound() { pg_sql "SELECT count(*) FROM leases WHERE state = 'bound' $1"; }
all_alive() { [ "$(fo_lb "$1" 'all(p["alive"] for p in lb["peers"])')" = True ]; }
s2_dead() { [ "$(fo_lb "$1" '[p["alive"] for p in lb["peers"] if p["name"] == "s2"][0]')" = False ]; }
for k in 1 2 3; do wait_for 20 "s$k sees every peer alive" all_alive "$k"; done
for k in 1 2 3; do log "s$k: $(fo_lb "$k" 'lb["buckets"]') buckets"; done

if [ "$FO_VM" = 1 ]; then
	fo_vm_start
	log "fvm ($FO_VM_MAC, s2's buckets) started: TCG, SeaBIOS + iPXE ROM"
fi

# 1. all three up
fo_storm "$WORK/p1.txt" "$WORK/p1.pcap" "$N" 02:b5:00:00:00:00 --concurrency 100 ||
	fail "storm 1: $(tail -5 "$WORK/p1.txt")"
[ "$(fo_storm_result "$WORK/p1.txt" ok)" = "$N" ] || fail "storm 1: $(grep -E 'RESULT|fail' "$WORK/p1.txt")"
# ISC dhclient: two clients whose chaddr hashes to s2's buckets get their
# lease from s2, the third from s1
declare -a DH_IP
for n in 1 2 3; do
	read -r ip sid < <(fo_dhclient "$n") || fail "dhclient d$n: no lease: $(tail -3 "$WORK/dhclient.$n.log")"
	want=$([ "$n" -le 2 ] && fo_ip 2 || fo_ip 1)
	[ "$sid" = "$want" ] || fail "dhclient d$n (${FO_DH_MACS[$((n - 1))]}) was answered by $sid, want $want (RFC 3074 bucket)"
	DH_IP[$n]=$ip
	log "dhclient d$n ${FO_DH_MACS[$((n - 1))]}: $ip from $sid"
done
synced() { [ "$(db_bound "")" -ge "$((N + 3))" ]; }
wait_for 30 "phase-1 leases in the database" synced
log "phase 1: $N ACKed, $(db_bound "") bound rows in the database"

if [ "$FO_VM" = 1 ]; then
	fo_vm_wait 1 240
	read -r VM_IP sid url < <(fo_vm_last)
	[ "$sid" = "$(fo_ip 2)" ] || { fo_vm_tail; fail "fvm was answered by '$sid', want s2 $(fo_ip 2)"; }
	case $url in "http://$(fo_ip 2)/"*) ;; *) fo_vm_tail; fail "fvm reported done to '$url', not s2" ;; esac
	vm_shipped() { [ "$(pg_sql "SELECT count(*) FROM leases WHERE server = 's2' AND host(ip) = '$VM_IP' AND state = 'bound'")" = 1 ]; }
	wait_for 20 "fvm's lease in the database" vm_shipped
	log "fvm PXE-installed through s2: $VM_IP, done at $url ($SECONDS s into the test)"
fi

# 2. kill -9 s2, storm again, restart the database mid-storm
kill_at=$(date +%s.%N)
fo_kill9 2
t0=$SECONDS
fo_storm "$WORK/p2.txt" "$WORK/p2.pcap" "$N" 02:b5:00:00:00:00 --spread 12000 &
storm_pid=$!
wait_for 30 "s1 and s3 take s2's buckets" eval 's2_dead 1 && s2_dead 3'
takeover=$((SECONDS - t0))
log "takeover visible in /api/status (polled) after ~${takeover} s: s1 $(fo_lb 1 'lb["buckets"], lb["adopted"]'), s3 $(fo_lb 3 'lb["buckets"], lb["adopted"]') (buckets, adopted leases)"
if [ "$FO_VM" = 1 ]; then # power-cycle the VM: it boots again, now through a survivor
	fo_vm_monitor system_reset
	fo_vm_monitor cont
	log "fvm reset from the QEMU monitor"
fi
# dhclient restarted on s2's two clients: INIT-REBOOT for the address s2
# gave them, ACKed by a survivor that loaded it from the database
for n in 1 2; do
	read -r ip sid < <(fo_dhclient "$n") || fail "dhclient d$n after the kill: no lease: $(tail -3 "$WORK/dhclient.$n.log")"
	[ "$ip" = "${DH_IP[$n]}" ] || fail "dhclient d$n: $ip after the kill, had ${DH_IP[$n]} from s2"
	case $sid in "$(fo_ip 1)" | "$(fo_ip 3)") ;; *) fail "dhclient d$n answered by $sid after s2 died" ;; esac
	log "dhclient d$n after kill -9 of s2: ${DH_IP[$n]} again, from $sid"
done
kill -0 "$storm_pid" 2>/dev/null || fail "storm 2 ended before the database restart: spread it longer"
pg_down
log "PostgreSQL stopped mid-storm"
sleep 2
pg_up || fail "pg_up again"
log "PostgreSQL back"
wait "$storm_pid" || fail "storm 2: $(tail -5 "$WORK/p2.txt")"
[ "$(fo_storm_result "$WORK/p2.txt" ok)" = "$N" ] || fail "storm 2: $(grep -E 'RESULT|fail' "$WORK/p2.txt")"
log "phase 2: $(grep 'RESULT' "$WORK/p2.txt")"

if [ "$FO_VM" = 1 ]; then
	fo_vm_wait 2 240
	read -r ip sid url < <(fo_vm_last)
	case $sid in "$(fo_ip 1)" | "$(fo_ip 3)") ;; *) fo_vm_tail; fail "fvm answered by '$sid' after s2 died" ;; esac
	[ "$ip" = "$VM_IP" ] || { fo_vm_tail; fail "fvm got $ip from $sid after s2 died, had $VM_IP from s2"; }
	case $url in "http://$sid/"*) ;; *) fo_vm_tail; fail "fvm reported done to '$url', not its server $sid" ;; esac
	log "fvm after kill -9 of s2: $ip again, from $sid, installed and done at $url"
fi

# 3. s2 back
fo_start 2
for k in 1 3; do wait_for 30 "s$k sees s2 back" all_alive "$k"; done
fo_storm "$WORK/p3.txt" "$WORK/p3.pcap" "$N" 02:b5:00:00:00:00 --concurrency 100 ||
	fail "storm 3: $(tail -5 "$WORK/p3.txt")"
[ "$(fo_storm_result "$WORK/p3.txt" ok)" = "$N" ] || fail "storm 3: $(grep -E 'RESULT|fail' "$WORK/p3.txt")"
for n in 1 2; do
	read -r ip sid < <(fo_dhclient "$n") || fail "dhclient d$n after s2 returned: no lease"
	[ "$ip" = "${DH_IP[$n]}" ] || fail "dhclient d$n: $ip after s2 returned, had ${DH_IP[$n]}"
	grep -q DHCPNAK "$WORK/dhclient.$n.log" && fail "dhclient d$n saw a DHCPNAK"
	log "dhclient d$n after s2 returned: ${DH_IP[$n]} from $sid, no NAK"
done
naks=$(sed -n 's/.*naks \([0-9]*\).*/\1/p' "$WORK/p3.txt")
[ "${naks:-x}" = 0 ] || fail "phase 3: $naks NAKs after s2 returned"
log "phase 3: $(grep 'RESULT' "$WORK/p3.txt"), NAKs $naks"

# 4. through ISC dhcrelay forwarding to the servers: a relayed dhclient in
# s2's bucket is answered by s2; s2 killed -9 again, its INIT-REBOOT through
# the relay is ACKed by a survivor with the same address
fo_relay_up
read -r ip sid < <(fo_dhclient rc) || fail "relayed dhclient: no lease: $(tail -3 "$WORK/dhclient.rc.log"; tail -3 "$WORK/dhcrelay.log")"
[ "$sid" = "$(fo_ip 2)" ] || fail "relayed dhclient answered by $sid, want $(fo_ip 2) (RFC 3074 bucket 4)"
case $ip in 10.78.0.*) ;; *) fail "relayed dhclient got $ip, not from the relayed subnet" ;; esac
log "dhclient behind dhcrelay ($FO_RELAY_MAC): $ip from $sid"
relay_shipped() { [ "$(pg_sql "SELECT count(*) FROM leases WHERE server = 's2' AND host(ip) = '$ip'")" = 1 ]; }
wait_for 20 "the relayed lease in the database" relay_shipped
fo_kill9 2
wait_for 30 "s1 and s3 take s2's buckets again" eval 's2_dead 1 && s2_dead 3'
read -r ip2 sid < <(fo_dhclient rc) || fail "relayed dhclient after the kill: no lease"
[ "$ip2" = "$ip" ] || fail "relayed dhclient: $ip2 after the kill, had $ip from s2"
case $sid in "$(fo_ip 1)" | "$(fo_ip 3)") ;; *) fail "relayed dhclient answered by $sid after s2 died" ;; esac
log "dhclient behind dhcrelay after kill -9 of s2: $ip again, from $sid"

# 5. RFC 3074 section 6: database down AND s2 dead
fo_start 2
for k in 1 3; do wait_for 30 "s$k sees s2 back (phase 5)" all_alive "$k"; done
pg_down
fo_kill9 2
log "phase 5: PostgreSQL stopped, then s2 killed -9; survivors' buckets: s1 $(fo_lb 1 'lb["buckets"]'), s3 $(fo_lb 3 'lb["buckets"]')"
secs_ctr() { echo $(($(fo_counter 1 DHCP_LB_SECS) + $(fo_counter 3 DHCP_LB_SECS))); }
[ "$(secs_ctr)" = 0 ] || fail "DHCP_LB_SECS moved with the override off"
if got=$(fo_dhclient_fresh 1 12); then
	fail "override off: d1 (s2's bucket) answered ($got) with s2 dead and the database down"
fi
n=$(grep -c '^DHCPDISCOVER' "$WORK/dhclient.1.fresh.log")
[ "$n" -ge 4 ] || fail "d1 sent only $n DISCOVERs in 12 s"
[ "$(secs_ctr)" = 0 ] || fail "DHCP_LB_SECS moved with the override off"
log "override off: d1's $n DISCOVERs over 12 s unanswered (s2 dead, the database cannot tell)"
for k in 1 3; do fo_secs_override "$k" 3s; done
read -r ip sid < <(fo_dhclient_fresh 1 40) || fail "override 3s: d1 not answered: $(tail -5 "$WORK/dhclient.1.fresh.log")"
case $sid in "$(fo_ip 1)" | "$(fo_ip 3)") ;; *) fail "override: d1 answered by '$sid'" ;; esac
python3 - "$ip" "${sid##*.}" <<'PY' || fail "override: d1 got $ip, not from $sid's slice of the pool"
import ipaddress, sys
ip, k = int(ipaddress.ip_address(sys.argv[1])), int(sys.argv[2]) - 1
lo, hi = int(ipaddress.ip_address("10.77.1.0")), int(ipaddress.ip_address("10.77.15.250"))
size = hi - lo + 1  # dhcp_lb_pool_part: part k of 3 is [lo + size*k/3, lo + size*(k+1)/3)
sys.exit(0 if lo + size * k // 3 <= ip < lo + size * (k + 1) // 3 else 1)
PY
[ "$(secs_ctr)" -ge 1 ] || fail "override: DHCP_LB_SECS did not move"
log "override 3s: d1 answered by $sid with $ip (its own slice; d1 had ${DH_IP[1]} from s2) after $(grep -c '^DHCPDISCOVER' "$WORK/dhclient.1.fresh.log") DISCOVERs in all; DHCP_LB_SECS $(secs_ctr)"
pg_up || fail "pg_up (phase 5)"
log "PostgreSQL back"

sleep 2 # a ship interval or more: the survivors' phase-2 ACKs reach the database
pg_sql "SELECT server || ' ' || host(ip) || ' ' || mac FROM leases WHERE state = 'bound'" >"$WORK/db.txt"
python3 "$E2E_DIR/fleet_check.py" --pcap p1="$WORK/p1.pcap" --pcap p2="$WORK/p2.pcap" \
	--pcap p3="$WORK/p3.pcap" --journal s1="$WORK/s1/state/leases.journal" \
	--journal s2="$WORK/s2/state/leases.journal" --journal s3="$WORK/s3/state/leases.journal" \
	--db "$WORK/db.txt" --dead-ip "$(fo_ip 2)" --kill-at "$kill_at" | tee "$WORK/check.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "fleet_check"
pass
