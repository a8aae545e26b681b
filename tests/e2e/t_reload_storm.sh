#!/usr/bin/env bash
# Config reload storm under load: a new config every 100 ms for ~20 s (the
# YAML rewritten by rename, then SIGHUP to control: control/daemon/serve.c reloads on
# SIGHUP and on an inotify change of the file), while real clients run:
#   bs-c1  tftp-hpa, 3 MiB at 512-byte blocks, in a loop (sha256 each time)
#   bs-c2  curl tftp:// --tftp-blksize 1468, 4 MiB, in a loop (sha256)
#   bs-c3  busybox udhcpc, a full DORA in a loop
# Each generation K sets a matching pair in one snapshot: the subnet's domain
# "gK.lab.example" (option 15) and lease_time 600+K s (option 51), and flips
# tftp max_blksize/max_windowsize.  A torn or mixed snapshot would hand a
# client a domain and a lease time of different generations; a stale one
# would make the (sequential) DHCP client see K go backwards.
# Twice in the middle a broken file is published (a YAML syntax error, then a
# bad value): control must refuse it with file:line:col and keep the previous
# generation serving (clients in that window see the last good K).
# Passes when no transfer and no lease failed, every lease is consistent and
# in order, every good reload was published once, both broken files were
# refused, and the dataplane refused no snapshot and dropped nothing for lack
# of config.  Figures are printed as "FIGURE ..." lines.
source "$(dirname "$0")/lib.sh"
need_cmd tftp tftp-hpa
need_cmd busybox busybox
need_cmd curl curl
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: reload is bootstorm's (BS_SERVER=$BS_SERVER)"
e2e_init --clients 3 --vms 0
STORM_MS=100 STORM_N=200 BROKEN_AT=(70 140) BROKEN_HOLD=0.6
t=$WORK/tftp
head -c $((3 << 20)) /dev/urandom >"$t/f3m"
head -c $((4 << 20)) /dev/urandom >"$t/f4m"
write_config
cp "$CONF" "$WORK/base.yaml"
grep -q '^  lease_time: ' "$WORK/base.yaml" && grep -q '^      domain: lab.example$' "$WORK/base.yaml" &&
	grep -q '^  max_blksize: 1468$' "$WORK/base.yaml" || fail "base config lacks the keys the storm rewrites"

# Generation K of the config, written next to it and renamed over it (the
# reader never sees a half-written file; the rename is what editors do).
gen_config() { # K [broken: syntax|value]
	local k=$1 bs=1468 ws=16
	[ $((k % 2)) = 0 ] || { bs=1200; ws=8; }
	sed -e "s/^  lease_time: .*/  lease_time: $((600 + k))s/" -e "s/^      domain: lab.example\$/      domain: g$k.lab.example/" \
		-e "s/^  max_blksize: 1468\$/  max_blksize: $bs/" -e "s/^  max_windowsize: 16\$/  max_windowsize: $ws/" \
		"$WORK/base.yaml" >"$CONF.tmp"
	case ${2:-} in
	syntax) sed -i 's/^      dns: \[10.77.0.1\]$/      dns: [10.77.0.1/' "$CONF.tmp" ;;
	value) sed -i 's/^  lease_time: .*/  lease_time: banana/' "$CONF.tmp" ;;
	esac
	mv -f "$CONF.tmp" "$CONF"
}
gen_config 0
server_start
client_static 1 >/dev/null
client_static 2 >/dev/null

status_field() { in_srv curl -sf -m 5 "$HTTP/api/status" | python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
metric() { in_srv curl -sf -m 5 "$HTTP/metrics" | awk -v k="bootstorm_$1" '$1 == k { print $2 + 0; f = 1 } END { if (!f) print -1 }'; }
in_srv curl -sf -m 5 "$HTTP/metrics" >"$WORK/m0.prom" || fail "GET /metrics"
# `bootstorm serve` detaches: the process to signal is the one the API names.
CTL=$(status_field control_pid)
kill -0 "$CTL" 2>/dev/null || fail "control pid '$CTL' from /api/status is not running"
reloads0=$(status_field reloads) fails0=$(status_field reload_failures) gen0=$(status_field config_gen)

# ---- client loops: each runs until $WORK/stop exists (and at most 60 s)
cat >"$WORK/udhcpc-script" <<SCRIPT
#!/bin/sh
[ "\$1" = bound ] && echo "\$(date +%s.%N) \${ip:-} \${lease:-} \${domain:-}" >>"$WORK/leases.log"
exit 0
SCRIPT
chmod +x "$WORK/udhcpc-script"
cat >"$WORK/loop.sh" <<'LOOP'
#!/bin/bash
# loop.sh KIND WORK: one client in a loop, one "ok"/"FAIL" line per try
kind=$1 W=$2 end=$((SECONDS + 60)) i=0
while [ ! -e "$W/stop" ] && [ $SECONDS -lt $end ]; do
	i=$((i + 1)) s=$(date +%s.%N)
	case $kind in
	tftp-hpa)
		rm -f "$W/dl.hpa"
		if timeout 30 tftp -m binary 10.77.0.1 -c get f3m "$W/dl.hpa" 2>>"$W/loop.tftp-hpa.err" &&
			[ "$(sha256sum <"$W/dl.hpa")" = "$(cat "$W/f3m.sum")" ]; then r=ok; else r=FAIL; fi ;;
	curl)
		rm -f "$W/dl.curl"
		if curl -sS --max-time 30 --tftp-blksize 1468 -o "$W/dl.curl" tftp://10.77.0.1/f4m 2>>"$W/loop.curl.err" &&
			[ "$(sha256sum <"$W/dl.curl")" = "$(cat "$W/f4m.sum")" ]; then r=ok; else r=FAIL; fi ;;
	udhcpc)
		if timeout 20 busybox udhcpc -i cl0 -f -q -n -t 5 -T 1 -A 1 -s "$W/udhcpc-script" >>"$W/loop.udhcpc.err" 2>&1
		then r=ok; else r=FAIL; fi ;;
	esac
	echo "$r $i $s $(date +%s.%N)"
done
LOOP
chmod +x "$WORK/loop.sh"
sha256sum <"$t/f3m" >"$WORK/f3m.sum"
sha256sum <"$t/f4m" >"$WORK/f4m.sum"
spawn "$WORK/loop.tftp-hpa.log" ip netns exec bs-c1 "$WORK/loop.sh" tftp-hpa "$WORK"
spawn "$WORK/loop.curl.log" ip netns exec bs-c2 "$WORK/loop.sh" curl "$WORK"
spawn "$WORK/loop.udhcpc.log" ip netns exec bs-c3 "$WORK/loop.sh" udhcpc "$WORK"
sleep 1

# ---- the storm
log "storm: $STORM_N configs, one every $STORM_MS ms, broken at ${BROKEN_AT[*]}"
good=0 last_good=0 windows=()
T_STORM=$(date +%s.%N)
for ((k = 1; k <= STORM_N; k++)); do
	kind=
	[ "$k" = "${BROKEN_AT[0]}" ] && kind=syntax
	[ "$k" = "${BROKEN_AT[1]}" ] && kind=value
	if [ -n "$kind" ]; then
		# let the file watch's debounced reload of the last good file (200 ms
		# after the last write) land first: it is a good reload, not ours
		sleep 0.4
		g_before=$(status_field config_gen)
		w0=$(date +%s.%N)
		gen_config "$k" "$kind"
		cp "$CONF" "$WORK/broken-$kind.yaml"
		kill -HUP "$CTL"
		sleep "$BROKEN_HOLD"
		g_after=$(status_field config_gen)
		windows+=("$w0 $(date +%s.%N) $last_good")
		[ "$g_after" = "$g_before" ] || fail "broken file ($kind) changed the published generation $g_before -> $g_after"
		log "broken file ($kind) at step $k: generation $g_after kept for ${BROKEN_HOLD}s"
		continue
	fi
	gen_config "$k"
	kill -HUP "$CTL" || fail "control (pid $CTL) is gone"
	good=$((good + 1)) last_good=$k
	sleep "0.$STORM_MS"
done
T_END=$(date +%s.%N)
sleep 1 # the file watch reloads once more after the last write settles
touch "$WORK/stop"
log "storm done: $good good configs published by SIGHUP in $(python3 -c "print(round($T_END - $T_STORM, 1))") s; waiting for the client loops"
for p in "${E2E_PIDS[@]: -3}"; do
	for ((i = 0; i < 400; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && fail "a client loop did not finish 40 s after the storm"
done

# ---- clients: nothing failed, and every lease came from one whole snapshot
for kind in tftp-hpa curl udhcpc; do
	n=$(grep -c '^ok ' "$WORK/loop.$kind.log") nf=$(grep -c '^FAIL ' "$WORK/loop.$kind.log")
	[ "$nf" = 0 ] || fail "$kind: $nf of $((n + nf)) tries failed during the storm: $(tail -5 "$WORK/loop.$kind.err" 2>/dev/null)"
	[ "$n" -ge 3 ] || fail "$kind: only $n tries in the storm"
	eval "n_$(echo $kind | tr -d -)=$n"
done
[ -s "$WORK/leases.log" ] || fail "udhcpc recorded no lease"
python3 - "$WORK/leases.log" "$last_good" "${windows[@]}" <<'PY' || fail "lease consistency (above)"
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
last_good = int(sys.argv[2])
wins = [tuple(float(x) for x in w.split()) for w in sys.argv[3:]]
prev, errs, in_win = -1, [], 0
for ts, ip, lease, dom in ((float(r[0]), r[1], int(r[2]), r[3]) for r in rows):
    if dom == "lab.example":
        k = 0
    elif dom.startswith("g") and dom.endswith(".lab.example"):
        k = int(dom[1:-len(".lab.example")])
    else:
        errs.append("unexpected domain %s" % dom); continue
    if lease != 600 + k:
        errs.append("torn: domain g%d with lease %d (expected %d) at %.3f" % (k, lease, 600 + k, ts))
    if k < prev:
        errs.append("stale: generation K=%d after K=%d at %.3f" % (k, prev, ts))
    for w0, w1, good in wins:
        # a lease bound inside a broken window (after the last good reload
        # had time to land) carries the last good generation, not later
        if w0 + 0.2 < ts < w1:
            in_win += 1
            if k != good:
                errs.append("broken window: K=%d, last good %d" % (k, good))
    prev = max(prev, k)
if prev != last_good and prev < last_good - 5:
    errs.append("clients never saw the end of the storm: last K %d of %d" % (prev, last_good))
for e in errs[:10]:
    print("  " + e)
print("leases %d, K from %s to %d, %d inside broken windows" % (len(rows), rows[0][3], prev, in_win))
sys.exit(1 if errs else 0)
PY

# ---- control: every good reload published once, both broken files refused
reloads=$(($(status_field reloads) - reloads0)) fails=$(($(status_field reload_failures) - fails0))
gens=$(($(status_field config_gen) - gen0))
sighup_reloads=$(grep -c 'reloading .*(SIGHUP)' "$WORK/control.log")
log "control: $reloads reloads ($sighup_reloads by SIGHUP), $fails refused, generation +$gens"
[ "$gens" = "$reloads" ] || fail "generation moved $gens for $reloads successful reloads"
[ "$reloads" -ge $((good * 9 / 10)) ] || fail "only $reloads reloads for $good good configs sent"
[ "$fails" -ge 2 ] && [ "$fails" -le 4 ] || fail "$fails reloads refused, expected 2 broken files (SIGHUP + file watch each: 2..4)"
grep -q 'publishing generation' "$WORK/control.log" && fail "a publication failed: $(grep 'publishing generation' "$WORK/control.log" | head -3)"
for kind in syntax value; do
	case $kind in
	syntax) line=$(grep -n '^      dns: \[10.77.0.1$' "$WORK/broken-syntax.yaml" | cut -d: -f1) ;;
	value) line=$(grep -n '^  lease_time: banana$' "$WORK/broken-value.yaml" | cut -d: -f1) ;;
	esac
	[ -n "$line" ] || fail "broken-$kind.yaml lacks its error line"
	# libyaml reports an unclosed flow sequence where it gives up: a later line
	if [ $kind = value ]; then
		grep -qE "bootstorm.config: $CONF:$line:[0-9]+: " "$WORK/control.log" ||
			fail "no '$CONF:$line:COL:' error for the bad value: $(grep -E 'ERR' "$WORK/control.log" | tail -5)"
	else
		grep -qE "bootstorm.config: $CONF:[0-9]+:[0-9]+: " "$WORK/control.log" ||
			fail "no '$CONF:LINE:COL:' error for the YAML syntax error: $(grep -E 'ERR' "$WORK/control.log" | tail -5)"
	fi
done
[ "$(grep -c 'rejected (.* errors); generation .* stays published' "$WORK/control.log")" = "$fails" ] ||
	fail "refusals logged $(grep -c 'stays published' "$WORK/control.log") times, counted $fails"
grep -E "bootstorm.config: $CONF:[0-9]+:[0-9]+: " "$WORK/control.log" | sed 's/^[^ ]* //' | sort | uniq -c | sed 's/^/  /'

# ---- dataplane: alive, no snapshot refused, nothing dropped for lack of config
kill -0 "$DP_PID" 2>/dev/null || fail "dataplane died"
[ "$(metric dataplane_up)" = 1 ] || fail "dataplane not up"
grep -iE 'refus|reject|corrupt|torn' "$WORK/dp.log" && fail "the dataplane refused a snapshot (above)"
in_srv curl -sf -m 5 "$HTTP/metrics" >"$WORK/m1.prom" || fail "GET /metrics"
python3 - "$WORK/m0.prom" "$WORK/m1.prom" <<'PY' || fail "dataplane counters (above)"
import re, sys
def rd(p):
    d = {}
    for l in open(p):
        m = re.match(r'^bootstorm_(\S+) (\S+)$', l.strip())
        if m: d[m.group(1)] = float(m.group(2))
    return d
a, b = rd(sys.argv[1]), rd(sys.argv[2])
dl = lambda k: int(b.get(k, 0) - a.get(k, 0))
bad = {k: dl(k) for k in ('drops_total{reason="no_config"}', 'drops_total{reason="dhcp_no_config"}',
                          'drops_total{reason="tftp_no_root"}', 'tftp_xfer_failed_total',
                          'tftp_xfer_timeout_total', 'drops_total{reason="hold_timeout"}') if dl(k)}
for k, v in bad.items(): print("  %s moved %d" % (k, v))
drops = {k[len('drops_total{reason="'):-2]: dl(k) for k in b if k.startswith('drops_total') and dl(k)}
print("xfers done %d, dhcp acks %d, drops %s" % (dl('tftp_xfer_done_total'), dl('dhcp_tx_ack_total'), drops or "none"))
sys.exit(1 if bad else 0)
PY

# ---- the last good generation is what a fresh client gets now
rm -f "$WORK/leases.log"
timeout 20 ip netns exec bs-c3 busybox udhcpc -i cl0 -f -q -n -t 5 -T 1 -A 1 -s "$WORK/udhcpc-script" >/dev/null 2>&1 ||
	fail "udhcpc after the storm got no lease"
read -r _ _ lease dom <"$WORK/leases.log"
[ "$dom" = "g$last_good.lab.example" ] && [ "$lease" = $((600 + last_good)) ] ||
	fail "after the storm a lease carries $dom/$lease, the last good config is g$last_good/$((600 + last_good))"
log "FIGURE reload-storm: $good configs + ${#BROKEN_AT[@]} broken in $(python3 -c "print(round($T_END - $T_STORM, 1))") s -> $reloads reloads published (generation +$gens), $fails refusals; clients meanwhile: tftp-hpa 3 MiB x $n_tftphpa, curl 4 MiB x $n_curl, udhcpc DORA x $n_udhcpc, 0 failures"
pass
