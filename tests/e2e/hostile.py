#!/usr/bin/python3
# Hostile-client traffic for tests/e2e/t_hostile.sh (run with /usr/bin/python3:
# scapy is Debian's python3-scapy).  Every mode is bounded in packets and time
# and prints one JSON object on stdout: what it sent, what it saw.
#
#   malformed  --iface IF --mac MAC --ip IP --count N
#       Malformed/oversized DHCP and TFTP and broken L2/L3/L4 headers, N of
#       each case; the JSON maps each case to the drop counter it must move.
#   tftp-flood --iface IF --file NAME --opt-sources A --per-source-ports B
#              --sources C
#       RRQs from spoofed addresses (198.51.100.0/22, random MACs): A sources
#       asking for big blksize/windowsize, one source from B ports, C sources
#       with one RRQ each.
#   starve     --iface IF --count N --timeout S
#       DHCPDISCOVER from N random MACs, then DHCPREQUEST for every OFFER seen.
#   pcap-tftp  --pcap FILE
#       What the server sent to the spoofed range in a capture (TFTP DATA,
#       OACK, ERROR; packets, bytes, block numbers, per destination).
#   metrics-diff A B
#       Prometheus text files: "name{labels} delta" for every series.
import argparse
import json
import random
import re
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SERVER_IP = "10.77.0.1"
SERVER_MAC = "02:00:00:77:00:01"
COOKIE = b"\x63\x82\x53\x63"
SPOOF_NETS = ("198.51.100.", "198.51.101.", "198.51.102.", "198.51.103.")


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def rand_mac(rng, first=0x02):
    return bytes([first] + [rng.randrange(256) for _ in range(5)])


def ip_bytes(a):
    return socket.inet_aton(a)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype=0x0800):
    return dst + src + struct.pack("!H", etype)


def ipv4(src, dst, payload, proto=17, tot=None, ihl=5, frag=0, bad_csum=False):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, random.randrange(65536), frag, 64,
                    proto, 0, ip_bytes(src), ip_bytes(dst))
    c = csum(h)
    if bad_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp(src_ip, dst_ip, sport, dport, data, ulen=None, bad_csum=False):
    ulen = 8 + len(data) if ulen is None else ulen
    h = struct.pack("!HHHH", sport, dport, ulen, 0)
    ph = ip_bytes(src_ip) + ip_bytes(dst_ip) + struct.pack("!BBH", 0, 17, 8 + len(data))
    c = csum(ph + h + data) or 0xFFFF
    if bad_csum:
        c = (c ^ 0x1111) or 0x2222  # never 0: that would mean "no checksum"
    return h[:6] + struct.pack("!H", c) + data


def bootp(chaddr, opts=b"", op=1, htype=1, hlen=6, cookie=COOKIE, file=b"", sname=b"", xid=None,
          flags=0):
    xid = random.randrange(1 << 32) if xid is None else xid
    fixed = struct.pack("!BBBBIHHIIII", op, htype, hlen, 0, xid, 0, flags, 0, 0, 0, 0)
    fixed += chaddr.ljust(16, b"\0") + sname.ljust(64, b"\0")[:64] + file.ljust(128, b"\0")[:128]
    return fixed + cookie + opts


def opt(code, val):
    return bytes([code, len(val)]) + val


def dhcp_frame(src_mac, payload, **kw):
    """Broadcast DHCP from 0.0.0.0:68; kw go to udp()/ipv4()."""
    ukw = {k: kw.pop(k) for k in ("ulen", "bad_csum") if k in kw}
    ipkw = {k[3:]: v for k, v in kw.items() if k.startswith("ip_")}
    u = udp("0.0.0.0", "255.255.255.255", 68, 67, payload, **ukw)
    return eth(b"\xff" * 6, src_mac) + ipv4("0.0.0.0", "255.255.255.255", u, **ipkw)


def tftp_frame(src_mac, src_ip, sport, data, dport=69, dst_mac=None):
    dst_mac = dst_mac or mac_bytes(SERVER_MAC)
    return eth(dst_mac, src_mac) + ipv4(src_ip, SERVER_IP, udp(src_ip, SERVER_IP, sport, dport, data))


def rrq(name, mode=b"octet", opts=()):
    b = b"\x00\x01" + name + b"\0" + mode + b"\0"
    for k, v in opts:
        b += k + b"\0" + v + b"\0"
    return b


class Sender:
    """Raw frames on one interface, paced: at most `burst` frames, then a
    short pause (the dataplane's AF_PACKET ring is finite; the point is
    malformed input at rate, not ring overflow)."""

    def __init__(self, iface, burst=64, pause=0.004):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((iface, 0))
        self.burst, self.pause, self.n, self.bytes = burst, pause, 0, 0

    def send(self, frame):
        self.s.send(frame)
        self.n += 1
        self.bytes += len(frame)
        if self.n % self.burst == 0:
            time.sleep(self.pause)


def dhcp_discover_opts(extra=b""):
    return opt(53, b"\x01") + extra + b"\xff"


def malformed(a):
    rng = random.Random(1234)
    src = mac_bytes(a.mac)
    chaddr = b"\x02\x66\x00\x00\x00\x01"
    n = a.count
    dst_srv = mac_bytes(SERVER_MAC)
    cases = []  # (name, counter, frame factory)

    def add(name, counter, fn):
        cases.append((name, counter, fn))

    disc = bootp(chaddr, dhcp_discover_opts())
    # -- L2/L3/L4 (DHCP payload, broadcast) --
    add("runt_ipv4", "drops_total{reason=\"runt\"}", lambda: eth(b"\xff" * 6, src) + b"\x45\x00\x00\x1c" + b"\0" * 6)
    add("runt_arp", "drops_total{reason=\"runt\"}", lambda: eth(b"\xff" * 6, src, 0x0806) + b"\x00\x01\x08\x00\x06\x04")
    add("runt_udp", "drops_total{reason=\"runt\"}",
        lambda: eth(b"\xff" * 6, src) + ipv4("0.0.0.0", "255.255.255.255", b"\x00\x44\x00"))
    add("ip_bad_csum", "drops_total{reason=\"ip_csum\"}", lambda: dhcp_frame(src, disc, ip_bad_csum=True))
    add("ip_len_past_frame", "drops_total{reason=\"ip_len\"}", lambda: dhcp_frame(src, disc, ip_tot=1400))
    add("ip_len_below_ihl", "drops_total{reason=\"ip_len\"}", lambda: dhcp_frame(src, disc, ip_tot=12))
    add("ip_ihl_3", "drops_total{reason=\"ip_hdr\"}", lambda: dhcp_frame(src, disc, ip_ihl=3))
    # No lone-fragment case: DPDK's net_af_packet joins a PACKET_FANOUT group
    # with PACKET_FANOUT_FLAG_DEFRAG, so the kernel holds fragments for
    # reassembly and DROP_IP_FRAG cannot be reached through this port
    # (tests/unit/dataplane/test_pkt.c covers it).
    add("udp_len_past_ip", "drops_total{reason=\"udp_len\"}", lambda: dhcp_frame(src, disc, ulen=len(disc) + 200))
    add("udp_len_below_8", "drops_total{reason=\"udp_len\"}", lambda: dhcp_frame(src, disc, ulen=4))
    add("udp_bad_csum", "drops_total{reason=\"udp_csum\"}", lambda: dhcp_frame(src, disc, bad_csum=True))
    # -- DHCP (RFC 2131/2132/3396 structure) --
    d = lambda payload: (lambda: dhcp_frame(src, payload))  # noqa: E731
    add("bootp_truncated_200", "drops_total{reason=\"dhcp_truncated\"}", d(disc[:200]))
    add("bootp_no_cookie_room", "drops_total{reason=\"dhcp_truncated\"}", d(disc[:238]))
    add("bootp_bad_cookie", "drops_total{reason=\"dhcp_no_cookie\"}", d(bootp(chaddr, dhcp_discover_opts(), cookie=b"\x63\x82\x53\x00")))
    add("bootp_op_3", "drops_total{reason=\"dhcp_bad_op\"}", d(bootp(chaddr, dhcp_discover_opts(), op=3)))
    add("bootp_bootreply", "drops_total{reason=\"dhcp_bootreply\"}", d(bootp(chaddr, dhcp_discover_opts(), op=2)))
    add("bootp_htype_6", "drops_total{reason=\"dhcp_htype\"}", d(bootp(chaddr, dhcp_discover_opts(), htype=6)))
    add("bootp_hlen_16", "drops_total{reason=\"dhcp_hlen\"}", d(bootp(chaddr, dhcp_discover_opts(), hlen=16)))
    add("bootp_zero_chaddr", "drops_total{reason=\"dhcp_zero_mac\"}", d(bootp(b"\0" * 6, dhcp_discover_opts())))
    add("opt_len_past_end", "drops_total{reason=\"dhcp_opt_truncated\"}", d(bootp(chaddr, opt(53, b"\x01") + b"\x0c\xc8" + b"x" * 20)))
    add("opt_len_byte_missing", "drops_total{reason=\"dhcp_opt_truncated\"}", d(bootp(chaddr, opt(53, b"\x01") + b"\x3c")))
    add("opt53_len_2", "drops_total{reason=\"dhcp_opt_len\"}", d(bootp(chaddr, b"\x35\x02\x01\x01\xff")))
    add("opt50_len_3", "drops_total{reason=\"dhcp_opt_len\"}", d(bootp(chaddr, opt(53, b"\x01") + opt(50, b"\x0a\x4d\x00") + b"\xff")))
    # RFC 3396: split option 60 reassembles to 765 bytes, past its 255 maximum
    add("giant_opt60_765", "drops_total{reason=\"dhcp_opt_len\"}",
        d(bootp(chaddr, opt(53, b"\x01") + opt(60, b"P" * 255) * 3 + b"\xff")))
    add("giant_opt61_in_file_overload", "drops_total{reason=\"dhcp_opt_len\"}",
        d(bootp(chaddr, opt(53, b"\x01") + opt(52, b"\x01") + opt(61, b"\x01" + b"c" * 254) + b"\xff",
                file=opt(61, b"c" * 120))))
    add("overload_value_7", "drops_total{reason=\"dhcp_overload\"}", d(bootp(chaddr, opt(53, b"\x01") + opt(52, b"\x07") + b"\xff")))
    # option 52 inside the overloaded file field would make the walk recurse
    add("overload_loop_file", "drops_total{reason=\"dhcp_overload_loop\"}",
        d(bootp(chaddr, opt(53, b"\x01") + opt(52, b"\x03") + b"\xff", file=opt(52, b"\x01") + b"\xff")))
    add("overload_loop_sname", "drops_total{reason=\"dhcp_overload_loop\"}",
        d(bootp(chaddr, opt(53, b"\x01") + opt(52, b"\x02") + b"\xff", sname=opt(52, b"\x02") + b"\xff")))
    add("overload_file_past_end", "drops_total{reason=\"dhcp_opt_truncated\"}",
        d(bootp(chaddr, opt(53, b"\x01") + opt(52, b"\x01") + b"\xff", file=b"\x0c\x7f" + b"z" * 126)))
    add("no_msg_type", "drops_total{reason=\"dhcp_no_msg_type\"}", d(bootp(chaddr, opt(12, b"host") + b"\xff")))
    add("msg_type_offer", "drops_total{reason=\"dhcp_bad_msg_type\"}", d(bootp(chaddr, opt(53, b"\x02") + b"\xff")))
    add("max_size_100", "drops_total{reason=\"dhcp_bad_max_size\"}", d(bootp(chaddr, opt(53, b"\x01") + opt(57, b"\x00\x64") + b"\xff")))
    # -- TFTP to port 69 and to a TID nobody owns (unicast to the server) --
    tip = a.ip
    t = lambda data, **kw: (lambda: tftp_frame(src, tip, 2000 + rng.randrange(60000), data, **kw))  # noqa: E731
    add("tftp_1_byte", "drops_total{reason=\"tftp_short\"}", t(b"\x00"))
    add("tftp_rrq_no_nul", "drops_total{reason=\"tftp_rrq_malformed\"}", t(b"\x00\x01pxelinux.0"))
    add("tftp_rrq_no_mode", "drops_total{reason=\"tftp_rrq_malformed\"}", t(b"\x00\x01pxelinux.0\x00octet"))
    add("tftp_rrq_empty_name", "drops_total{reason=\"tftp_rrq_empty_name\"}", t(rrq(b"")))
    add("tftp_rrq_name_1200", "drops_total{reason=\"tftp_rrq_name_long\"}", t(rrq(b"a" * 1200)))
    add("tftp_rrq_mode_mail", "drops_total{reason=\"tftp_bad_mode\"}", t(rrq(b"pxelinux.0", b"mail")))
    add("tftp_rrq_blksize_abc", "drops_total{reason=\"tftp_bad_option\"}", t(rrq(b"pxelinux.0", opts=[(b"blksize", b"abc")])))
    add("tftp_rrq_opt_no_value", "drops_total{reason=\"tftp_bad_option\"}", t(b"\x00\x01pxelinux.0\x00octet\x00blksize\x00"))
    add("tftp_rrq_windowsize_0", "drops_total{reason=\"tftp_bad_option\"}", t(rrq(b"pxelinux.0", opts=[(b"windowsize", b"0")])))
    add("tftp_rrq_garbage_after_pad", "drops_total{reason=\"tftp_bad_option\"}", t(rrq(b"pxelinux.0") + b"\0\0\0junk"))
    # oversized: 1300 bytes of unknown options on a missing file -> ERROR 1
    add("tftp_rrq_giant_options_missing", "drops_total{reason=\"tftp_not_found\"}",
        t(rrq(b"no-such-file", opts=[(b"x%03d" % i, b"y" * 8) for i in range(90)])))
    add("tftp_opcode_9", "drops_total{reason=\"tftp_illegal_op\"}", t(b"\x00\x09abc\x00"))
    add("tftp_data_to_69", "drops_total{reason=\"tftp_illegal_op\"}", t(b"\x00\x03\x00\x01" + b"d" * 512))
    add("tftp_wrq", "drops_total{reason=\"tftp_wrq\"}", t(b"\x00\x02evil.bin\x00octet\x00"))
    add("tftp_error_to_69", "drops_total{reason=\"tftp_error_stray\"}", t(b"\x00\x05\x00\x00oops\x00"))
    add("tftp_ack_unknown_tid", "drops_total{reason=\"tftp_unknown_tid\"}", t(b"\x00\x04\x00\x07", dport=45001))
    add("tftp_short_ack_unknown_tid", "drops_total{reason=\"tftp_unknown_tid\"}", t(b"\x00\x04", dport=45002))
    add("tftp_src_port_0", "drops_total{reason=\"tftp_bad_src\"}",
        lambda: eth(dst_srv, src) + ipv4(tip, SERVER_IP, udp(tip, SERVER_IP, 0, 69, rrq(b"pxelinux.0"))))

    snd = Sender(a.iface)
    t0 = time.monotonic()
    # interleaved rounds: every case N times, at rate, in mixed order
    for _ in range(n):
        for _name, _ctr, fn in cases:
            snd.send(fn())
    out = {"frames": snd.n, "bytes": snd.bytes, "seconds": round(time.monotonic() - t0, 3),
           "per_case": n, "cases": {name: ctr for name, ctr, _ in cases}}
    json.dump(out, sys.stdout)


def spoof_ip(i):
    assert i < 1000, "spoofed range is 198.51.100.0/22, 1000 sources"
    return SPOOF_NETS[i // 250] + str(i % 250 + 1)


def tftp_flood(a):
    rng = random.Random(99)
    snd = Sender(a.iface, burst=32, pause=0.003)
    fname = a.file.encode()
    sent = {"opt_sources": [], "per_source": None, "single": []}
    t0 = time.monotonic()
    i = 0
    # A sources with big blksize/windowsize: the server may answer only OACK
    # until the (spoofed, so never coming) ACK 0.
    for _ in range(a.opt_sources):
        ip = spoof_ip(i); i += 1
        snd.send(tftp_frame(rand_mac(rng), ip, 1024 + rng.randrange(60000),
                            rrq(fname, opts=[(b"blksize", b"65464"), (b"windowsize", b"64"), (b"tsize", b"0")])))
        sent["opt_sources"].append(ip)
    # One source from many ports: max_per_client holds.
    ip, mac = spoof_ip(i), rand_mac(rng); i += 1
    for p in range(a.per_source_ports):
        snd.send(tftp_frame(mac, ip, 20000 + p, rrq(fname)))
    sent["per_source"] = ip
    # Many sources, one RRQ each: max_transfers holds.
    for _ in range(a.sources):
        ip = spoof_ip(i); i += 1
        snd.send(tftp_frame(rand_mac(rng), ip, 1024 + rng.randrange(60000), rrq(fname)))
        sent["single"].append(ip)
    out = {"rrqs": snd.n, "bytes": snd.bytes, "seconds": round(time.monotonic() - t0, 3),
           "opt_sources": sent["opt_sources"], "per_source": sent["per_source"],
           "per_source_rrqs": a.per_source_ports, "single_sources": len(sent["single"])}
    json.dump(out, sys.stdout)


def starve(a):
    rng = random.Random(int(time.time()))
    iface = a.iface
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((iface, 0))
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    rx.settimeout(0.2)
    macs = set()
    offers, acks, naks = {}, {}, 0
    stop = threading.Event()

    def reader():
        nonlocal naks
        while not stop.is_set():
            try:
                f, addr = rx.recvfrom(4096)
            except socket.timeout:
                continue
            if addr[2] == PACKET_OUTGOING or len(f) < 14 + 20 + 8 + 240:
                continue
            if f[12:14] != b"\x08\x00" or f[23] != 17:
                continue
            ihl = (f[14] & 0xF) * 4
            u = 14 + ihl
            if struct.unpack("!HH", f[u:u + 4]) != (67, 68):
                continue
            b = f[u + 8:]
            if b[0] != 2:
                continue
            ch = bytes(b[28:34])
            if ch not in macs:
                continue
            yi = socket.inet_ntoa(b[16:20])
            # option 53 and 54
            mt, sid, p = None, None, 240
            while p + 1 < len(b) and b[p] != 255:
                if b[p] == 0:
                    p += 1
                    continue
                ln = b[p + 1]
                if b[p] == 53 and ln == 1:
                    mt = b[p + 2]
                if b[p] == 54 and ln == 4:
                    sid = b[p + 2:p + 6]
                p += 2 + ln
            if mt == 2:
                offers[ch] = (yi, sid)
            elif mt == 5:
                acks[ch] = yi
            elif mt == 6:
                naks += 1

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    snd = Sender(iface, burst=32, pause=0.004)
    t0 = time.monotonic()
    for _ in range(a.count):
        m = rand_mac(rng, 0x06)
        macs.add(m)
        snd.send(dhcp_frame(m, bootp(m, dhcp_discover_opts(opt(55, b"\x01\x03\x06\x0f")))))
    # let the last OFFERs arrive
    deadline = time.monotonic() + a.timeout
    last = -1
    while time.monotonic() < deadline:
        time.sleep(0.3)
        if len(offers) == last:
            break
        last = len(offers)
    discovers = snd.n
    # DHCPREQUEST (SELECTING: server id + requested address) for every OFFER
    for ch, (yi, sid) in list(offers.items()):
        snd.send(dhcp_frame(ch, bootp(ch, opt(53, b"\x03") + opt(50, socket.inet_aton(yi)) +
                                      opt(54, sid or socket.inet_aton(SERVER_IP)) + b"\xff")))
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline and len(acks) < len(offers):
        time.sleep(0.1)
    stop.set()
    th.join()
    out = {"discovers": discovers, "requests": snd.n - discovers, "offers": len(offers),
           "acks": len(acks), "naks": naks, "bytes": snd.bytes,
           "seconds": round(time.monotonic() - t0, 3),
           "acked_ips": sorted(set(acks.values()), key=lambda s: socket.inet_aton(s))}
    json.dump(out, sys.stdout)


def pcap_tftp(a):
    from scapy.utils import RawPcapReader
    res = {"data_pkts": 0, "data_payload_bytes": 0, "data_frame_bytes": 0, "oack_pkts": 0,
           "error_pkts": 0, "other_pkts": 0, "frame_bytes": 0, "max_block": 0,
           "data_to": {}, "oack_to": {}, "blocks": {}}
    for frame, _meta in RawPcapReader(a.pcap):
        if len(frame) < 14 + 20 + 8 + 2 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue
        dst = socket.inet_ntoa(frame[30:34])
        if not dst.startswith(SPOOF_NETS):
            continue
        ihl = (frame[14] & 0xF) * 4
        u = 14 + ihl
        sport = struct.unpack("!H", frame[u:u + 2])[0]
        if sport == 67:
            continue
        d = frame[u + 8:]
        op = struct.unpack("!H", d[:2])[0]
        res["frame_bytes"] += len(frame)
        if op == 3:
            blk = struct.unpack("!H", d[2:4])[0]
            res["data_pkts"] += 1
            res["data_payload_bytes"] += len(d) - 4
            res["data_frame_bytes"] += len(frame)
            res["max_block"] = max(res["max_block"], blk)
            res["blocks"][str(blk)] = res["blocks"].get(str(blk), 0) + 1
            res["data_to"][dst] = res["data_to"].get(dst, 0) + 1
        elif op == 6:
            res["oack_pkts"] += 1
            res["oack_to"][dst] = res["oack_to"].get(dst, 0) + 1
        elif op == 5:
            res["error_pkts"] += 1
        else:
            res["other_pkts"] += 1
    res["destinations_with_data"] = len(res["data_to"])
    res["max_data_per_destination"] = max(res["data_to"].values(), default=0)
    json.dump(res, sys.stdout)


def read_prom(path):
    vals = {}
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            m = re.match(r"^bootstorm_(\S+)\s+([0-9.eE+-]+)$", line.strip())
            if m:
                vals[m.group(1)] = float(m.group(2))
    return vals


def metrics_diff(a):
    x, y = read_prom(a.before), read_prom(a.after)
    for k in sorted(set(x) | set(y)):
        d = y.get(k, 0) - x.get(k, 0)
        print("%s %d" % (k, d))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("malformed")
    p.add_argument("--iface", required=True)
    p.add_argument("--mac", required=True)
    p.add_argument("--ip", required=True)
    p.add_argument("--count", type=int, default=50)
    p.set_defaults(fn=malformed)
    p = sub.add_parser("tftp-flood")
    p.add_argument("--iface", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--opt-sources", type=int, default=20)
    p.add_argument("--per-source-ports", type=int, default=100)
    p.add_argument("--sources", type=int, default=900)
    p.set_defaults(fn=tftp_flood)
    p = sub.add_parser("starve")
    p.add_argument("--iface", required=True)
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(fn=starve)
    p = sub.add_parser("pcap-tftp")
    p.add_argument("--pcap", required=True)
    p.set_defaults(fn=pcap_tftp)
    p = sub.add_parser("metrics-diff")
    p.add_argument("before")
    p.add_argument("after")
    p.set_defaults(fn=metrics_diff)
    a = ap.parse_args()
    # bounded: never run longer than a minute whatever happens
    signal_alarm = getattr(__import__("signal"), "alarm")
    signal_alarm(60)
    a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
