#!/usr/bin/env bash
# Power through a Redfish BMC: tests/data/power/redfish_mock.py (HTTPS on
# loopback, a self-signed certificate made here) driven by `bootstorm
# power`: status, on, pxe (BootSourceOverrideTarget Pxe, Enabled Once),
# cycle (ForceRestart), off; the certificate checked against
# power.redfish_ca_file (refused without it); a BMC busy for 2 requests
# (503) retried; a wrong password (401) refused and not retried.
# Before bootstorm uses it, the mock itself is checked against Debian's real
# Redfish clients: redfishtool (service root, Systems, reset, boot override,
# Basic and Session auth) and python3-sushy (session login, get_system,
# reset_system, set_system_boot_options); the mock of the last session
# failed both (no service root: 401 on /redfish/v1).  Loopback only.
#   flock /tmp/bootstorm-e2e.lock env BS_BUILD=build bash tests/e2e/t_power_redfish.sh
source "$(dirname "$0")/lib.sh"

need_cmd openssl openssl
need_cmd python3 python3
BS=$BS_BUILD/control/bootstorm
[ -x "$BS" ] || fail "no $BS (build first, or set BS_BUILD)"
DATA=$ROOT/tests/data/power
T=$(mktemp -d /tmp/bs-redfish-e2e.XXXXXX)
PORT=$((30000 + $$ % 10000))
MOCK=
cleanup() {
	[ -n "$MOCK" ] && kill "$MOCK" 2>/dev/null && wait "$MOCK" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null ||
	fail "openssl req"
start_mock() { # busy-count
	[ -n "$MOCK" ] && kill "$MOCK" 2>/dev/null && wait "$MOCK" 2>/dev/null
	python3 "$DATA/redfish_mock.py" --port "$PORT" --cert "$T/cert.pem" --key "$T/key.pem" \
		--user bsadmin --password 's3cr3t pw' --state "$T/state" --busy "$1" &
	MOCK=$!
	for _ in $(seq 50); do
		curl -sk -o /dev/null "https://127.0.0.1:$PORT/redfish/v1/Systems" && return 0
		sleep 0.1
	done
	fail "mock did not start"
}
start_mock 0
st() { sed -n "s/^$1 //p" "$T/state"; }

# ---- the mock against real clients (then back to its initial state)
if command -v redfishtool >/dev/null; then
	rft() { redfishtool -r "127.0.0.1:$PORT" -S Always -u bsadmin -p 's3cr3t pw' "$@" 2>&1; }
	out=$(rft Systems) && grep -q '"@odata.id": "/redfish/v1/Systems/1"' <<<"$out" || fail "redfishtool Systems: $out"
	out=$(rft Systems -I 1 reset On) && [ "$(st power)" = On ] || fail "redfishtool reset On: $out"
	out=$(rft Systems -I 1 setBootOverride Once Pxe) && [ "$(st boot)" = "Pxe Once" ] ||
		fail "redfishtool setBootOverride: $out"
	out=$(rft -A Session Systems -I 1 -P PowerState) && grep -q '"PowerState": "On"' <<<"$out" ||
		fail "redfishtool with a session: $out"
	out=$(rft Systems -I 1 reset ForceOff) && [ "$(st power)" = Off ] || fail "redfishtool reset ForceOff: $out"
	# (redfishtool PATCHes Enabled alone for Disabled: the target is kept)
	out=$(rft Systems -I 1 setBootOverride Disabled None) && [[ "$(st boot)" == *" Disabled" ]] ||
		fail "redfishtool boot override off: $out"
	log "redfishtool: service root, Systems, reset On/ForceOff, setBootOverride, session auth ok"
else
	log "redfishtool not installed: mock NOT checked with it"
fi
if /usr/bin/python3 -c 'import sushy' 2>/dev/null; then
	# requests lets REQUESTS_CA_BUNDLE override sushy's verify=: unset here
	out=$(env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE /usr/bin/python3 - "$PORT" "$T/cert.pem" <<'P' 2>&1
import sys, sushy
s = sushy.Sushy("https://127.0.0.1:%s/redfish/v1" % sys.argv[1], username="bsadmin",
                password="s3cr3t pw", verify=sys.argv[2])
sy = s.get_system("/redfish/v1/Systems/1")
assert str(sy.power_state).lower().endswith("off"), sy.power_state
sy.reset_system(sushy.RESET_ON)
sy.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_PXE, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE)
sy.refresh()
print("sushy:", sy.power_state, sy.boot.target, sy.boot.enabled, type(s._conn._auth).__name__)
sy.reset_system(sushy.RESET_FORCE_OFF)
sy.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_NONE, enabled=sushy.BOOT_SOURCE_ENABLED_DISABLED)
P
	) || fail "sushy against the mock: $out"
	grep -q 'ON BootSource.PXE BootSourceOverrideEnabled.ONCE' <<<"$out" || fail "sushy: $out"
	[ "$(st power)" = Off ] && [ "$(st boot)" = "None Disabled" ] || fail "sushy: state $(cat "$T/state")"
	log "$out"
else
	log "python3-sushy not installed: mock NOT checked with it"
fi

conf() { # extra power keys
	cat >"$T/bs.yaml" <<EOC
server: {ip: 10.1.0.1/16, state_dir: $T/bs}
power: {credentials_file: creds, timeout: 5s, retries: 2$1}
nodes:
  - {name: r1, mac: "52:54:00:00:00:01", bmc: "redfish://127.0.0.1:$PORT"}
  - {name: r2, mac: "52:54:00:00:00:02", bmc: "redfish://localhost:$PORT/1"}
EOC
}
printf '127.0.0.1 bsadmin s3cr3t pw\nlocalhost bsadmin wrong\n' >"$T/creds"
chmod 600 "$T/creds"
bsp() { "$BS" power -c "$T/bs.yaml" "$@"; }

# Without the CA: the self-signed certificate is refused.
conf ""
out=$(bsp r1 status); rc=$?
[ $rc -eq 1 ] && [[ $out == *"certificate"*"(1 try)" ]] || fail "unverified TLS accepted: rc=$rc $out"
log "no CA: $out"

conf ", redfish_ca_file: cert.pem"
[ "$(bsp r1 status)" = "r1: off" ] || fail "status"
[ "$(bsp r1 on)" = "r1: ok" ] && [ "$(st power)" = On ] || fail "on"
[ "$(bsp r1 pxe)" = "r1: ok" ] && [ "$(st boot)" = "Pxe Once" ] || fail "pxe: $(st boot)"
[ "$(bsp r1 cycle)" = "r1: ok" ] && [ "$(st resets)" = 1 ] || fail "cycle"
[ "$(bsp r1 off)" = "r1: ok" ] && [ "$(st power)" = Off ] || fail "off"
[ "$(bsp r1 boot)" = "r1: ok (was off: powered on)" ] || fail "boot"
log "redfish: status/on/pxe/cycle/off/boot ok"

out=$(bsp r2 status); rc=$?
[ $rc -eq 1 ] && [[ $out == *"HTTP 401 (1 try)"* ]] || fail "wrong password: rc=$rc $out"
[[ $out != *wrong* && $out != *s3cr3t* ]] || fail "a password in the output"
log "wrong password: $out"

start_mock 2
out=$(bsp r1 status); rc=$?
[ $rc -eq 0 ] && [ "$out" = "r1: off" ] || fail "503 twice then ok: rc=$rc $out"
log "busy BMC (503 x2): retried, $out"
pass
