#!/usr/bin/env bash
# Fleet-wide campaigns, the creator's side (issue 20, FLEETCAMP design), on a
# throw-away PostgreSQL 15 started here (tests/e2e/pg.sh; unix socket only).
# No dataplane and no namespace: the commands talk to the database, and one
# control process (loopback only) serves the API.
#   1. `bootstorm reimage --fleet` refuses, writing nothing (exit 2): a name
#      not in `nodes`, a node without a BMC (power), an unknown profile, a
#      reserved name;
#   2. a campaign is created: every column of its row (the config's power:
#      defaults, the flags over them), its nodes queued with no server in one
#      statement; the output counts the nodes per owning server (nodes.server,
#      else the server whose segment holds the address, else unowned);
#   3. a node unfinished in a running campaign is refused to another one; a
#      campaign without power takes nodes without a BMC, named fleet-<id>;
#   4. rows written as an agent would (claims, stages, failures): the views
#      show per-server counts, the failed nodes with reasons, the node of a
#      server whose heartbeat is stale;
#   5. cancel and retry-failed change the rows, move gen, and a psql
#      LISTEN bootstorm_campaign sees one notification per change (none for
#      a refused one);
#   6. GET /api/fleet lists the campaigns, GET /api/fleet/campaigns/NAME has
#      the detail (404 for an unknown one);
#   6b. per node: `fleet node NAME|MAC` (leases on two servers, a failed
#      campaign node, a stale claimant, the DHCP answerer with fleet.peers,
#      an unknown node: exit 2, a BMC password never printed), `fleet
#      nodes` filters and totals, GET /api/fleet/nodes[/KEY];
#   7. the web page (headless Chromium, when installed) shows them, and its
#      fleet node lookup n04's leases, state and stale claimant;
#   8. a 10,000-node campaign: one transaction (its time printed), owners
#      counted, its nodes busy for another.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: fleet mode is bootstorm's (BS_SERVER=$BS_SERVER)"
[ -x "${PG_BIN}/initdb" ] || notrun "NOT RUN: PostgreSQL 15 not installed (Debian package postgresql-15)"
BS_BIN=$BS_BUILD/control/bootstorm
[ -x "$BS_BIN" ] || fail "control binary $BS_BIN not built"
# no lab: only a private PostgreSQL socket and one control on loopback
INSTANCE=fcadm
PORT=18093
PG_PORT=5493
WORK=$(mktemp -d /tmp/bs-fcadm.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/tftp" "$WORK/repo" "$WORK/state" "$WORK/templates"
CTL=
cleanup() {
	local r=$?
	trap - EXIT INT TERM
	[ -z "$CTL" ] || stop_pid "$CTL"
	pg_down
	rm -f "/dev/shm/bootstorm-$INSTANCE"
	if [ -z "${BS_E2E_KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
	exit $r
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_setup "$WORK" || fail "pg_setup"
pg_up || fail "pg_up"
printf '%s\n' "$PG_CONNINFO" >"$WORK/fleet.conninfo"
chmod 600 "$WORK/fleet.conninfo"

write_config
sed -i -e '/^nodes:/,$d' -e "s|^  listen: .*|  listen: 127.0.0.1:$PORT|" "$CONF"
{
	echo "power: {power_on_rate: 3, max_in_flight: 7, dhcp_deadline: 40s, max_repower: 1, install_deadline: 600s}"
	# enabled: the control of step 6 ships (its heartbeat) and its web page
	# shows the fleet's campaigns; no power.credentials_file: it runs none
	echo "fleet: {enabled: true, database: $WORK/fleet.conninfo, heartbeat_deadline: 5s}"
	echo "nodes:"
	for i in 1 2 3 4 5 6; do
		echo "  - {name: n0$i, mac: \"52:54:00:88:00:0$i\", ip: 10.77.0.$((20 + i)), profile: lab, bmc: \"ipmi://127.0.0.1:$((10000 + i))\"}"
	done
	echo "  - {name: n07, mac: \"52:54:00:88:00:07\", ip: 10.77.0.27, profile: lab}"
	echo "  - {name: n08, mac: \"52:54:00:88:00:08\", ip: 10.77.0.28, profile: lab}"
} >>"$CONF"
"$BS_BIN" check-config "$CONF" >/dev/null || fail "config: $("$BS_BIN" check-config "$CONF" 2>&1)"
bsf() { "$BS_BIN" "$@" -c "$CONF"; }
out=$(bsf db status 2>&1)
grep -q "without libpq" <<<"$out" &&
	notrun "NOT RUN: this bootstorm was built without libpq (-Dfleet=disabled)"

out=$(bsf db init) || fail "db init: $out"
out=$(bsf db import-inventory) || fail "import: $out"
[ "$(pg_sql 'SELECT count(*) FROM nodes')" = 8 ] || fail "nodes imported"
# The fleet around this server: e2e-b owns 10.88.0.0/24 (n05 lives there, no
# nodes.server), n06's address is nobody's; e2e-dead stopped beating.
pg_sql "INSERT INTO servers (name, heartbeat) VALUES ('e2e', now()), ('e2e-b', now()),
	('e2e-dead', now() - interval '1 hour');
	INSERT INTO segments (server, network) VALUES ('e2e-b', '10.88.0.0/24'), ('e2e', '10.77.0.0/24');
	UPDATE nodes SET server = NULL, ip = '10.88.0.5' WHERE name = 'n05';
	UPDATE nodes SET server = NULL, ip = '10.99.0.6' WHERE name = 'n06'" || fail "fleet topology"
camps() { pg_sql 'SELECT (SELECT count(*) FROM campaigns) || $$/$$ || (SELECT count(*) FROM campaign_nodes)'; }
refused() { # what... : exit 2, the message, nothing written
	local want=$1 rc
	shift
	out=$(bsf reimage "$@" 2>&1)
	rc=$?
	[ $rc = 2 ] || fail "reimage $* exited $rc, not 2: $out"
	grep -q -e "$want" <<<"$out" || fail "reimage $*: no '$want' in: $out"
	[ "$(camps)" = "$WANT_CAMPS" ] || fail "reimage $* wrote rows: $(camps)"
	log "refused: $out"
}

# ---- 1. refusals write nothing
WANT_CAMPS=0/0
refused "1 node not in the fleet inventory (zz9)" 'n01,zz9' --fleet
refused "2 nodes without a BMC (n07, ...)" --all --fleet
refused "no profile 'nosuch'" n01 --fleet --profile nosuch
refused "--name wants" n01 --fleet --name fleet-12
refused "--rate wants" n01 --fleet --rate 0
refused "--server-rate goes with --fleet" n01 --server-rate 2 --url http://127.0.0.1:1

# ---- 2. a campaign: every column, nodes queued, owners
out=$(bsf reimage 'n0[1-6]' --fleet --rate 0.5 --server-in-flight 2 --name camp-a) || fail "create camp-a: $out"
echo "$out"
grep -qE '^fleet campaign camp-a: 6 nodes queued in [0-9.]+ s \(one transaction\)$' <<<"$out" || fail "create output: $out"
grep -q '^nodes by server: e2e 4, e2e-b 1, unowned 1$' <<<"$out" || fail "owners: $out"
row=$(pg_sql "SELECT server IS NULL, state, profile IS NULL, power_on_rate, burst, max_in_flight,
	server_rate IS NULL, server_in_flight, dhcp_deadline_ms, max_repower, install_deadline_ms,
	verify_deadline_ms, power, gen, finished IS NULL, created_by FROM campaigns WHERE name = 'camp-a'")
[ "$row" = "t|running|t|0.5|1|7|t|2|40000|1|600000|0|t|1|t|e2e" ] || fail "camp-a row: $row"
nodes=$(pg_sql "SELECT count(*) FILTER (WHERE cn.state = 'queued' AND cn.server IS NULL AND attempts = 0
	AND reason IS NULL AND since_ms > 0), string_agg(node, ',' ORDER BY node)
	FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'camp-a'")
[ "$nodes" = "6|n01,n02,n03,n04,n05,n06" ] || fail "camp-a nodes: $nodes"

# ---- 3. busy nodes; no power, default name
WANT_CAMPS=1/6
refused "node n06 is busy in running campaign camp-a" 'n0[6-7]' --fleet --no-power
out=$(bsf reimage n07,n08 --fleet --no-power --profile lab) || fail "create without power: $out"
grep -qE '^fleet campaign fleet-[0-9]+: 2 nodes queued in ' <<<"$out" || fail "default name: $out"
row=$(pg_sql "SELECT name ~ '^fleet-[0-9]+$', power, profile, power_on_rate, max_in_flight, server_rate IS NULL
	FROM campaigns WHERE id = (SELECT max(id) FROM campaigns)")
[ "$row" = "t|f|lab|3|7|t" ] || fail "no-power row: $row"

# ---- 4. rows as the agents write them; the views
pg_sql "UPDATE campaign_nodes cn SET server = v.server, state = v.state, reason = v.reason,
	attempts = v.attempts FROM campaigns c, (VALUES
	 ('n01', 'e2e', 'done', NULL, 1), ('n02', 'e2e', 'failed', 'install deadline (kickstart)', 2),
	 ('n03', 'e2e-b', 'failed', 'BMC: timeout', 3), ('n04', 'e2e-dead', 'installing', NULL, 1))
	 AS v(node, server, state, reason, attempts)
	WHERE c.id = cn.campaign AND c.name = 'camp-a' AND cn.node = v.node" || fail "agent rows"
json=$(bsf fleet campaign camp-a --json) || fail "fleet campaign --json: $json"
python3 - "$json" <<'PY' || fail "camp-a detail: $json"
import json, sys
j = json.loads(sys.argv[1])
srv = {s["server"]: s for s in j["servers"]}
assert j["nodes"] == 6 and j["states"] == {"done": 1, "failed": 2, "installing": 1, "queued": 2}, j["states"]
assert srv["e2e"]["states"] == {"done": 1, "failed": 1} and srv["e2e"]["alive"] is True
assert srv["e2e-b"]["states"] == {"failed": 1}
assert srv["e2e-dead"]["states"] == {"installing": 1} and srv["e2e-dead"]["alive"] is False
assert srv[None]["states"] == {"queued": 2}
f = {x["node"]: x for x in j["failed"]}
assert f["n02"]["reason"] == "install deadline (kickstart)" and f["n02"]["attempts"] == 2 and f["n02"]["server"] == "e2e"
assert f["n03"]["reason"] == "BMC: timeout" and f["n03"]["server"] == "e2e-b" and len(f) == 2
assert [x["node"] for x in j["stale"]] == ["n04"], j["stale"]
assert j["power_on_rate"] == 0.5 and j["server_in_flight"] == 2 and j["gen"] == 1
PY
out=$(bsf fleet campaign camp-a) || fail "fleet campaign: $out"
echo "$out"
grep -qE '^e2e-dead +DOWN .* 1  installing 1$' <<<"$out" || fail "text per server: $out"
grep -q '^failed n03 on e2e-b after 3 attempt(s): BMC: timeout$' <<<"$out" || fail "text failed: $out"
grep -q '^STALE n04 (installing) on e2e-dead' <<<"$out" || fail "text stale: $out"
out=$(bsf fleet campaigns) || fail "fleet campaigns: $out"
echo "$out"
grep -qE '^camp-a +running +6 .*  queued 2, installing 1, done 1, failed 2$' <<<"$out" || fail "list camp-a: $out"
grep -qE '^fleet-[0-9]+ +running +2 .*  queued 2$' <<<"$out" || fail "list fleet-N: $out"
out=$(bsf fleet campaign nosuch 2>&1)
[ $? = 2 ] && grep -q "no fleet campaign 'nosuch'" <<<"$out" || fail "unknown campaign: $out"

# ---- 5. admin changes: rows, gen, NOTIFY
# n02 failed in camp-a (final): a new campaign may take it
out=$(bsf reimage n02 --fleet --no-power --name camp-c) || fail "create camp-c over a failed node: $out"
pg_sql "UPDATE campaigns SET state = 'finished', finished = now() WHERE name = 'camp-a'" || fail "finish camp-a"
# a listener for the next ~4 s: psql prints what arrived at its next command
{ echo 'LISTEN bootstorm_campaign;'; sleep 4; echo 'SELECT 1;'; } |
	"$PG_BIN/psql" -X -q -At -d "$PG_CONNINFO" >"$WORK/listen.out" 2>&1 &
LISTENER=$!
sleep 1
gen_of() { pg_sql "SELECT state || '/' || gen FROM campaigns WHERE name = '$1'"; }
out=$(bsf fleet campaign camp-a retry-failed 2>&1)
[ $? = 2 ] && grep -q "node n02 is busy in running campaign camp-c" <<<"$out" || fail "retry over a busy node: $out"
[ "$(gen_of camp-a)" = finished/1 ] || fail "refused retry changed camp-a: $(gen_of camp-a)"
out=$(bsf fleet campaign camp-c cancel) || fail "cancel camp-c: $out"
grep -q '^fleet campaign camp-c cancelled (gen 2): 1 queued node cancelled' <<<"$out" || fail "cancel: $out"
[ "$(gen_of camp-c)" = cancelled/2 ] || fail "camp-c after cancel: $(gen_of camp-c)"
[ "$(pg_sql "SELECT cn.state FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'camp-c'")" = cancelled ] ||
	fail "camp-c node not cancelled"
out=$(bsf fleet campaign camp-c cancel 2>&1)
[ $? = 2 ] && grep -q "it is cancelled; nothing changed" <<<"$out" || fail "second cancel: $out"
out=$(bsf fleet campaign camp-a retry-failed) || fail "retry-failed: $out"
grep -q '^fleet campaign camp-a (gen 2): 2 failed nodes queued again$' <<<"$out" || fail "retry: $out"
[ "$(pg_sql "SELECT state || '/' || gen || '/' || (finished IS NULL) FROM campaigns WHERE name = 'camp-a'")" = running/2/true ] ||
	fail "camp-a after retry: $(pg_sql "SELECT state, gen, finished FROM campaigns WHERE name = 'camp-a'")"
rows=$(pg_sql "SELECT string_agg(node || ':' || cn.state || ':' || COALESCE(cn.server, '-') || ':' || attempts || ':' ||
	COALESCE(reason, '-'), ' ' ORDER BY node) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign
	WHERE c.name = 'camp-a'")
[ "$rows" = "n01:done:e2e:1:- n02:queued:-:0:- n03:queued:-:0:- n04:installing:e2e-dead:1:- n05:queued:-:0:- n06:queued:-:0:-" ] ||
	fail "camp-a rows after retry: $rows"
wait "$LISTENER"
cat "$WORK/listen.out"
n=$(grep -c 'notification "bootstorm_campaign" with payload "UPDATE"' "$WORK/listen.out")
[ "$n" = 2 ] || fail "LISTEN saw $n notifications, not 2 (cancel, retry-failed): $(cat "$WORK/listen.out")"

# ---- 6. the API of a running control (fleet view from the database)
spawn "$WORK/control.log" "$BS_BIN" serve -c "$CONF" --foreground
CTL=$LAST_PID
for ((i = 0; i < 100; i++)); do # 30 s at most
	curl -s -o /dev/null -m 1 "http://127.0.0.1:$PORT/" && break
	sleep 0.3
done
[ $i -lt 100 ] || fail "control did not start: $(tail -5 "$WORK/control.log")"
json=$(curl -s -m 10 "http://127.0.0.1:$PORT/api/fleet")
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); c={x["name"]: x for x in j["campaigns"]}
assert c["camp-a"]["state"]=="running" and c["camp-a"]["nodes"]==6 and c["camp-a"]["states"]["queued"]==4, c
assert c["camp-c"]["state"]=="cancelled" and j["campaigns_total"]==3, j' "$json" || fail "GET /api/fleet: $json"
json=$(curl -s -m 10 "http://127.0.0.1:$PORT/api/fleet/campaigns/camp-a")
python3 -c 'import json,sys; j=json.loads(sys.argv[1])
assert j["name"]=="camp-a" and j["gen"]==2 and j["failed"]==[] and [x["node"] for x in j["stale"]]==["n04"], j' "$json" ||
	fail "GET /api/fleet/campaigns/camp-a: $json"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 "http://127.0.0.1:$PORT/api/fleet/campaigns/nosuch")
[ "$code" = 404 ] || fail "GET /api/fleet/campaigns/nosuch: HTTP $code"

# ---- 6b. per node: `fleet node NAME|MAC`, `fleet nodes [filters]`, GET /api/fleet/nodes[/KEY]
# n04: a lease on two servers (it moved from e2e-dead to e2e), a BMC URL with
# a password, claimed in camp-a by e2e-dead (stale); n07 failed in fleet-N
# (not camp-a: step 7 counts camp-a's nodes).
# A second config with fleet.peers: who answers each node's DHCP now.
SECRET=Sup3rS3cretPw
pg_sql "UPDATE servers SET heartbeat = now() WHERE name IN ('e2e', 'e2e-b');
	INSERT INTO leases (server, ip, mac, state, expires, seq) VALUES
	 ('e2e-dead', '10.77.0.124', '52:54:00:88:00:04', 'bound', now() - interval '10 minutes', 7),
	 ('e2e', '10.77.0.24', '52:54:00:88:00:04', 'bound', now() + interval '1 hour', 9);
	UPDATE nodes SET bmc = 'ipmi://admin:$SECRET@127.0.0.1:10004' WHERE name = 'n04';
	INSERT INTO node_state (name, state, profile, reason, since_ms, server)
	 VALUES ('n04', 'install', 'lab', 'fleet campaign camp-a', 1700000000000, 'e2e-b');
	UPDATE campaign_nodes cn SET state = 'failed', server = 'e2e-b', reason = 'BMC: timeout',
	 attempts = 3 FROM campaigns c WHERE c.id = cn.campaign AND c.name ~ '^fleet-' AND cn.node = 'n07'" ||
	fail "per-node rows"
sed "s|^fleet: {enabled: true, |fleet: {enabled: true, peers: [e2e, e2e-b, e2e-dead], |" "$CONF" >"$WORK/peers.yaml"
grep -q 'peers: \[e2e, e2e-b, e2e-dead\]' "$WORK/peers.yaml" || fail "peers config"
NODE_PY='
import json, sys
j = json.loads(sys.argv[1])
assert j["name"] == "n04" and j["mac"] == "52:54:00:88:00:04" and j["ip"] == "10.77.0.24", j
assert j["owner"] == "e2e" and j["owner_by"] in ("nodes.server", "segment"), j
assert j["bmc"] == "ipmi://127.0.0.1:10004" and j["bmc_credentials_hidden"] is True, j["bmc"]
l = {x["server"]: x for x in j["leases"]}
assert set(l) == {"e2e", "e2e-dead"}, j["leases"]
assert l["e2e"]["active"] is True and l["e2e"]["ip"] == "10.77.0.24", l
assert l["e2e-dead"]["active"] is False and l["e2e-dead"]["ip"] == "10.77.0.124", l
c = {x["campaign"]: x for x in j["campaigns"]}
assert c["camp-a"]["stage"] == "installing" and c["camp-a"]["server"] == "e2e-dead", c
assert c["camp-a"]["server_alive"] is False and c["camp-a"]["campaign_state"] == "running", c
assert 0 <= j["dhcp"]["bucket"] < 256, j["dhcp"]
s = j["node_state"]
assert s["state"] == "install" and s["server"] == "e2e-b" and s["reason"] == "fleet campaign camp-a", s
'
json=$(bsf fleet node n04 --json) || fail "fleet node n04 --json: $json"
grep -q "$SECRET" <<<"$json" && fail "fleet node --json printed the BMC password"
python3 -c "$NODE_PY"'
assert j["dhcp"]["server"] is None and j["dhcp"]["peers"] == [], j["dhcp"]' "$json" || fail "fleet node n04: $json"
# by MAC (any case, - or :), with fleet.peers: the answerer is a live peer,
# the bucket's owner when alive, else the survivor the servers deal it to
json=$("$BS_BIN" fleet node 52-54-00-88-00-04 --json -c "$WORK/peers.yaml") || fail "fleet node MAC: $json"
python3 -c "$NODE_PY"'
d = j["dhcp"]; b = d["bucket"]; p = d["peers"]
assert [x["name"] for x in p] == ["e2e", "e2e-b", "e2e-dead"], p
assert [x["alive"] for x in p] == [True, True, False], p
live = [x["name"] for x in p if x["alive"]]
own = p[b % 3]["name"]
want = own if p[b % 3]["alive"] else live[(b // 3) % len(live)]
assert d["static_owner"] == own and d["server"] == want, d' "$json" || fail "fleet node by MAC, peers: $json"
out=$(bsf fleet node n04) || fail "fleet node n04: $out"
echo "$out"
grep -q "$SECRET" <<<"$out" && fail "fleet node printed the BMC password"
grep -q '^  bmc       ipmi://127.0.0.1:10004 (credentials hidden)$' <<<"$out" || fail "text bmc: $out"
grep -q '^  state     install, profile lab, reason fleet campaign camp-a, since_ms 1700000000000, shipped by e2e-b at ' <<<"$out" ||
	fail "text state: $out"
grep -q '^  lease     10.77.0.24 on e2e: bound (active), expires ' <<<"$out" || fail "text lease e2e: $out"
grep -q '^  lease     10.77.0.124 on e2e-dead: bound, expires ' <<<"$out" || fail "text lease e2e-dead: $out"
grep -q '^  campaign  camp-a (running): installing, 1 attempt(s), on e2e-dead (STALE heartbeat)$' <<<"$out" ||
	fail "text campaign: $out"
out=$(bsf fleet node n07) || fail "fleet node n07: $out"
grep -qE '^  campaign  fleet-[0-9]+ \(running\): failed, 3 attempt\(s\), on e2e-b: BMC: timeout$' <<<"$out" || fail "n07: $out"
grep -q '^  bmc       (none)$' <<<"$out" || fail "n07 without a BMC: $out"
out=$(bsf fleet node nosuch 2>&1)
[ $? = 2 ] && grep -q "no node 'nosuch' in the fleet inventory" <<<"$out" || fail "unknown node: $out"
out=$(bsf fleet node 52:54:00:88:00:99 2>&1)
[ $? = 2 ] || fail "unknown MAC: $out"
# the list: which nodes failed, whose rack, which campaign; bounded, with the total
LIST_PY='
import json, sys
j = json.loads(sys.argv[1]); want = sys.argv[2].split(",") if sys.argv[2] else []
got = [x["name"] for x in j["nodes"]]
assert got == want and j["total"] == int(sys.argv[3]), (got, j["total"], j)
'
nodes_is() { # want total args...
	local want=$1 total=$2
	shift 2
	json=$(bsf fleet nodes --json "$@") || fail "fleet nodes $*: $json"
	python3 -c "$LIST_PY" "$json" "$want" "$total" || fail "fleet nodes $*: $json"
}
nodes_is n07 1 --state failed
nodes_is n04 1 --state install
nodes_is n07 1 --server e2e --state failed
nodes_is "" 0 --server e2e-b --state failed
nodes_is n05 1 --server e2e-b
nodes_is n02,n03,n05,n06 4 --campaign camp-a --state queued
nodes_is n01,n02 6 --campaign camp-a --limit 2
json=$(bsf fleet nodes --json --state failed)
python3 -c 'import json,sys; x=json.loads(sys.argv[1])["nodes"][0]
assert x["name"]=="n07" and x["campaign"].startswith("fleet-") and x["claimant"]=="e2e-b" and x["claimant_alive"] is True and x["reason"]=="BMC: timeout", x' "$json" ||
	fail "fleet nodes row: $json"
out=$(bsf fleet nodes --campaign camp-a) || fail "fleet nodes text: $out"
echo "$out"
grep -qE '^n04 .* camp-a +installing +e2e-dead STALE$' <<<"$out" || fail "text list stale: $out"
grep -q '^6 of 6 node(s) shown (--limit 100)$' <<<"$out" || fail "text list total: $out"
out=$(bsf fleet nodes --limit 0 2>&1)
[ $? = 2 ] && grep -q -- "--limit wants 1-10000" <<<"$out" || fail "bad limit: $out"
# the API: the same JSON (the running control has no fleet.peers)
json=$(curl -s -m 10 "http://127.0.0.1:$PORT/api/fleet/nodes/n04")
grep -q "$SECRET" <<<"$json" && fail "GET /api/fleet/nodes/n04 gave the BMC password"
python3 -c "$NODE_PY" "$json" || fail "GET /api/fleet/nodes/n04: $json"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 "http://127.0.0.1:$PORT/api/fleet/nodes/nosuch")
[ "$code" = 404 ] || fail "GET /api/fleet/nodes/nosuch: HTTP $code"
json=$(curl -s -m 10 "http://127.0.0.1:$PORT/api/fleet/nodes?campaign=camp-a&state=queued&limit=2")
python3 -c "$LIST_PY" "$json" n02,n03 4 || fail "GET /api/fleet/nodes?campaign=camp-a&state=queued: $json"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 "http://127.0.0.1:$PORT/api/fleet/nodes?limit=0")
[ "$code" = 400 ] || fail "GET /api/fleet/nodes?limit=0: HTTP $code"
log "per node: fleet node/nodes and /api/fleet/nodes agree; BMC password never shown"

# ---- 7. the web page shows them (headless Chromium, when installed)
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then
	log "web page not checked: no Chromium"
else
	PYTHONPATH="$E2E_DIR" python3 - "$CHROME" "$WORK/profile" "http://127.0.0.1:$PORT/" "$SECRET" <<'PY' || fail "web page"
import sys
from cdp import Browser
b = Browser(sys.argv[1], sys.argv[2])
TXT = "document.getElementById('camplist').textContent"
try:
    b.open(sys.argv[3])
    t = b.wait(TXT + ".includes('fleet camp-a') && " + TXT, 20)
    for want in ("fleet camp-a running: 1/6 done, 0 failed, 4 queued", "e2e-dead down: installing 1",
                 "(unclaimed): queued 4", "1 node(s) on servers past their heartbeat deadline",
                 "fleet camp-c cancelled"):
        if not t or want not in t:
            print("web page campaigns: no %r in %r" % (want, t))
            sys.exit(1)
    # the fleet node lookup (GET /api/fleet/nodes/KEY)
    if not b.eval("!document.getElementById('fleetnode').hidden"):
        print("web page: no fleet node lookup in fleet mode")
        sys.exit(1)
    b.eval("document.getElementById('fn-key').value = 'n04'; document.getElementById('fn-go').click(); 1")
    FN = "(document.getElementById('fn-table') || {}).textContent"
    t = b.wait(FN + " && " + FN + ".includes('e2e-dead STALE') && " + FN, 10)
    for want in ("ipmi://127.0.0.1:10004", "10.77.0.24 on e2e: bound (active)", "10.77.0.124 on e2e-dead: bound",
                 "camp-a (running): installing, 1 attempt(s), on e2e-dead STALE", "install (fleet campaign camp-a), shipped by e2e-b"):
        if not t or want not in t:
            print("web page fleet node: no %r in %r" % (want, t))
            sys.exit(1)
    if sys.argv[4] in t:
        print("web page fleet node: the BMC password is shown")
        sys.exit(1)
    b.eval("document.getElementById('fn-key').value = 'nosuch'; document.getElementById('fn-go').click(); 1")
    t = b.wait("document.getElementById('fn-out').textContent.includes('no node nosuch') && document.getElementById('fn-out').textContent", 10)
    if not t:
        print("web page fleet node: unknown node not said")
        sys.exit(1)
finally:
    b.close()
print("web page: fleet campaigns shown with per-server counts and the stale node; fleet node lookup")
PY
fi

# ---- 8. bulk: a 10,000-node campaign is one transaction (time printed, not asserted)
pg_sql "INSERT INTO segments (server, network) VALUES ('e2e', '10.90.0.0/16');
	INSERT INTO nodes (name, mac, ip, bmc, server) SELECT 'bulk' || lpad(i::text, 5, '0'),
	 ('02:00:00:' || lpad(to_hex(i / 65536), 2, '0') || ':' || lpad(to_hex((i / 256) % 256), 2, '0') || ':' ||
	  lpad(to_hex(i % 256), 2, '0'))::macaddr, ('10.90.' || (i / 256) || '.' || (i % 256))::inet,
	 'ipmi://10.91.0.1', CASE WHEN i % 2 = 0 THEN 'e2e-b' END FROM generate_series(1, 10000) i" ||
	fail "10,000 nodes"
out=$(bsf reimage 'bulk[00001-10000]' --fleet --name bulk) || fail "10,000-node campaign: $out"
echo "$out"
grep -qE '^fleet campaign bulk: 10000 nodes queued in [0-9.]+ s' <<<"$out" || fail "bulk: $out"
grep -q '^nodes by server: e2e 5000, e2e-b 5000$' <<<"$out" || fail "bulk owners: $out"
[ "$(pg_sql "SELECT count(*) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign
	WHERE c.name = 'bulk' AND cn.state = 'queued' AND cn.server IS NULL")" = 10000 ] || fail "bulk rows"
out=$(bsf reimage 'bulk[09990-10000]' --fleet --no-power 2>&1)
[ $? = 2 ] && grep -q "node bulk09990 is busy in running campaign bulk (and others)" <<<"$out" || fail "bulk busy: $out"
# per node over 10,008 nodes: the list's total, one node's campaigns (time printed, not asserted)
t0=$(date +%s.%N)
json=$(bsf fleet nodes --json --server e2e-b --campaign bulk --limit 3) || fail "fleet nodes at 10,000: $json"
t1=$(date +%s.%N)
python3 -c "$LIST_PY" "$json" bulk00002,bulk00004,bulk00006 5000 || fail "fleet nodes at 10,000: $json"
out=$(bsf fleet node bulk09990) || fail "fleet node bulk09990: $out"
t2=$(date +%s.%N)
grep -q '^  campaign  bulk (running): queued, 0 attempt(s), on (unclaimed)$' <<<"$out" || fail "bulk node: $out"
log "10,008 nodes: fleet nodes --server --campaign $(echo "$t1 - $t0" | bc) s, fleet node $(echo "$t2 - $t1" | bc) s (each a process + connection)"
pass
