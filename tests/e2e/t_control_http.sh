#!/usr/bin/env bash
# bootstorm control over HTTP on loopback (no dataplane): repo files with
# Range/HEAD/If-Modified-Since/keep-alive, kickstart authorisation, path
# traversal, bad input (huge headers, slowloris, bad ranges, template
# errors), API/metrics, check-config exit codes, reload on file change.
source "$(dirname "$0")/../data/control/e2e-lib.sh"
ctl_setup

# --- check-config ---------------------------------------------------------
"$BOOTSTORM" check-config "$W/ctl.yaml" | grep -q "ok: 1 subnets, 1 pools, 12 nodes, 2 profiles" \
	|| fail "check-config summary"
printf 'server: {ip: 300.1.1.1/24}\nbogus: 1\n' >"$W/bad.yaml"
set +e; "$BOOTSTORM" check-config "$W/bad.yaml" 2>"$W/bad.err"; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "check-config of a bad file exited $rc, want 2"
grep -q "bad.yaml:1:" "$W/bad.err" || fail "check-config errors do not name file:line"
set +e; "$BOOTSTORM" frobnicate >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "unknown command exited $rc"
"$BOOTSTORM" --help | grep -q "exit codes" || fail "--help lacks exit codes"
"$BOOTSTORM" --version | grep -q "^bootstorm " || fail "--version"
ok "check-config, --help, --version, exit codes"

ctl_start

# --- repo files -------------------------------------------------------------
big=$W/repo/centos7/Packages/big.rpm
[ "$(curl -fsS "$URL/repo/centos7/hello.txt")" = "hello repo" ] || fail "GET repo file"
curl -fsS -o "$W/got" "$URL/repo/centos7/Packages/big.rpm"
cmp -s "$W/got" "$big" || fail "big file differs"
curl -sS -D "$W/h" -o "$W/got" -H 'Range: bytes=1000-1999' "$URL/repo/centos7/Packages/big.rpm"
grep -q "^HTTP/1.1 206" "$W/h" || fail "Range: no 206"
grep -qi "^Content-Range: bytes 1000-1999/3000000" "$W/h" || fail "Content-Range"
cmp -s "$W/got" <(tail -c +1001 "$big" | head -c 1000) || fail "Range bytes differ"
curl -sS -o "$W/got" -H 'Range: bytes=-100' "$URL/repo/centos7/Packages/big.rpm"
cmp -s "$W/got" <(tail -c 100 "$big") || fail "suffix range"
[ "$(code -H 'Range: bytes=3000000-' "$URL/repo/centos7/Packages/big.rpm")" = 416 ] || fail "Range beyond the end: want 416"
[ "$(code -H 'Range: bytes=5-1' "$URL/repo/centos7/Packages/big.rpm")" = 200 ] || fail "malformed Range: want 200 (ignored)"
[ "$(code -H 'Range: bytes=0-1,5-6' "$URL/repo/centos7/Packages/big.rpm")" = 200 ] || fail "multi-range: want 200"
[ "$(code -H 'Range: chunks=1-2' "$URL/repo/centos7/Packages/big.rpm")" = 200 ] || fail "other unit: want 200"
curl -sS -I "$URL/repo/centos7/Packages/big.rpm" >"$W/h"
grep -q "^HTTP/1.1 200" "$W/h" && grep -qi "^Content-Length: 3000000" "$W/h" || fail "HEAD headers"
[ "$(curl -sS -X HEAD -m 5 -o - "$URL/repo/centos7/Packages/big.rpm" 2>/dev/null | wc -c)" -eq 0 ] || fail "HEAD has a body"
lm=$(grep -i '^Last-Modified:' "$W/h" | cut -d' ' -f2- | tr -d '\r')
[ "$(code -H "If-Modified-Since: $lm" "$URL/repo/centos7/Packages/big.rpm")" = 304 ] || fail "If-Modified-Since: want 304"
[ "$(code -H 'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT' "$URL/repo/centos7/Packages/big.rpm")" = 200 ] || fail "old IMS: want 200"
[ "$(code -H 'If-Modified-Since: yesterday' "$URL/repo/centos7/Packages/big.rpm")" = 200 ] || fail "bad IMS: want 200"
curl -sS -v -o /dev/null -o /dev/null "$URL/repo/centos7/hello.txt" "$URL/repo/centos7/hello.txt" 2>"$W/v"
grep -q "Re-using existing connection" "$W/v" || fail "no keep-alive"
# Large ranges that end before the file does, two on one connection, then the
# whole file on it: sendfile calls widened past libmicrohttpd's 128 KiB
# (control/daemon/httpsend.h) must stop at the range's end, or the extra bytes
# corrupt this body and the next response on the connection.
curl -sS -v -o "$W/r1" -r 1-2500000 "$URL/repo/centos7/Packages/big.rpm" --next \
	-sS -v -o "$W/r2" -r 300000-2999998 "$URL/repo/centos7/Packages/big.rpm" --next \
	-sS -v -o "$W/r3" "$URL/repo/centos7/Packages/big.rpm" 2>"$W/v"
cmp -s "$W/r1" <(tail -c +2 "$big" | head -c 2500000) || fail "wide Range 1-2500000 differs"
cmp -s "$W/r2" <(tail -c +300001 "$big" | head -c 2699999) || fail "wide Range 300000-2999998 differs"
cmp -s "$W/r3" "$big" || fail "whole file after two ranges on one connection differs"
[ "$(grep -c "Re-using existing connection" "$W/v")" -ge 2 ] || fail "ranges: no keep-alive"
grep -qi "^Content-Type: application/x-rpm" "$W/h" || fail "content type by extension"
ok "repo: GET, Range 206/416/ignored, HEAD, If-Modified-Since 304, keep-alive, types"

# --- path traversal and other refusals ------------------------------------------
for p in "/repo/../ctl.yaml" "/repo/%2e%2e/ctl.yaml" "/repo/centos7/%2E%2E/%2e%2e/outside.txt" \
	 "/repo/centos7/escape-abs" "/repo/centos7/escape-rel" "/boot/../ctl.yaml" "/repo/centos7/" "/repo/"; do
	c=$(code --path-as-is "$URL$p")
	case $c in 403|404) ;; *) fail "$p answered $c" ;; esac
	curl -s --path-as-is "$URL$p" | grep -q "secret outside" && fail "$p leaked a file outside the root"
	true
done
grep -q "escapes the root" "$W/serve.log" || fail "no log line for an escape attempt"
[ "$(code "$URL/repo/nope")" = 404 ] || fail "missing file: want 404"
[ "$(code -X DELETE "$URL/repo/centos7/hello.txt")" = 405 ] || fail "DELETE: want 405"
ok "traversal (.., %2e%2e, symlinks out, directories) refused with 403/404 and logged"

# --- /boot/ (TFTP root for iPXE) and generated pxelinux configs ---------------
[ "$(curl -fsS "$URL/boot/centos7/vmlinuz")" = "kernel bytes" ] || fail "/boot/ from the TFTP root"
[ "$(curl -fsS "$URL/boot/pxelinux.cfg/01-52-54-00-78-00-01" | grep -c 'APPEND initrd=centos7/initrd.img inst.repo=http://10.78.0.1/repo/centos7 ks=http://10.78.0.1/ks/node001')" = 1 ] \
	|| fail "generated pxelinux.cfg/01-<mac> (served from tftp-gen via /boot/)"
grep -q "LABEL centos7" "$W/state/tftp-gen/pxelinux.cfg/default" || fail "default menu"
ok "/boot/ serves tftp-gen then the TFTP root; pxelinux.cfg files generated"

# --- kickstart / iPXE -----------------------------------------------------------
[ "$(code "$URL/ks/node001")" = 403 ] || fail "kickstart from the wrong address: want 403"
grep -q "kickstart of node node001 refused" "$W/serve.log" || fail "no log line for the refused kickstart"
[ "$(code "$URL/ks/node001?token=wrong")" = 403 ] || fail "bad token: want 403"
curl -fsS "$URL/ks/node001?token=s3cret-token" >"$W/ks"
grep -q "^network --device=52:54:00:78:00:01 --hostname=node001 --ip=10.78.0.11$" "$W/ks" || fail "kickstart vars"
grep -q "^timezone UTC$" "$W/ks" || fail "profile vars in kickstart"
grep -q 'rootpw --iscrypted \$6\$not\$real' "$W/ks" || fail "a lone \$ must stay literal"
[ "$(code "$URL/ks/node999?token=s3cret-token")" = 404 ] || fail "unknown node: want 404"
[ "$(code "$URL/ks?token=s3cret-token")" = 404 ] || fail "/ks by address from a non-node: want 404"
[ "$(code "$URL/ks/node002?token=s3cret-token")" = 500 ] || fail "missing template var: want 500"
grep -q "templates/broken.ks:3: undefined variable 'disk_size'" "$W/serve.log" || fail "template error log must name file:line"
curl -fsS "$URL/ipxe/node001" >"$W/ipxe"
head -1 "$W/ipxe" | grep -q '^#!ipxe' || fail "iPXE script header"
grep -q "^kernel http://127.0.0.1:$PORT/boot/centos7/vmlinuz initrd=initrd inst.repo=" "$W/ipxe" || fail "iPXE kernel line"
curl -fsS "$URL/ipxe/boot?mac=52:54:00:78:00:11" | grep -q "for node011" || fail "iPXE by ?mac="
ok "kickstart: token 200, wrong address/token 403 (logged), missing var 500 naming file:line; iPXE"

# --- bad input -------------------------------------------------------------------
big_hdr=$(head -c 40000 /dev/zero | tr '\0' 'a')
c=$(code -H "X-Big: $big_hdr" "$URL/repo/centos7/hello.txt")
case $c in 431|413|400|414) ;; *) fail "40 KB header answered $c" ;; esac
# slowloris: 200 connections that never finish their headers...
t0=$SECONDS
slow=()
for i in $(seq 200); do
	exec {fd}<>/dev/tcp/127.0.0.1/$PORT
	printf 'GET /repo/centos7/hello.txt HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&$fd
	slow+=("$fd")
done
# ...do not stop others from being served
[ "$(curl -fsS -m 5 "$URL/repo/centos7/hello.txt")" = "hello repo" ] || fail "served nobody during slowloris"
# and are dropped after the idle timeout (15 s)
sleep 17
closed=0
for fd in "${slow[@]}"; do
	# a closed connection reads EOF at once (status 1); open ones time out (>128)
	rc=0; read -r -t 1 -u "$fd" _ 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ] && closed=$((closed + 1))
	exec {fd}>&-
done
[ "$closed" -ge 190 ] || fail "only $closed of 200 slow connections were closed by the server"
kill -0 "$SERVE_PID" || fail "server died"
echo "slowloris check took $((SECONDS - t0)) s"
ok "40 KB header -> $c; 200 slowloris connections: others served, $closed closed after the timeout"

# --- API, metrics, done ----------------------------------------------------------
curl -fsS "$URL/api/status" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["config_gen"]>=1 and d["journal"]["ok"] is True, d' \
	|| fail "/api/status"
curl -fsS "$URL/api/nodes" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["nodes"])==12, len(d["nodes"])' \
	|| fail "/api/nodes"
curl -fsS -X POST -d '' "$URL/api/nodes/node001/done" | grep -q '"stage":"done"' || fail "POST done"
curl -fsS "$URL/api/nodes/52:54:00:78:00:01" | grep -q '"stage":"done"' || fail "node by MAC"
# RFC 9110 9.2.1: GET is safe; reports are POSTs (issue 15 item 5)
[ "$(code "$URL/api/nodes/node010/failed")" = 405 ] || fail "GET failed: want 405"
curl -fsS -X POST -d '' "$URL/api/nodes/node010/failed" | grep -q '"stage":"failed"' || fail "POST failed"
[ "$(code "$URL/api/nodes/nobody")" = 404 ] || fail "unknown node: want 404"
curl -fsS "$URL/metrics" >"$W/m"
grep -q '^# HELP bootstorm_dhcp_rx_total ' "$W/m" || fail "metrics HELP from bs_ctr_help"
grep -q '^bootstorm_nodes{stage="done"} 1$' "$W/m" || fail "metrics nodes per stage"
grep -q '^bootstorm_http_requests_total{status="403"} [1-9]' "$W/m" || fail "metrics http by status"
grep -q '^bootstorm_journal_fsyncs_total ' "$W/m" || fail "metrics journal"
"$BOOTSTORM" status --url "$URL" | grep -q "^journal .* ok" || fail "bootstorm status"
"$BOOTSTORM" nodes --url "$URL" | grep -q "^node001 .* done" || fail "bootstorm nodes"
"$BOOTSTORM" leases -c "$W/ctl.yaml" | grep -q "^0 leases" || fail "bootstorm leases (URL from the config)"
ok "API, metrics, done/failed (GET 405), CLI"

# --- reload -----------------------------------------------------------------------
gen=$(curl -fsS "$URL/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config_gen"])')
# an editor's save: write a temp file, rename over the config
sed 's/^  - range: node\[010-019\]/  - name: node003\n    mac: 52:54:00:78:00:03\n    ip: 10.78.0.13\n    profile: centos7\n&/' "$W/ctl.yaml" >"$W/ctl.yaml.new"
mv "$W/ctl.yaml.new" "$W/ctl.yaml"
for _ in $(seq 50); do
	[ -f "$W/state/tftp-gen/pxelinux.cfg/01-52-54-00-78-00-03" ] && break
	sleep 0.1
done
[ -f "$W/state/tftp-gen/pxelinux.cfg/01-52-54-00-78-00-03" ] || fail "reload on rename did not happen"
gen2=$(curl -fsS "$URL/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config_gen"])')
[ "$gen2" -eq $((gen + 1)) ] || fail "generation $gen -> $gen2, want +1"
# a broken config is rejected, the running one stays
cp "$W/ctl.yaml" "$W/good.yaml"
sed -i 's/^  ip: 10.78.0.1\/24/  ip: 10.78.0.999\/24/' "$W/ctl.yaml"
sleep 1
kill -HUP "$SERVE_PID"
sleep 0.5
grep -q "rejected" "$W/serve.log" || fail "bad config not reported"
grep -q "ctl.yaml:5:7: server.ip" "$W/serve.log" || fail "bad config errors lack file:line"
gen3=$(curl -fsS "$URL/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config_gen"])')
[ "$gen3" -eq "$gen2" ] || fail "a rejected config changed the generation"
curl -fsS "$URL/ks/node003?token=s3cret-token" | grep -q "hostname=node003" || fail "running config lost"
ok "reload: rename picked up (gen $gen -> $gen2), broken file rejected with file:line, gen stays $gen3"

ctl_stop
grep -q "stopped (clean)" "$W/serve.log" || fail "no clean stop"
ok "SIGTERM: clean stop"
