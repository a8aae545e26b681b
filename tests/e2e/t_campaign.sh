#!/usr/bin/env bash
# A daemon-hosted reimage campaign (`bootstorm reimage --power`) over 4
# OpenIPMI ipmi_sim BMCs, one per node, run in the server namespace.  Each
# BMC's chassis hook plays its machine: powered on with next boot PXE, the
# node "boots" in its client namespace (cl0 gets the node's MAC): busybox
# udhcpc leases from the dataplane, curl fetches the node's kickstart and
# POSTs done (retrying while control is down, as installers do).  vm04's
# installer hangs until the test lets it finish.
# Checks: each BMC told bootdev pxe before power; vm01-03 done and local;
# control kill -9'd mid-campaign and restarted resumes the campaign from
# <state_dir>/campaigns/c1 and finishes it; vm04 failed "install timeout at
# stage kickstart", listed by `summary` with its console tail; retry-failed
# re-queues it, its installer finishes but its system never listens:
# failed "verify timeout" (power.verify: tcp:2222 probed by control after
# done; vm01-03's systems listen in their namespaces, so their done proves
# the probe); retried once more it comes back and is done; never more than
# max_in_flight (2) nodes between power-on and their DHCP (from the BMC
# hook's log).
#   BS_BUILD=$PWD/build bash tests/e2e/t_campaign.sh
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bmc_lib.sh"

need_cmd ipmi_sim openipmi
need_cmd ipmitool ipmitool
need_cmd busybox busybox
e2e_init --clients 4 --vms 0
write_config
BMC_DIR=$WORK/bmc
mkdir -p "$BMC_DIR" "$WORK/state/console"
PORT0=$((21000 + $$ % 5000))
N=4

# ---- inventory: vm01-vm04, each with its own BMC on the server's loopback
sed -i '/^nodes:/,$d' "$CONF"
{
	echo "power: {credentials_file: $WORK/creds, timeout: 8s, retries: 1, ipmi_cipher_suite: 3, verify: \"tcp:2222\", verify_deadline: 10s}"
	echo "nodes:"
	for i in $(seq 1 $N); do
		echo "  - {name: $(vm_name "$i"), mac: \"$(vm_mac "$i")\", ip: $(vm_ip "$i"), profile: lab, bmc: \"ipmi://127.0.0.1:$((PORT0 + i))\"}"
	done
} >>"$CONF"
printf '127.0.0.1 bsadmin s3cr3t-pw\n' >"$WORK/creds"
chmod 600 "$WORK/creds"

# ---- the machines
cat >"$WORK/udhcpc.script" <<'S'
#!/bin/sh
case "$1" in
deconfig) ip addr flush dev "$interface" ;;
bound|renew) ip addr replace "$ip/${mask:-24}" dev "$interface" ;;
esac
exit 0
S
# boot-node.sh N: what machine N does once powered with next boot PXE.
cat >"$WORK/boot-node.sh" <<S
#!/bin/bash
n=\$1 name=vm0\$1 ns=bs-c\$1 con=$WORK/state/console/vm0\$1.log
echo "[\$(date +%T)] firmware: power-on self test" >>"\$con"
sleep 2 # firmware POST: the next node is powered meanwhile (pacing gets exercised)
echo "dhcp \$n" >>"$WORK/pace.log"
echo "[\$(date +%T)] PXE: DHCP on \$(ip netns exec \$ns cat /sys/class/net/cl0/address)" >>"\$con"
ip netns exec \$ns ip addr flush dev cl0
timeout 30 ip netns exec \$ns busybox udhcpc -i cl0 -q -n -f -t 10 -T 1 -s $WORK/udhcpc.script >>"\$con" 2>&1 ||
	{ echo "no lease" >>"\$con"; exit 0; }
C="ip netns exec \$ns curl -sS -m 5 --retry 40 --retry-delay 1 --retry-all-errors"
\$C -o /dev/null "http://$SERVER_IP/ks/\$name" >>"\$con" 2>&1 && echo "installer: kickstart fetched" >>"\$con"
if [ "\$n" = 4 ] && [ ! -e $WORK/fix4 ]; then
	echo "installer: waiting for the package mirror (hung)" >>"\$con"
	exit 0
fi
sleep 1
\$C -X POST -o /dev/null "http://$SERVER_IP/api/nodes/\$name/done" && echo "installer: done" >>"\$con"
if [ "\$n" = 4 ] && [ ! -e $WORK/fix4b ]; then
	echo "system: sshd does not start" >>"\$con"
	exit 0
fi
# the installed system: something listens on the verify port (bounded)
echo "system: up, listening on 2222" >>"\$con"
exec timeout 150 ip netns exec \$ns python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 2222)); s.listen(16)
while True: s.accept()[0].close()'
S
# node-hook.sh N STATE ARGS: the BMC's chassis hook, then the machine.
cat >"$WORK/node-hook.sh" <<S
#!/bin/bash
n=\$1; shift
$BMC_DATA/chassis-hook.sh "\$@"; rc=\$?
if [ "\$2" = set ] && [[ " \$* " == *" power 1"* ]] && grep -q '^boot pxe' "\$1"; then
	echo "on \$n" >>"$WORK/pace.log"
	setsid bash $WORK/boot-node.sh \$n </dev/null >/dev/null 2>&1 &
fi
exit \$rc
S
chmod +x "$WORK/udhcpc.script" "$WORK/boot-node.sh" "$WORK/node-hook.sh"
for i in $(seq 1 $N); do
	in_client "$i" ip link set cl0 address "$(vm_mac "$i")"
	bmc_sim_conf "$i" $((PORT0 + i)) "$WORK/bmc$i" "$WORK/node-hook.sh $i $WORK/bmc$i"
	# shellcheck disable=SC2046
	spawn "$BMC_DIR/sim$i.log" in_srv $(bmc_sim_cmd "$i")
done
sleep 1
in_srv ipmitool -I lanplus -C 3 -H 127.0.0.1 -p $((PORT0 + 1)) -U bsadmin -P s3cr3t-pw chassis power status |
	grep -q 'Chassis Power is off' || fail "ipmitool cannot reach ipmi_sim BMC 1: $(cat "$BMC_DIR/sim1.log")"
server_start

capi() { in_srv curl -s -m 5 "http://127.0.0.1/api/campaigns/$1"; }
cfield() { # campaign-id python-expression-on-j
	capi "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null
}
wait_for() { # timeout cmd...: polls cmd until it succeeds
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}
ndone() { [ "$(cfield c1 "j['stages']['done']")" -ge "$1" ] 2>/dev/null; }
finished() { [ "$(cfield c1 "j['finished']")" = True ]; }
node_stage() { cfield c1 "[n for n in j['nodes'] if n['name']=='$1'][0]['stage']"; }

# ---- the campaign
out=$(bs reimage 'vm[01-04]' --profile lab --power --max-in-flight 2 --rate 1 \
	--dhcp-deadline 25 --install-deadline 12 --max-repower 1) || fail "reimage --power: $out"
log "$out"
echo "$out" | grep -q '^campaign c1 created (4 nodes)' || fail "no campaign c1: $out"
[ -s "$WORK/state/campaigns/c1" ] || fail "campaign not saved before it was acknowledged"
out=$(bs campaign list)
grep -q '^campaign c1 running: 4 nodes' <<<"$out" || fail "campaign list: $out"

# ---- kill -9 control mid-campaign, restart it
wait_for 60 ndone 1 || fail "no node done in 60 s: $(bs campaign status c1); $(tail -20 "$WORK/control.log")"
finished && fail "campaign finished before the kill (vm04 should still be installing)"
log "kill -9 control (pid $CTL_PID) at: $(bs campaign list)"
kill -9 "$CTL_PID"
wait "$CTL_PID" 2>/dev/null
sleep 2
spawn "$WORK/control2.log" ip netns exec "$SRV" "$BS_BIN" serve -c "$CONF" --foreground
CTL_PID=$LAST_PID
wait_http "$HTTP/" 30 || fail "control did not come back: $(tail -5 "$WORK/control2.log")"
grep -q 'c1 resumed: 4 nodes' "$WORK/control2.log" || fail "campaign not resumed: $(cat "$WORK/control2.log")"
wait_for 90 finished || fail "campaign not finished after the restart: $(bs campaign status c1)"
bs campaign status c1
for i in 1 2 3; do
	[ "$(node_stage "$(vm_name "$i")")" = done ] || fail "$(vm_name "$i") not done: $(bs campaign status c1)"
	head -1 "$WORK/bmc$i.log" | grep -q 'boot pxe' || fail "bmc$i: first op not bootdev pxe: $(cat "$WORK/bmc$i.log")"
done
notlocal=$(bs nodes | awk '$1 ~ /^vm0[123]$/ && $5 != "local"')
[ -z "$notlocal" ] || fail "vm01-03 not local: $(bs nodes)"
reason=$(cfield c1 "[n for n in j['nodes'] if n['name']=='vm04'][0]['reason']")
[[ $reason == "install timeout at stage kickstart"* ]] || fail "vm04's reason: '$reason'"
log "vm04 failed: $reason"

# ---- summary: the failed node, its reason, its console tail
sum=$(bs summary)
echo "$sum" | sed -n '/campaign c1/,$p'
echo "$sum" | grep -q 'FAILED vm04 (attempt 1): install timeout at stage kickstart' || fail "summary lacks vm04"
echo "$sum" | grep -q '| installer: waiting for the package mirror (hung)' || fail "summary lacks vm04's console"

# ---- retry-failed: installed, but its system does not come back
touch "$WORK/fix4"
out=$(bs campaign retry-failed c1)
grep -q 'c1: 1 failed nodes queued again' <<<"$out" || fail "retry-failed: $out"
wait_for 60 finished || fail "retried campaign not finished: $(bs campaign status c1)"
reason=$(cfield c1 "[n for n in j['nodes'] if n['name']=='vm04'][0]['reason']")
[[ $reason == "verify timeout"* ]] || fail "vm04 after retry: '$reason' ($(bs campaign status c1))"
log "vm04 failed: $reason"
# ---- retry-failed again: it comes back
touch "$WORK/fix4b"
out=$(bs campaign retry-failed c1)
grep -q 'c1: 1 failed nodes queued again' <<<"$out" || fail "retry-failed: $out"
wait_for 60 finished || fail "retried campaign not finished: $(bs campaign status c1)"
[ "$(node_stage vm04)" = done ] || fail "vm04 not done after retry: $(bs campaign status c1)"
[ "$(cfield c1 "j['stages']['done']")" = 4 ] || fail "not 4 done: $(bs campaign status c1)"
bs campaign status c1
# (output captured first: grep -q ending a pipe early is a SIGPIPE under pipefail)
out=$(timeout 10 ip netns exec "$SRV" "$BS_BIN" campaign watch c1 -c "$CONF")
grep -q '^campaign c1 finished: 4 nodes: 4 done' <<<"$out" || fail "campaign watch: $out"
out=$(timeout 10 ip netns exec "$SRV" "$BS_BIN" watch --frames 1 -c "$CONF")
grep -q 'campaign c1 finished: 4 nodes: 4 done' <<<"$out" || fail "watch lacks the campaign line: $out"

# ---- admin only (issue 15's rule): a node's own address may not list or create
code=$(in_client 1 curl -s -o /dev/null -w '%{http_code}' -m 5 "$HTTP/api/campaigns")
[ "$code" = 401 ] || fail "GET /api/campaigns from a node: HTTP $code, want 401"
code=$(in_client 1 curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST "$HTTP/api/campaigns?nodes=vm01&power=0")
[ "$code" = 401 ] || fail "POST /api/campaigns from a node: HTTP $code, want 401"
[ ! -e "$WORK/state/campaigns/c2" ] || fail "a refused create left a campaign"

# ---- pacing: powered (hook saw power 1) until the node's DHCP begins
max=$(awk '$1=="on"{f[$2]=1} $1=="dhcp"{delete f[$2]} {c=0; for(k in f)c++; if(c>m)m=c} END{print m+0}' "$WORK/pace.log")
log "power-ons: $(grep -c '^on' "$WORK/pace.log"), most nodes powering at once: $max (max_in_flight 2)"
[ "$max" -le 2 ] || fail "pacing: $max nodes powering at once: $(cat "$WORK/pace.log")"
[ "$max" -ge 1 ] || fail "no power-on seen by any BMC"
pass
