#!/usr/bin/env bash
# L2/L3 with real clients from a client namespace (busybox ping/arping, curl):
#   - ARP: busybox arping gets the server MAC for 10.77.0.1 from the dataplane
#     (the kernel on the dataplane's veth is silent: no address, arp off);
#   - ICMP echo: busybox ping, 20 echoes (56 and 1400 bytes), all answered by the
#     dataplane (its ICMP echo reply counter moves by at least as many);
#   - punt path: HTTP to control (curl, a 1 MiB repo file, sha256 checked) goes
#     through the dataplane to the kernel tap and back;
#   - a packet for another host is not answered (ping to 10.77.0.250: 100% loss).
source "$(dirname "$0")/lib.sh"
need_cmd busybox busybox
need_cmd curl curl
e2e_init --clients 1 --vms 0
write_config
head -c $((1 << 20)) /dev/urandom >"$WORK/repo/blob.bin"
server_start
cip=$(client_static 1)
in_client 1 ip neigh flush dev cl0

metric() { # name{labels} -> value (0 when absent)
	in_srv curl -s -m 5 "$HTTP/metrics" | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'
}

# ARP: the reply must carry the dataplane's MAC.
out=$(in_client 1 timeout 10 busybox arping -c 3 -w 5 -I cl0 "$SERVER_IP" 2>&1) ||
	fail "arping got no reply: $out"
echo "$out" | grep -qi "$(server_mac)" || fail "arping reply not from $(server_mac): $out"
log "arping: $(echo "$out" | grep -ci 'reply') replies from $(server_mac)"

echo_before=$(metric 'bootstorm_icmp_echo_reply_total')
for size in 56 1400; do
	out=$(in_client 1 timeout 20 busybox ping -c 10 -i 0.1 -s "$size" -W 2 "$SERVER_IP" 2>&1)
	echo "$out" | grep -q ' 0% packet loss' || fail "ping -s $size: $out"
	log "ping -s $size: $(echo "$out" | tail -1)"
done
echo_after=$(metric 'bootstorm_icmp_echo_reply_total')
[ "$((echo_after - echo_before))" -ge 20 ] || fail "dataplane ICMP echo replies $echo_before -> $echo_after: not ours?"
[ "$(metric 'bootstorm_arp_reply_total')" -ge 3 ] || fail "dataplane ARP reply counter below the 3 arping saw"
log "ICMP echo replies counted by the dataplane: $echo_before -> $echo_after"

# A host that does not exist behind the dataplane: no answer.
out=$(in_client 1 timeout 10 busybox ping -c 2 -W 1 10.77.0.250 2>&1)
echo "$out" | grep -q '100% packet loss' || fail "ping to a missing host was answered: $out"

# HTTP to control through the punt tap.
got=$(in_client 1 curl -sf -m 20 "$HTTP/repo/blob.bin" | sha256sum | cut -d' ' -f1)
[ "$got" = "$(sha256sum "$WORK/repo/blob.bin" | cut -d' ' -f1)" ] || fail "HTTP through the punt path: sha256 mismatch"
log "HTTP via punt: 1 MiB repo file intact"
pass
