#!/usr/bin/env bash
# A reload that grows the inventory past the shared region's snapshot slots
# (shm/shm.h "Snapshot areas"): from 10 nodes (slots sized at start: 1 MiB)
# to 60,010 (a snapshot of several MiB) while real DHCP clients keep asking:
#   bs-c1  ISC dhclient as inventory node a01 (fixed address), a DORA loop
#   bs-c2  busybox udhcpc, pool addresses, a DORA loop
# Passes when the reload is published without restarting control or the
# dataplane (same pids, the new generation served, one snapshot area opened:
# bootstorm_snapshot_area_grows_total 1, the area file present), no client
# try failed before, during or after it, the dataplane refused no snapshot,
# and dhclient as rack60000 -- a node only the reload added -- gets its
# fixed address.  Then a second growth (+300,000 nodes behind relays, 25 MB):
# area 2 is opened, area 1's name is gone and the dataplane no longer maps it
# (/proc/PID/maps), rack60000 still gets its address.  Before snapshot areas
# the publication failed with "exceeds the region's slot size ... restart
# control to grow it".  Last, control is killed (-9) and restarted with the
# big YAML while the dataplane runs: it re-attaches to the region (whose
# slots are 1 MiB) and publishes into area 2.  ~15 s.
source "$(dirname "$0")/lib.sh"
need_cmd dhclient isc-dhcp-client
need_cmd busybox busybox
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: snapshot areas are bootstorm's (BS_SERVER=$BS_SERVER)"
e2e_init --clients 2 --vms 0
write_config
# A /16 for 60,000 fixed addresses; no default profile, so the racks get no
# per-node boot files (their writing is not what this test measures).
sed -i -e 's|^  ip: 10.77.0.1/24$|  ip: 10.77.0.1/16|' -e 's|^    - subnet: 10.77.0.0/24$|    - subnet: 10.77.0.0/16|' \
	-e '/^  default_profile: lab$/d' "$CONF"
A01_MAC=52:54:00:77:02:01 A01_IP=10.77.0.61
printf '  - {range: "a[01-02]", mac: "%s", ip: %s}\n' "$A01_MAC" "$A01_IP" >>"$CONF"
grep -q '^    - subnet: 10.77.0.0/16$' "$CONF" && ! grep -q default_profile "$CONF" || fail "could not adapt the lab config"
cp "$CONF" "$WORK/small.yaml"
server_start

status_field() { in_srv curl -sf -m 5 "$HTTP/api/status" | python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
metric() { in_srv curl -sf -m 5 "$HTTP/metrics" | awk -v k="bootstorm_$1" '$1 == k { print $2 + 0; f = 1 } END { if (!f) print -1 }'; }
CTL=$(status_field control_pid)
kill -0 "$CTL" 2>/dev/null || fail "control pid '$CTL' from /api/status is not running"
gen0=$(status_field config_gen) reloads0=$(status_field reloads) fails0=$(status_field reload_failures)
slot0=$(metric snapshot_slot_bytes)
[ "$slot0" -gt 0 ] && [ "$(metric snapshot_area_grows_total)" = 0 ] || fail "snapshot metrics at start: slot $slot0"
log "10 nodes: generation $gen0, snapshot slots of $slot0 bytes"

# ---- client loops until $WORK/stop (at most 120 s); one ok/FAIL line per try
mkdir -p "$WORK/dhclient" "$WORK/udhcpc"
for d in dhclient udhcpc; do # dhclient runs its script with an environment of its own
	cat >"$WORK/$d/script" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBOOT) ip addr replace "\$new_ip_address/16" dev "\$interface"; echo "\$new_ip_address" >"$WORK/$d/cl0.got" ;;
PREINIT) ip link set "\$interface" up ;;
esac
exit 0
SCRIPT
	chmod +x "$WORK/$d/script"
done
cat >"$WORK/loop.sh" <<'LOOP'
#!/bin/bash
# loop.sh KIND WORK [want_ip]
kind=$1 W=$2 want=${3:-} end=$((SECONDS + 120)) i=0
cd "$W/$kind" || exit 1
while [ ! -e "$W/stop" ] && [ $SECONDS -lt $end ]; do
	i=$((i + 1)) s=$(date +%s.%N) r=FAIL
	case $kind in
	dhclient)
		d=$W/$kind
		rm -f "$d/lf" "$d/cl0.got"; ip addr flush dev cl0
		if timeout 20 dhclient -4 -1 -sf "$d/script" -lf "$d/lf" -pf "$d/pf" cl0 >>"$d/err" 2>&1 &&
			[ "$(cat "$d/cl0.got" 2>/dev/null)" = "$want" ]; then r=ok; fi
		kill "$(cat "$d/pf" 2>/dev/null)" 2>/dev/null ;;
	udhcpc)
		timeout 20 busybox udhcpc -i cl0 -f -q -n -t 5 -T 1 -A 1 -s /bin/true >>err 2>&1 && r=ok ;;
	esac
	echo "$r $i $s $(date +%s.%N)"
done
LOOP
chmod +x "$WORK/loop.sh"
in_client 1 ip link set cl0 address "$A01_MAC"
spawn "$WORK/loop.dhclient.log" ip netns exec bs-c1 "$WORK/loop.sh" dhclient "$WORK" "$A01_IP"
spawn "$WORK/loop.udhcpc.log" ip netns exec bs-c2 "$WORK/loop.sh" udhcpc "$WORK"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c '^ok ' "$WORK/loop.dhclient.log")" -ge 2 ] && [ "$(grep -c '^ok ' "$WORK/loop.udhcpc.log")" -ge 2 ] && break
	sleep 0.2
done
grep -q '^ok ' "$WORK/loop.dhclient.log" || fail "dhclient as a01 got no $A01_IP before the reload: $(grep -v '^$' "$WORK/dhclient/err" | head -20; cat "$WORK/loop.dhclient.log")"

# ---- the reload: 60,000 more nodes (a few racks imported), rename + SIGHUP
printf '  - {range: "rack[00001-60000]", mac: "52:54:00:88:00:01", ip: 10.77.1.1}\n' >>"$WORK/small.yaml"
mv -f "$WORK/small.yaml" "$CONF"
T0=$(date +%s.%N)
kill -HUP "$CTL"
for ((i = 0; i < 600; i++)); do
	[ "$(status_field reloads)" -gt "$reloads0" ] 2>/dev/null && break
	[ "$(status_field reload_failures)" -gt "$fails0" ] 2>/dev/null && break
	sleep 0.1
done
T1=$(date +%s.%N)
gen1=$(status_field config_gen)
[ "$(status_field reloads)" -gt "$reloads0" ] || fail "reload not done in 60 s: $(grep -E 'ERR' "$WORK/control.log" | tail -5)"
[ "$gen1" -gt "$gen0" ] || fail "generation stayed $gen0: $(grep -E 'ERR' "$WORK/control.log" | tail -5)"
sleep 2 # clients keep asking after the change too
touch "$WORK/stop"
for p in "${E2E_PIDS[@]: -2}"; do
	for ((i = 0; i < 300; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done

# ---- no restart; one area opened; the dataplane follows it
[ "$(status_field control_pid)" = "$CTL" ] || fail "control restarted"
kill -0 "$DP_PID" 2>/dev/null || fail "dataplane died: $(tail -5 "$WORK/dp.log")"
[ "$(metric dataplane_up)" = 1 ] || fail "dataplane not up"
grows=$(metric snapshot_area_grows_total) slot1=$(metric snapshot_slot_bytes)
[ "$grows" = 1 ] || fail "snapshot areas opened: $grows, expected 1"
[ "$slot1" -gt "$slot0" ] || fail "slot bytes $slot1 not above $slot0"
[ -e "/dev/shm/bootstorm-$INSTANCE.snap1" ] || fail "no /dev/shm/bootstorm-$INSTANCE.snap1"
[ "$(metric snapshot_publish_failures_total)" = 0 ] || fail "a publication found no room"
grep -q 'outgrew the snapshot slots' "$WORK/control.log" || fail "control did not log the new area"
grep -iE 'refus|reject' "$WORK/dp.log" && fail "the dataplane refused a snapshot (above)"

# ---- clients: every try answered, before, during and after the reload
for kind in dhclient udhcpc; do
	n=$(grep -c '^ok ' "$WORK/loop.$kind.log") nf=$(grep -c '^FAIL ' "$WORK/loop.$kind.log")
	[ "$nf" = 0 ] || fail "$kind: $nf of $((n + nf)) tries failed: $(tail -5 "$WORK/$kind/err")"
	after=$(awk -v t="$T1" '$1 == "ok" && $3 > t' "$WORK/loop.$kind.log" | wc -l)
	[ "$n" -ge 3 ] && [ "$after" -ge 1 ] || fail "$kind: $n tries, $after after the reload"
	eval "n_$kind=$n"
done

# ---- a node only the reload added gets its fixed address
read -r R_MAC R_IP < <(in_srv curl -sf -m 5 "$HTTP/api/nodes/rack60000" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["mac"], j["ip"])') ||
	fail "GET /api/nodes/rack60000"
[ -n "$R_IP" ] || fail "rack60000 has no address in the API"
in_client 2 ip link set cl0 address "$R_MAC"
in_client 2 ip addr flush dev cl0
rm -f "$WORK/udhcpc/cl0.got"
timeout 20 ip netns exec bs-c2 dhclient -4 -1 -sf "$WORK/udhcpc/script" \
	-lf "$WORK/udhcpc/lf2" -pf "$WORK/udhcpc/pf2" cl0 >"$WORK/udhcpc/dh2.log" 2>&1 ||
	fail "dhclient as rack60000 got no lease: $(tail -3 "$WORK/udhcpc/dh2.log")"
kill "$(cat "$WORK/udhcpc/pf2" 2>/dev/null)" 2>/dev/null
got=$(cat "$WORK/udhcpc/cl0.got" 2>/dev/null)
[ "$got" = "$R_IP" ] || fail "rack60000 ($R_MAC) got '$got', its fixed address is $R_IP"
bytes=$(grep -o 'published generation [0-9]* ([0-9]* bytes)' "$WORK/control.log" | tail -1)
log "FIGURE snap-grow: 10 -> 60,010 nodes by SIGHUP, $bytes, reload done in $(python3 -c "print(round($T1 - $T0, 1))") s; slots $slot0 -> $slot1 bytes (1 area opened), no restart; dhclient x $n_dhclient (fixed $A01_IP), udhcpc x $n_udhcpc, 0 failures; rack60000 ($R_MAC) -> $got"

# ---- a second growth (300,000 more nodes behind relays, ~22 MB): area 2;
# the dataplane's worker leaves area 1 at its next poll and unmaps it
grep -q "bootstorm-$INSTANCE.snap1" "/proc/$DP_PID/maps" || fail "the dataplane does not map area 1"
reloads1=$(status_field reloads)
sed -e 's|^      pools: \[10.77.0.100-10.77.0.199\]$|&\n    - subnet: 10.96.0.0/12|' "$CONF" >"$WORK/big.yaml"
printf '  - {range: "big[000001-300000]", mac: "52:54:01:00:00:01", ip: 10.96.0.1}\n' >>"$WORK/big.yaml"
grep -q '^    - subnet: 10.96.0.0/12$' "$WORK/big.yaml" || fail "could not add the relayed subnet"
mv -f "$WORK/big.yaml" "$CONF"
T2=$(date +%s.%N)
kill -HUP "$CTL"
for ((i = 0; i < 600; i++)); do
	[ "$(status_field reloads)" -gt "$reloads1" ] 2>/dev/null && break
	[ "$(status_field reload_failures)" -gt "$fails0" ] 2>/dev/null && break
	sleep 0.1
done
T3=$(date +%s.%N)
[ "$(status_field reloads)" -gt "$reloads1" ] || fail "second reload not done in 60 s: $(grep -E 'ERR' "$WORK/control.log" | tail -5)"
[ "$(metric snapshot_area_grows_total)" = 2 ] || fail "areas opened: $(metric snapshot_area_grows_total), expected 2"
slot2=$(metric snapshot_slot_bytes)
[ ! -e "/dev/shm/bootstorm-$INSTANCE.snap1" ] && [ -e "/dev/shm/bootstorm-$INSTANCE.snap2" ] ||
	fail "area files after the second growth: $(ls /dev/shm | grep "bootstorm-$INSTANCE")"
for ((i = 0; i < 50; i++)); do grep -q "bootstorm-$INSTANCE.snap1" "/proc/$DP_PID/maps" || break; sleep 0.1; done
grep -q "bootstorm-$INSTANCE.snap1" "/proc/$DP_PID/maps" && fail "the dataplane still maps area 1 after moving to area 2"
grep -q "bootstorm-$INSTANCE.snap2" "/proc/$DP_PID/maps" || fail "the dataplane does not map area 2"
[ "$(status_field control_pid)" = "$CTL" ] && kill -0 "$DP_PID" || fail "a process restarted or died"
in_client 2 ip addr flush dev cl0
rm -f "$WORK/udhcpc/cl0.got" "$WORK/udhcpc/lf2"
timeout 20 ip netns exec bs-c2 dhclient -4 -1 -sf "$WORK/udhcpc/script" \
	-lf "$WORK/udhcpc/lf2" -pf "$WORK/udhcpc/pf2" cl0 >"$WORK/udhcpc/dh3.log" 2>&1 ||
	fail "dhclient as rack60000 got no lease after the second growth: $(tail -3 "$WORK/udhcpc/dh3.log")"
kill "$(cat "$WORK/udhcpc/pf2" 2>/dev/null)" 2>/dev/null
[ "$(cat "$WORK/udhcpc/cl0.got" 2>/dev/null)" = "$R_IP" ] || fail "rack60000 got '$(cat "$WORK/udhcpc/cl0.got")' after the second growth"
grep -iE 'refus|reject' "$WORK/dp.log" && fail "the dataplane refused a snapshot (above)"
bytes2=$(grep -o 'published generation [0-9]* ([0-9]* bytes)' "$WORK/control.log" | tail -1)
log "FIGURE snap-grow: +300,000 nodes, $bytes2, reload done in $(python3 -c "print(round($T3 - $T2, 1))") s; slots -> $slot2 bytes (area 2), area 1 unlinked and unmapped by the dataplane"

# ---- control crashes and restarts with the big YAML while the dataplane
# runs: it asks for slots of 4x 25 MB, the region has 1 MiB ones; it
# re-attaches anyway (before: "has another layout ... stop it first") and
# continues in area 2, which the dataplane follows
gen2=$(status_field config_gen)
kill -9 "$CTL"
for ((i = 0; i < 50; i++)); do kill -0 "$CTL" 2>/dev/null || break; sleep 0.1; done
spawn "$WORK/control.2.log" ip netns exec "$SRV" "$BS_BIN" serve -c "$CONF" --foreground
CTL2=$LAST_PID
wait_http "$HTTP/api/status" 30 || fail "restarted control not reachable: $(tail -5 "$WORK/control.2.log")"
for ((i = 0; i < 100; i++)); do [ "$(status_field config_gen)" -gt "$gen2" ] 2>/dev/null && break; sleep 0.1; done
[ "$(status_field control_pid)" = "$CTL2" ] || fail "control did not restart: $(tail -5 "$WORK/control.2.log")"
[ "$(status_field config_gen)" -gt "$gen2" ] || fail "restarted control published nothing: $(tail -5 "$WORK/control.2.log")"
grep -q "re-attached to region" "$WORK/control.2.log" || fail "control did not re-attach: $(grep -E 'shm|region' "$WORK/control.2.log" | head -3)"
kill -0 "$DP_PID" 2>/dev/null || fail "dataplane died when control restarted"
[ "$(metric snapshot_area_grows_total)" = 2 ] || fail "restarted control opened another area"
[ -e "/dev/shm/bootstorm-$INSTANCE.snap2" ] && [ ! -e "/dev/shm/bootstorm-$INSTANCE.snap3" ] || fail "area files: $(ls /dev/shm | grep "bootstorm-$INSTANCE")"
in_client 2 ip addr flush dev cl0
rm -f "$WORK/udhcpc/cl0.got" "$WORK/udhcpc/lf2"
timeout 20 ip netns exec bs-c2 dhclient -4 -1 -sf "$WORK/udhcpc/script" \
	-lf "$WORK/udhcpc/lf2" -pf "$WORK/udhcpc/pf2" cl0 >"$WORK/udhcpc/dh4.log" 2>&1 ||
	fail "dhclient as rack60000 got no lease after the control restart: $(tail -3 "$WORK/udhcpc/dh4.log")"
kill "$(cat "$WORK/udhcpc/pf2" 2>/dev/null)" 2>/dev/null
[ "$(cat "$WORK/udhcpc/cl0.got" 2>/dev/null)" = "$R_IP" ] || fail "rack60000 got '$(cat "$WORK/udhcpc/cl0.got")' after the control restart"
grep -iE 'refus|reject' "$WORK/dp.log" && fail "the dataplane refused a snapshot (above)"
log "control kill -9 + restart with the 360,010-node YAML: re-attached (dataplane pid $DP_PID kept), generation $(status_field config_gen) published into area 2"
pass
