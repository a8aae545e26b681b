#!/usr/bin/env bash
# Fleet inventory import at scale (issue 20): `bootstorm db import-inventory`
# of an N-node inventory (default 100,000) into a throw-away PostgreSQL 15
# (tests/e2e/pg.sh), set-based (one INSERT ... SELECT FROM unnest(arrays),
# one transaction), against a peer measured in the same run: one INSERT per
# node, each its own round trip and commit through psql -- the per-node shape
# of the provisioners whose imports take hours.  Prints seconds and the
# ratio; asserts nothing about time (a benchmark, not a test).
#   tests/perf/fleet_import.sh [N] [PEER_N]      BS_BUILD=build dir
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build}
N=${1:-100000}
PEER_N=${2:-5000}
BS=$BS_BUILD/control/bootstorm
[ -x "$BS" ] || { echo "bootstorm not built in $BS_BUILD"; exit 1; }
source "$ROOT/tests/e2e/pg.sh"
WORK=$(mktemp -d /tmp/bs-fleet-perf.XXXXXX)
chmod 755 "$WORK"
trap 'pg_down; rm -rf "$WORK"' EXIT
PG_PORT=5498
# a real disk commit per transaction, as a production database does
PG_FSYNC=${PG_FSYNC:-on}
pg_setup "$WORK"
pg_up

touch "$WORK/pxelinux.0"
cat >"$WORK/fleet.yaml" <<YAML
server:
  name: perf
  ip: 10.0.0.1/8
  state_dir: $WORK/state
dhcp:
  subnets:
    - subnet: 10.0.0.0/8
      pools: [10.250.0.1-10.250.0.200]
boot:
  files:
    bios: pxelinux.0
tftp:
  root: $WORK
nodes:
  - range: node[000001-$(printf '%06d' "$N")]
    mac: 52:54:00:10:00:00
    ip: 10.1.0.1
fleet:
  database: "$PG_CONNINFO"
YAML
"$BS" db init -c "$WORK/fleet.yaml" >/dev/null

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >"$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
first=$(secs "$BS" db import-inventory -c "$WORK/fleet.yaml")
echo "import, $N new nodes:        $(printf '%.3f' "$first") s wall ($(cat "$WORK/out"))"
again=$(secs "$BS" db import-inventory -c "$WORK/fleet.yaml")
echo "import again, 0 changed:      $(printf '%.3f' "$again") s wall ($(cat "$WORK/out"))"
rows=$(pg_sql "SELECT count(*) FROM nodes")
[ "$rows" = "$N" ] || { echo "nodes table has $rows rows, want $N"; exit 1; }

# The peer: one statement, one round trip and one commit per node.
for ((i = 1; i <= PEER_N; i++)); do
	printf "INSERT INTO nodes (name, mac, ip, server) VALUES ('peer%06d', '52:54:01:%02x:%02x:%02x', '10.3.%d.%d', 'perf');\n" \
		"$i" $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)) $((i >> 8 & 255)) $((i & 255))
done >"$WORK/peer.sql"
peer=$(secs "$PG_BIN/psql" -X -q -d "$PG_CONNINFO" -f "$WORK/peer.sql")
rate_set=$(echo "$N / $first" | bc -l)
rate_peer=$(echo "$PEER_N / $peer" | bc -l)
echo "peer, $PEER_N per-node INSERTs: $(printf '%.3f' "$peer") s wall"
printf 'nodes/s: set-based %.0f, per-node %.0f -> set-based is %.1fx; %d nodes per-node would take %.1f s\n' \
	"$rate_set" "$rate_peer" "$(echo "$rate_set / $rate_peer" | bc -l)" "$N" "$(echo "$N / $rate_peer" | bc -l)"
