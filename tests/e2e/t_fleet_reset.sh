#!/usr/bin/env bash
# Fleet mode when a server's journal starts again from seq 1 (its state_dir
# journal and shared region gone, the saved outbox position kept) (issue 20).
# Control alone (no dataplane, no namespaces: it replays the journal it finds
# and ships it) against a throw-away PostgreSQL 15 (tests/e2e/pg.sh):
#   journal A (seq 1..3, three leases) -> 3 rows;
#   control stopped, journal B written (seq 1..2, two other leases), region
#   removed, control started -> the database holds exactly B's 2 leases.
# Without the reset rule the saved position (seq 3) skipped B's events and
# kept A's rows: the database named leases the server no longer had.
source "$(dirname "$0")/pg.sh"
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build-test}
BS=$BS_BUILD/control/bootstorm
[ -x "$BS" ] || { echo "FAIL: $BS not built"; exit 1; }
pg_need
[ "$(id -u)" -eq 0 ] || { echo "NOT RUN: needs root (shared region, runuser for initdb)"; exit 77; }
WORK=$(mktemp -d /tmp/bs-fleet-reset.XXXXXX)
chmod 755 "$WORK"
INST=fleetreset$$
PG_PORT=5497
CTL=
cleanup() {
	local rc=$?
	[ -z "$CTL" ] || { kill "$CTL" 2>/dev/null; wait "$CTL" 2>/dev/null; }
	pg_down
	rm -f "/dev/shm/bootstorm-$INST"
	[ -n "${BS_E2E_KEEP:-}" ] || rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$WORK"/control*.log 2>/dev/null; exit 1; }
log() { echo "[$(date +%T)] $*"; }
pg_start "$WORK" || fail "pg_start"
touch "$WORK/pxelinux.0"
mkdir -p "$WORK/state"
cat >"$WORK/c.yaml" <<YAML
server:
  name: resetsrv
  instance: $INST
  ip: 10.77.0.1/24
  state_dir: $WORK/state
dhcp:
  subnets:
    - subnet: 10.77.0.0/24
      pools: [10.77.0.100-10.77.0.199]
boot:
  files:
    bios: pxelinux.0
tftp:
  root: $WORK
http:
  listen: 127.0.0.1:18$((RANDOM % 900 + 100))
fleet:
  enabled: true
  database: "$PG_CONNINFO"
  ship_interval: 100ms
YAML
"$BS" db init -c "$WORK/c.yaml" >/dev/null || fail "db init"

journal() { # out ip_last_octet... : GRANT records with seq 1..n
	python3 - "$@" <<'PY'
import struct, sys, time, zlib
out, octets = sys.argv[1], [int(x) for x in sys.argv[2:]]
now = int(time.time() * 1000)
data = b"BSJOURN1" + struct.pack("<II", 1, 0)
for seq, o in enumerate(octets, 1):
    ip = (10 << 24) | (77 << 16) | o
    mac = bytes([0x52, 0x54, 0, 0x77, 2, o])
    pay = b"\x01" + struct.pack("<QQQI", seq, now + 3600_000, now, ip) + mac + bytes([0, 0]) + bytes(32) + bytes(32)
    assert len(pay) == 101
    data += struct.pack("<II", len(pay), zlib.crc32(pay) & 0xFFFFFFFF) + pay
open(out, "wb").write(data)
PY
}
rows() { pg_sql "SELECT string_agg(host(ip), ' ' ORDER BY ip) FROM leases WHERE server = 'resetsrv' AND state = 'bound'"; }
start() {
	"$BS" serve -c "$WORK/c.yaml" --foreground >"$WORK/control.$1.log" 2>&1 &
	CTL=$!
}
stop() { kill "$CTL"; wait "$CTL" 2>/dev/null; CTL=; }
wait_rows() { # want
	local i
	for ((i = 0; i < 100; i++)); do [ "$(rows)" = "$1" ] && return 0; sleep 0.2; done
	fail "leases in the database: '$(rows)', want '$1'"
}

journal "$WORK/state/leases.journal" 100 101 102
start 1
wait_rows "10.77.0.100 10.77.0.101 10.77.0.102"
log "journal A shipped: $(rows)"
stop
rm -f "/dev/shm/bootstorm-$INST"
journal "$WORK/state/leases.journal" 110 111
start 2
wait_rows "10.77.0.110 10.77.0.111"
grep -q "the journal was reset" "$WORK/control.2.log" || fail "no reset logged"
log "journal B (seq restarted) shipped: $(rows); A's rows gone"
echo "PASS: t_fleet_reset"
