# shellcheck shell=bash
# Relay helpers for e2e tests that drive bootstorm with perfdhcp (sourced after
# lib.sh).  perfdhcp (Debian kea-admin) acts as a DHCP relay agent: it sends
# from RELAY_IP:67 with giaddr = RELAY_IP and expects the replies at
# giaddr:67 (DPDK-NOTES.md).  In the lab the "relay" lives in client namespace
# bs-c1: cl0 gets an address on the server's LAN (10.77.0.2/24, the route to
# the server) and RELAY_IP on a relayed network 10.78.0.0/16, which the config
# declares as a second subnet with a 64k pool: the server selects it by giaddr
# (RFC 2131 4.3.1) and answers to giaddr through the frame's source MAC.
RELAY_NS=bs-c1
RELAY_LAN_IP=10.77.0.2
RELAY_IP=10.78.0.1
RELAY_POOL_LO=10.78.1.0
RELAY_POOL_HI=10.78.250.255

in_relay() { nsx "$RELAY_NS" "$@"; }

# The e2e config plus the relayed subnet (the rest is tests/data/e2e's).
write_relay_config() {
	write_config
	python3 - "$CONF" "$RELAY_POOL_LO" "$RELAY_POOL_HI" <<'EOF' || fail "relay config"
import sys
path, lo, hi = sys.argv[1:]
text = open(path).read()
anchor = "      next_server: 10.77.0.1\n"
assert text.count(anchor) == 1, "template changed: relay.sh must follow"
text = text.replace(anchor, anchor + f"""    - subnet: 10.78.0.0/16
      router: 10.78.0.1
      pools: [{lo}-{hi}]
      next_server: 10.77.0.1
""")
open(path, "w").write(text)
EOF
}

relay_up() {
	in_relay ip addr replace "$RELAY_LAN_IP/24" dev cl0 || fail "relay LAN address"
	in_relay ip addr replace "$RELAY_IP/16" dev cl0 || fail "relay address"
}

# perfdhcp in the relay namespace, bounded by `timeout`.  Output in $1.
perfdhcp_run() { # outfile timeout_s perfdhcp-args...
	local out=$1 t=$2
	shift 2
	timeout -k 3 "$t" ip netns exec "$RELAY_NS" perfdhcp -4 -l "$RELAY_IP" "$@" "$SERVER_IP" >"$out" 2>&1
}

# A counter out of perfdhcp's statistics: "sent packets: N" under the
# "***Statistics for: DISCOVER-OFFER***" (pair=DO) or REQUEST-ACK (pair=RA).
perfdhcp_stat() { # file pair(DO|RA) key
	awk -v pair="$2" -v key="$3" '
		/Statistics for: DISCOVER-OFFER/ { cur = "DO" }
		/Statistics for: REQUEST-ACK/ { cur = "RA" }
		cur == pair && index($0, key ":") { sub(/.*: */, ""); print $1 + 0; exit }' "$1"
}

# Active leases (state bound) in `bootstorm leases` for the relayed subnet.
relay_bound_ips() {
	bs leases | awk '$1 ~ /^10\.78\./ && $3 == "bound" { print $1 }' | sort -u
}
