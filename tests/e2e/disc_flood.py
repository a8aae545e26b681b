#!/usr/bin/python3
# DHCPDISCOVERs from N distinct spoofed MACs (02:f1:00:00:hh:ll), each with a
# PXE vendor class, option 93 and option 97, for tests/e2e/t_discover.sh.
# Raw AF_PACKET socket on --iface; bounded in packets and time (--rate
# packets per second at most, --timeout seconds).  Prints one JSON object:
# what it sent.
import argparse
import json
import socket
import struct
import time

COOKIE = b"\x63\x82\x53\x63"


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def discover(mac, xid):
    opts = bytes([53, 1, 1])
    vc = b"PXEClient:Arch:00007:UNDI:003016"
    opts += bytes([60, len(vc)]) + vc
    opts += bytes([93, 2, 0, 7])
    opts += bytes([97, 17, 0]) + mac + bytes(10)
    opts += b"\xff"
    bootp = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, xid, 0, 0x8000, 0, 0, 0, 0)
    bootp += mac + bytes(10) + bytes(64) + bytes(128) + COOKIE + opts
    bootp += bytes(max(0, 300 - len(bootp)))
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0)
    ph = bytes(4) + b"\xff\xff\xff\xff" + struct.pack("!BBH", 0, 17, 8 + len(bootp))
    c = csum(ph + udp + bootp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(bootp), xid & 0xFFFF, 0, 64, 17, 0,
                     bytes(4), b"\xff\xff\xff\xff")
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp + bootp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    t0 = time.monotonic()
    sent = 0
    for i in range(a.count):
        if time.monotonic() - t0 > a.timeout:
            break
        mac = bytes([0x02, 0xF1, 0, 0, (i >> 8) & 0xFF, i & 0xFF])
        s.send(discover(mac, 0x5000000 + i))
        sent += 1
        ahead = sent / a.rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - t0, 3)}))


if __name__ == "__main__":
    main()
