#!/usr/bin/env bash
# Creating a fleet-wide campaign at scale (issue 20): `bootstorm reimage
# --fleet` of 10,000 nodes, then of every node, in an N-node fleet (default
# 100,000) on a throw-away PostgreSQL 15 (tests/e2e/pg.sh): one transaction
# (checks, the campaigns row, one INSERT ... SELECT of campaign_nodes, the
# per-server owner counts), against a peer measured in the same run: one
# INSERT per campaign node, each its own round trip and commit through psql
# (the per-node shape).  Also times `fleet campaigns`, `fleet campaign NAME`
# and a retry-failed of every node.  Prints seconds and the ratio; asserts
# nothing about time (a benchmark, not a test).
#   tests/perf/fleet_camp_create.sh [N] [PEER_N]     BS_BUILD=build dir
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build}
N=${1:-100000}
PEER_N=${2:-5000}
BS=$BS_BUILD/control/bootstorm
[ -x "$BS" ] || { echo "bootstorm not built in $BS_BUILD"; exit 1; }
source "$ROOT/tests/e2e/pg.sh"
WORK=$(mktemp -d /tmp/bs-fleet-camp-perf.XXXXXX)
chmod 755 "$WORK"
trap 'pg_down; rm -rf "$WORK"' EXIT
PG_PORT=5491
PG_FSYNC=${PG_FSYNC:-on} # a real disk commit per transaction
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
fleet:
  database: "$PG_CONNINFO"
YAML
C=(-c "$WORK/fleet.yaml")
"$BS" db init "${C[@]}" >/dev/null
# 10 servers, each owning a /16; nodes owned by address (no nodes.server)
pg_sql "INSERT INTO servers (name) SELECT 's' || i FROM generate_series(1, 10) i;
	INSERT INTO segments (server, network) SELECT 's' || i, ('10.' || i || '.0.0/16')::cidr FROM generate_series(1, 10) i;
	INSERT INTO nodes (name, mac, ip, bmc) SELECT 'n' || lpad(i::text, 6, '0'),
	 ('02:00:00:' || lpad(to_hex(i / 65536), 2, '0') || ':' || lpad(to_hex((i / 256) % 256), 2, '0') || ':' ||
	  lpad(to_hex(i % 256), 2, '0'))::macaddr,
	 ('10.' || (1 + i % 10) || '.' || ((i / 10) / 256) || '.' || ((i / 10) % 256))::inet, 'ipmi://bmc-' || i
	FROM generate_series(1, $N) i"

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >"$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
ten=$(secs "$BS" reimage 'n[000001-010000]' --fleet --name ten-k "${C[@]}")
echo "reimage --fleet, 10,000 of $N nodes: $(printf '%.3f' "$ten") s wall ($(head -1 "$WORK/out"))"
"$BS" fleet campaign ten-k cancel "${C[@]}" >/dev/null
all=$(secs "$BS" reimage --all --fleet --name all "${C[@]}")
echo "reimage --fleet --all, $N nodes:  $(printf '%.3f' "$all") s wall ($(head -1 "$WORK/out"))"
t=$(secs "$BS" fleet campaigns "${C[@]}")
echo "fleet campaigns:                   $(printf '%.3f' "$t") s wall"
t=$(secs "$BS" fleet campaign all "${C[@]}")
echo "fleet campaign all:                $(printf '%.3f' "$t") s wall"
pg_sql "UPDATE campaign_nodes SET state = 'failed', reason = 'bench' WHERE campaign = (SELECT id FROM campaigns WHERE name = 'all')"
t=$(secs "$BS" fleet campaign all retry-failed "${C[@]}")
echo "retry-failed of $N nodes:         $(printf '%.3f' "$t") s wall ($(cat "$WORK/out"))"

# The peer: one INSERT per campaign node, each its own commit.
id=$(pg_sql "INSERT INTO campaigns (name, server) VALUES ('peer', NULL) RETURNING id" | head -1)
for ((i = 1; i <= PEER_N; i++)); do
	printf "INSERT INTO campaign_nodes (campaign, node) VALUES (%s, 'n%06d');\n" "$id" "$i"
done >"$WORK/peer.sql"
peer=$(secs "$PG_BIN/psql" -X -q -d "$PG_CONNINFO" -f "$WORK/peer.sql")
rate_set=$(echo "$N / $all" | bc -l)
rate_peer=$(echo "$PEER_N / $peer" | bc -l)
echo "peer, $PEER_N per-node INSERTs: $(printf '%.3f' "$peer") s wall"
printf 'nodes/s: reimage --fleet %.0f, per-node %.0f -> %.1fx; %d nodes per-node would take %.1f s\n' \
	"$rate_set" "$rate_peer" "$(echo "$rate_set / $rate_peer" | bc -l)" "$N" "$(echo "$N / $rate_peer" | bc -l)"
