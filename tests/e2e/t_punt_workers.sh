#!/usr/bin/env bash
# Punt mode with two workers (conf/examples/centos7-pxe.yaml has workers: 2 + punt):
# net_tap wants as many RX as TX queues, so the punt tap gets one queue pair per
# worker (it used to get 1 RX / 2 TX and bootstorm-dp did not start: "number of rx
# queues 1 must be equal to number of tx queues 2").  Then the client matrix in
# short: dhclient lease, tftp-hpa 1 MiB, curl HTTP 64 MiB through the punt path by
# sha256, and the kernel-side tap drops are exported (punt_kernel_drop counter).
source "$(dirname "$0")/lib.sh"
need_cmd dhclient isc-dhcp-client
need_cmd tftp tftp-hpa
need_cmd curl curl
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: punt mode is bootstorm's"
e2e_init --clients 1 --vms 0
head -c $((1 << 20)) /dev/urandom >"$WORK/tftp/f1m"
mkdir -p "$WORK/repo/lab"
head -c $((64 << 20)) /dev/urandom >"$WORK/repo/lab/big.bin"
write_config
sed -i -e "s|^  workers: 1\$|  workers: 2|" -e "s|iface=bs-dp0\$|iface=bs-dp0,qpairs=2|" "$CONF"
grep -q '^  workers: 2$' "$CONF" || fail "config rewrite"
server_start
# the dataplane announces its workers once both are running: wait for it
for ((i = 0; i < 100; i++)); do
	bs status >"$WORK/status.txt" 2>&1
	grep -qE '^dataplane +alive.*2 workers' "$WORK/status.txt" && break
	sleep 0.1
done
grep -qE '^dataplane +alive.*2 workers' "$WORK/status.txt" || fail "not 2 workers: $(cat "$WORK/status.txt")"
[ "$(in_srv cat /sys/class/net/bs-punt0/tx_queue_len)" -ge 10000 ] || fail "punt tap txqueuelen not raised"

cat >"$WORK/dhclient-script" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT) ip addr replace "\$new_ip_address/24" dev "\$interface" ;;
PREINIT) ip link set "\$interface" up ;;
esac
exit 0
SCRIPT
chmod +x "$WORK/dhclient-script"
timeout 30 ip netns exec bs-c1 dhclient -4 -1 -sf "$WORK/dhclient-script" -lf "$WORK/c1.leases" \
	-pf "$WORK/c1.pid" cl0 || fail "dhclient got no lease"
E2E_PIDS+=("$(cat "$WORK/c1.pid")")
log "dhclient bound"
timeout 30 ip netns exec bs-c1 tftp -m binary "$SERVER_IP" -c get f1m "$WORK/f1m.got" || fail "tftp-hpa"
cmp -s "$WORK/f1m.got" "$WORK/tftp/f1m" || fail "tftp-hpa f1m differs"
log "tftp-hpa 1 MiB ok"
for n in 1 2; do
	ip netns exec bs-c1 curl -sS --max-time 120 -o "$WORK/big.$n" "$HTTP/repo/lab/big.bin" ||
		fail "curl HTTP through the punt path"
	[ "$(sha256sum <"$WORK/big.$n")" = "$(sha256sum <"$WORK/repo/lab/big.bin")" ] || fail "HTTP sha256"
done
log "curl HTTP 2 x 64 MiB through the punt tap ok"
# Every punt frame lost is counted: ours (drop reason punt_full) and the kernel's
# tun ring (punt_kernel_drop, the tap's tx_dropped).
in_srv curl -fsS -m 5 "$HTTP/metrics" >"$WORK/metrics.txt" || fail "GET /metrics"
grep -q '^bootstorm_punt_kernel_drop_total ' "$WORK/metrics.txt" || fail "no punt_kernel_drop counter"
grep -E 'punt' "$WORK/metrics.txt" | grep -v '^#' | sed 's/^/  metrics| /'
pass
