#!/usr/bin/env bash
# Discovery and enrollment of machines not in the inventory (issue 18):
#   1. ISC dhclient in bs-c1 (a MAC not in the inventory), sending a PXE vendor
#      class, option 93 (x64 UEFI) and option 97 (a UUID) from its dhclient.conf,
#      under unknown_clients: deny -> no lease, but `bootstorm discovered` lists
#      it with that MAC, arch, vendor class and UUID;
#   2. `bootstorm enroll` refuses a bad name, a duplicate IP and a MAC already in
#      the inventory with the loader's message and writes nothing (the running
#      generation is unchanged); then enrolls it (--name disc01 --ip 10.77.0.50)
#      -> the same dhclient now gets 10.77.0.50, and the MAC has left the table;
#      both API routes answer 401 to that node (not admin);
#   3. a flood of 5,000 spoofed MACs (disc_flood.py, raw socket) keeps the table
#      at discovery.max_clients (1000) with every other sighting counted as
#      overflow (or a full ring): count + overflow + ring_full = events sent to
#      control; no lease is handed to any of them;
#   4. control restarted: the enrolled node is still in the inventory and the
#      table comes back from <state_dir>/discovered.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
need_cmd dhclient isc-dhcp-client
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: discovery is bootstorm's (BS_SERVER=$BS_SERVER)"
e2e_init --clients 2 --vms 0
CAP=1000 FLOOD=5000
write_config
ENROLLED=$WORK/enrolled.csv
sed -i -e 's/^  unknown_clients: allow$/  unknown_clients: deny/' "$CONF"
printf 'discovery:\n  max_clients: %s\n  enrolled: %s\n' "$CAP" "$ENROLLED" >>"$CONF"
grep -q 'unknown_clients: deny' "$CONF" || fail "config edit failed"
cp "$CONF" "$WORK/bootstorm.yaml.orig"
server_start

mac1=$(in_client 1 cat /sys/class/net/cl0/address)
UUID=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:10
cat >"$WORK/dhclient.conf" <<CONF
option pxe-arch code 93 = unsigned integer 16;
option pxe-uuid code 97 = string;
send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003016";
send pxe-arch 7;
send pxe-uuid $UUID;
timeout 8;
retry 1;
CONF
cat >"$WORK/dhclient-script" <<SCRIPT
#!/bin/sh
echo "\$reason \${new_ip_address:-}" >>"$WORK/dhclient.reasons"
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT) ip addr replace "\$new_ip_address/24" dev "\$interface" ;;
PREINIT) ip link set "\$interface" up ;;
esac
exit 0
SCRIPT
chmod +x "$WORK/dhclient-script"
DHC=(dhclient -4 -1 -cf "$WORK/dhclient.conf" -sf "$WORK/dhclient-script" -lf "$WORK/c1.leases" -pf "$WORK/c1.pid")
disc_json() { bs discovered --json; }
jq_py() { "$PY" -c "import json,sys; j=json.load(sys.stdin); $1"; }
counter() { bs_api_counters | jq_py "print(j['counters']['$1'])"; }
bs_api_counters() { in_srv curl -s -m 5 "$HTTP/api/counters"; }
gen() { in_srv curl -s -m 5 "$HTTP/api/status" | jq_py "print(j['config_gen'])"; }

# ---- 1. unknown under deny: no lease, listed
log "dhclient from $mac1 (not in the inventory), unknown_clients: deny"
if timeout 20 ip netns exec bs-c1 "${DHC[@]}" cl0; then
	fail "dhclient got a lease under deny: $(cat "$WORK/dhclient.reasons")"
fi
grep -q '^BOUND' "$WORK/dhclient.reasons" 2>/dev/null && fail "dhclient bound under deny"
server_leases | grep -qi "$mac1" && fail "server lists a lease for $mac1 under deny"
disc_json >"$WORK/disc1.json" || fail "bootstorm discovered --json failed"
"$PY" - "$WORK/disc1.json" "$mac1" <<'PYEOF' || fail "discovered table wrong: $(cat "$WORK/disc1.json")"
import json, sys
j = json.load(open(sys.argv[1])); mac = sys.argv[2]
c = [x for x in j["clients"] if x["mac"] == mac]
assert len(c) == 1, "MAC not listed"
c = c[0]
assert c["arch"] == 7 and c["arch_name"] == "x64 UEFI", c
assert c["vendor_class"] == "PXEClient:Arch:00007:UNDI:003016", c
assert c["uuid"] == "11223344-5566-7788-99aa-bbccddeeff10", c
assert c["count"] >= 1 and c["last_message"] == "DISCOVER", c
assert c["relay"] is None and c["worker"] == 0, c
print("listed:", mac, c["arch_name"], c["vendor_class"], c["uuid"], "count", c["count"])
PYEOF
bs discovered | grep -q "$mac1" || fail "bootstorm discovered (table) lacks $mac1"
log "$mac1 listed with arch/vendor class/UUID; no lease"

# ---- 2. enroll: refusals first, nothing written, generation unchanged
g0=$(gen)
expect_refused() { # regex args...
	local re=$1 out rc
	shift
	out=$(bs enroll "$@" 2>&1)
	rc=$?
	[ $rc -eq 2 ] || fail "enroll $* exited $rc (want 2): $out"
	echo "$out" | grep -qE "$re" || fail "enroll $*: message '$out' lacks /$re/"
	[ ! -e "$ENROLLED" ] || fail "enroll $* wrote $ENROLLED: $(cat "$ENROLLED")"
	log "refused as expected: $(echo "$out" | head -1)"
}
expect_refused 'bad node name' "$mac1" --name 'bad/name'
expect_refused 'duplicate IP|already' "$mac1" --name disc01 --ip "$(vm_ip 1)"
expect_refused 'outside|subnet|not in' "$mac1" --name disc01 --ip 192.0.2.7
expect_refused 'already in the inventory' "$(vm_mac 1)" --name disc09
expect_refused 'no such profile|unknown profile|profile' "$mac1" --name disc01 --profile nosuch
[ "$(gen)" = "$g0" ] || fail "config generation moved after refused enrolls: $g0 -> $(gen)"
cmp -s "$CONF" "$WORK/bootstorm.yaml.orig" || fail "the admin's YAML was modified"
out=$(bs enroll "$mac1" --name disc01 --ip 10.77.0.50 --profile lab 2>&1) || fail "enroll failed: $out"
log "enroll: $out"
grep -q "^disc01,$mac1,10.77.0.50,lab\$" "$ENROLLED" || fail "enrolled file: $(cat "$ENROLLED")"
cmp -s "$CONF" "$WORK/bootstorm.yaml.orig" || fail "the admin's YAML was modified by enroll"
disc_json | jq_py "assert not [x for x in j['clients'] if x['mac'] == '$mac1']" ||
	fail "$mac1 still listed as discovered after enroll"
rm -f "$WORK/dhclient.reasons"
timeout 20 ip netns exec bs-c1 "${DHC[@]}" cl0 || fail "dhclient got no lease after enroll: $(cat "$WORK/dhclient.reasons" 2>/dev/null; tail -5 "$WORK/control.log")"
E2E_PIDS+=("$(cat "$WORK/c1.pid" 2>/dev/null)")
grep -q '^BOUND 10.77.0.50$' "$WORK/dhclient.reasons" || fail "dhclient after enroll: $(cat "$WORK/dhclient.reasons")"
lease_active "$mac1" 10.77.0.50 || true # a reservation: the table may not hold it
log "after enroll dhclient bound 10.77.0.50"
# issue 15's admin rule: from a node's address (not local, no token) both routes are 401
code() { in_client 1 curl -s -o /dev/null -w '%{http_code}' -m 5 "$@"; }
[ "$(code "$HTTP/api/discovered")" = 401 ] || fail "GET /api/discovered from a client: want 401"
[ "$(code -X POST "$HTTP/api/discovered/02:00:00:00:00:09/enroll?name=x")" = 401 ] ||
	fail "POST enroll from a client: want 401"

# ---- 3. a flood of spoofed MACs: the table stays at its cap, overflow counted
ev0=$(counter DHCP_DISC_EVENT)
rf0=$(counter DHCP_DISC_RING_FULL)
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$CTL_PID/status" 2>/dev/null || echo 0)
flood=$(in_client 2 "$PY" "$E2E_DIR/disc_flood.py" --iface cl0 --count $FLOOD --rate 1000 --timeout 30) ||
	fail "flood: $flood"
log "flood: $flood"
sleep 3
ev=$(( $(counter DHCP_DISC_EVENT) - ev0 ))
rf=$(( $(counter DHCP_DISC_RING_FULL) - rf0 ))
disc_json >"$WORK/disc2.json"
read -r count overflow cap < <(jq_py "print(j['count'], j['overflow'], j['capacity'])" <"$WORK/disc2.json")
rss1=$(awk '/VmRSS/ {print $2}' "/proc/$CTL_PID/status" 2>/dev/null || echo 0)
echo "FIGURE flood sent $FLOOD; engine events $ev; ring full $rf; table $count/$cap; overflow $overflow; control RSS ${rss0} kB -> ${rss1} kB"
[ "$cap" = $CAP ] || fail "capacity $cap, want $CAP"
[ "$count" = $CAP ] || fail "table holds $count after $FLOOD new MACs, want the cap $CAP"
# The lab's veth + af_packet path loses some of a flood before the dataplane
# sees it; what reached the engine must still be several times the cap.
[ "$ev" -ge $((CAP * 2)) ] || fail "only $ev of $FLOOD DISCOVERs reached the engine"
[ $((count + overflow + rf)) -eq "$ev" ] || fail "accounting: count $count + overflow $overflow + ring full $rf != events $ev"
n_flood_leases=$(server_leases | grep -ci '02:f1:00:00' || true)
[ "$n_flood_leases" -eq 0 ] || fail "$n_flood_leases flood MACs got leases under deny"
jq_py "assert j['clients'][0]['mac'].startswith('02:f1:00:00:')" <"$WORK/disc2.json" || fail "newest entry is not from the flood"

# ---- 4. restart control: enrolled node and table survive
stop_pid "$CTL_PID"
spawn "$WORK/control2.log" ip netns exec "$SRV" "$BS_BIN" serve -c "$CONF" --foreground
CTL_PID=$LAST_PID
wait_http "$HTTP/" 30 || fail "control did not come back: $(tail -5 "$WORK/control2.log")"
in_srv curl -s -m 5 "$HTTP/api/nodes" | jq_py "assert [n for n in j['nodes'] if n['name'] == 'disc01' and n.get('mac') == '$mac1']" ||
	fail "disc01 not in the inventory after a restart"
c2=$(disc_json | jq_py "print(j['count'])")
[ "$c2" = "$CAP" ] || fail "table after restart holds $c2, want $CAP (state_dir/discovered)"
log "after a control restart: disc01 enrolled, $c2 discovered entries reloaded"
pass
