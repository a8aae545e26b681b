#!/usr/bin/env bash
# Hostile clients in the lab (tests/e2e/hostile.py sends, from bs-c1, with raw
# sockets; scapy reads the capture).  Four attacks, each followed by the same
# legitimate-client check in bs-c2 (tftp-hpa 1 MiB by sha256 + a udhcpc lease,
# the dataplane alive) and by the drop counters it must have moved, from
# /metrics:
#   1. malformed/oversized DHCP, TFTP and L2-L4 frames at rate: every case
#      lands on its named drop reason, exactly N times;
#   2. TFTP RRQ flood from spoofed sources for a large file, captured on the
#      server's bridge port: only block 1 (or an OACK) ever goes out before an
#      ACK, at most 3 times per admitted transfer; max_per_client holds; a full
#      table admits a new RRQ by ending the oldest unverified transfer (issue
#      15 item 7: real clients are not locked out); every RRQ is accounted for;
#   3. path traversal over TFTP (tftp-hpa) and HTTP (curl --path-as-is): every
#      attempt is refused, no byte of a file outside the roots comes back;
#   4. DHCP starvation from thousands of random MACs: the dynamic cap stops it
#      (not the pool), a new dynamic client is refused, a client with an
#      existing lease and a reserved node (vm01's MAC) are still served.
# Config for this test: dhcp.max_dynamic 40; tftp max_per_client 4,
# max_transfers 64, timeout 250ms, retries 3 (a spoofed transfer, never
# acknowledged, resends twice without backoff and ends 0.75 s after its RRQ,
# or earlier when a newer RRQ evicts it).  Figures are printed as "FIGURE ..." lines.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
HOSTILE=$(dirname "$0")/hostile.py
need_cmd tftp tftp-hpa
need_cmd busybox busybox
need_cmd curl curl
need_cmd dumpcap wireshark-common
"$PY" -c 'import scapy' 2>/dev/null || notrun "NOT RUN: scapy not importable from $PY (package python3-scapy)"
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: drop counters and caps are bootstorm's (BS_SERVER=$BS_SERVER)"
e2e_init --clients 3 --vms 0
T0=$SECONDS
# With br_netfilter loaded (docker hosts), the lab bridge validates and
# reassembles IPv4 like a router, dropping bad checksums, lengths and lone
# fragments before the dataplane sees them; a real L2 switch does not.  These
# sysctls are per network namespace: only bs-cli's bridge is changed.
for k in arptables iptables ip6tables; do
	f=/proc/sys/net/bridge/bridge-nf-call-$k
	in_cli sh -c "[ ! -e $f ] || echo 0 >$f" || fail "cannot turn off bridge-nf-call-$k in $CLI"
done
MAX_DYN=40 PER_CLIENT=4 MAX_XFER=64 RETRIES=3 N_MALFORMED=50 N_STARVE=3000
UNV_SENDS=3 # packets of a never-acknowledged transfer: 1 + 2 resends (TFTP_UNV_RETRIES)
t=$WORK/tftp
head -c $((1 << 20)) /dev/urandom >"$t/f1m"
head -c $((8 << 20)) /dev/urandom >"$t/big.img"
mkdir -p "$t/sub"
echo "BOOTSTORM-SECRET-$RANDOM$RANDOM" >"$WORK/secret.txt"
SECRET=$(cat "$WORK/secret.txt")
ln -s ../secret.txt "$t/escape"
ln -s /etc "$t/etc-link"
ln -s ../secret.txt "$WORK/repo/escape"
echo "repo file" >"$WORK/repo/ok.txt"
write_config
sed -i -e 's/^  timeout: 1s$/  timeout: 250ms/' -e "s/^  retries: 5\$/  retries: $RETRIES/" \
	-e "/^tftp:\$/a\\  max_per_client: $PER_CLIENT\\n  max_transfers: $MAX_XFER" \
	-e "/^dhcp:\$/a\\  max_dynamic: $MAX_DYN" "$CONF"
grep -q "max_dynamic: $MAX_DYN" "$CONF" && grep -q "retries: $RETRIES" "$CONF" || fail "config edit failed"
server_start

ATT_IP=$(client_static 1) # attacker: raw sockets; ERRORs for its bad TFTP come back here
client_static 2 >/dev/null # legitimate tftp-hpa + udhcpc client
ATT_MAC=$(in_client 1 cat /sys/class/net/cl0/address)
mac3=$(in_client 3 cat /sys/class/net/cl0/address)
RESV_MAC=$(vm_mac 1) RESV_IP=$(vm_ip 1)

cat >"$WORK/udhcpc-script" <<SCRIPT
#!/bin/sh
# records the lease only: the namespace keeps its static address
[ "\$1" = bound ] && echo "\${ip:-}" >>"$WORK/udhcpc.\$(cat /sys/class/net/\$interface/address | tr -d :)"
exit 0
SCRIPT
chmod +x "$WORK/udhcpc-script"

# Named /metrics snapshots; delta reads the last compare.
snap() { in_srv curl -sf -m 5 "$HTTP/metrics" >"$WORK/$1.prom" || fail "GET /metrics failed"; }
compare() { # before after
	DFILE=$WORK/$1-$2.txt
	"$PY" "$HOSTILE" metrics-diff "$WORK/$1.prom" "$WORK/$2.prom" >"$DFILE" || fail "metrics-diff $1 $2"
}
delta() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "MISSING" }' "$DFILE"; }
value() { # series: current value
	in_srv curl -sf -m 5 "$HTTP/metrics" | awk -v k="bootstorm_$1" '$1 == k { print $2 + 0; f = 1 } END { if (!f) print -1 }'
}
show_drops() { grep -E '^drops_total' "$DFILE" | awk '$2 != 0 { printf "%s=%s ", $1, $2 }' | sed 's/drops_total{reason="\([a-z_0-9]*\)"}/\1/g'; }

# udhcpc lease for client N; echoes the address, fails when none
udhcpc_lease() { # N [tries]
	local n=$1 mac f
	mac=$(in_client "$n" cat /sys/class/net/cl0/address)
	f="$WORK/udhcpc.$(echo "$mac" | tr -d :)"
	rm -f "$f"
	timeout 15 ip netns exec "bs-c$n" busybox udhcpc -i cl0 -f -q -n -t "${2:-4}" -T 1 -A 1 \
		-s "$WORK/udhcpc-script" >"$WORK/udhcpc.c$n.log" 2>&1 || return 1
	[ -s "$f" ] || return 1
	tail -1 "$f"
}

LEGIT_LEASE=
legit_check() { # label
	local out=$WORK/legit.f1m ip s=$SECONDS
	rm -f "$out"
	timeout 20 ip netns exec bs-c2 tftp -m binary "$SERVER_IP" -c get f1m "$out" ||
		fail "$1: legitimate tftp-hpa get f1m failed"
	[ "$(sha256sum <"$out")" = "$(sha256sum <"$t/f1m")" ] || fail "$1: legitimate f1m sha256 mismatch"
	ip=$(udhcpc_lease 2) || fail "$1: legitimate udhcpc got no lease: $(tail -3 "$WORK/udhcpc.c2.log")"
	[ -z "$LEGIT_LEASE" ] || [ "$ip" = "$LEGIT_LEASE" ] || fail "$1: legitimate client moved from $LEGIT_LEASE to $ip"
	LEGIT_LEASE=$ip
	kill -0 "$DP_PID" 2>/dev/null || fail "$1: dataplane died"
	in_srv curl -sf -m 5 "$HTTP/api/status" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["dataplane"]["alive"] else 1)' ||
		fail "$1: /api/status does not report the dataplane alive"
	log "$1: legitimate client ok (tftp-hpa f1m sha256, udhcpc lease $ip, dataplane alive, $((SECONDS - s)) s)"
}

legit_check "baseline"

# ---------------------------------------------------------------- 1. malformed
snap mal0
log "1. malformed frames: $N_MALFORMED of each case from bs-c1"
ip netns exec bs-c1 "$PY" "$HOSTILE" malformed --iface cl0 --mac "$ATT_MAC" --ip "$ATT_IP" \
	--count "$N_MALFORMED" >"$WORK/malformed.json" || fail "hostile.py malformed failed"
sleep 0.5
snap mal1
compare mal0 mal1
read -r frames mbytes secs ncases < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["frames"], d["bytes"], d["seconds"], len(d["cases"]))' "$WORK/malformed.json")
bad=0
while read -r ctr ncase; do
	want=$((ncase * N_MALFORMED)) got=$(delta "$ctr")
	if [ "$got" != "$want" ]; then
		echo "  $ctr: moved $got, expected $want ($ncase case(s) x $N_MALFORMED)"
		bad=1
	fi
done < <(python3 -c '
import json, sys, collections
d = json.load(open(sys.argv[1]))
for k, v in sorted(collections.Counter(d["cases"].values()).items()): print(k, v)' "$WORK/malformed.json")
[ $bad = 0 ] || fail "malformed: drop counters did not move as expected (non-zero: $(show_drops))"
[ "$(delta dhcp_tx_total)" = 0 ] || fail "malformed: $(delta dhcp_tx_total) DHCP replies built for malformed requests"
[ "$(delta tftp_xfer_start_total)" = 0 ] || fail "malformed: $(delta tftp_xfer_start_total) TFTP transfers started"
log "FIGURE malformed: $frames frames, $mbytes bytes ($ncases cases x $N_MALFORMED) in $secs s; drops: $(show_drops)"
legit_check "after malformed"

# ---------------------------------------------------------------- 2. TFTP flood
snap fl0
log "2. TFTP RRQ flood from spoofed sources (big.img, 8 MiB), server TX captured on bs-dp0p"
spawn "$WORK/dumpcap.log" ip netns exec "$CLI" dumpcap -q -P -i bs-dp0p -f "udp and src host $SERVER_IP" \
	-w "$WORK/flood.pcap" -a duration:40
CAP_PID=$LAST_PID
for ((i = 0; i < 50; i++)); do
	[ -s "$WORK/flood.pcap" ] && break
	sleep 0.1
done
[ -s "$WORK/flood.pcap" ] || fail "dumpcap did not start: $(cat "$WORK/dumpcap.log")"
sleep 0.5
OPT_SRC=20 PORTS=100 SINGLE=900
ip netns exec bs-c1 "$PY" "$HOSTILE" tftp-flood --iface cl0 --file big.img --opt-sources $OPT_SRC \
	--per-source-ports $PORTS --sources $SINGLE >"$WORK/flood.json" || fail "hostile.py tftp-flood failed"
read -r rrqs fbytes fsecs < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rrqs"], d["bytes"], d["seconds"])' "$WORK/flood.json")
sleep 0.3
snap fl1
compare fl0 fl1
started=$(delta tftp_xfer_start_total)
# Every admitted spoofed transfer ends by timeout (0.75 s after its RRQ) or is
# evicted by a newer RRQ.
to0=$(awk '$1 == "bootstorm_tftp_xfer_timeout_total" { print $2 }' "$WORK/fl0.prom")
ev0=$(awk '$1 == "bootstorm_tftp_unv_evict_total" { print $2 }' "$WORK/fl0.prom")
deadline=$((SECONDS + 12))
until [ $(($(value tftp_xfer_timeout_total) + $(value tftp_unv_evict_total))) -ge $((to0 + ev0 + started)) ]; do
	[ $SECONDS -lt $deadline ] || fail "flood: $started spoofed transfers did not all end in 12 s ($(value tftp_xfer_timeout_total) - $to0 timed out, $(value tftp_unv_evict_total) - $ev0 evicted)"
	sleep 0.5
done
sleep 1.2 # past the last retransmission of anything admitted late
stop_pid "$CAP_PID"
snap fl2
compare fl0 fl2
"$PY" "$HOSTILE" pcap-tftp --pcap "$WORK/flood.pcap" >"$WORK/flood_pcap.json" || fail "pcap-tftp"
read -r dpkts dbytes dframe oacks errs maxblk ndest maxper fb < <(python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
print(d["data_pkts"], d["data_payload_bytes"], d["data_frame_bytes"], d["oack_pkts"], d["error_pkts"], d["max_block"], d["destinations_with_data"], d["max_data_per_destination"], d["frame_bytes"])' "$WORK/flood_pcap.json")
rx_rrq=$(delta tftp_rx_rrq_total) full=$(delta 'drops_total{reason="tftp_full"}')
perc=$(delta 'drops_total{reason="tftp_per_client"}') sat=$(delta 'drops_total{reason="tftp_saturated"}')
noport=$(delta 'drops_total{reason="tftp_no_port"}') timeouts=$(delta tftp_xfer_timeout_total)
evicted=$(delta tftp_unv_evict_total)
log "flood: $rrqs RRQs ($fbytes bytes) in $fsecs s; started $started (evicted $evicted), full $full, per_client $perc, saturated $sat, no_port $noport"
log "flood capture: $dpkts DATA ($dbytes payload bytes, $dframe frame bytes, max block $maxblk) to $ndest sources (max $maxper each), $oacks OACKs, $errs ERRORs"
# Every RRQ is accounted for: a transfer or a named drop.
[ "$rx_rrq" = "$rrqs" ] || fail "flood: server counted $rx_rrq RRQs, $rrqs sent"
[ $((started + full + perc + sat + noport)) = "$rrqs" ] ||
	fail "flood: RRQs not accounted for: $started started + $full full + $perc per_client + $sat saturated + $noport no_port != $rrqs"
# Caps: the table (max_transfers: beyond it only by evicting an unverified
# transfer, one per admitted RRQ) and one source's share (max_per_client).
[ "$started" -le $((MAX_XFER + evicted)) ] || fail "flood: $started transfers started, max_transfers is $MAX_XFER, $evicted evicted"
[ "$perc" -ge $((PORTS - PER_CLIENT)) ] || fail "flood: per-client cap: only $perc of $PORTS RRQs from one source dropped"
[ $((full + evicted)) -ge $((SINGLE - MAX_XFER)) ] || fail "flood: global cap: only $full RRQs dropped as tftp_full and $evicted evictions"
[ $((timeouts + evicted)) = "$started" ] || fail "flood: $timeouts timed out + $evicted evicted of $started spoofed transfers"
# Amplification guard: no ACK, no second block; at most 3 packets per RRQ.
[ "$maxblk" -le 1 ] || fail "flood: DATA block $maxblk sent to a spoofed source that never acknowledged"
[ "$dpkts" -le $((started * UNV_SENDS)) ] || fail "flood: $dpkts DATA packets for $started transfers (cap $UNV_SENDS each)"
[ "$maxper" -le $((PER_CLIENT * (1 + RETRIES))) ] || fail "flood: $maxper DATA packets to one source (cap $((PER_CLIENT * (1 + RETRIES))))"
[ "$dbytes" -le $((started * UNV_SENDS * 512)) ] || fail "flood: $dbytes DATA payload bytes exceed started x $UNV_SENDS x 512"
python3 -c '
import json, sys
d, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = [ip for ip in f["opt_sources"] if ip in d["data_to"]]
sys.exit("flood: DATA sent before ACK 0 to option sources %s" % bad[:5] if bad else 0)' "$WORK/flood_pcap.json" "$WORK/flood.json" ||
	fail "flood: a blksize/windowsize RRQ got DATA without acknowledging the OACK"
[ "$oacks" -le $((OPT_SRC * UNV_SENDS)) ] || fail "flood: $oacks OACKs for $OPT_SRC option sources"
[ "$(value dataplane_up)" = 1 ] || fail "flood: dataplane not up"
log "FIGURE tftp-flood: $rrqs spoofed RRQs ($fbytes B) -> $started transfers admitted (max_transfers $MAX_XFER, $evicted unverified evicted for newer RRQs), drops tftp_full=$full tftp_per_client=$perc saturated=$sat; server sent $dpkts DATA (block 1 only, $dframe B on the wire) + $oacks OACK + $errs ERROR = $fb B: $(python3 -c "print('%.2f' % ($fb / $fbytes))") B out per B in; all $started ended by timeout or eviction"
legit_check "after TFTP flood"

# ---------------------------------------------------------------- 3. traversal
snap tr0
log "3. path traversal over TFTP (tftp-hpa) and HTTP (curl --path-as-is)"
NAMES=("../secret.txt" "/../secret.txt" "sub/../../secret.txt" "./../secret.txt" "....//../secret.txt"
	"%2e%2e/secret.txt" "..%2fsecret.txt" "escape" "etc-link/passwd" "/etc/passwd" "$WORK/secret.txt"
	"..\\secret.txt" "sub/..")
leaked=0
for n in "${NAMES[@]}"; do
	out=$WORK/trav.out
	rm -f "$out"
	if timeout 15 ip netns exec bs-c2 tftp -m binary "$SERVER_IP" -c get "$n" "$out" >"$WORK/trav.log" 2>&1 &&
		[ -s "$out" ]; then
		echo "  tftp '$n' returned $(stat -c %s "$out") bytes"
		leaked=1
	fi
	if [ -e "$out" ] && { grep -q "$SECRET" "$out" || grep -q '^root:' "$out"; }; then
		echo "  tftp '$n' returned a file outside the root"
		leaked=1
	fi
done
[ $leaked = 0 ] || fail "TFTP traversal: a refused name returned data"
snap tr1
compare tr0 tr1
terr=$(($(delta tftp_err_access_total) + $(delta tftp_err_not_found_total)))
[ "$terr" -ge ${#NAMES[@]} ] || fail "TFTP traversal: $terr ERROR 1/2 for ${#NAMES[@]} names"
[ "$(delta tftp_xfer_start_total)" = 0 ] || fail "TFTP traversal: $(delta tftp_xfer_start_total) transfers started"
[ "$(delta 'drops_total{reason="tftp_path_escape"}')" -ge 5 ] || fail "TFTP traversal: only $(delta 'drops_total{reason="tftp_path_escape"}') path_escape drops"
log "TFTP: ${#NAMES[@]} names refused: path_escape=$(delta 'drops_total{reason="tftp_path_escape"}') not_found=$(delta 'drops_total{reason="tftp_not_found"}') not_regular=$(delta 'drops_total{reason="tftp_not_regular"}')"
URLS=("/repo/../secret.txt" "/repo/%2e%2e/secret.txt" "/repo/%2E%2E/secret.txt" "/repo/.%2e/secret.txt"
	"/repo/..%2fsecret.txt" "/repo/%2e%2e%2fsecret.txt" "/repo/%252e%252e/secret.txt" "/repo/..%5csecret.txt"
	"/repo/escape" "/repo//etc/passwd" "/repo/%2fetc%2fpasswd" "/boot/../secret.txt" "/boot/escape"
	"/boot/etc-link/passwd" "/boot//etc/passwd" "/repo/ok.txt/../../secret.txt" "/ks/../repo/escape")
for u in "${URLS[@]}"; do
	code=$(ip netns exec bs-c2 curl -s --path-as-is -m 5 -o "$WORK/trav.http" -w '%{http_code}' "$HTTP$u") || true
	case $code in 4??) ;; *) fail "HTTP traversal: $u answered $code" ;; esac
	if grep -q "$SECRET" "$WORK/trav.http" || grep -q '^root:' "$WORK/trav.http"; then
		fail "HTTP traversal: $u returned a file outside the roots"
	fi
	echo "$code" >>"$WORK/trav.codes"
done
code=$(ip netns exec bs-c2 curl -s -m 5 -o "$WORK/trav.http" -w '%{http_code}' "$HTTP/repo/ok.txt")
[ "$code" = 200 ] && grep -q "repo file" "$WORK/trav.http" || fail "HTTP: the legitimate /repo/ok.txt answered $code"
snap tr2
compare tr1 tr2
log "FIGURE traversal: ${#NAMES[@]} TFTP names -> ERROR (path_escape $(awk '$1 == "drops_total{reason=\"tftp_path_escape\"}"' "$WORK/tr0-tr1.txt" | cut -d' ' -f2)); ${#URLS[@]} HTTP URLs -> $(sort "$WORK/trav.codes" | uniq -c | awk '{printf "%sx%s ", $1, $2}')(http 403 +$(delta 'http_requests_total{status="403"}'), 404 +$(delta 'http_requests_total{status="404"}'))"
legit_check "after traversal"

# ---------------------------------------------------------------- 4. starvation
snap st0
dyn_before=$(bs leases 2>/dev/null | awk '$3 == "bound" || $3 == "offered"' | awk '{ split($1, a, "."); if (a[4] >= 100 && a[4] <= 199) n++ } END { print n + 0 }')
log "4. DHCP starvation: $N_STARVE DISCOVERs from random MACs ($dyn_before dynamic leases before, max_dynamic $MAX_DYN)"
ip netns exec bs-c1 "$PY" "$HOSTILE" starve --iface cl0 --count $N_STARVE --timeout 3 >"$WORK/starve.json" ||
	fail "hostile.py starve failed"
read -r sdisc sreq soff sack snak ssecs < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["discovers"], d["requests"], d["offers"], d["acks"], d["naks"], d["seconds"])' "$WORK/starve.json")
snap st1
compare st0 st1
gcap=$(delta 'drops_total{reason="dhcp_global_cap"}') exh=$(delta 'drops_total{reason="dhcp_pool_exhausted"}')
log "starve: $sdisc DISCOVER -> $soff OFFER, $sreq REQUEST -> $sack ACK, $snak NAK in $ssecs s; global_cap $gcap, pool_exhausted $exh"
[ "$soff" -eq $((MAX_DYN - dyn_before)) ] || fail "starve: $soff offers, expected max_dynamic - existing = $((MAX_DYN - dyn_before))"
[ "$sack" = "$soff" ] || fail "starve: $sack ACKs for $soff offers"
[ "$gcap" = $((sdisc - soff)) ] || fail "starve: global_cap moved $gcap, expected $((sdisc - soff))"
[ "$exh" = 0 ] || fail "starve: the pool ran dry ($exh), the cap should have stopped the flood first"
dyn_after=$(bs leases 2>/dev/null | awk '$3 == "bound" || $3 == "offered"' | awk '{ split($1, a, "."); if (a[4] >= 100 && a[4] <= 199) n++ } END { print n + 0 }')
[ "$dyn_after" -le $MAX_DYN ] || fail "starve: $dyn_after dynamic leases, max_dynamic $MAX_DYN"
# A new dynamic client is refused (the cap holds) ...
if ip3=$(udhcpc_lease 3 2); then fail "starve: new client $mac3 got $ip3 past max_dynamic"; fi
# ... a reserved node is served (reservations are never capped) ...
in_client 3 ip link set cl0 address "$RESV_MAC"
ip3=$(udhcpc_lease 3) || fail "starve: reserved node $RESV_MAC got no lease: $(tail -3 "$WORK/udhcpc.c3.log")"
[ "$ip3" = "$RESV_IP" ] || fail "starve: reserved node $RESV_MAC got $ip3, reserved $RESV_IP"
lease_active "$RESV_MAC" "$RESV_IP" || fail "starve: server does not list $RESV_MAC $RESV_IP"
snap st2
compare st1 st2
[ "$(delta 'drops_total{reason="dhcp_global_cap"}')" -ge 1 ] || fail "starve: the refused client was not counted as global_cap"
log "FIGURE starvation: $sdisc random MACs -> $soff offers/$sack leases (max_dynamic $MAX_DYN incl. $dyn_before existing), $gcap dropped dhcp_global_cap, pool_exhausted $exh; new client refused, reserved $RESV_MAC -> $RESV_IP"
# ... and the client holding a lease keeps it (legit_check asserts the same address).
legit_check "after starvation"
log "total $((SECONDS - T0)) s after lab up"
pass
