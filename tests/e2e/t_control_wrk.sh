#!/usr/bin/env bash
# wrk (Debian package) holds 1,000 concurrent keep-alive connections against the
# repo of a control instance on loopback for 10 s: every request must be answered
# 2xx (a 64 KiB package and a small file), with no connect/read/write/timeout
# error, and control must still answer afterwards.  Bounded: wrk -d 10s under a
# 60 s timeout; the instance is stopped by the EXIT trap (e2e-lib.sh).
source "$(dirname "$0")/../data/control/e2e-lib.sh"
command -v wrk >/dev/null || { echo "NOT RUN: wrk not installed (package wrk)"; exit 77; }
ctl_setup
head -c 65536 /dev/urandom >"$W/repo/centos7/Packages/pkg-64k.rpm"
ulimit -n 8192
ctl_start
for path in Packages/pkg-64k.rpm hello.txt; do
	out=$(timeout 60 wrk -t 2 -c 1000 -d 10s --timeout 10s "$URL/repo/centos7/$path" 2>&1) ||
		fail "wrk exited $?: $out"
	echo "$out" | sed 's/^/  /'
	reqs=$(echo "$out" | awk '/requests in/ { print $1 }')
	[ -n "$reqs" ] && [ "$reqs" -gt 1000 ] || fail "$path: only '$reqs' requests completed"
	if echo "$out" | grep -q "Socket errors"; then fail "$path: socket errors: $(echo "$out" | grep 'Socket errors')"; fi
	if echo "$out" | grep -q "Non-2xx"; then fail "$path: $(echo "$out" | grep 'Non-2xx')"; fi
	ok "wrk -c 1000 $path: $reqs requests, $(echo "$out" | awk '/Requests\/sec/ { print $2 }') req/s, 0 errors"
done
[ "$(curl -fsS -m 5 "$URL/repo/centos7/hello.txt")" = "hello repo" ] || fail "control does not answer after the load"
echo "PASS: t_control_wrk"
