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
#      a survivor with the same address.
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
trap 'r=$?; pg_down; fo_dh_down; fo_down; (exit $r); e2e_cleanup' EXIT
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

# 2. kill -9 s2, storm again, restart the database mid-storm
kill_at=$(date +%s.%N)
fo_kill9 2
t0=$SECONDS
fo_storm "$WORK/p2.txt" "$WORK/p2.pcap" "$N" 02:b5:00:00:00:00 --spread 12000 &
storm_pid=$!
wait_for 30 "s1 and s3 take s2's buckets" eval 's2_dead 1 && s2_dead 3'
takeover=$((SECONDS - t0))
log "takeover visible in /api/status (polled) after ~${takeover} s: s1 $(fo_lb 1 'lb["buckets"], lb["adopted"]'), s3 $(fo_lb 3 'lb["buckets"], lb["adopted"]') (buckets, adopted leases)"
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

sleep 2 # a ship interval or more: the survivors' phase-2 ACKs reach the database
pg_sql "SELECT server || ' ' || host(ip) || ' ' || mac FROM leases WHERE state = 'bound'" >"$WORK/db.txt"
python3 "$E2E_DIR/fleet_check.py" --pcap p1="$WORK/p1.pcap" --pcap p2="$WORK/p2.pcap" \
	--pcap p3="$WORK/p3.pcap" --journal s1="$WORK/s1/state/leases.journal" \
	--journal s2="$WORK/s2/state/leases.journal" --journal s3="$WORK/s3/state/leases.journal" \
	--db "$WORK/db.txt" --dead-ip "$(fo_ip 2)" --kill-at "$kill_at" | tee "$WORK/check.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "fleet_check"
pass
