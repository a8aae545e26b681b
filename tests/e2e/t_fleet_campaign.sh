#!/usr/bin/env bash
# A fleet-wide campaign (issue 20, FLEETCAMP.md) on three bootstorm servers
# sharing one segment (fleet.peers, tests/e2e/fleet_failover_lib.sh) and a
# real PostgreSQL 15 (tests/e2e/pg.sh), with real IPMI BMCs: one OpenIPMI
# ipmi_sim per node on a management bridge every server reaches.  Nodes,
# their BMCs and the campaign are rows in the database (inserted with psql
# as the creator writes them); the servers follow the inventory
# (fleet.follow, BMC URLs through fleet.inventory) and their agents claim
# the nodes whose RFC 3074 bucket they serve.
# The test plays the machines: a node powered with next boot PXE runs
# busybox udhcpc (-C: no client identifier, chaddr is the hash key) with its
# MAC on the segment, takes its lease from whichever server answers, and
# after a short "install" POSTs done to that server.  Mid-campaign s2 is
# killed -9 (control and dataplane).  Checks:
#   - every node done, the campaign 'finished' in the database;
#   - s2 had unfinished nodes at the kill; the survivors claimed them and
#     powered them through their own ipmitool (each server runs ipmitool
#     through a wrapper that logs who sent each BMC command);
#   - no node powered by two live servers (after the kill only survivors;
#     before it, one server per node);
#   - pacing: power-ons across all BMCs in any 5 s window <= fleet rate x 5
#     + 3 x (burst + 1) (each server's token bucket: FLEETCAMP.md shares);
#   - every lease the machines got from a survivor is in the database, and
#     no address is bound to two MACs there.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"
source "$(dirname "$0")/fleet_failover_lib.sh"
source "$(dirname "$0")/bmc_lib.sh"

PER=${BS_FCAMP_PER:-5} # nodes per server (by bucket)
RATE=1.5
INFLIGHT=6
[ "$(id -u)" -eq 0 ] || notrun "NOT RUN: needs root (network namespaces)"
[ -x "${PG_BIN}/initdb" ] || notrun "NOT RUN: PostgreSQL 15 not installed (Debian package postgresql-15)"
need_cmd ipmi_sim openipmi
need_cmd ipmitool ipmitool
need_cmd busybox busybox
e2e_lock
WORK=$(mktemp -d /tmp/bs-e2e.XXXXXX)
chmod 755 "$WORK"
BMC_DIR=$WORK/bmc
mkdir -p "$BMC_DIR" "$WORK/m"
NODES=()
MACS=()
node_down() {
	local f i
	for f in "$WORK"/m/*.pid; do [ -s "$f" ] && kill -- "-$(cat "$f")" 2>/dev/null; done
	for i in "${!NODES[@]}"; do ip netns del "bsf-n$i" 2>/dev/null; done
	return 0
}
trap 'r=$?; node_down; pg_down; fo_mgmt_down; fo_down; (exit $r); e2e_cleanup' EXIT
trap 'exit 130' INT TERM

# ---- nodes: MACs picked so that each server's buckets hold PER of them
# (bucket = RFC 3074 hash of the 6 chaddr bytes, owner = bucket % 3, the
# mixing table read from dataplane/dhcp/dhcp_lb.c)
mapfile -t PICK < <(python3 - "$ROOT/dataplane/dhcp/dhcp_lb.c" "$PER" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
body = src[src.index("mix[256] = {"):]
mix = [int(x) for x in re.findall(r"\d+", body[body.index("{"):body.index("}")])]
assert len(mix) == 256 and sorted(mix) == list(range(256))
def bucket(mac):
    h = 6
    for b in reversed(mac):
        h = mix[h ^ b]
    return h
per, got = int(sys.argv[2]), {0: [], 1: [], 2: []}
for i in range(1, 255):
    mac = [0x52, 0x54, 0x00, 0x7c, 0x00, i]
    o = bucket(mac) % 3
    if len(got[o]) < per:
        got[o].append(":".join("%02x" % b for b in mac))
for o in range(3):
    for m in got[o]:
        print(f"s{o + 1} {m}")
PY
)
[ "${#PICK[@]}" -eq $((3 * PER)) ] || fail "could not pick MACs: ${PICK[*]}"
declare -A OWNER0
for i in "${!PICK[@]}"; do
	read -r srv mac <<<"${PICK[$i]}"
	NODES[$i]=$(printf 'fc%02d' "$i")
	MACS[$i]=$mac
	OWNER0[${NODES[$i]}]=$srv
done
N=${#NODES[@]}

pg_setup "$WORK" || fail "pg_setup"
pg_up || fail "pg_up"
printf '%s\n' "$PG_CONNINFO" >"$WORK/fleet.conninfo"
chmod 600 "$WORK/fleet.conninfo"
# each server its own role, so that one can be cut off alone (fleet-5)
pg_sql "CREATE ROLE bss1 LOGIN SUPERUSER; CREATE ROLE bss2 LOGIN SUPERUSER; CREATE ROLE bss3 LOGIN SUPERUSER" >/dev/null || fail "roles"
for k in 1 2 3; do
	printf '%s\n' "${PG_CONNINFO/user=postgres/user=bss$k}" >"$WORK/s$k.conninfo"
	chmod 600 "$WORK/s$k.conninfo"
done
printf '%s bsadmin s3cr3t-pw\n' "$FO_MG_IP" >"$WORK/creds"
chmod 600 "$WORK/creds"
fo_net_up
fo_mgmt_up

# ---- the machines: udhcpc on the segment, then "install", then done
cat >"$WORK/udhcpc.script" <<'S'
#!/bin/sh
case "$1" in
deconfig) ip addr flush dev "$interface" ;;
bound|renew) ip addr replace "$ip/${mask:-20}" dev "$interface"; echo "$serverid $ip" >"$LEASE_OUT" ;;
esac
exit 0
S
cat >"$WORK/boot-node.sh" <<S
#!/bin/bash
i=\$1 name=\$2 ns=bsf-n\$1 out=$WORK/m/\$2
sleep 1 # firmware
[ -e \$out.broken ] && { echo "\$(date +%s.%N) broken \$name" >>$WORK/machines.log; exit 0; }
ip netns exec \$ns ip addr flush dev cl0
rm -f \$out.lease
LEASE_OUT=\$out.lease timeout 25 ip netns exec \$ns busybox udhcpc -C -i cl0 -q -n -f -t 8 -T 1 \
	-s $WORK/udhcpc.script >>\$out.log 2>&1 || { echo "\$(date +%s.%N) nolease \$name" >>$WORK/machines.log; exit 0; }
read -r sid ip <\$out.lease
echo "\$(date +%s.%N) lease \$name \$ip \$sid" >>$WORK/machines.log
sleep 3 # the installer
ip netns exec \$ns curl -sS -m 3 --retry 8 --retry-delay 1 --retry-all-errors -X POST -o /dev/null \
	"http://\$sid/api/nodes/\$name/done" >>\$out.log 2>&1 &&
	echo "\$(date +%s.%N) done \$name \$sid" >>$WORK/machines.log
S
# node-hook.sh I NAME STATE ARGS: the BMC's chassis hook, then the machine
# (a new power-on ends the machine's previous run)
cat >"$WORK/node-hook.sh" <<S
#!/bin/bash
i=\$1 name=\$2; shift 2
$BMC_DATA/chassis-hook.sh "\$@"; rc=\$?
if [ "\$2" = set ] && [[ " \$* " == *" power 1"* || " \$* " == *" reset 1"* ]] && grep -q '^boot pxe' "\$1"; then
	pf=$WORK/m/\$name.pid
	[ -s \$pf ] && kill -- -\$(cat \$pf) 2>/dev/null
	setsid bash $WORK/boot-node.sh \$i \$name </dev/null >/dev/null 2>&1 &
	echo \$! >\$pf
fi
exit \$rc
S
chmod +x "$WORK/udhcpc.script" "$WORK/boot-node.sh" "$WORK/node-hook.sh"
PORT0=9100
for i in "${!NODES[@]}"; do
	ns=bsf-n$i
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" || fail "netns $ns"
	ip -n "$ns" link add cl0 type veth peer name "bsf-n${i}b" netns "$FO_NS_CLI" || fail "veth n$i"
	fo_quiet_if "$ns" cl0
	fo_quiet_if "$FO_NS_CLI" "bsf-n${i}b"
	ip -n "$ns" link set cl0 address "${MACS[$i]}" up
	ip -n "$ns" link set lo up
	ip -n "$FO_NS_CLI" link set "bsf-n${i}b" master bsf-br0 up
	bmc_sim_conf "$i" $((PORT0 + i)) "$BMC_DIR/state$i" "$WORK/node-hook.sh $i ${NODES[$i]} $BMC_DIR/state$i"
	sed -i "s|addr 127.0.0.1 |addr $FO_MG_IP |" "$BMC_DIR/lan$i.conf"
	# shellcheck disable=SC2046
	spawn "$BMC_DIR/sim$i.log" ip netns exec "$FO_NS_MG" $(bmc_sim_cmd "$i")
done

# ---- servers: fo_config's, without YAML nodes, following the database's
# inventory, power through a per-server ipmitool wrapper that logs
for k in 1 2 3; do
	fo_config "$k"
	python3 - "$WORK/s$k/bootstorm.yaml" "$WORK" "$k" <<'PY' || fail "config $k"
import re, sys
path, work, k = sys.argv[1:]
t = open(path).read()
t = re.sub(r"\nnodes:\n(  .*\n|    .*\n)*", "\n", t, count=1)
t = t.replace("  peers: [s1, s2, s3]\n", f"  peers: [s1, s2, s3]\n  follow: true\n  inventory: {work}/s{k}/inventory.csv\n")
assert f"database: {work}/fleet.conninfo\n" in t
t = t.replace(f"database: {work}/fleet.conninfo\n", f"database: {work}/s{k}.conninfo\n")
t += f"power: {{credentials_file: {work}/creds, timeout: 8s, retries: 1, ipmi_cipher_suite: 3}}\n"
open(path, "w").write(t)
PY
	cat >"$WORK/ipmitool-s$k" <<S
#!/bin/sh
echo "\$(date +%s.%N) s$k \$*" >>$WORK/ipmi.log
exec ipmitool "\$@"
S
	chmod +x "$WORK/ipmitool-s$k"
done
grep -q '^nodes:' "$WORK/s1/bootstorm.yaml" && fail "config still has YAML nodes"
"$BS_BUILD/control/bootstorm" db init -c "$WORK/s1/bootstorm.yaml" >/dev/null || fail "db init"
vals=""
for i in "${!NODES[@]}"; do
	vals+="${vals:+,}('${NODES[$i]}', '${MACS[$i]}', '10.77.0.$((i + 30))', 'lab', 'ipmi://$FO_MG_IP:$((PORT0 + i))')"
done
pg_sql "INSERT INTO nodes (name, mac, ip, profile, bmc) VALUES $vals" >/dev/null || fail "insert nodes"
for k in 1 2 3; do BOOTSTORM_IPMITOOL=$WORK/ipmitool-s$k fo_start "$k"; done
in_fo 1 ipmitool -I lanplus -C 3 -H "$FO_MG_IP" -p "$PORT0" -U bsadmin -P s3cr3t-pw chassis power status |
	grep -q 'Chassis Power is off' || fail "s1 cannot reach BMC 0: $(tail -3 "$BMC_DIR/sim0.log")"
: >"$WORK/ipmi.log"

wait_for() { # timeout_s description command...
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.3
	done
	fail "timed out ($what)"
}
all_alive() { [ "$(fo_lb "$1" 'all(p["alive"] for p in lb["peers"])')" = True ]; }
inv_bmc() { # every server's config has every node with its BMC
	local k
	for k in 1 2 3; do [ "$(grep -c ',bmc=ipmi://' "$WORK/s$k/inventory.csv" 2>/dev/null)" = "$N" ] || return 1; done
}
fc_status() { in_fo "$1" curl -s -m 5 "http://$(fo_ip "$1")/api/status" |
	python3 -c "import json,sys; print(json.load(sys.stdin).get('fleet_campaigns'))"; }
for k in 1 2 3; do wait_for 30 "s$k sees every peer alive" all_alive "$k"; done
wait_for 30 "inventory with BMCs on every server" inv_bmc
log "3 servers, $N nodes in the database with BMCs, followed by every server"

# ---- the campaign, as the creator writes it: every column explicit
start=$(date +%s.%N)
pg_sql "WITH s AS (SELECT nextval('campaigns_id_seq') AS id)
INSERT INTO campaigns (id, name, server, state, profile, max_in_flight, power_on_rate, burst,
 server_rate, server_in_flight, dhcp_deadline_ms, max_repower, install_deadline_ms,
 verify_deadline_ms, power, created_by)
SELECT id, 'fleet-' || id, NULL, 'running', 'lab', $INFLIGHT, $RATE, 1, NULL, NULL, 30000, 2,
 120000, 0, true, 'e2e' FROM s;
INSERT INTO campaign_nodes (campaign, node, server, state)
SELECT c.id, n.name, NULL, 'queued' FROM campaigns c, nodes n WHERE c.name = 'fleet-1'" ||
	fail "create the campaign"
log "campaign fleet-1: $N nodes, $RATE power-ons/s and $INFLIGHT in flight fleet-wide"

cn() { pg_sql "SELECT count(*) FROM campaign_nodes WHERE $1"; }
s2_midway() { # s2 has a node done or booting, and more left
	[ "$(cn "server = 's2' AND state IN ('waiting-dhcp', 'installing', 'done')")" -ge 1 ] &&
		[ "$(cn "server = 's2' AND state NOT IN ('done', 'failed', 'cancelled')")" -ge 2 ]
}
wait_for 60 "s2 mid-campaign" s2_midway
S2_LEFT=$(pg_sql "SELECT string_agg(node, ' ' ORDER BY node) FROM campaign_nodes WHERE server = 's2' AND state NOT IN ('done', 'failed', 'cancelled')")
kill_at=$(date +%s.%N)
fo_kill9 2
log "s2 killed -9 with unfinished nodes: $S2_LEFT"

finished() { [ "$(pg_sql "SELECT state FROM campaigns WHERE name = 'fleet-1'")" = finished ]; }
wait_for 150 "campaign finished in the database ($(cn "state = 'done'") done)" finished
end=$(date +%s.%N)
pg_sql "SELECT node, server, state, attempts FROM campaign_nodes ORDER BY node" >"$WORK/nodes.txt"
[ "$(cn "state = 'done'")" = "$N" ] || fail "not every node done: $(cat "$WORK/nodes.txt")"
for k in 1 3; do log "s$k fleet_campaigns: $(fc_status "$k")"; done

# ---- who powered what (the wrappers' log), pacing, leases
sleep 2 # a ship interval or more: the survivors' last ACKs reach the database
pg_sql "SELECT server || ' ' || host(ip) || ' ' || mac FROM leases WHERE state = 'bound'" >"$WORK/db.txt"
python3 - "$WORK/ipmi.log" "$WORK/machines.log" "$WORK/db.txt" "$kill_at" "$PORT0" "$RATE" \
	"$S2_LEFT" "${NODES[@]}" <<'PY' | tee "$WORK/check.txt"
import collections, sys
ipmi, machines, db, kill_at, port0, rate, left = sys.argv[1:8]
nodes = sys.argv[8:]
kill_at, port0, rate, left = float(kill_at), int(port0), float(rate), left.split()
bad = []
ons = []  # (t, server, node)
by_node = collections.defaultdict(list)
for line in open(ipmi):
    w = line.split()
    t, srv, args = float(w[0]), w[1], w[2:]
    if "-p" not in args or "power" not in args:
        continue
    i = args.index("power")
    if i + 1 >= len(args) or args[i + 1] not in ("on", "cycle", "reset"):
        continue
    node = nodes[int(args[args.index("-p") + 1]) - port0]
    ons.append((t, srv, node))
    by_node[node].append((t, srv))
ons.sort()
# no node powered by two live servers: before the kill one server per
# node; after it none by s2, and only one survivor per node
for node, ev in by_node.items():
    before = {s for t, s in ev if t < kill_at}
    after = {s for t, s in ev if t >= kill_at}
    if len(before) > 1 or len(after) > 1 or "s2" in after:
        bad.append(f"{node} powered by {sorted(before)} before the kill, {sorted(after)} after")
taken = [n for n in left if any(t >= kill_at and s in ("s1", "s3") for t, s in by_node[n])]
if not taken:
    bad.append(f"no node s2 left unfinished ({left}) was powered by a survivor")
missing = [n for n in nodes if n not in by_node]
if missing:
    bad.append(f"never powered: {missing}")
# pacing: any 5 s window
W, servers, burst = 5.0, 3, 1
bound = rate * W + servers * (burst + 1)
most, j = 0, 0
for i in range(len(ons)):
    while ons[i][0] - ons[j][0] > W:
        j += 1
    most = max(most, i - j + 1)
if most > bound:
    bad.append(f"{most} power-ons in a {W:.0f} s window, bound {bound:.1f}")
span = ons[-1][0] - ons[0][0] if len(ons) > 1 else 1
# leases: every survivor lease in the database, no address bound to two MACs
dbrows = [l.split() for l in open(db) if l.strip()]
dbset = {(ip, mac.lower()) for srv, ip, mac in dbrows}
per_ip = collections.defaultdict(set)
for srv, ip, mac in dbrows:
    per_ip[ip].add(mac.lower())
dups = {ip: m for ip, m in per_ip.items() if len(m) > 1}
if dups:
    bad.append(f"addresses bound to two MACs in the database: {dups}")
macs = {}
for l in open(machines):
    w = l.split()
    if w[1] == "lease":
        macs.setdefault(w[2], set()).add((w[3], w[4], float(w[0])))
import subprocess
lost = []
for node, ls in macs.items():
    for ip, sid, t in ls:
        if sid in ("10.77.0.1", "10.77.0.3") and not any(ip == d[0] for d in dbset):
            lost.append((node, ip, sid))
if lost:
    bad.append(f"survivor leases missing from the database: {lost}")
print(f"power-ons: {len(ons)} over {span:.1f} s ({len(ons) / span:.2f}/s, fleet rate {rate}/s); "
      f"most in any {W:.0f} s window: {most} (bound {bound:.1f})")
print(f"s2's unfinished nodes at the kill: {left}; powered by a survivor after it: {taken}")
print(f"database: {len(dbrows)} bound leases, {len(dups)} addresses with two MACs")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "checks (see above); nodes: $(tr '\n' ';' <"$WORK/nodes.txt")"
# ---- s2 returns with its campaign file (its unfinished nodes claimed in
# it) while PostgreSQL is down: its share stays held (it cannot know that
# the survivors ran those nodes), nothing is powered; the database back,
# its agent reads that the campaign is finished and lets the stale nodes
# go (cancelled locally): still nothing powered, no row changed
before=$(md5sum <"$WORK/nodes.txt")
pg_down
restart_at=$(date +%s.%N)
BOOTSTORM_IPMITOOL=$WORK/ipmitool-s2 fo_start 2
grep -q 'fleet-1 resumed' "$WORK/s2/control.log" || fail "s2 did not load its share of fleet-1"
sleep 4 # 40 campaign ticks
fc_field() { fc_status "$1" | python3 -c "import ast,sys; s=ast.literal_eval(sys.stdin.read()); print($2)"; }
[ "$(fc_field 2 's["held"], s["database"]')" = "1 False" ] ||
	fail "s2 with the database down: share not held: $(fc_status 2)"
s2_ops() { awk -v t="$restart_at" '$1 >= t && $2 == "s2"' "$WORK/ipmi.log"; }
[ -z "$(s2_ops)" ] || fail "s2 sent BMC commands with its claims unread: $(s2_ops)"
log "s2 back, database down: $(fc_status 2); no BMC command in 4 s"
pg_up || fail "pg_up"
s2_rounds() { [ "$(fc_field 2 's["database"] and s["held"] == 0 and s["last_round_ms"] > 0')" = True ]; }
wait_for 40 "s2's agent: a round with the database, no share held" s2_rounds
sleep 1
[ -z "$(s2_ops)" ] || fail "s2 sent BMC commands after its restart: $(s2_ops)"
pg_sql "SELECT node, server, state, attempts FROM campaign_nodes ORDER BY node" >"$WORK/nodes2.txt"
[ "$(md5sum <"$WORK/nodes2.txt")" = "$before" ] || fail "s2 changed campaign rows: $(diff "$WORK/nodes.txt" "$WORK/nodes2.txt")"
[ "$(pg_sql "SELECT state FROM campaigns WHERE name = 'fleet-1'")" = finished ] || fail "campaign not finished after s2's return"
grep -q 'fleet-1: node fc[0-9]* .* -> cancelled' "$WORK/s2/control.log" ||
	fail "s2's stale local nodes not let go: $(grep fleet-1 "$WORK/s2/control.log" | tail -5)"
log "s2 with the database: $(fc_status 2); its stale nodes cancelled locally, nothing powered, no row changed"
# ---- cancel: fleet-2 over the same nodes, cancelled by the admin (the
# creator's rows: state cancelled, gen + 1, queued rows cancelled) a few
# seconds in: every server cancels its share, the rows end cancelled or
# done, no BMC power command starts after the cancel (one round's grace)
pg_sql "WITH s AS (SELECT nextval('campaigns_id_seq') AS id)
INSERT INTO campaigns (id, name, server, state, profile, max_in_flight, power_on_rate, burst,
 server_rate, server_in_flight, dhcp_deadline_ms, max_repower, install_deadline_ms,
 verify_deadline_ms, power, created_by)
SELECT id, 'fleet-' || id, NULL, 'running', 'lab', $INFLIGHT, $RATE, 1, NULL, NULL, 30000, 2,
 120000, 0, true, 'e2e' FROM s;
INSERT INTO campaign_nodes (campaign, node, server, state)
SELECT c.id, n.name, NULL, 'queued' FROM campaigns c, nodes n WHERE c.name = 'fleet-2'" ||
	fail "create fleet-2"
sleep 4
cancel_at=$(date +%s.%N)
pg_sql "UPDATE campaigns SET state = 'cancelled', gen = gen + 1 WHERE name = 'fleet-2';
UPDATE campaign_nodes SET state = 'cancelled' WHERE campaign = (SELECT id FROM campaigns WHERE name = 'fleet-2') AND state = 'queued'" ||
	fail "cancel fleet-2"
stopped() { [ "$(pg_sql "SELECT count(*) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-2' AND cn.state NOT IN ('done', 'cancelled')")" = 0 ] &&
	[ "$(pg_sql "SELECT finished IS NOT NULL FROM campaigns WHERE name = 'fleet-2'")" = t ]; }
wait_for 30 "fleet-2's rows cancelled or done, finished time set" stopped
sleep 3
late=$(awk -v t="$cancel_at" '$1 >= t + 3 && / power (on|cycle)/' "$WORK/ipmi.log")
[ -z "$late" ] || fail "power commands after the cancel: $late"
log "fleet-2 cancelled: $(pg_sql "SELECT string_agg(state || ' ' || n, ', ') FROM (SELECT cn.state, count(*) n FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-2' GROUP BY cn.state) x"); no power command after it"
# ---- retry-failed: fleet-3 over one node of each server, one of them a
# machine that never DHCPs (DHCP deadline 4 s, no repower): it fails with
# its reason and the campaign finishes; the admin's retry-failed (failed
# rows back to queued and unclaimed, the campaign running again) with the
# machine fixed: claimed again by the server answering it, done
R3=("${NODES[0]}" "${NODES[$PER]}" "${NODES[$((2 * PER))]}")
BROKEN=${NODES[$PER]}
touch "$WORK/m/$BROKEN.broken"
pg_sql "WITH s AS (SELECT nextval('campaigns_id_seq') AS id)
INSERT INTO campaigns (id, name, server, state, profile, max_in_flight, power_on_rate, burst,
 server_rate, server_in_flight, dhcp_deadline_ms, max_repower, install_deadline_ms,
 verify_deadline_ms, power, created_by)
SELECT id, 'fleet-' || id, NULL, 'running', 'lab', $INFLIGHT, $RATE, 1, NULL, NULL, 4000, 0,
 120000, 0, true, 'e2e' FROM s;
INSERT INTO campaign_nodes (campaign, node, server, state)
SELECT c.id, n.name, NULL, 'queued' FROM campaigns c, nodes n WHERE c.name = 'fleet-3'
 AND n.name IN ('${R3[0]}', '${R3[1]}', '${R3[2]}')" || fail "create fleet-3"
f3() { [ "$(pg_sql "SELECT state FROM campaigns WHERE name = 'fleet-3'")" = finished ]; }
wait_for 60 "fleet-3 finished with a failed node" f3
why=$(pg_sql "SELECT cn.state || ': ' || COALESCE(cn.reason, '') FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-3' AND cn.node = '$BROKEN'")
[[ $why == "failed: no DHCP within 4 s after 1 power cycles"* ]] || fail "$BROKEN: $why"
log "fleet-3: $BROKEN $why"
rm -f "$WORK/m/$BROKEN.broken"
pg_sql "UPDATE campaign_nodes SET state = 'queued', server = NULL, reason = NULL, attempts = 0
 WHERE campaign = (SELECT id FROM campaigns WHERE name = 'fleet-3') AND state = 'failed';
UPDATE campaigns SET state = 'running', finished = NULL, gen = gen + 1 WHERE name = 'fleet-3'" ||
	fail "retry-failed fleet-3"
f3done() { f3 && [ "$(pg_sql "SELECT count(*) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-3' AND cn.state = 'done'")" = 3 ]; }
wait_for 60 "fleet-3 done after retry-failed" f3done
log "fleet-3 after retry-failed: $(pg_sql "SELECT string_agg(cn.node || ' ' || cn.state || ' by ' || cn.server, ', ' ORDER BY cn.node) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-3'")"
# ---- local first, fenced: fleet-4 over two nodes of each server (0.6/s
# fleet-wide: 0.2/s a server, so each powers one node at once and the next
# 5 s later); PostgreSQL is stopped once they are claimed: every server is
# fenced within heartbeat_deadline / 2 (1 s) of its last heartbeat write.
# The nodes powered before go on and are done in the servers' shares (the
# machines report to the servers, not to the database); no BMC command
# while fenced (a server cannot tell "the database is down for all" from
# "I alone am cut off"); back, the rest are powered and it finishes.
R4=("${NODES[1]}" "${NODES[2]}" "${NODES[$((PER + 1))]}" "${NODES[$((PER + 2))]}" "${NODES[$((2 * PER + 1))]}" "${NODES[$((2 * PER + 2))]}")
t4=$(date +%s.%N)
pg_sql "WITH s AS (SELECT nextval('campaigns_id_seq') AS id)
INSERT INTO campaigns (id, name, server, state, profile, max_in_flight, power_on_rate, burst,
 server_rate, server_in_flight, dhcp_deadline_ms, max_repower, install_deadline_ms,
 verify_deadline_ms, power, created_by)
SELECT id, 'fleet-' || id, NULL, 'running', 'lab', $INFLIGHT, 0.6, 1, NULL, NULL, 30000, 2,
 120000, 0, true, 'e2e' FROM s;
INSERT INTO campaign_nodes (campaign, node, server, state)
SELECT c.id, n.name, NULL, 'queued' FROM campaigns c, nodes n WHERE c.name = 'fleet-4'
 AND n.name IN ('${R4[0]}', '${R4[1]}', '${R4[2]}', '${R4[3]}', '${R4[4]}', '${R4[5]}')" || fail "create fleet-4"
claimed4() { [ "$(pg_sql "SELECT count(*) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-4' AND cn.server IS NOT NULL")" = 6 ]; }
wait_for 20 "fleet-4 claimed" claimed4
pg_down
stop_at=$(date +%s.%N)
log "fleet-4 claimed by the three servers; PostgreSQL stopped"
# bmc_after T0 [T1]: BMC commands (any) sent in [T0, T1)
bmc_after() { awk -v a="$1" -v b="${2:-9e18}" '$1 >= a && $1 < b' "$WORK/ipmi.log"; }
# powered T0: the BMC ports of the nodes powered on/cycled since T0
powered() { awk -v a="$1" '$1 >= a && / power (on|cycle|reset)/ { for (i = 1; i < NF; i++) if ($i == "-p") print $(i + 1) }' "$WORK/ipmi.log" | sort -u; }
fenced_all() { local k; for k in 1 2 3; do [ "$(fc_field "$k" 's["fenced"] and s["fence_reason"] is not None')" = True ] || return 1; done; }
wait_for 5 "every server fenced" fenced_all
local_done() { # done nodes of fleet-4 in the three servers' shares
	local k n=0 d
	for k in 1 2 3; do
		d=$(in_fo "$k" curl -s -m 3 "http://127.0.0.1/api/campaigns/fleet-4" |
			python3 -c "import json,sys; print(json.load(sys.stdin)['stages']['done'])" 2>/dev/null)
		n=$((n + ${d:-0}))
	done
	echo "$n"
}
P4=$(powered "$t4" | wc -l)
[ "$P4" -ge 1 ] && [ "$P4" -lt 6 ] || fail "fleet-4: $P4 nodes powered before the stop (want 1..5: some in flight, some queued)"
done_p4() { [ "$(local_done)" = "$P4" ]; }
wait_for 30 "fleet-4's $P4 powered nodes done with the database down" done_p4
sleep 3 # a queued node's turn (5 s a server) comes and goes meanwhile
[ "$(pg_sql "SELECT 1" 2>/dev/null)" = "" ] || fail "PostgreSQL was not down"
late=$(bmc_after "$(python3 -c "print($stop_at + 1.5)")")
[ -z "$late" ] || fail "BMC commands while fenced (PostgreSQL down): $late"
[ "$(powered "$t4" | wc -l)" = "$P4" ] && [ "$(local_done)" = "$P4" ] || fail "fleet-4 moved while fenced"
log "fleet-4, PostgreSQL down: every server fenced ($(fc_field 1 's["fence_reason"]')); the $P4 nodes powered before done, $((6 - P4)) queued ones wait, no BMC command"
pg_up || fail "pg_up"
f4() { [ "$(pg_sql "SELECT state || ' ' || (SELECT count(*) FROM campaign_nodes WHERE campaign = c.id AND state = 'done') FROM campaigns c WHERE name = 'fleet-4'")" = "finished 6" ]; }
wait_for 60 "fleet-4 written back, the rest powered, finished" f4
[ "$(powered "$t4" | wc -l)" = 6 ] || fail "fleet-4: not every node powered: $(powered "$t4")"
log "fleet-4: PostgreSQL back: fences lifted, the $((6 - P4)) waiting nodes powered, finished with 6 done"
# ---- one server cut off from the database alone (its role NOLOGIN, its
# sessions terminated) mid-campaign: fleet-5 (server_rate 0.25/s: 4 s between a server's
# power-ons) over three nodes of s3 and one
# of s1 and s2.  s3 is fenced within 1 s and sends no BMC command after it;
# the peers find its heartbeat stale after 2 s, take its buckets and claim
# its unfinished nodes, which start again (power through the peers); no
# node is powered by two servers; let back in, s3 drops the nodes taken
# and fleet-5 finishes.  While s3 is cut off both it and a peer answer its
# buckets' DHCP (fleet_live keeps its last split), so a taken node's
# report can reach s3: the peer's deadlines (10 s DHCP, 12 s install here)
# then fail it (README "Known limits"); every node ends final either way.
R5=("${NODES[$((2 * PER))]}" "${NODES[$((2 * PER + 3))]}" "${NODES[$((2 * PER + 4))]}" "${NODES[3]}" "${NODES[$((PER + 3))]}")
t5=$(date +%s.%N)
pg_sql "WITH s AS (SELECT nextval('campaigns_id_seq') AS id)
INSERT INTO campaigns (id, name, server, state, profile, max_in_flight, power_on_rate, burst,
 server_rate, server_in_flight, dhcp_deadline_ms, max_repower, install_deadline_ms,
 verify_deadline_ms, power, created_by)
SELECT id, 'fleet-' || id, NULL, 'running', 'lab', $INFLIGHT, $RATE, 1, 0.25, NULL, 10000, 1,
 12000, 0, true, 'e2e' FROM s;
INSERT INTO campaign_nodes (campaign, node, server, state)
SELECT c.id, n.name, NULL, 'queued' FROM campaigns c, nodes n WHERE c.name = 'fleet-5'
 AND n.name IN ('${R5[0]}', '${R5[1]}', '${R5[2]}', '${R5[3]}', '${R5[4]}')" || fail "create fleet-5"
c5() { pg_sql "SELECT count(*) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-5' AND $1"; }
s3_midway() { [ "$(c5 "cn.server = 's3' AND cn.state <> 'queued'")" -ge 1 ] &&
	[ "$(c5 "cn.server = 's3' AND cn.state = 'queued'")" -ge 1 ]; }
wait_for 30 "s3 mid-fleet-5 (a node powered, one queued)" s3_midway
pg_sql "ALTER ROLE bss3 NOLOGIN; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'bss3'" >/dev/null || fail "cut s3 off"
cut_at=$(date +%s.%N)
L5=$(pg_sql "SELECT string_agg(cn.node, ' ' ORDER BY cn.node) FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-5' AND cn.server = 's3' AND cn.state NOT IN ('done', 'failed', 'cancelled')")
log "s3 cut off from PostgreSQL with unfinished nodes: $L5"
s3_fenced() { [ "$(fc_field 3 's["fenced"]')" = True ]; }
wait_for 5 "s3 fenced" s3_fenced
taken5() { local n; for n in $L5; do [[ $(pg_sql "SELECT cn.server FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-5' AND cn.node = '$n'") == s[12] ]] || return 1; done; }
wait_for 20 "the peers claimed s3's unfinished nodes" taken5
claim_at=$(date +%s.%N)
peer_powered() { local n i; for n in $L5; do
	i=$((10#${n#fc})); bmc_after "$cut_at" | grep -Eq " s[12] .* -p $((PORT0 + i)) .*power (on|cycle|reset)" || return 1; done; }
wait_for 20 "the peers powered s3's unfinished nodes" peer_powered
sleep 6 # their machines boot and report
pg_sql "ALTER ROLE bss3 LOGIN" >/dev/null || fail "let s3 back in"
back_at=$(date +%s.%N)
log "peers claimed s3's nodes $(python3 -c "print(f'{$claim_at - $cut_at:.1f}')") s after the cut and powered them; s3 let back in"
f5() { [ "$(pg_sql "SELECT state FROM campaigns WHERE name = 'fleet-5'")" = finished ]; }
wait_for 60 "fleet-5 finished in the database" f5
s3_open() { [ "$(fc_field 3 's["database"] and not s["fenced"] and s["held"] == 0')" = True ]; }
wait_for 20 "s3's fence lifted" s3_open
grep -q 'campaign fleet-5: [0-9]* nodes no longer claimed here' "$WORK/s3/control.log" ||
	fail "s3 did not drop the nodes taken: $(grep fleet-5 "$WORK/s3/control.log" | tail -5)"
pg_sql "SELECT cn.node || ' ' || cn.server || ' ' || cn.state || ' ' || COALESCE(cn.reason, '') FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign WHERE c.name = 'fleet-5' ORDER BY cn.node" >"$WORK/nodes5.txt"
python3 - "$WORK/ipmi.log" "$WORK/nodes5.txt" "$t5" "$cut_at" "$back_at" "$PORT0" "$L5" "${NODES[@]}" <<'PY' || fail "fleet-5 checks (see above)"
import collections, sys
ipmi, rows, t5, cut, back, port0, left = sys.argv[1:8]
nodes = sys.argv[8:]
t5, cut, back, port0, left = float(t5), float(cut), float(back), int(port0), left.split()
fence = cut + 1.5  # heartbeat_deadline / 2 after its last write (<= the cut), with slack
bad, seq = [], collections.defaultdict(list)
for line in open(ipmi):
    w = line.split()
    t, srv, args = float(w[0]), w[1], w[2:]
    if t < t5 or t >= back or "-p" not in args:
        continue
    if srv == "s3" and t >= fence:
        bad.append(f"s3 sent a BMC command {t - cut:.1f} s after the cut: {' '.join(args)}")
    if "power" in args and args[args.index("power") + 1:][:1] in (["on"], ["cycle"], ["reset"]):
        seq[nodes[int(args[args.index("-p") + 1]) - port0]].append((t, srv))
for node, ev in seq.items():
    order = [s for i, (t, s) in enumerate(ev) if i == 0 or ev[i - 1][1] != s]
    if len(order) > 2 or (len(order) == 2 and order[0] != "s3"):
        bad.append(f"{node} powered by two servers while s3 was cut off: {ev}")
st = {l.split()[0]: l.split()[1:] for l in open(rows) if l.strip()}
for n, (srv, state, *why) in st.items():
    if state not in ("done", "failed"):
        bad.append(f"{n} {srv} {state}: not final")
    elif n not in left and state != "done":
        bad.append(f"{n} not taken over, yet {state}: {' '.join(why)}")
print(f"fleet-5: taken from s3: {left}; final rows: " + "; ".join(f"{n} {' '.join(v)}" for n, v in st.items()))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
for n in $L5; do log "  $n: $(grep -E " $n " "$WORK/machines.log" | awk -v t="$cut_at" '$1 >= t { printf "%s %s; ", $2, $NF }')"; done
log "fleet-5: s3 fenced, silent on its BMCs after the cut, its nodes run by the peers to a final state, dropped by s3 on its return"
log "campaign finished in $(python3 -c "print(f'{$end - $start:.1f}')") s, s2 killed after $(python3 -c "print(f'{$kill_at - $start:.1f}')") s"
pass
