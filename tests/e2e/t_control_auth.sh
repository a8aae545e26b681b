#!/usr/bin/env bash
# The trust model of control's HTTP side (issue 15, items 1, 5, 9) on
# loopback, no dataplane (ctl_fake_dp plays its boot ring):
#   - a spoofed TFTP RRQ (a node's MAC, the attacker's IP) does not open
#     /ks/<node> to the attacker (403; 200 before);
#   - done/failed: GET 405; POST from a foreign address 403, with the node's
#     secret (rendered into its own kickstart) 200, from its reserved
#     address 200;
#   - admin API: 401 without the token, 200 with it; the CLI sends it;
#   - /metrics public by default;
#   - a URL path with terminal escapes is not recorded as the node's file
#     and never reaches the terminal raw.
source "$(dirname "$0")/../data/control/e2e-lib.sh"
ctl_setup

TOKEN=adm1n-$$-$RANDOM
printf '%s\n' "$TOKEN" >"$W/admin.token"
chmod 600 "$W/admin.token"
# admin only with the token, even from this host; node099 has a loopback
# reservation so that curl --interface can be "the node"
sed -i "s|^  max_connections: 4096|&\n  admin_local: false\n  admin_token_file: admin.token|" "$W/ctl.yaml"
sed -i "s|^    - subnet: 10.78.0.0/24|    - subnet: 127.0.0.0/24\n      pools: [127.0.0.100-127.0.0.199]\n&|" "$W/ctl.yaml"
cat >>"$W/ctl.yaml" <<'YAML'
  - name: node099
    mac: 52:54:00:78:00:99
    ip: 127.0.0.99
    profile: centos7
YAML
echo 'secret=${node_secret}' >>"$W/templates/centos7.ks"
"$BOOTSTORM" check-config "$W/ctl.yaml" >/dev/null || { "$BOOTSTORM" check-config "$W/ctl.yaml"; fail "test config"; }
ctl_start
A=(-H "Authorization: Bearer $TOKEN")

# --- admin API ---------------------------------------------------------------
[ "$(code "$URL/api/nodes")" = 401 ] || fail "/api/nodes without the token: want 401"
[ "$(code "$URL/api/leases")" = 401 ] || fail "/api/leases without the token: want 401"
[ "$(code "$URL/api/status")" = 401 ] || fail "/api/status without the token: want 401"
[ "$(code "$URL/api/nodes/node001")" = 401 ] || fail "/api/nodes/node001 without the token: want 401"
[ "$(code -H 'Authorization: Bearer wrong' "$URL/api/nodes")" = 401 ] || fail "wrong token: want 401"
curl -sS -D - -o /dev/null "$URL/api/nodes" | grep -qi '^WWW-Authenticate: Bearer' || fail "401 without WWW-Authenticate"
[ "$(code "${A[@]}" "$URL/api/nodes")" = 200 ] || fail "/api/nodes with the token: want 200"
[ "$(code "${A[@]}" "$URL/api/leases")" = 200 ] || fail "/api/leases with the token: want 200"
[ "$(code "$URL/metrics")" = 200 ] || fail "/metrics is public by default"
"$BOOTSTORM" status -c "$W/ctl.yaml" | grep -q "^journal .* ok" || fail "CLI status with the token from the config"
"$BOOTSTORM" nodes -c "$W/ctl.yaml" | grep -q "^node001 " || fail "CLI nodes with the token"
"$BOOTSTORM" nodes --url "$URL" >/dev/null 2>&1 && fail "CLI without the token must fail"
chmod 644 "$W/admin.token"
[ "$(code "${A[@]}" "$URL/api/nodes")" = 401 ] || fail "a world-readable token file must not be honoured"
grep -q "admin token file .* unusable" "$W/serve.log" || fail "no log line for the readable token file"
chmod 600 "$W/admin.token"
ok "admin API: 401 without/with a wrong token (WWW-Authenticate), 200 with it, CLI sends it; token file readable by others refused"

# --- done/failed -----------------------------------------------------------------
[ "$(code "$URL/api/nodes/node001/done")" = 405 ] || fail "GET done: want 405"
[ "$(code "${A[@]}" "$URL/api/nodes/node010/failed")" = 405 ] || fail "GET failed even for the admin: want 405"
[ "$(code -X POST -d '' "$URL/api/nodes/node001/done")" = 403 ] || fail "POST done from a foreign address: want 403"
grep -q "report done for node node001 from 127.0.0.1 refused" "$W/serve.log" || fail "no log line for the refused report"
[ "$(code -X POST -d '' -H 'Authorization: Bearer 00000000000000000000000000000000' "$URL/api/nodes/node001/done")" = 403 ] \
	|| fail "POST done with a wrong secret: want 403"
secret=$(curl -fsS "$URL/ks/node001?token=s3cret-token" | sed -n 's/^secret=//p')
[ "${#secret}" = 32 ] || fail "no \${node_secret} in the kickstart"
s10=$(curl -fsS "$URL/ks/node010?token=s3cret-token" | sed -n 's/^secret=//p')
[ "$s10" != "$secret" ] || fail "node secrets must differ per node"
[ "$(code -X POST -d '' -H "Authorization: Bearer $s10" "$URL/api/nodes/node001/done")" = 403 ] \
	|| fail "another node's secret: want 403"
curl -fsS -X POST -d '' -H "Authorization: Bearer $secret" "$URL/api/nodes/node001/done" | grep -q '"stage":"done"' \
	|| fail "POST done with the node's secret: want 200"
curl -fsS -X POST -d '' --interface 127.0.0.99 "$URL/api/nodes/node099/failed" | grep -q '"stage":"failed"' \
	|| fail "POST failed from the node's reserved address: want 200"
[ "$(code -X POST -d '' --interface 127.0.0.99 "$URL/api/nodes/node001/done")" = 403 ] \
	|| fail "a node reporting for another: want 403"
curl -fsS -X POST -d '' "${A[@]}" "$URL/api/nodes/node010/failed" | grep -q '"stage":"failed"' || fail "admin POST failed"
[ "$(code -X POST -d '' "$URL/api/nodes/nobody/done")" = 403 ] || fail "unknown node, no admin: want 403"
[ "$(code -X POST -d '' "${A[@]}" "$URL/api/nodes/nobody/done")" = 404 ] || fail "unknown node, admin: want 404"
ok "done/failed: GET 405, foreign 403 (logged), wrong/other secret 403, own secret 200, reserved address 200, admin 200"

# --- spoofed TFTP RRQ (item 1) ----------------------------------------------------
[ "$(code "$URL/ks/node001")" = 403 ] || fail "kickstart from a foreign address: want 403"
# the attacker (127.0.0.1) sends one RRQ with node001's MAC as source
"$FAKE_DP" rrq "$INST" 52:54:00:78:00:01 127.0.0.1 pxelinux.0 || fail "ctl_fake_dp rrq"
for _ in $(seq 50); do
	"$BOOTSTORM" nodes -c "$W/ctl.yaml" | grep -q "^node001 .*127.0.0.1" && break
	sleep 0.1
done
"$BOOTSTORM" nodes -c "$W/ctl.yaml" | grep -q "^node001 .*127.0.0.1" || fail "the boot view did not take the spoofed RRQ"
[ "$(code "$URL/ks/node001")" = 403 ] || fail "kickstart after a spoofed RRQ: want 403"
[ "$(code "$URL/ks")" = 404 ] || fail "/ks by address after a spoofed RRQ: want 404 (no node here)"
[ "$(code -X POST -d '' "$URL/api/nodes/node001/done")" = 403 ] || fail "done after a spoofed RRQ: want 403"
[ "$(code --interface 127.0.0.99 "$URL/ks/node099")" = 200 ] || fail "kickstart from the node's reserved address: want 200"
[ "$(code --interface 127.0.0.99 "$URL/ks")" = 200 ] || fail "/ks by the node's reserved address: want 200"
ok "spoofed RRQ moves the view only: /ks/node001 403, /ks 404; the node's own address 200"

# --- leased address, first fetch wins ------------------------------------------------
# node099 now also holds a BOUND lease at 127.0.0.98 (as if it booted dynamically)
"$FAKE_DP" grant "$INST" 52:54:00:78:00:99 127.0.0.98 || fail "ctl_fake_dp grant"
[ "$(code --interface 127.0.0.98 "$URL/ks/node099")" = 403 ] || fail "second address during one install: want 403"
grep -q "ALARM: kickstart of node099 from 127.0.0.98, but 127.0.0.99 fetched it first" "$W/serve.log" || fail "no alarm logged"
[ "$(code --interface 127.0.0.99 "$URL/ks/node099")" = 200 ] || fail "the first address again: want 200"
curl -fsS -X POST -d '' --interface 127.0.0.98 "$URL/api/nodes/node099/done" | grep -q '"stage":"done"' \
	|| fail "POST done from the node's leased address: want 200"
[ "$(code --interface 127.0.0.98 "$URL/ks/node099")" = 200 ] || fail "kickstart from the leased address after done: want 200"
[ "$(code --interface 127.0.0.98 "$URL/ks")" = 200 ] || fail "/ks by the leased address: want 200"
curl -fsS --interface 127.0.0.98 "$URL/ks/node099" | grep -q -- "--ip=127.0.0.99$" || fail "a reserved node renders its reservation"
ok "leased address: ks and done 200; a second address during one install 403 + ALARM; done re-opens"

# --- terminal escapes (item 9) ---------------------------------------------------
# 127.0.0.1 is node001 in the view now: its fetches are boot progress
[ "$(code "$URL/repo/centos7/hello.txt")" = 200 ] || fail "repo fetch"
[ "$(code "$URL/repo/%1b%5d0%3bpwned%07%1b%5b2J")" = 404 ] || fail "escape path: want 404"
"$BOOTSTORM" nodes -c "$W/ctl.yaml" >"$W/nodes.out"
grep -q "^node001 .*centos7/hello.txt" "$W/nodes.out" || fail "served file not recorded"
LC_ALL=C grep -q $'\x1b' "$W/nodes.out" && fail "raw ESC reached the terminal"
"$FAKE_DP" rrq "$INST" 52:54:00:78:00:01 127.0.0.1 $'evil\x1b[2J\x07name' || fail "ctl_fake_dp rrq"
sleep 0.5
"$BOOTSTORM" nodes -c "$W/ctl.yaml" >"$W/nodes.out"
LC_ALL=C grep -q $'[\x01-\x1f\x7f]' <(tr -d '\n' <"$W/nodes.out") && fail "control characters reached the terminal"
grep -q 'evil\\x1b\[2J\\x07name' "$W/nodes.out" || { cat "$W/nodes.out"; fail "TFTP file name not shown escaped"; }
ok "URL paths: only served files recorded; control characters shown as \\xNN"

# --- http.admin_network -------------------------------------------------------------
printf 'http: { admin_network: 10.0.0.300/24 }\n' >"$W/badnet.yaml"
set +e; "$BOOTSTORM" check-config "$W/badnet.yaml" 2>"$W/badnet.err"; set -e
grep -q "badnet.yaml:1:.*http.admin_network: bad network" "$W/badnet.err" || fail "bad admin_network not rejected with file:line"
gen=$(curl -fsS "${A[@]}" "$URL/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config_gen"])')
sed "s|^  admin_local: false|&\n  admin_network: 127.0.0.64/26|" "$W/ctl.yaml" >"$W/ctl.yaml.new"
mv "$W/ctl.yaml.new" "$W/ctl.yaml"
for _ in $(seq 50); do
	g=$(curl -fsS "${A[@]}" "$URL/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config_gen"])')
	[ "$g" -gt "$gen" ] && break
	sleep 0.1
done
[ "$g" -gt "$gen" ] || fail "admin_network: no reload"
[ "$(code --interface 127.0.0.99 "$URL/api/nodes")" = 200 ] || fail "peer in admin_network: want 200"
[ "$(code "$URL/api/nodes")" = 401 ] || fail "peer outside admin_network: want 401"
ok "http.admin_network: 127.0.0.99 in 127.0.0.64/26 is admin, 127.0.0.1 is not; a bad network is a config error"

ctl_stop
