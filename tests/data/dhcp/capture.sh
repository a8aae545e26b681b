#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Captures DHCP requests from real clients into pcaps in this directory.
# Everything runs inside two network namespaces created here (a client
# side and a server side joined by a veth pair, plus a tap for QEMU); no
# host interface is touched.  dnsmasq on the server side answers so the
# clients go on past DISCOVER to REQUEST (and dhclient to RELEASE).
# Bounded: every client runs under `timeout`; the trap removes the
# namespaces and kills what was started, by PID.
#
#   sudo tests/data/dhcp/capture.sh [outdir]
set -u
OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
TAG=bsdh$$
CNS=${TAG}c
SNS=${TAG}s
TMP=$(mktemp -d)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$CNS" 2>/dev/null
	ip netns del "$SNS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$CNS"
ip netns add "$SNS"
ip link add vc0 netns "$CNS" type veth peer name vs0 netns "$SNS"
ip -n "$CNS" link set lo up
ip -n "$CNS" link set vc0 address 52:54:00:aa:00:01 up
ip -n "$SNS" link set lo up
ip -n "$SNS" addr add 10.77.0.1/24 dev vs0
ip -n "$SNS" link set vs0 up
# veth hands dnsmasq's replies over with a partial UDP checksum; udhcpc
# checks it on its raw socket, so compute it in software on this side.
ip netns exec "$SNS" ethtool -K vs0 tx off >/dev/null 2>&1

start_dnsmasq() { # iface
	ip netns exec "$SNS" dnsmasq --no-daemon --port=0 --interface="$1" --bind-interfaces \
		--dhcp-range=10.77.0.100,10.77.0.199,1h --dhcp-leasefile="$TMP/leases.$1" \
		--dhcp-boot=pxelinux.0 --no-ping --log-dhcp >"$TMP/dnsmasq.$1.log" 2>&1 &
	PIDS+=($!)
}

capture() { # iface file seconds
	ip netns exec "$SNS" dumpcap -q -i "$1" -f "udp port 67 or udp port 68" -a "duration:$3" \
		-P -w "$2" >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 1.5
}

start_dnsmasq vs0

# 1. ISC dhclient: DISCOVER, REQUEST (SELECTING), then RELEASE (-r).
capture vs0 "$OUT/dhclient.pcap" 14
ip netns exec "$CNS" timeout 6 dhclient -4 -d -1 -v -lf "$TMP/dhclient.leases" \
	-pf "$TMP/dhclient.pid" -sf /bin/true vc0 >"$TMP/dhclient.log" 2>&1
ip netns exec "$CNS" timeout 5 dhclient -4 -r -v -lf "$TMP/dhclient.leases" \
	-pf "$TMP/dhclient.pid" -sf /bin/true vc0 >>"$TMP/dhclient.log" 2>&1
wait "${PIDS[-1]}" 2>/dev/null

# 2. busybox udhcpc: DISCOVER, REQUEST (asks for a fixed address with -r).
ip -n "$CNS" link set vc0 address 52:54:00:aa:00:02
capture vs0 "$OUT/udhcpc.pcap" 10
ip netns exec "$CNS" timeout 8 busybox udhcpc -i vc0 -f -q -n -t 3 -T 2 -r 10.77.0.150 \
	-x hostname:bbnode -s /bin/true >"$TMP/udhcpc.log" 2>&1
wait "${PIDS[-1]}" 2>/dev/null

# 3. iPXE (QEMU's legacy e1000 PXE ROM) booting from the network on a tap.
if [ -r /usr/lib/ipxe/qemu/pxe-e1000.rom ]; then
	ip -n "$SNS" tuntap add tapq0 mode tap
	ip -n "$SNS" link set tapq0 up
	ip -n "$SNS" addr add 10.78.0.1/24 dev tapq0
	ip netns exec "$SNS" dnsmasq --no-daemon --port=0 --interface=tapq0 --bind-interfaces \
		--dhcp-range=10.78.0.100,10.78.0.199,1h --dhcp-leasefile="$TMP/leases.tap" \
		--dhcp-boot=pxelinux.0 --no-ping >"$TMP/dnsmasq.tap.log" 2>&1 &
	PIDS+=($!)
	capture tapq0 "$OUT/ipxe-bios.pcap" 45
	ip netns exec "$SNS" timeout 40 qemu-system-x86_64 -nographic -no-reboot -m 128 \
		-netdev tap,id=n0,ifname=tapq0,script=no,downscript=no \
		-device e1000,netdev=n0,mac=52:54:00:aa:00:03,romfile=/usr/lib/ipxe/qemu/pxe-e1000.rom \
		-boot n >"$TMP/qemu.log" 2>&1 </dev/null
	wait "${PIDS[-1]}" 2>/dev/null
fi

# 4. UEFI (OVMF) with QEMU's EFI iPXE ROM: option 93 = 7.
if [ -r /usr/share/ovmf/OVMF.fd ] && [ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] && [ -z "${NO_EFI:-}" ]; then
	capture tapq0 "$OUT/ipxe-efi.pcap" 100
	ip netns exec "$SNS" timeout 95 qemu-system-x86_64 -nographic -no-reboot -m 256 \
		-bios /usr/share/ovmf/OVMF.fd \
		-netdev tap,id=n0,ifname=tapq0,script=no,downscript=no \
		-device e1000,netdev=n0,mac=52:54:00:aa:00:04,romfile=/usr/lib/ipxe/qemu/efi-e1000.rom \
		-boot n >"$TMP/qemu-efi.log" 2>&1 </dev/null
	wait "${PIDS[-1]}" 2>/dev/null
fi
for f in dhclient udhcpc ipxe-bios ipxe-efi; do
	[ -s "$OUT/$f.pcap" ] && echo "$f: $(tshark -r "$OUT/$f.pcap" 2>/dev/null | wc -l) frames"
done
tr -d "\033" <"$TMP/qemu.log" 2>/dev/null | tr "\r" "\n" | grep -a -i -E "ipxe|dhcp|net|boot" | head -20
