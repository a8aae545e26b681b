#!/usr/bin/env bash
# tests/perf/bench-storm-selftest.sh: checks bs-storm itself against real peers
# before its figures are trusted (a benchmark tool, not a registered test).
#
#   tests/perf/bench-storm-selftest.sh [BS_STORM binary]
#
# In a lab of its own (two namespaces + a veth pair, removed on exit):
#   1. DORA + windowed TFTP boot set vs dnsmasq: every node ok
#   2. TFTP alone, no options (512-byte blocks, lock-step) vs tftp-hpa, with a
#      file of more than 65535 blocks: block-number rollover, every node ok
#   3. the generator is given different expected content: every node must
#      fail as bad-data (the verification really compares)
#   4. no server at all, fast backoff: every node must fail as dhcp-timeout
#   5. a file that does not exist on the server: tftp-error
# Exits non-zero if any check fails.  Bounded: every run has --max-time.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
STORM=${1:-${BS_STORM:-$here/build-bench/tools/storm/bs-storm}}
[ -x "$STORM" ] || { echo "selftest: $STORM missing" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "selftest: needs root" >&2; exit 1; }

TAG=$$
NS_S=bsst-s-$TAG NS_C=bsst-c-$TAG IF_S=bsts$TAG IF_C=bstc$TAG
W=$(mktemp -d /tmp/bsselftest.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

ip netns add "$NS_S" && ip netns add "$NS_C" || exit 1
nsx "$NS_S" ip link add "$IF_S" type veth peer name "$IF_C"
nsx "$NS_S" ip link set "$IF_C" netns "$NS_C"
nsx "$NS_S" sysctl -qw "net.ipv6.conf.$IF_S.disable_ipv6=1"
nsx "$NS_C" sysctl -qw "net.ipv6.conf.$IF_C.disable_ipv6=1"
nsx "$NS_C" ip link set "$IF_C" arp off up
nsx "$NS_S" ip link set "$IF_S" up
nsx "$NS_S" ip addr add 10.78.0.1/16 dev "$IF_S"

mkdir -p "$W/tftp" "$W/other"
head -c 43008 /dev/urandom >"$W/tftp/bsboot.0"
head -c 1024 /dev/urandom >"$W/tftp/menu.cfg"
head -c 300000 /dev/urandom >"$W/tftp/vmlinuz"
head -c $((65536 * 512 + 100)) /dev/urandom >"$W/tftp/big.img"
cp "$W/tftp/bsboot.0" "$W/tftp/menu.cfg" "$W/other/"
head -c 300000 /dev/urandom >"$W/other/vmlinuz"
chmod 755 "$W" "$W/tftp"; chmod 644 "$W/tftp"/*

fails=0
# check NAME expect-rc expect-regex storm-args...
check() {
	local name=$1 want_rc=$2 want=$3; shift 3
	timeout -k 5 200 ip netns exec "$NS_C" "$STORM" -i "$IF_C" --max-time 120 "$@" >"$W/out" 2>&1
	local rc=$?
	if [ "$rc" = "$want_rc" ] && grep -Eq "$want" "$W/out"; then
		echo "ok   $name: $(grep -E '^storm: [0-9]+ nodes' "$W/out")"
	else
		echo "FAIL $name (rc $rc, wanted $want_rc and /$want/):"
		sed 's/^/     /' "$W/out" | tail -8
		fails=$((fails + 1))
	fi
}

ip netns exec "$NS_S" dnsmasq -k --conf-file=/dev/null --port=0 --interface="$IF_S" --bind-interfaces \
	--dhcp-authoritative --no-ping --dhcp-range=10.78.1.0,10.78.9.255,255.255.0.0,1h \
	--dhcp-leasefile="$W/leases" --dhcp-boot=bsboot.0,,10.78.0.1 --enable-tftp \
	--tftp-root="$W/tftp" --tftp-max=1000 --quiet-dhcp --quiet-tftp --log-facility="$W/dnsmasq.log" \
	>/dev/null 2>&1 &
PIDS+=($!)
DNSMASQ=$!
sleep 1
check "storm vs dnsmasq" 0 "200 ok, 0 failed" -n 200 --spread 500 --root "$W/tftp" \
	--files menu.cfg,vmlinuz --blksize 1468 --windowsize 8
check "bad content detected" 3 "bad-data=20" -n 20 --root "$W/other" --files menu.cfg,vmlinuz
check "missing file: tftp-error" 3 "tftp-error=5" -n 5 --root "$W/tftp" --no-verify --files nosuchfile
kill "$DNSMASQ"; wait "$DNSMASQ" 2>/dev/null
check "no server: dhcp-timeout" 3 "dhcp-timeout=10" -n 10 --dhcp-only --backoff-scale 0.01 --dhcp-tries 4

ip netns exec "$NS_S" in.tftpd -L -a 10.78.0.1:69 -s "$W/tftp" -u nobody >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
check "tftp-hpa, 512-byte lock-step, rollover" 0 "3 ok, 0 failed" -n 3 --tftp-only 10.78.0.1 \
	--client-ip 10.78.2.1 --root "$W/tftp" --files big.img --blksize 0 --windowsize 1 --no-tsize
[ "$fails" = 0 ] && echo "selftest: all checks passed" || echo "selftest: $fails check(s) failed"
exit "$fails"
