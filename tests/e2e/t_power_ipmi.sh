#!/usr/bin/env bash
# Power through a real IPMI 2.0 LAN BMC: OpenIPMI's ipmi_sim on loopback
# (tests/data/power: lan.conf, emu, a chassis hook that records power and
# boot device in a state file).  First ipmitool (lanplus) as the client, to
# show the BMC itself behaves; then `bootstorm power`: status, on, off,
# cycle, pxe (next boot once), boot; a world-readable credentials file and
# a wrong password refused.  Loopback only, no namespace, no VM.
#   flock /tmp/bootstorm-e2e.lock env BS_BUILD=build bash tests/e2e/t_power_ipmi.sh
source "$(dirname "$0")/lib.sh"

need_cmd ipmi_sim openipmi
need_cmd ipmitool ipmitool
BS=$BS_BUILD/control/bootstorm
[ -x "$BS" ] || fail "no $BS (build first, or set BS_BUILD)"
DATA=$ROOT/tests/data/power
T=$(mktemp -d /tmp/bs-power-e2e.XXXXXX)
PORT=$((20000 + $$ % 10000))
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

sed "s|@DIR@|$DATA|; s|@PORT@|$PORT|; s|@STATE@|$T/state|" "$DATA/lan.conf.in" >"$T/lan.conf"
mkdir "$T/sim"
ipmi_sim -c "$T/lan.conf" -f "$DATA/bmc.emu" -s "$T/sim" -n >"$T/sim.log" 2>&1 &
SIM_PID=$!

IT=(ipmitool -I lanplus -H 127.0.0.1 -p "$PORT" -U bsadmin -P s3cr3t-pw -N 1 -R 1 -C 3)
up=
for _ in $(seq 50); do
	timeout 5 "${IT[@]}" chassis power status >/dev/null 2>&1 && { up=1; break; }
	sleep 0.2
done
[ -n "$up" ] || { cat "$T/sim.log"; fail "ipmi_sim did not answer on 127.0.0.1:$PORT"; }
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
pass
