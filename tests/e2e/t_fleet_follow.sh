#!/usr/bin/env bash
# Fleet mode, following the database (issue 20): two bootstorm servers, each
# with its dataplane in its own namespace and lab segment (lab A: bs-srv,
# bs-c1..2; lab B: bs-srvb, bs-d1..2, the same client MACs), on one
# throw-away PostgreSQL 15 (tests/e2e/pg.sh), each with its own role
# (bsa, bsb) so that one server can be cut off while the admin goes on:
#   1. node n1 (server a) is flipped in the database with `bootstorm db
#      set-state`: ISC dhclient on A's segment gets its fixed address with the
#      boot file (install), without it (local, hold: boot.local_boot:
#      no-boot-file), with it again (install); B takes none of it;
#   2. node n2 inserted into the database for server b: dhclient on B's
#      segment gets n2's fixed address; the same MAC on A's segment gets a
#      pool address from A, which does not know n2;
#   3. PostgreSQL stopped: both servers answer as before, status and
#      metrics say the snapshot is stale;
#   4. PostgreSQL back, then A cut off (its role NOLOGIN, its sessions
#      terminated): n1 flipped to local, n2 deleted, n3 inserted for a --
#      B follows at once (n2 gone), A changes nothing; A let back in: it
#      reads what it missed (no notification kept for it) and dhclient on
#      A's segment sees n1 local and n3's fixed address.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg.sh"

need_cmd dhclient isc-dhcp-client
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: fleet mode is bootstorm's (BS_SERVER=$BS_SERVER)"
[ -x "${PG_BIN}/initdb" ] || notrun "NOT RUN: PostgreSQL 15 not installed (Debian package postgresql-15)"
e2e_init --clients 2 --vms 0
LABB=(env BS_SRV_NS=bs-srvb BS_CLI_NS=bs-clib BS_CLIENT_PREFIX=bs-d)
SRVB=bs-srvb
INSTB=${INSTANCE}b
trap 'r=$?; pg_down; "${LABB[@]}" "$LAB" down >/dev/null 2>&1; rm -f "/dev/shm/bootstorm-$INSTB"; (exit $r); e2e_cleanup' EXIT
"${LABB[@]}" "$LAB" down >/dev/null 2>&1
"${LABB[@]}" "$LAB" up --clients 2 --vms 0 >/dev/null || fail "lab B up"
PG_PORT=5495
pg_setup "$WORK" || fail "pg_setup"
pg_up || fail "pg_up"
pg_sql "CREATE ROLE bsa LOGIN SUPERUSER; CREATE ROLE bsb LOGIN SUPERUSER" || fail "roles"

# ---- configs: the lab's, without YAML nodes, no boot file for local nodes
write_config
sed -i -e '/^nodes:/,$d' -e 's|^  default_profile: lab$|  default_profile: lab\n  local_boot: no-boot-file|' "$CONF"
for who in a b admin; do
	user=bs$who
	[ "$who" != admin ] || user=postgres
	printf 'host=%s port=%s dbname=postgres user=%s\n' "$PG_DIR/pgsock" "$PG_PORT" "$user" >"$WORK/$who.conninfo"
	chmod 600 "$WORK/$who.conninfo"
done
cat >>"$CONF" <<YAML
fleet:
  enabled: true
  database: $WORK/a.conninfo
  server_name: a
  ship_interval: 200ms
  follow: true
  inventory: $WORK/a-inventory.csv
YAML
CONFB=$WORK/b.yaml
sed -e 's|^  name: e2e$|  name: e2e-b|' -e "s|^  instance: .*|  instance: $INSTB|" \
	-e "s|^  state_dir: .*|  state_dir: $WORK/stateb|" -e "s|bs-$INSTANCE\]|bs-$INSTB]|" \
	-e "s|a.conninfo|b.conninfo|" -e 's|^  server_name: a$|  server_name: b|' \
	-e "s|a-inventory.csv|b-inventory.csv|" "$CONF" >"$CONFB"
# the admin's config: the same database as the postgres role
sed -e "s|a.conninfo|admin.conninfo|" "$CONF" >"$WORK/admin.yaml"
grep -q "instance: $INSTB" "$CONFB" && grep -q "file-prefix, bs-$INSTB]" "$CONFB" || fail "config B: $(head -12 "$CONFB")"
BS_BIN=$BS_BUILD/control/bootstorm
out=$("$BS_BIN" db init -c "$WORK/admin.yaml") || fail "db init: $out"
log "db init: $out"
dbset() { "$BS_BIN" db set-state "$@" -c "$WORK/admin.yaml" || fail "db set-state $*"; }
pg_sql "INSERT INTO nodes (name, mac, ip, profile, server) VALUES ('n1', '52:54:00:77:01:01', '10.77.0.51', 'lab', 'a')" >/dev/null ||
	fail "insert n1"

# ---- two servers
server_start
spawn "$WORK/control-b.log" ip netns exec "$SRVB" "$BS_BIN" serve -c "$CONFB" --foreground
for ((i = 0; i < 100; i++)); do [ -e "/dev/shm/bootstorm-$INSTB" ] && break; sleep 0.1; done
[ -e "/dev/shm/bootstorm-$INSTB" ] || fail "server B: no region: $(tail -5 "$WORK/control-b.log")"
spawn "$WORK/dp-b.log" ip netns exec "$SRVB" "$BS_BUILD/dataplane/bootstorm-dp" -c "$CONFB"
"${LABB[@]}" "$LAB" punt --timeout 30 >/dev/null || fail "server B punt tap: $(tail -5 "$WORK/dp-b.log")"

curl_a() { local p=$1; shift; in_srv curl -s -m 5 "$@" "$HTTP$p"; }
curl_b() { local p=$1; shift; nsx "$SRVB" curl -s -m 5 "$@" "$HTTP$p"; }
st() { # a|b python-expression over the status s
	"curl_$1" /api/status | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)" 2>/dev/null
}
follow() { st "$1" "s['fleet']['follow']['$2']"; }
known() { [ "$("curl_$1" "/api/nodes/$2" -o /dev/null -w '%{http_code}')" = 200 ]; }
boot_of() { "curl_$1" "/api/nodes/$2" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("boot", "?"))'; }
wait_for() { # timeout_s description command...
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.3
	done
	fail "timed out ($what)"
}
is() { [ "$("${@:2}")" = "$1" ]; }
wait_for 30 "A live" is live follow a state
wait_for 30 "B live" is live follow b state
wait_for 20 "A knows n1" known a n1
known b n1 && fail "B has n1, a node of server a"
log "A and B follow the database; n1 is A's"

cat >"$WORK/script" <<'SCRIPT'
case "$reason" in
BOUND|RENEW|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface" ;;
PREINIT) ip link set "$interface" up ;;
esac
exit 0
SCRIPT
chmod +x "$WORK/script"
cat >"$WORK/bios.conf" <<EOF
option client-arch code 93 = unsigned integer 16;
send client-arch 0;
send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";
request subnet-mask, routers, vendor-class-identifier, tftp-server-name, bootfile-name;
EOF
lease() { # namespace: one DORA as a PXE BIOS client, fresh lease file; prints the lease
	local ns=$1 lf RUN
	RUN=$(find "$WORK" -maxdepth 1 -name 'run*.leases' | wc -l)
	lf=$WORK/run$RUN.leases
	nsx "$ns" ip addr flush dev cl0
	timeout 20 ip netns exec "$ns" dhclient -4 -1 -cf "$WORK/bios.conf" -sf "$WORK/script" \
		-lf "$lf" -pf "$WORK/run$RUN.pid" cl0 >"$WORK/run$RUN.log" 2>&1 ||
		fail "dhclient in $ns got no lease: $(tail -5 "$WORK/run$RUN.log")"
	local pid
	pid=$(cat "$WORK/run$RUN.pid" 2>/dev/null) && [ -n "$pid" ] && kill "$pid" 2>/dev/null
	cat "$lf"
}
expect() { # lease what ip boot(yes|no)
	grep -q "fixed-address $3;" <<<"$1" || fail "$2: not $3: $1"
	if [ "$4" = yes ]; then
		grep -q 'filename "pxelinux.0";' <<<"$1" || fail "$2: no boot file: $1"
	elif grep -q 'filename' <<<"$1"; then
		fail "$2: a boot file: $1"
	fi
}
applied() { follow "$1" states_applied; }
more() { [ "$(applied "$1")" -gt "$2" ]; } # server n0
# set-state, then wait until server $1 took it
flip() { # server nodes state
	local n0
	n0=$(applied "$1")
	dbset "$2" "$3" >/dev/null
	wait_for 15 "server $1 took $2 -> $3" more "$1" "$n0"
}

# ---- 1. state flips in the database reach A's DHCP answers
expect "$(lease bs-c1)" "n1 install" 10.77.0.51 yes
b0=$(applied b)
gen_b0=$(st b "s['config_gen']")
flip a n1 local
[ "$(boot_of a n1)" = local ] || fail "A: n1 is $(boot_of a n1)"
expect "$(lease bs-c1)" "n1 local" 10.77.0.51 no
flip a n1 hold
expect "$(lease bs-c1)" "n1 hold" 10.77.0.51 no
flip a n1 install
expect "$(lease bs-c1)" "n1 install again" 10.77.0.51 yes
[ "$(applied b)" = "$b0" ] || fail "B took states of A's node"
[ "$(st b "s['config_gen']")" = "$gen_b0" ] || fail "B published a generation for A's node"
out=$("$BS_BIN" db set-state nosuch local -c "$WORK/admin.yaml" 2>&1) && fail "set-state of an unknown node: $out"
grep -q "not in the fleet inventory" <<<"$out" || fail "unknown node: $out"
log "n1 install -> local -> hold -> install from the database: dhclient saw each; B untouched"

# ---- 2. a node inserted for server b
pg_sql "INSERT INTO nodes (name, mac, ip, profile, server) VALUES ('n2', '52:54:00:77:01:02', '10.77.0.52', 'lab', 'b')" >/dev/null ||
	fail "insert n2"
wait_for 20 "B knows n2" known b n2
expect "$(lease bs-d2)" "n2 from B" 10.77.0.52 yes
L=$(lease bs-c2)
grep -q "fixed-address 10.77.0.52;" <<<"$L" && fail "A handed out n2's address: $L"
grep -qE "fixed-address 10\.77\.0\.1[0-9][0-9];" <<<"$L" || fail "A: no pool address for n2's MAC: $L"
known a n2 && fail "A knows n2"
log "n2 (server b): fixed address from B; its MAC on A's segment got a pool address"

# ---- 3. the database stopped: both answer, both say stale
pg_down
wait_for 20 "A stale" is stale follow a state
wait_for 20 "B stale" is stale follow b state
expect "$(lease bs-c1)" "n1, database down" 10.77.0.51 yes
expect "$(lease bs-d2)" "n2, database down" 10.77.0.52 yes
out=$(bs status) || fail "bootstorm status: $out"
grep -qE '^follow +stale \(database unreachable' <<<"$out" || fail "status while down: $out"
metrics=$(curl_a /metrics)
grep -q '^bootstorm_fleet_follow_live 0' <<<"$metrics" || fail "metrics while down: $(grep follow <<<"$metrics")"
log "database down: both servers answered from their last snapshot, status stale"
pg_up || fail "pg_up"
wait_for 30 "A live again" is live follow a state
wait_for 30 "B live again" is live follow b state

# ---- 4. A cut off while the fleet changes; back, it catches up
pg_sql "ALTER ROLE bsa NOLOGIN; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'bsa'" >/dev/null
wait_for 20 "A stale (cut off)" is stale follow a state
a0=$(applied a)
dbset n1 local >/dev/null
pg_sql "DELETE FROM nodes WHERE name = 'n2'; INSERT INTO nodes (name, mac, ip, profile, server) VALUES ('n3', '52:54:00:77:01:02', '10.77.0.53', 'lab', 'a')" >/dev/null ||
	fail "delete n2, insert n3"
gone_b() { ! known b n2; }
wait_for 20 "B dropped n2" gone_b
sleep 2
[ "$(applied a)" = "$a0" ] && [ "$(boot_of a n1)" = install ] && ! known a n3 || fail "A changed while cut off"
pg_sql "ALTER ROLE bsa LOGIN" >/dev/null
wait_for 30 "A live after the cut" is live follow a state
wait_for 20 "A knows n3" known a n3
wait_for 10 "A: n1 local" is local boot_of a n1
expect "$(lease bs-c1)" "n1 local after the cut" 10.77.0.51 no
expect "$(lease bs-c2)" "n3 after the cut" 10.77.0.53 yes
log "A cut off: B followed at once; A caught up on reconnect (n1 local, n3 added)"
echo "A: $(st a "s['fleet']['follow']")"
echo "B: $(st b "s['fleet']['follow']")"
pass
