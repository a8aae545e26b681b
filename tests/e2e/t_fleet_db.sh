#!/usr/bin/env bash
# Fleet mode, local first (issue 20), against a real PostgreSQL 15 started
# here (tests/e2e/pg.sh: a throw-away cluster under $WORK, unix socket only):
#   1. `bootstorm db init` creates the schema; a second init/migrate applies
#      nothing (idempotent); the inventory imports; a conninfo with a password
#      in the YAML is refused (file:line:col);
#   2. ISC dhclient gets leases through bootstorm; they appear in PostgreSQL;
#   3. PostgreSQL stopped: more dhclients are ACKed all the same (the database
#      is not on the ACK path), status says "unreachable" and the backlog
#      grows; PostgreSQL back: the backlog drains;
#   4. PostgreSQL stopped again, two more leases, control killed -9 with the
#      backlog pending, restarted, PostgreSQL back: nothing lost;
#   5. every ACKed (MAC, address) is in the leases table exactly once, bound;
#      a node-state change (reimage) reaches node_state; GET /api/fleet and
#      `bootstorm fleet` show this server alive;
#   6. a second server (control only, its own instance, state and port on
#      loopback) joins the fleet view; killed -9, it is shown down once its
#      heartbeat is older than fleet.heartbeat_deadline, the first stays up.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

need_cmd dhclient isc-dhcp-client
pg_need
e2e_init --clients 6
# stop the cluster, then lib.sh's cleanup with the test's own exit status
trap 'r=$?; pg_down; rm -f "/dev/shm/bootstorm-${INSTANCE}b"; (exit $r); e2e_cleanup' EXIT
write_config
pg_start "$WORK" || fail "pg_start"

# The conninfo lives in a root-only file (util/bs_secret.h), never in the YAML.
pg_conninfo_file "$WORK/fleet.conninfo"
fleet_yaml "$WORK/fleet.conninfo" "ship_interval: 200ms" "heartbeat_deadline: 5s"
BS_BIN=$BS_BUILD/control/bootstorm
sed 's|^  database: .*|  database: "host=/x user=u password=secret"|' "$CONF" >"$WORK/bad.yaml"
out=$("$BS_BIN" check-config "$WORK/bad.yaml" 2>&1) && fail "a password in the YAML was accepted"
grep -qE 'bad.yaml:[0-9]+:[0-9]+: error: fleet.database: no password' <<<"$out" || fail "no file:line:col error: $out"

# ---- 1. schema
out=$("$BS_BIN" db init -c "$CONF") || fail "db init: $out"
log "db init: $out"
# every migration this binary knows, in one init (issue 20 adds them over time)
known=$(sed -n 's/.*this binary knows \([0-9]*\)).*/\1/p' <<<"$out")
[ -n "$known" ] && [ "$known" -ge 2 ] && grep -q "schema version $known ($known migrations applied" <<<"$out" ||
	fail "db init applied: $out"
out=$("$BS_BIN" db migrate -c "$CONF") || fail "db migrate: $out"
grep -q "0 migrations applied" <<<"$out" || fail "second migrate not idempotent: $out"
out=$("$BS_BIN" db init -c "$CONF") || fail "db init again: $out"
grep -q "0 migrations applied" <<<"$out" || fail "second init not idempotent: $out"
[ "$(pg_sql 'SELECT string_agg(version::text, $$,$$ ORDER BY version) FROM schema_version')" = "$(seq -s, 1 "$known")" ] ||
	fail "schema_version rows: $(pg_sql 'SELECT * FROM schema_version')"
out=$("$BS_BIN" db import-inventory -c "$CONF") || fail "import: $out"
[ "$(pg_sql 'SELECT count(*) FROM nodes')" = 8 ] || fail "nodes imported: $(pg_sql 'SELECT count(*) FROM nodes')"

server_start

wait_for 20 "fleet database reachable" fleet_reachable

cat >"$WORK/dhclient-script" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|REBOOT)
	ip addr replace "\$new_ip_address/24" dev "\$interface" ;;
PREINIT) ip link set "\$interface" up ;;
esac
exit 0
SCRIPT
chmod +x "$WORK/dhclient-script"
declare -A ACKED # mac -> ip
lease() { # client N: one DORA with ISC dhclient, which is then stopped (no release)
	local n=$1 mac ip
	mac=$(printf '52:54:00:77:01:%02x' "$n")
	timeout 30 ip netns exec "bs-c$n" dhclient -4 -sf "$WORK/dhclient-script" -lf "$WORK/c$n.leases" \
		-pf "$WORK/c$n.pid" -1 cl0 >"$WORK/dhclient.$n.log" 2>&1 || fail "dhclient c$n got no lease: $(tail -3 "$WORK/dhclient.$n.log")"
	[ -s "$WORK/c$n.pid" ] && kill "$(cat "$WORK/c$n.pid")" 2>/dev/null
	ip=$(in_client "$n" ip -4 -o addr show dev cl0 | awk '{print $4}' | cut -d/ -f1 | head -1)
	[ -n "$ip" ] || fail "client $n has no address"
	ACKED[$mac]=$ip
	log "c$n ($mac) ACKed $ip"
}
in_db() { # mac ip: exactly one bound row
	[ "$(pg_sql "SELECT count(*) FROM leases WHERE mac = '$1' AND ip = '$2' AND state = 'bound'")" = 1 ]
}
all_in_db() {
	local m
	for m in "${!ACKED[@]}"; do in_db "$m" "${ACKED[$m]}" || return 1; done
}

# ---- 2. leases reach the database
lease 1
lease 2
wait_for 15 "leases of c1, c2 in PostgreSQL" all_in_db
log "c1, c2 in PostgreSQL"

# ---- 3. the database goes away; booting does not
pg_down
wait_for 15 "status says the database is unreachable" fleet_unreachable
lease 3
lease 4
b=$(fleet_backlog)
[ "$b" -ge 2 ] || fail "backlog $b while the database is down (2 ACKs at least)"
# (into a variable first: grep -q quitting early under pipefail fails curl)
metrics=$(in_srv curl -s -m 5 "$HTTP/metrics")
grep -q '^bootstorm_fleet_db_up 0' <<<"$metrics" || fail "metrics: db up while down"
out=$(bs status) || fail "bootstorm status: $out"
grep -qE '^fleet +server e2e, database unreachable, outbox backlog [1-9]' <<<"$out" || fail "status while down: $out"
log "database down: c3, c4 ACKed, backlog $b"
pg_up || fail "pg_up again"
wait_for 40 "backlog drained after PostgreSQL returned" fleet_drained
wait_for 10 "every ACKed lease in PostgreSQL" all_in_db
log "database back: backlog drained, 4 leases present"

# ---- 4. kill -9 control with the backlog pending
pg_down
wait_for 15 "database unreachable (2)" fleet_unreachable
lease 5
lease 6
b=$(fleet_backlog)
[ "$b" -ge 2 ] || fail "backlog $b before the kill"
ctl_kill9_restart "$WORK/control.2.log"
log "control killed -9 with backlog $b, restarted"
pg_up || fail "pg_up (3)"
wait_for 40 "backlog drained after the restart" fleet_drained
wait_for 10 "every ACKed lease in PostgreSQL after kill -9" all_in_db

# ---- 5. exactly once, node states, the fleet view
macs=$(printf "'%s'," "${!ACKED[@]}")
n=$(pg_sql "SELECT count(*) FROM leases WHERE mac IN (${macs%,})")
[ "$n" = "${#ACKED[@]}" ] || fail "$n rows for ${#ACKED[@]} ACKed MACs: $(pg_sql 'SELECT ip, mac, state, seq FROM leases')"
dups=$(pg_sql "SELECT count(*) FROM (SELECT ip FROM leases WHERE state = 'bound' GROUP BY ip HAVING count(*) > 1) d")
[ "$dups" = 0 ] || fail "$dups addresses bound twice"
log "all ${#ACKED[@]} ACKed leases present exactly once"

bs reimage vm03 >/dev/null || fail "reimage vm03"
vm03_install() { [ "$(pg_sql "SELECT state FROM node_state WHERE name = 'vm03'")" = install ]; }
wait_for 10 "node state of vm03 in PostgreSQL" vm03_install
json=$(in_srv curl -s -m 10 "$HTTP/api/fleet")
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); s=j["servers"][0]
assert s["name"]=="e2e" and s["alive"] and s["leases_bound"]>=6 and s["node_states"].get("install")==1, j' "$json" ||
	fail "GET /api/fleet: $json"
out=$(bs status) || fail "bootstorm status: $out"
grep -qE '^fleet +server e2e, database reachable, outbox backlog 0' <<<"$out" || fail "status after: $out"
out=$("$BS_BIN" fleet -c "$CONF") || fail "bootstorm fleet: $out"
grep -qE '^e2e +yes ' <<<"$out" || fail "bootstorm fleet: $out"
echo "$out"

# ---- 6. a second server: liveness by heartbeat deadline
sed -e 's|^  name: e2e$|  name: e2e-b|' -e "s|^  instance: .*|  instance: ${INSTANCE}b|" \
	-e "s|^  state_dir: .*|  state_dir: $WORK/state-b|" -e 's|^  listen: .*|  listen: 127.0.0.1:18080|' \
	"$CONF" >"$WORK/b.yaml"
spawn "$WORK/control-b.log" "$BS_BIN" serve -c "$WORK/b.yaml" --foreground
B_PID=$LAST_PID
view() { "$BS_BIN" fleet -c "$CONF" --json | python3 -c "import json,sys; j=json.load(sys.stdin); s={x['name']: x['alive'] for x in j['servers']}; print($1)"; }
both_alive() { [ "$(view 's.get("e2e") and s.get("e2e-b")')" = True ]; }
b_down() { [ "$(view 's.get("e2e") and s.get("e2e-b") is False')" = True ]; }
wait_for 20 "second server alive in the fleet view" both_alive
[ "$(pg_sql "SELECT count(*) FROM segments WHERE server = 'e2e-b'")" = 1 ] || fail "segments of e2e-b"
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null
rm -f "/dev/shm/bootstorm-${INSTANCE}b"
log "second server e2e-b killed -9"
b_down && fail "e2e-b shown down before its deadline"
wait_for 15 "e2e-b shown down after the heartbeat deadline" b_down
"$BS_BIN" fleet -c "$CONF"
pass
