#!/usr/bin/env bash
# Power through a real IPMI 2.0 LAN BMC: OpenIPMI's ipmi_sim on loopback
# (tests/data/power: lan.conf, emu, a chassis hook that records power and
# boot device in a state file).  First ipmitool (lanplus) as the client, to
# show the BMC itself behaves; then `bootstorm power`: status, on, off,
# cycle, pxe (next boot once), boot; a world-readable credentials file and
# a wrong password refused.  Then console capture (control/power/sol.c via
# tests/unit/power/sol_drive, the real ipmitool) against BMCs that refuse
# SOL: this one has none ("Invalid command"), a second ipmi_sim has SOL,
# captured until `sol set enabled false` ("SOL payload disabled"); each
# refusal is tried once, logged with its reason, never again.  Loopback
# only, no namespace, no VM.
#   flock /tmp/bootstorm-e2e.lock env BS_BUILD=build bash tests/e2e/t_power_ipmi.sh
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bmc_lib.sh"

need_cmd ipmi_sim openipmi
need_cmd ipmitool ipmitool
BS=$BS_BUILD/control/bootstorm
[ -x "$BS" ] || fail "no $BS (build first, or set BS_BUILD)"
T=$(mktemp -d /tmp/bs-power-e2e.XXXXXX)
PORT=$((20000 + $$ % 10000))
SIM_PIDS=()
cleanup() {
	local p
	for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

BMC_DIR=$T
sim_up() { # N PORT: starts BMC N ($T/lanN.conf), waits for ipmitool to get an answer
	local it=(ipmitool -I lanplus -H 127.0.0.1 -p "$2" -U bsadmin -P s3cr3t-pw -N 1 -R 1 -C 3)
	$(bmc_sim_cmd "$1") >"$T/sim$1.log" 2>&1 &
	SIM_PIDS+=($!)
	for _ in $(seq 50); do
		timeout 5 "${it[@]}" chassis power status >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	cat "$T/sim$1.log"
	fail "ipmi_sim $1 did not answer on 127.0.0.1:$2"
}
bmc_sim_conf 1 "$PORT" "$T/state"
sim_up 1 "$PORT"
IT=(ipmitool -I lanplus -H 127.0.0.1 -p "$PORT" -U bsadmin -P s3cr3t-pw -N 1 -R 1 -C 3)
log "ipmi_sim up on 127.0.0.1:$PORT"

st() { sed -n "s/^$1 //p" "$T/state"; }
wait_power() { # want: the hook's power value, within 10 s
	for _ in $(seq 50); do [ "$(st power)" = "$1" ] && return 0; sleep 0.2; done
	fail "power stayed '$(st power)', wanted $1"
}

# 1. The BMC itself, with ipmitool.
"${IT[@]}" chassis power on 2>/dev/null | grep -q "Up/On" || fail "ipmitool: power on"
wait_power 1
"${IT[@]}" chassis power status 2>/dev/null | grep -q "Power is on" || fail "ipmitool: status"
"${IT[@]}" chassis bootdev pxe 2>/dev/null | grep -q "pxe" || fail "ipmitool: bootdev"
[ "$(st boot)" = pxe ] || fail "ipmitool: boot device '$(st boot)'"
"${IT[@]}" chassis power off 2>/dev/null | grep -q "Down/Off" || fail "ipmitool: power off"
wait_power 0
printf 'power 0\nboot default\nresets 0\n' >"$T/state"
log "ipmitool: on/status/bootdev pxe/off ok"

# 2. bootstorm power.
cat >"$T/bs.yaml" <<EOC
server: {ip: 10.1.0.1/16, state_dir: $T/bs-state}
power: {credentials_file: creds, timeout: 8s, retries: 1, ipmi_cipher_suite: 3}
nodes:
  - {name: n1, mac: "52:54:00:00:00:01", bmc: "ipmi://127.0.0.1:$PORT"}
  - {name: n2, mac: "52:54:00:00:00:02", bmc: "ipmi://localhost:$PORT"}
EOC
printf '# host user password\n127.0.0.1 bsadmin s3cr3t-pw\nlocalhost bsadmin wrong-pw\n' >"$T/creds"
chmod 644 "$T/creds"
out=$("$BS" power -c "$T/bs.yaml" n1 status 2>&1); rc=$?
[ $rc -eq 2 ] && [[ $out == *"group or others may read it"* ]] || fail "a 0644 credentials file was used: rc=$rc $out"
chmod 600 "$T/creds"

bsp() { "$BS" power -c "$T/bs.yaml" "$@"; }
[ "$(bsp n1 status)" = "n1: off" ] || fail "status off"
[ "$(bsp n1 on)" = "n1: ok" ] || fail "on"
wait_power 1
[ "$(bsp n1 status)" = "n1: on" ] || fail "status on"
[ "$(bsp n1 pxe)" = "n1: ok" ] || fail "pxe"
[ "$(st boot)" = pxe ] || fail "pxe: boot device '$(st boot)'"
[ "$(bsp n1 cycle)" = "n1: ok" ] || fail "cycle"
wait_power 1
[ "$(bsp n1 off)" = "n1: ok" ] || fail "off"
wait_power 0
[ "$(bsp n1 boot)" = "n1: ok (was off: powered on)" ] || fail "boot from off"
wait_power 1
[ "$(bsp n1 boot)" = "n1: ok (was on: cycled)" ] || fail "boot from on"
log "bootstorm power: status/on/pxe/cycle/off/boot ok"

# A wrong password: a failure with the BMC's words, bounded in time, and
# the password in no output.
start=$SECONDS
out=$(bsp n2 status 2>&1); rc=$?
[ $rc -eq 1 ] || fail "wrong password: rc=$rc $out"
[[ $out == "n2: error: "* ]] || fail "wrong password: $out"
[[ $out != *wrong-pw* && $out != *s3cr3t* ]] || fail "a password in the output: $out"
[ $((SECONDS - start)) -le 30 ] || fail "wrong password took $((SECONDS - start)) s"
log "wrong password: $out"

# check-config refuses a BMC URL with credentials in it.
sed 's|ipmi://127.0.0.1|ipmi://bsadmin:pw@127.0.0.1|' "$T/bs.yaml" >"$T/bad.yaml"
out=$("$BS" check-config "$T/bad.yaml" 2>&1) && fail "check-config accepted user:pass@ in a bmc URL"
[[ $out == *"bad.yaml:4:"*"credentials do not belong in the URL"* ]] || fail "check-config: $out"

# 3. Console capture from BMCs that refuse SOL.  BMC 2: the same ipmi_sim
# with SOL (to a TCP port nothing serves; the session still opens).
SOLD=$BS_BUILD/tests/unit/power/sol_drive
[ -x "$SOLD" ] || fail "no $SOLD (build first)"
PORT2=$((PORT + 1))
bmc_sim_conf 2 "$PORT2" "$T/state2"
sed -i "/^  chassis_control/a\\  sol \"tcp:127.0.0.1:$((PORT + 2))\" 115200" "$T/lan2.conf"
grep -q '^  sol "tcp' "$T/lan2.conf" || fail "lan2.conf: no sol line"
sim_up 2 "$PORT2"
IT2=(ipmitool -I lanplus -H 127.0.0.1 -p "$PORT2" -U bsadmin -P s3cr3t-pw -N 1 -R 1 -C 3)
mkdir "$T/sol"
sold() { SOL_DRIVE_PW=s3cr3t-pw "$SOLD" "$T/sol" "$@"; }
# sessions in a node's log; the refusal line; no retry line
sessions() { grep -ac 'bootstorm sol: session to' "$T/sol/console/$1.log"; }
# s1 (no SOL) refused at once; s2 (SOL on) captured; 4 s: the old capture
# retried s1 at 1 s and 3 s
out=$(sold 4 bsadmin "s1:$PORT" "s2:$PORT2") || fail "sol_drive: $out"
grep -q '^s1 refused no SOL on this BMC (Invalid command)$' <<<"$out" || fail "s1 (no SOL): $out"
grep -q '^s2 running -$' <<<"$out" || fail "s2 (SOL on): $out"
grep -aq 'SOL Session operational' "$T/sol/console/s2.log" || fail "s2: no SOL session: $(cat "$T/sol/console/s2.log")"
grep -aq 'the BMC refuses SOL: no SOL on this BMC (Invalid command) (exit 1); not tried again' \
	"$T/sol/console/s1.log" || fail "s1 log: $(cat "$T/sol/console/s1.log")"
[ "$(sessions s1)" = 1 ] || fail "s1: $(sessions s1) sessions to a BMC without SOL, want 1"
log "console capture: a BMC without SOL tried once in 4 s ($(grep -a 'refuses' "$T/sol/console/s1.log" | tr -d '\r'))"
# SOL switched off on BMC 2 (Set SOL Configuration Parameters, enable = 0)
"${IT2[@]}" sol set enabled false >/dev/null 2>&1 || fail "ipmitool sol set enabled false"
"${IT2[@]}" sol info 2>/dev/null | grep -q 'Enabled *: false' || fail "BMC 2: SOL still enabled"
start=$SECONDS
out=$(sold 10 bsadmin "s3:$PORT2") || fail "sol_drive: $out"
[ "$out" = "s3 refused SOL disabled on the BMC" ] || fail "s3 (SOL disabled): $out"
[ $((SECONDS - start)) -le 8 ] || fail "the refusal took $((SECONDS - start)) s to be seen"
grep -aq 'Info: SOL payload disabled' "$T/sol/console/s3.log" || fail "s3 log: no ipmitool line"
[ "$(sessions s3)" = 1 ] || fail "s3: $(sessions s3) sessions, want 1"
! grep -aq 'again in' "$T/sol/console/s3.log" || fail "s3: a retry was scheduled"
log "console capture: SOL disabled on the BMC: one session, 'SOL disabled on the BMC'"
pass
