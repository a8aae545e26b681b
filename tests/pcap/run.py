#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""pcap replay tests for bootstorm-dp (suite 'pcap').

usage: run.py --dp BOOTSTORM_DP --tool BS_PCAPTOOL CASE [CASE...]

Each case writes a config and a request pcap into a temp dir, starts
bs_pcaptool (region + snapshot + journal stand-in), runs bootstorm-dp -c
with net_pcap (rx_pcap=in.pcap, tx_pcap=out.pcap), waits until every input
frame was received and the output settled, reads the counters, stops the
dataplane by PID (bounded), and checks the reply pcap field by field.
Every case also checks that the mbuf pool is back at its baseline and
that the process exits 0 with no mbuf left in use.
Cases are listed one per line in tests/pcap/TESTLIST.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, BOOTP, DHCP, ICMP, IP, UDP, Dot1Q, Ether, ICMPv6ND_RA,  # noqa: E402
                       ICMPv6ND_RS, IPv6, TCP, Raw, rdpcap, wrpcap)

SRV_MAC = "02:00:00:77:00:01"
SRV_IP = "10.77.0.1"
CLI_MAC = "52:54:00:aa:00:01"
NODE_MAC = "52:54:00:77:00:01"   # inventory node001 -> 10.77.0.11
BCAST = "ff:ff:ff:ff:ff:ff"
TID = 40000                       # tftp.ports is a single port: predictable TID

CONFIG = """
server:
  name: pcap
  instance: {instance}
  state_dir: {work}/state
  ip: 10.77.0.1/24
  mac: 02:00:00:77:00:01
dataplane:
  eal: [--no-pci, --no-huge, -m, "256", -l, "0", --file-prefix, {instance}, --log-level, "lib.eal:warning"]
  ports:
    - dev: net_pcap0,rx_pcap={work}/in.pcap,tx_pcap={work}/out.pcap
  workers: 1
  idle_sleep_us: 100
{punt}dhcp:
  unknown_clients: allow
  lease_time: 1h
  max_leases: 1024
  subnets:
    - subnet: 10.77.0.0/24
      router: 10.77.0.1
      dns: [10.77.0.1]
      domain: lab.example
      pools: [10.77.0.150-10.77.0.150]
      next_server: 10.77.0.1
boot:
  next_server: 10.77.0.1
  default_profile: lab
  files:
    bios: pxelinux.0
tftp:
  root: {work}/tftp
  max_blksize: 1468
  ports: {tid}-{tid}
http:
  listen: 0.0.0.0:80
  base_url: http://10.77.0.1
  repo_root: {work}/repo
  templates: {work}/templates
profiles:
  - name: lab
    kernel: lab/vmlinuz
    initrd: lab/initrd.img
    append: "ks=http://10.77.0.1/ks/${{name}}"
    kickstart: lab.ks
    repo_url: http://10.77.0.1/repo/lab
    http_boot: efi/httpboot.efi
nodes:
  - name: node001
    mac: 52:54:00:77:00:01
    ip: 10.77.0.11
    profile: lab
"""


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def udp_csum_ok(p):
    """Recomputes the UDP checksum of a reply with scapy."""
    u = p[UDP]
    if u.chksum == 0:
        return True
    ip = p[IP].copy()
    ip[UDP].chksum = None
    return IP(bytes(ip))[UDP].chksum == u.chksum


def ip_csum_ok(p):
    ip = p[IP].copy()
    ip.chksum = None
    return IP(bytes(ip)).chksum == p[IP].chksum


def filler(n):
    """Frames for another host: dropped (DROP_NOT_FOR_US).  They also push
    what follows into a later RX burst (32 frames), i.e. after the
    dataplane's previous poll round sent its replies."""
    return [Ether(dst="52:54:00:ee:ee:ee", src=CLI_MAC) / IP(src="10.77.0.100", dst="10.77.0.2") /
            UDP(sport=1, dport=2) / b"x" for _ in range(n)]


def tftp_ack(block, sport=2000):
    return (Ether(dst=SRV_MAC, src=CLI_MAC) / IP(src="10.77.0.100", dst=SRV_IP) /
            UDP(sport=sport, dport=TID) / (b"\x00\x04" + block.to_bytes(2, "big")))


def dhcp_msg(mac, mtype, xid, extra=(), vc=b"PXEClient:Arch:00000:UNDI:002001", arch=0):
    hw = bytes.fromhex(mac.replace(":", ""))
    opts = [("message-type", mtype), ("vendor_class_id", vc),
            (93, arch.to_bytes(2, "big"))] + list(extra) + ["end"]
    return (Ether(dst=BCAST, src=mac) / IP(src="0.0.0.0", dst="255.255.255.255") /
            UDP(sport=68, dport=67) / BOOTP(chaddr=hw, xid=xid, flags=0x8000) / DHCP(options=opts))


def dhcp_opts(p):
    return {o[0]: o[1:] for o in p[DHCP].options if isinstance(o, tuple)}


# ---- cases: (frames, extra dp args, checker(out, ctr, ctx), tool args) -----

def case_l2l3():
    f = []
    f.append(Ether(dst=BCAST, src=CLI_MAC) / ARP(op=1, hwsrc=CLI_MAC, psrc="10.77.0.100", pdst=SRV_IP))
    f.append(Ether(dst=BCAST, src=CLI_MAC) / ARP(op=1, hwsrc=CLI_MAC, psrc="10.77.0.100", pdst="10.77.0.9"))
    f.append(Ether(dst=SRV_MAC, src=CLI_MAC) / IP(src="10.77.0.100", dst=SRV_IP) /
             ICMP(type=8, id=0x1234, seq=7) / (b"bootstorm-ping" * 4))
    bad = {}
    raw = bytes(Ether(dst=SRV_MAC, src=CLI_MAC) / IP(src="10.77.0.100", dst=SRV_IP) /
                UDP(sport=5000, dport=69) / b"\x00\x01x\x00octet\x00")
    bad["DROP_RUNT"] = raw[:13]
    b = bytearray(raw); b[14] = 0x44; bad["DROP_IP_HDR"] = bytes(b)          # IHL 4
    b = bytearray(raw); b[24] ^= 0xff; bad["DROP_IP_CSUM"] = bytes(b)        # checksum
    p = Ether(raw); p[IP].len = 200; p[IP].chksum = None
    bad["DROP_IP_LEN"] = bytes(p)                                             # total length lies
    p = Ether(raw); p[IP].flags = "MF"; p[IP].chksum = None
    bad["DROP_IP_FRAG"] = bytes(p)
    b = bytearray(raw); b[38] = 0; b[39] = 99; bad["DROP_UDP_LEN"] = bytes(b)  # UDP length lies
    b = bytearray(raw); b[40] ^= 0x55; bad["DROP_UDP_CSUM"] = bytes(b)
    bad["DROP_OWN_MAC"] = bytes(Ether(dst=BCAST, src=SRV_MAC) / ARP(pdst=SRV_IP))
    bad["DROP_VLAN"] = bytes(Ether(dst=BCAST, src=CLI_MAC) / Dot1Q(vlan=9) /
                             ARP(op=1, hwsrc=CLI_MAC, psrc="10.77.0.100", pdst=SRV_IP))
    bad["DROP_BCAST"] = bytes(Ether(dst=BCAST, src=CLI_MAC) / IP(src="10.77.0.100", dst="255.255.255.255") /
                              UDP(sport=5353, dport=5353) / b"storm")
    f += [Raw(load=v) for v in bad.values()]
    # A broadcast storm: 200 broadcasts for no service of ours.
    storm = [Ether(dst=BCAST, src="52:54:00:bb:00:%02x" % (i % 256)) /
             IP(src="10.77.0.%d" % (100 + i % 50), dst="255.255.255.255") /
             UDP(sport=137, dport=137) / b"nbns" for i in range(200)]
    f += storm
    # IPv6 RS: answered with a minimal RA.
    f.append(Ether(dst="33:33:00:00:00:02", src=CLI_MAC) /
             IPv6(src="fe80::5054:ff:feaa:1", dst="ff02::2", hlim=255) / ICMPv6ND_RS())

    def checker(out, ctr, ctx):
        arps = [p for p in out if ARP in p]
        garp = [p for p in arps if p[ARP].op == 1 and p[ARP].psrc == SRV_IP and p[ARP].pdst == SRV_IP]
        check(len(garp) >= 1, "no gratuitous ARP at start")
        check(garp[0][Ether].dst == BCAST and garp[0][ARP].hwsrc == SRV_MAC, "GARP fields")
        rep = [p for p in arps if p[ARP].op == 2]
        check(len(rep) == 1, "expected 1 ARP reply, got %d" % len(rep))
        r = rep[0]
        check(r[Ether].dst == CLI_MAC and r[Ether].src == SRV_MAC, "ARP reply Ethernet addresses")
        check(r[ARP].hwsrc == SRV_MAC and r[ARP].psrc == SRV_IP, "ARP reply sender")
        check(r[ARP].hwdst == CLI_MAC and r[ARP].pdst == "10.77.0.100", "ARP reply target")
        check(len(bytes(r)) >= 60, "ARP reply padded to 60 bytes")
        ic = [p for p in out if ICMP in p]
        check(len(ic) == 1, "expected 1 ICMP reply, got %d" % len(ic))
        i = ic[0]
        check(i[ICMP].type == 0 and i[ICMP].id == 0x1234 and i[ICMP].seq == 7, "ICMP reply fields")
        check(i[IP].src == SRV_IP and i[IP].dst == "10.77.0.100", "ICMP reply addresses")
        check(bytes(i[ICMP].payload) == b"bootstorm-ping" * 4, "ICMP payload echoed")
        c = i[ICMP].chksum
        j = i[ICMP].copy(); j.chksum = None
        check(ICMP(bytes(j)).chksum == c, "ICMP checksum valid")
        check(ip_csum_ok(i), "IP checksum valid")
        ra = [p for p in out if ICMPv6ND_RA in p]
        check(len(ra) == 1, "expected 1 RA, got %d" % len(ra))
        check(ra[0][IPv6].hlim == 255 and ra[0][ICMPv6ND_RA].routerlifetime == 0, "RA fields")
        c = ra[0][ICMPv6ND_RA].cksum
        k = ra[0][IPv6].copy(); k[ICMPv6ND_RA].cksum = None
        check(IPv6(bytes(k))[ICMPv6ND_RA].cksum == c, "RA checksum valid")
        for name in bad:
            want = 1
            if name == "DROP_BCAST":
                want = 1 + len(storm)
            check(ctr.get(name) == want, "%s: want %d, got %s" % (name, want, ctr.get(name)))
        check(ctr["DROP_NOT_FOR_US"] == 1, "ARP for another host counted")
        check(ctr["ARP_REPLY"] == 1 and ctr["ICMP_ECHO_REPLY"] == 1 and ctr["RA_TX"] == 1, "reply counters")
        check(len(out) == 1 + 1 + 1 + 1, "nothing else sent (got %d frames)" % len(out))
    return f, [], checker, []


def case_reflect():
    """Issue 15 item 11: one RA per RS burst (RFC 4861 6.2.6: one multicast
    RA per MIN_DELAY_BETWEEN_RAS = 3 s; the replay takes milliseconds), no
    ICMP echo reply to an echo in an L2 broadcast frame, no ARP/ICMP reply
    to a group source MAC.  The unicast controls are still answered."""
    grp = "01:00:5e:00:00:01"
    echo = IP(src="10.77.0.100", dst=SRV_IP) / ICMP(type=8, id=0x77, seq=1) / b"reflect"
    f = [Ether(dst="33:33:00:00:00:02", src="52:54:00:aa:00:%02x" % i) /
         IPv6(src="fe80::5054:ff:feaa:%x" % i, dst="ff02::2", hlim=255) / ICMPv6ND_RS()
         for i in range(1, 4)]
    f.append(Ether(dst=BCAST, src=CLI_MAC) / echo)                     # L2 broadcast
    f.append(Ether(dst=SRV_MAC, src=grp) / echo)                       # group source
    f.append(Ether(dst=BCAST, src=grp) / ARP(op=1, hwsrc=CLI_MAC, psrc="10.77.0.100", pdst=SRV_IP))
    f.append(Ether(dst=BCAST, src=CLI_MAC) / ARP(op=1, hwsrc=BCAST, psrc="10.77.0.100", pdst=SRV_IP))
    f.append(Ether(dst=SRV_MAC, src=CLI_MAC) / echo)                   # controls
    f.append(Ether(dst=BCAST, src=CLI_MAC) / ARP(op=1, hwsrc=CLI_MAC, psrc="10.77.0.100", pdst=SRV_IP))

    def checker(out, ctr, ctx):
        ra = [p for p in out if ICMPv6ND_RA in p]
        check(len(ra) == 1, "expected 1 RA for 3 RS within 3 s, got %d" % len(ra))
        check(ctr.get("DROP_RA_RATE") == 2, "RA_RATE drops: %s" % ctr.get("DROP_RA_RATE"))
        ic = [p for p in out if ICMP in p]
        check(len(ic) == 1 and ic[0][Ether].dst == CLI_MAC, "only the unicast echo answered (%d)" % len(ic))
        check(ctr.get("DROP_ICMP_L2_BCAST") == 1, "ICMP_L2_BCAST: %s" % ctr.get("DROP_ICMP_L2_BCAST"))
        rep = [p for p in out if ARP in p and p[ARP].op == 2]
        check(len(rep) == 1 and rep[0][Ether].dst == CLI_MAC, "only the unicast ARP answered (%d)" % len(rep))
        check(ctr.get("DROP_GROUP_SRC_MAC") == 3, "GROUP_SRC_MAC: %s" % ctr.get("DROP_GROUP_SRC_MAC"))
        check(all(not (p[Ether].dst in (BCAST, grp) and (ICMP in p or (ARP in p and p[ARP].op == 2)))
                  for p in out), "no reply to a group")
        check(len(out) == 1 + 1 + 1 + 1, "GARP, RA, echo reply, ARP reply only (got %d)" % len(out))
    return f, [], checker, []


def case_dhcp(durable=True):
    xid1, xid2 = 0x1111, 0x2222
    f = [dhcp_msg(CLI_MAC, "discover", xid1)]
    f += filler(40)
    f.append(dhcp_msg(CLI_MAC, "request", xid2, [("server_id", SRV_IP), ("requested_addr", "10.77.0.150")]))
    f += filler(40)
    f.append(dhcp_msg(NODE_MAC, "discover", 0x3333))

    def checker(out, ctr, ctx):
        d = [p for p in out if BOOTP in p]
        offers = [p for p in d if dhcp_opts(p).get("message-type") == (2,)]
        acks = [p for p in d if dhcp_opts(p).get("message-type") == (5,)]
        check(len(offers) == 2, "expected 2 OFFERs, got %d" % len(offers))
        o = [p for p in offers if p[BOOTP].xid == xid1]
        check(len(o) == 1, "OFFER for the pool client")
        o = o[0]
        check(o[BOOTP].op == 2 and o[BOOTP].yiaddr == "10.77.0.150", "OFFER yiaddr %s" % o[BOOTP].yiaddr)
        check(o[BOOTP].siaddr == "10.77.0.1", "OFFER siaddr (next-server)")
        check(o[BOOTP].file.rstrip(b"\0") == b"pxelinux.0" or
              dhcp_opts(o).get("boot-file-name", (b"",))[0].rstrip(b"\0") == b"pxelinux.0",
              "OFFER boot file pxelinux.0")
        op = dhcp_opts(o)
        check(op.get("server_id") == (SRV_IP,), "OFFER server id")
        check(op.get("subnet_mask") == ("255.255.255.0",), "OFFER subnet mask")
        check(op.get("router") == ("10.77.0.1",), "OFFER router")
        check(o[IP].src == SRV_IP and o[UDP].sport == 67 and o[UDP].dport == 68, "OFFER addressing")
        check(o[Ether].src == SRV_MAC, "OFFER source MAC")
        check(udp_csum_ok(o) and ip_csum_ok(o), "OFFER checksums")
        n = [p for p in offers if p[BOOTP].xid == 0x3333][0]
        check(n[BOOTP].yiaddr == "10.77.0.11", "reserved node gets its address (%s)" % n[BOOTP].yiaddr)
        if durable:
            check(len(acks) == 1, "expected 1 ACK, got %d" % len(acks))
            a = acks[0]
            check(a[BOOTP].xid == xid2 and a[BOOTP].yiaddr == "10.77.0.150", "ACK fields")
            check("lease_time" in dhcp_opts(a), "ACK lease time")
            check(udp_csum_ok(a) and ip_csum_ok(a), "ACK checksums")
            check(ctx["tool_out"].startswith("leases=") and
                  int(ctx["tool_out"].split()[0].split("=")[1]) >= 1, "lease events journalled")
        else:
            check(len(acks) == 0, "ACK left although the journal never confirmed it")
            check(ctr["DROP_HOLD_TIMEOUT"] == 1, "held ACK timed out and counted")
        check(ctr["DHCP_HELD"] >= 1, "the dynamic ACK was held for group commit")
        check(ctr["DROP_NOT_FOR_US"] == 80, "fillers dropped")
    tool = [] if durable else ["--no-durable"]
    extra = [] if durable else ["--hold-ms", "300"]
    return f, extra, checker, tool


def tftp_file(work):
    data = bytes((i * 31 + 7) % 251 for i in range(3000))
    os.makedirs(os.path.join(work, "tftp", "efi"), exist_ok=True)
    with open(os.path.join(work, "tftp", "efi", "httpboot.efi"), "wb") as fh:
        fh.write(data)  # the lab profile's http_boot: must exist under tftp.root
    path = os.path.join(work, "tftp", "pxelinux.0")
    with open(path, "wb") as fh:
        fh.write(data)
    old = time.time() - 60  # older than the engine's settle time
    os.utime(path, (old, old))
    return data


def case_tftp(copy=False):
    rrq = (Ether(dst=SRV_MAC, src=CLI_MAC) / IP(src="10.77.0.100", dst=SRV_IP) / UDP(sport=2000, dport=69) /
           b"\x00\x01pxelinux.0\x00octet\x00blksize\x001024\x00tsize\x000\x00")
    f = [rrq]
    for b in range(0, 4):   # ACK 0 (of the OACK) .. ACK 3 (last block)
        f += filler(40)
        f.append(tftp_ack(b))
    f += filler(40)
    f.append(Ether(dst=SRV_MAC, src=CLI_MAC) / IP(src="10.77.0.100", dst=SRV_IP) / UDP(sport=2001, dport=69) /
             b"\x00\x01missing.cfg\x00octet\x00")

    def checker(out, ctr, ctx):
        data = ctx["file"]
        t = [p for p in out if UDP in p and p[UDP].dport in (2000, 2001)]
        check(len(t) >= 5, "expected OACK + 3 DATA + ERROR, got %d" % len(t))
        for p in t:
            check(udp_csum_ok(p) and ip_csum_ok(p), "checksums of reply to port %d" % p[UDP].dport)
            if p[UDP].dport == 2000:
                check(p[UDP].sport == TID, "server TID %d" % p[UDP].sport)
        pl = [bytes(p[UDP].payload) for p in t if p[UDP].dport == 2000]
        check(pl[0][:2] == b"\x00\x06", "first reply is an OACK")
        opts = pl[0][2:].split(b"\0")
        od = dict(zip(opts[0::2], opts[1::2]))
        check(od.get(b"blksize") == b"1024", "OACK blksize 1024 (%r)" % od)
        check(od.get(b"tsize") == b"3000", "OACK tsize 3000 (%r)" % od)
        blocks = {}
        for x in pl[1:]:
            check(x[:2] == b"\x00\x03", "DATA opcode")
            blocks[int.from_bytes(x[2:4], "big")] = x[4:]
        check(sorted(blocks) == [1, 2, 3], "blocks 1..3 (got %s)" % sorted(blocks))
        check(len(blocks[1]) == 1024 and len(blocks[3]) == 3000 - 2048, "block sizes")
        check(blocks[1] + blocks[2] + blocks[3] == data, "DATA payload equals the file")
        err = [bytes(p[UDP].payload) for p in t if p[UDP].dport == 2001]
        check(len(err) == 1 and err[0][:4] == b"\x00\x05\x00\x01", "ERROR 1 for a missing file")
        if copy:
            check(ctr["TX_COPY"] == 3 and ctr["TX_COPY_BYTES"] == 3000, "copy path counted")
        else:
            check(ctr["TX_COPY"] == 0 and ctr["TX_COPY_BYTES"] == 0, "zero copy: no payload byte copied")
    return f, (["--tx-copy"] if copy else []), checker, []


PUNT_IF = "bspunt0"
# The dataplane runs inside `unshare -n` (a network namespace that dies with
# it).  net_tap creates the tap there; once it exists the kernel side gets
# our address and a static neighbour (so its answers need no ARP).  The
# input replays in a loop (infinite_rx) with fillers, so the requests keep
# coming after the kernel side is configured.
PUNT_NS_CMDS = [
    "sysctl -qw net.ipv6.conf.{i}.disable_ipv6=1",
    "ip addr add 10.77.0.1/24 dev {i}",
    "ip neigh replace 10.77.0.100 lladdr %s dev {i}" % CLI_MAC,
]


def case_punt():
    """TCP to the server and a UDP port nobody serves go to the kernel
    through the tap; the kernel's answers (RST, ICMP port unreachable) come
    back out of the port."""
    f = [Ether(dst=SRV_MAC, src=CLI_MAC) / IP(src="10.77.0.100", dst=SRV_IP) /
         TCP(sport=33000, dport=80, flags="S", seq=1000),
         Ether(dst=SRV_MAC, src=CLI_MAC) / IP(src="10.77.0.100", dst=SRV_IP) /
         UDP(sport=33001, dport=9) / b"discard?"]
    f += filler(4000)

    def checker(out, ctr, ctx):
        check(ctr["PUNT_TX"] >= 2, "frames punted (got %d)" % ctr["PUNT_TX"])
        rst = [p for p in out if TCP in p and p[TCP].flags.R and p[TCP].dport == 33000]
        check(len(rst) >= 1, "the kernel's RST came back out of the port (%d)" % len(rst))
        check(rst[0][IP].src == SRV_IP and rst[0][Ether].src == SRV_MAC, "RST addressing")
        check(rst[0][TCP].ack == 1001, "RST acknowledges the SYN")
        unr = [p for p in out if ICMP in p and p[ICMP].type == 3 and p[ICMP].code == 3]
        check(len(unr) >= 1, "ICMP port unreachable from the kernel (%d; PUNT_RX %d, TX_PKTS %d, out %d)" % (
            len(unr), ctr["PUNT_RX"], ctr["TX_PKTS"], len(out)))
        check(ctr["PUNT_RX"] >= 2, "PUNT_RX counted (%d)" % ctr["PUNT_RX"])
    return f, [], checker, []


def case_dhcp_httpboot():
    """UEFI HTTP boot (UEFI 2.x "HTTP Boot"): option 60 HTTPClient and RFC 4578 arch 16
    get the class echoed and the loader as an http:// URL (profiles[].http_boot, a path
    served under /boot/); a PXE BIOS client of the same profile still gets its TFTP file."""
    f = [dhcp_msg(NODE_MAC, "discover", 0x4444, vc=b"HTTPClient:Arch:00016:UNDI:003001", arch=16,
                  extra=[("param_req_list", [1, 3, 60, 66, 67])])]
    f += filler(10)
    f.append(dhcp_msg(CLI_MAC, "discover", 0x5555))

    def checker(out, ctr, ctx):
        offers = {p[BOOTP].xid: p for p in out if BOOTP in p and dhcp_opts(p).get("message-type") == (2,)}
        check(set(offers) == {0x4444, 0x5555}, "expected OFFERs for both clients, got %s" % sorted(offers))
        o, op = offers[0x4444], dhcp_opts(offers[0x4444])
        url = b"http://10.77.0.1/boot/efi/httpboot.efi"
        check(o[BOOTP].yiaddr == "10.77.0.11", "HTTP boot OFFER yiaddr %s" % o[BOOTP].yiaddr)
        check(op.get("vendor_class_id") == (b"HTTPClient",), "option 60 echoed as HTTPClient: %s" % (op.get("vendor_class_id"),))
        check(o[BOOTP].file.rstrip(b"\0") == url, "file field is the URL: %r" % o[BOOTP].file.rstrip(b"\0"))
        check(op.get("boot-file-name", (b"",))[0].rstrip(b"\0") == url, "option 67 is the URL")
        check("vendor_specific" not in op, "no PXE option 43 for HTTP boot")
        check(o[BOOTP].siaddr == "10.77.0.1", "siaddr")
        check(udp_csum_ok(o) and ip_csum_ok(o), "OFFER checksums")
        b = offers[0x5555]
        check(b[BOOTP].file.rstrip(b"\0") == b"pxelinux.0", "PXE BIOS client keeps pxelinux.0")
        check(dhcp_opts(b).get("vendor_class_id") == (b"PXEClient",), "PXEClient echoed")
        check(ctr["DHCP_HTTP_CLIENT"] == 1 and ctr["DHCP_PXE_CLIENT"] == 1, "client class counters")
        check(ctr["DHCP_BOOT_LOCAL"] == 0, "no local answer for install nodes")
    return f, [], checker, []


CASES = {
    "dhcp_httpboot": case_dhcp_httpboot,
    "punt": case_punt,
    "l2l3": case_l2l3,
    "reflect": case_reflect,
    "dhcp": lambda: case_dhcp(True),
    "dhcp_hold_timeout": lambda: case_dhcp(False),
    "tftp": lambda: case_tftp(False),
    "tftp_copy": lambda: case_tftp(True),
}


def read_counters(tool, instance):
    r = subprocess.run([tool, "counters", instance], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        return None
    out = {}
    for line in r.stdout.split():
        k, _, v = line.partition("=")
        out[k] = int(v)
    return out


def stop(proc, timeout=10):
    """SIGTERM by PID, bounded; SIGKILL after timeout.  Returns rc or None."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def punt_run(dp, args, instance):
    """Configures the kernel side of the tap inside the dataplane's
    namespace, then lets the looping input run until the kernel answered."""
    ns = ["nsenter", "-t", str(dp.pid), "-n"]
    t0 = time.time()
    while subprocess.run(ns + ["ip", "link", "show", PUNT_IF], capture_output=True).returncode != 0:
        check(dp.poll() is None, "bootstorm-dp exited early (rc %s)" % dp.returncode)
        check(time.time() - t0 < 10, "tap %s not created in 10 s" % PUNT_IF)
        time.sleep(0.05)
    # After the workers run (the tap's MAC is set then, which flushes the
    # kernel's neighbour table).
    while True:
        ctr = read_counters(args.tool, instance)
        if ctr and ctr["dp_pid"] == dp.pid and ctr["PUNT_TX"] > 0:
            break
        check(time.time() - t0 < 10, "dataplane did not start punting in 10 s")
        time.sleep(0.05)
    for c in PUNT_NS_CMDS:
        r = subprocess.run(ns + c.format(i=PUNT_IF).split(), capture_output=True, text=True)
        check(r.returncode == 0, "%s: %s" % (c, r.stderr))
    t0 = time.time()
    while time.time() - t0 < 5:
        ctr = read_counters(args.tool, instance)
        if ctr and ctr["PUNT_RX"] >= 4:
            break
        time.sleep(0.1)
    r = subprocess.run(ns + ["nstat", "-az", "UdpNoPorts", "IcmpOutDestUnreachs", "IcmpOutRateLimitGlobal",
                             "IcmpOutRateLimitHost"], capture_output=True, text=True)
    print(r.stdout)


def run_case(name, args):
    frames, extra, checker, tool_args = CASES[name]()
    work = tempfile.mkdtemp(prefix="bs-pcap-%s-" % name)
    instance = "pcap-%s-%d" % (name.replace("_", "-"), os.getpid())
    for d in ("tftp", "repo", "templates", "state"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    with open(os.path.join(work, "templates", "lab.ks"), "w") as fh:
        fh.write("# ks for ${name}\n")
    ctx = {"file": tftp_file(work)}
    cfg = os.path.join(work, "pcap.yaml")
    punt = name == "punt"
    with open(cfg, "w") as fh:
        fh.write(CONFIG.format(instance=instance, work=work, tid=TID,
                               punt=("  punt: %s\n" % PUNT_IF) if punt else ""))
    if punt:
        with open(cfg) as fh:
            text = fh.read().replace("tx_pcap=", "infinite_rx=1,tx_pcap=")
        with open(cfg, "w") as fh:
            fh.write(text)
    wrpcap(os.path.join(work, "in.pcap"), frames, linktype=1)
    ready = os.path.join(work, "ready")
    tool = subprocess.Popen([args.tool, "serve", cfg, "--ready", ready] + tool_args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dp = None
    dplog = open(os.path.join(work, "dp.log"), "w+")
    try:
        t0 = time.time()
        while not os.path.exists(ready):
            if tool.poll() is not None:
                raise Fail("bs_pcaptool serve exited: %s" % tool.stderr.read())
            check(time.time() - t0 < 10, "region not ready in 10 s")
            time.sleep(0.05)
        cmd = [args.dp, "-c", cfg, "--"] + extra
        if punt:
            cmd = ["unshare", "-n"] + cmd
        dp = subprocess.Popen(cmd, stdout=dplog, stderr=subprocess.STDOUT)
        if punt:
            punt_run(dp, args, instance)
            frames = None
        # Wait for every input frame to be received, then for the output to
        # settle (holds released, the pool gauge refreshed).
        t0 = time.time()
        ctr = None
        while True:
            check(dp.poll() is None, "bootstorm-dp exited early (rc %s)" % dp.returncode)
            check(time.time() - t0 < 20, "input not consumed in 20 s: %s" % (ctr and ctr.get("RX_PKTS")))
            ctr = read_counters(args.tool, instance)
            if ctr and ctr["dp_pid"] == dp.pid and (frames is None or ctr["RX_PKTS"] >= len(frames)):
                break
            time.sleep(0.1)
        last = None
        t1 = time.time()
        while time.time() - t1 < 5:
            time.sleep(0.4)
            ctr = read_counters(args.tool, instance)
            key = (ctr["TX_PKTS"], ctr["DHCP_HELD"], ctr["DROP_HOLD_TIMEOUT"])
            if frames is None or (key == last and ctr["POOL_INUSE"] == ctr["POOL_BASE"]):
                break
            last = key
        if frames is not None:  # a looping input has frames in flight
            check(ctr["RX_PKTS"] == len(frames), "RX_PKTS %d != %d frames" % (ctr["RX_PKTS"], len(frames)))
            check(ctr["POOL_INUSE"] == ctr["POOL_BASE"],
                  "mbufs leaked: in use %d, baseline %d" % (ctr["POOL_INUSE"], ctr["POOL_BASE"]))
        rc = stop(dp)
        check(rc == 0, "bootstorm-dp did not exit cleanly on SIGTERM (rc %s)" % rc)
        dplog.seek(0)
        log = dplog.read()
        check("mbufs in use after close: 0, ext 0" in log, "mbufs left at exit:\n" + log[-2000:])
        stop(tool)
        ctx["tool_out"] = tool.stdout.read()
        out = rdpcap(os.path.join(work, "out.pcap"))
        checker(out, ctr, ctx)
    except Fail as e:
        dplog.seek(0)
        print("FAIL %s: %s (work dir %s)\n--- dp log ---\n%s" % (name, e, work, dplog.read()[-3000:]))
        return False
    finally:
        if dp is not None:
            stop(dp)
        stop(tool)
        dplog.close()
    print("ok   %s" % name)
    subprocess.run(["rm", "-rf", work])
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dp", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("pcap tests run bootstorm-dp with EAL --no-huge, which needs root here "
              "(CI runs as root)")
        return 1
    ok = True
    for c in args.cases:
        if c not in CASES:
            print("unknown case %s" % c)
            return 2
        ok = run_case(c, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
