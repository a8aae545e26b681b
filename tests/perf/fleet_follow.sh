#!/usr/bin/env bash
# Following the fleet database at scale (issue 20): one server (control
# only, loopback HTTP, its own instance) follows a throw-away PostgreSQL 15
# (tests/e2e/pg.sh, fsync on) holding an N-node inventory (default 100,000)
# it owns.  Prints, in seconds:
#   - start: the whole inventory read, written to fleet.inventory, reloaded
#     and published;
#   - flip: `bootstorm db set-state node[1-F] local` (F default 10,000): the
#     statement, then until the server's snapshot has the new generation
#     (NOTIFY -> one set-based read -> node-state store -> boot files -> one
#     patched generation), with the server's own split of that time;
#   - the peer measured in the same run: one node's address changed in the
#     database, which goes the inventory path (CSV rewrite, full reload and
#     snapshot rebuild), until its generation is published;
#   - database round trips of the follower per flip, and per booted node
#     (none: the dataplane never talks to the database).
# Asserts only that the changes arrived (a benchmark, not a timed test).
# APPEND= gives the profile a kernel append (e.g. 'ks=${base_url}/ks/${name}',
# which makes every node's install file its own: no two are equal, so none
# is shared, control/daemon/pxefile.h); the default has none.
#   tests/perf/fleet_follow.sh [N] [F]      BS_BUILD=build dir, as root
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build}
N=${1:-100000}
F=${2:-10000}
BS=$BS_BUILD/control/bootstorm
[ -x "$BS" ] || { echo "bootstorm not built in $BS_BUILD"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "NOT RUN: needs root (initdb through runuser)"; exit 77; }
source "$ROOT/tests/e2e/pg.sh"
WORK=$(mktemp -d /tmp/bs-fleet-follow.XXXXXX)
chmod 755 "$WORK"
INST=ffperf$$
PORT=18391
CTL=
cleanup() {
	[ -z "$CTL" ] || { kill "$CTL" 2>/dev/null; wait "$CTL" 2>/dev/null || true; }
	pg_down
	rm -f "/dev/shm/bootstorm-$INST"
	[ -n "${BS_PERF_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
PG_PORT=5496
PG_FSYNC=${PG_FSYNC:-on}
pg_setup "$WORK"
pg_up

mkdir -p "$WORK/tftp" "$WORK/repo"
touch "$WORK/tftp/pxelinux.0"
printf '%s\n' "$PG_CONNINFO" >"$WORK/conninfo"
chmod 600 "$WORK/conninfo"
cat >"$WORK/fleet.yaml" <<YAML
server:
  name: perf
  instance: $INST
  ip: 10.0.0.1/8
  state_dir: $WORK/state
dhcp:
  subnets:
    - subnet: 10.0.0.0/8
      pools: [10.250.0.1-10.250.0.200]
boot:
  default_profile: lab
  local_boot: no-boot-file
  files:
    bios: pxelinux.0
tftp:
  root: $WORK/tftp
http:
  listen: 127.0.0.1:$PORT
  repo_root: $WORK/repo
profiles:
  - name: lab
    kernel: lab/vmlinuz
    initrd: lab/initrd.img
${APPEND:+    append: '$APPEND'}
fleet:
  enabled: true
  database: $WORK/conninfo
  follow: true
  inventory: $WORK/fleet-inventory.csv
YAML
"$BS" db init -c "$WORK/fleet.yaml" >/dev/null
pg_sql "INSERT INTO nodes (name, mac, ip, profile, server)
	SELECT format('node%s', lpad(i::text, 6, '0')),
	       ('52:54:00:' || lpad(to_hex((i >> 16) & 255), 2, '0') || ':' || lpad(to_hex((i >> 8) & 255), 2, '0')
	        || ':' || lpad(to_hex(i & 255), 2, '0'))::macaddr,
	       ('10.1.0.0'::inet + i), 'lab', 'perf'
	FROM generate_series(1, $N) i" >/dev/null

now() { date +%s.%N; }
# when control logged the publication of generation $1 (its own clock, epoch seconds)
published_at() {
	python3 - "$WORK/control.log" "$1" <<'PY'
import datetime, re, sys
for line in open(sys.argv[1]):
    m = re.match(r'(\S+)Z INFO bootstorm.config: published generation (\d+)\b', line)
    if m and m.group(2) == sys.argv[2]:
        t = datetime.datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc)
        print(t.timestamp()); break
else:
    print(-1)
PY
}
status() { curl -sf -m 5 "http://127.0.0.1:$PORT/api/status"; }
field() { status | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)" 2>/dev/null || echo -1; }
wait_until() { # timeout_s python-condition over s
	local deadline=$((SECONDS + $1))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(field "$2")" = True ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $2"
	tail -20 "$WORK/control.log"
	exit 1
}

t0=$(now)
"$BS" serve -c "$WORK/fleet.yaml" --foreground >"$WORK/control.log" 2>&1 &
CTL=$!
wait_until 120 "s['fleet']['follow']['nodes'] == $N and s['config_gen'] >= 2"
t1=$(now)
printf 'start: %d nodes read from the database, written to fleet.inventory, reloaded and published: %.2f s\n' "$N" "$(echo "$t1 - $t0" | bc -l)"
# the reload goes on with every node's boot files (pxegen/grubgen) after the publication
wait_until 900 "s['reloads'] >= 1"
t2=$(now)
printf '  ... and the reload'"'"'s boot files of %d nodes written: %.2f s (the normal reload path, not the follower)\n' "$N" "$(echo "$t2 - $t0" | bc -l)"
grep -E 'INFO bootstorm.pxegen: .*(pxelinux.cfg|grub): [0-9]+ written' "$WORK/control.log" | sed 's/^\S* INFO bootstorm.pxegen: [^ ]*\//    /' || true

q0=$(field "s['fleet']['follow']['queries']")
gen0=$(field "s['config_gen']")
echo "flip starts at $(date +%T.%N)"
t0=$(now)
out=$("$BS" db set-state "node[000001-$(printf '%06d' "$F")]" local -c "$WORK/fleet.yaml")
t1=$(now)
wait_until 120 "s['config_gen'] > $gen0"
t2=$(now)
wait_until 600 "s['fleet']['follow']['states_applied'] >= $F"
t3=$(now)
q1=$(field "s['fleet']['follow']['queries']")
gen1=$(field "s['config_gen']")
echo "flip: $out"
pub=$(published_at "$gen1")
printf 'flip %d of %d nodes to local: statement %.2f s; until the server published generation %s: %.2f s (its clock; %.2f s seen by this poller)\n' \
	"$F" "$N" "$(echo "$t1 - $t0" | bc -l)" "$gen1" "$(echo "$pub - $t0" | bc -l)" "$(echo "$t2 - $t0" | bc -l)"
field "'  server side: notification -> generation published %.3f s (read+store %.3f s, snapshot patch+publish %.3f s); then the %d nodes\' boot files %.3f s' % (s['fleet']['follow']['last_notify_publish_us']/1e6, s['fleet']['follow']['last_apply_us']/1e6, s['fleet']['follow']['last_publish_us']/1e6, $F, s['fleet']['follow']['last_files_us']/1e6)"
flip=$(echo "$pub - $t0" | bc -l)
[ "$gen1" -eq $((gen0 + 1)) ] && echo "  one generation for the batch ($gen0 -> $gen1)" || echo "  generations $gen0 -> $gen1"

gen0=$gen1
r0=$(field "s['reloads']")
t0=$(now)
pg_sql "UPDATE nodes SET ip = '10.3.0.1' WHERE name = 'node$(printf '%06d' "$N")'" >/dev/null
wait_until 120 "s['config_gen'] > $gen0"
t1=$(published_at "$(field "s['config_gen']")")
grep -q "node$(printf '%06d' "$N"),.*,10.3.0.1," "$WORK/fleet-inventory.csv" || { echo "inventory file not updated"; exit 1; }
peer=$(echo "$t1 - $t0" | bc -l)
wait_until 900 "s['reloads'] > $r0"
t2=$(now)
printf 'peer: 1 node'"'"'s address changed (inventory path: CSV, full reload, snapshot rebuild): published in %.2f s (its clock), reload with every boot file compared done in %.2f s\n' "$peer" "$(echo "$t2 - $t0" | bc -l)"
printf 'publication: flip of %d states %.2f s from the command start; 1 inventory change through a full reload %.2f s from the UPDATE\n' \
	"$F" "$flip" "$peer"
# The local admin path for comparison, same server, same run: POST
# /api/nodes/SET/localboot (ns_set per node: the node-state file rewritten
# per node) for PF other nodes, until its generation is published.
PF=${PF:-500}
lo=$((F + 1)) hi=$((F + PF))
gen0=$(field "s['config_gen']")
t0=$(now)
curl -sfg -m 1200 -X POST -o /dev/null "http://127.0.0.1:$PORT/api/nodes/node[$(printf '%06d' $lo)-$(printf '%06d' $hi)]/localboot" ||
	{ echo "admin localboot failed"; exit 1; }
wait_until 120 "s['config_gen'] > $gen0"
t1=$(published_at "$(field "s['config_gen']")")
api=$(echo "$t1 - $t0" | bc -l)
printf 'peer 2: the local admin API, localboot of %d nodes (a node-state file rewrite per node): published in %.2f s\n' "$PF" "$api"
printf 'node states per second until published: database flip %.0f (%d nodes, from the command start), local admin API %.0f (%d nodes): %.1fx\n' \
	"$(echo "$F / $flip" | bc -l)" "$F" "$(echo "$PF / $api" | bc -l)" "$PF" "$(echo "($F / $flip) / ($PF / $api)" | bc -l)"
echo "database round trips of the follower for the flip: $((q1 - q0)) (queries, whatever the number of nodes); per booted node: 0 (the dataplane answers from the snapshot; control's lease shipping is batched, bootstorm_fleet_transactions_total)"
# Restart (same state_dir, files all there): the start's pass compares every
# node's boot files and writes none (control/daemon/pxefile.h); HTTP
# answers once that pass is done (serve.c), so "answered" bounds it.
kill "$CTL"
wait "$CTL" 2>/dev/null || true
t0=$(now)
"$BS" serve -c "$WORK/fleet.yaml" --foreground >"$WORK/control2.log" 2>&1 &
CTL=$!
wait_until 300 "s['fleet']['follow']['nodes'] == $N"
t1=$(now)
printf 'restart with %d nodes'"'"' boot files in place: answering in %.2f s; its start pass:\n' "$N" "$(echo "$t1 - $t0" | bc -l)"
grep -E 'INFO bootstorm.pxegen: .*(pxelinux.cfg|grub): [0-9]+ written' "$WORK/control2.log" | sed 's/^\S* INFO bootstorm.pxegen: [^ ]*\//    /' || true
