#!/usr/bin/env bash
# Fleet mode under a storm with the database down (issue 20): perfdhcp (ISC
# Kea's load generator, relay mode) makes N clients (default 1000) do one DORA
# each while the throw-away PostgreSQL 15 (tests/e2e/pg.sh) is stopped.  Every
# DORA must be ACKed all the same (the database is not on the ACK path) and
# the outbox backlog must hold them; when PostgreSQL returns the backlog
# drains in batches (fleet.batch 10: a cycle ships at most 50 of them, then
# waits ship_interval 2 s, the window); control is killed -9 while it drains
# (some batches committed, more pending) and restarted, which ships the rest
# again from its saved position (idempotent upserts); the leases table must then equal
# the journal's bound leases -- read from the file by ack_check.py's own
# decoder, not bootstorm's -- with no address or MAC bound twice.  Prints the
# database round trips the outbox needed per booted node.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/relay.sh"
source "$(dirname "$0")/pg.sh"

N=${BS_FLEET_STORM_N:-1000}
need_cmd perfdhcp kea-admin
pg_need
e2e_init --clients 1
trap 'r=$?; pg_down; (exit $r); e2e_cleanup' EXIT
write_relay_config
pg_start "$WORK" || fail "pg_start"
pg_conninfo_file "$WORK/fleet.conninfo"
fleet_yaml "$WORK/fleet.conninfo" "ship_interval: 2s" "batch: 10"
"$BS_BUILD/control/bootstorm" db init -c "$CONF" >/dev/null || fail "db init"
server_start
relay_up

wait_for 20 "database reachable" fleet_reachable
pg_down
wait_for 15 "database unreachable" fleet_unreachable

out=$WORK/perfdhcp.txt
perfdhcp_run "$out" 90 --scenario avalanche -R "$N"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "perfdhcp exited $rc: $(tail -5 "$out")"
acks=$(perfdhcp_stat "$out" RA "received packets")
[ "${acks:-0}" -eq "$N" ] || fail "perfdhcp received ${acks:-0} ACKs with the database down, want $N"
backlog=$(fleet_backlog)
[ "$backlog" -ge "$N" ] || fail "backlog $backlog after $N ACKs with the database down"
log "database down: $acks ACKs, outbox backlog $backlog"

t0=$SECONDS
pg_up || fail "pg_up again"
# kill -9 mid-drain: some transactions committed, backlog left
mid=
for ((i = 0; i < 300; i++)); do
	read -r tx bl < <(fleet_f 'f["transactions"], f["backlog"]' | tr -d '(),')
	if [ "${tx:-0}" -ge 1 ] && [ "${bl:-0}" -gt 0 ]; then mid="$tx transactions committed, backlog $bl"; break; fi
	[ "${bl:-1}" = 0 ] && break
	sleep 0.02
done
[ -n "$mid" ] || fail "could not catch the drain in progress (transactions ${tx:-?}, backlog ${bl:-?})"
ctl_kill9_restart "$WORK/control.2.log"
log "control killed -9 mid-drain ($mid), restarted"
wait_for 90 "backlog drained" fleet_drained
log "database back: backlog drained in ~$((SECONDS - t0)) s (restart included)"

pg_sql "SELECT host(ip) || ' ' || mac FROM leases WHERE server = 'e2e' AND state = 'bound'" >"$WORK/db.txt"
python3 - "$E2E_DIR" "$WORK/state/leases.journal" "$WORK/db.txt" <<'PY' || fail "database and journal differ"
import sys
sys.path.insert(0, sys.argv[1])
from ack_check import read_journal
journal, st = read_journal(sys.argv[2])
db = [tuple(l.split()) for l in open(sys.argv[3]) if l.strip()]
dbs = set(db)
missing, extra = journal - dbs, dbs - journal
macs = [m for _, m in db]
print(f"journal: {len(journal)} bound (max seq {st['max_seq']}); database: {len(db)} bound rows; "
      f"missing {len(missing)}, extra {len(extra)}, MACs bound twice {len(macs) - len(set(macs))}")
sys.exit(1 if missing or extra or len(macs) != len(set(macs)) or len(db) != len(dbs) else 0)
PY
[ "$(wc -l <"$WORK/db.txt")" -ge "$N" ] || fail "fewer than $N bound leases in the database"
shipped=$(fleet_f 'f["shipped"]')
txns=$(fleet_f 'f["transactions"]')
# the restarted control shipped what was left: the kill really was mid-drain
[ "$shipped" -gt 0 ] || fail "the restarted control shipped nothing: the kill landed after the drain"
log "outbox after the restart: $shipped lease events in $txns transactions ($(echo "scale=3; $txns / $N" | bc) per booted node, batch 10)"
pass
