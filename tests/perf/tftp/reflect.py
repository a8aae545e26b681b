#!/usr/bin/env python3
"""Spoofed-RRQ reflection: bytes the TFTP server sends to spoofed sources per
byte of spoofed RRQ (run from a lab client namespace; see reflect.sh).

Sends raw frames with tests/e2e/hostile.py's builders and counts, on the same
interface, every frame from the server's MAC and IP to a spoofed address
(DATA, OACK, ERROR) until `--settle` seconds after the last RRQ: longer than
an unverified transfer lives, so every retransmission is counted.  No scapy.
Scenarios (each its own source range):
  sparse   N sources, one RRQ each (no options: DATA 1 is the answer)
  victim   one source, N RRQs from different ports (a flood at one victim)
  options  N sources, one RRQ each with blksize/tsize (OACK is the answer)
Prints one JSON object per scenario: rrqs, bytes_in, frames_out, bytes_out,
data, oack, ratio = bytes_out / bytes_in (Ethernet frame bytes both ways).
"""
import argparse
import json
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "e2e"))
import hostile as H  # noqa: E402

NETS = {"sparse": "198.51.100.", "victim": "198.51.101.", "options": "198.51.102."}


def counter(iface, stop, tally, srcs):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(H.ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.settimeout(0.1)
    smac, sip = H.mac_bytes(H.SERVER_MAC), socket.inet_aton(H.SERVER_IP)
    while not stop.is_set():
        try:
            f, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == H.PACKET_OUTGOING or len(f) < 46 or f[6:12] != smac or f[12:14] != b"\x08\x00":
            continue
        ihl = (f[14] & 15) * 4
        if f[23] != 17 or f[26:30] != sip or f[30:34] not in srcs:
            continue
        op = struct.unpack("!H", f[14 + ihl + 8:14 + ihl + 10])[0]
        tally["frames_out"] += 1
        tally["bytes_out"] += max(len(f), 60)
        tally[{3: "data", 6: "oack", 5: "error"}.get(op, "other")] += 1


def scenario(a, name):
    rng = random.Random(7)
    net = NETS[name]
    n = a.count
    srcs = {socket.inet_aton(net + str(i % 250 + 1)) for i in range(n if name != "victim" else 1)}
    tally = dict(frames_out=0, bytes_out=0, data=0, oack=0, error=0, other=0)
    stop = threading.Event()
    th = threading.Thread(target=counter, args=(a.iface, stop, tally, srcs))
    th.start()
    time.sleep(0.3)
    snd = H.Sender(a.iface, burst=16, pause=0.005)
    opts = [(b"blksize", b"1468"), (b"tsize", b"0")] if name == "options" else ()
    for i in range(n):
        ip = net + str((0 if name == "victim" else i) % 250 + 1)
        sport = 20000 + i if name == "victim" else 1024 + rng.randrange(60000)
        # Ethernet frames shorter than 60 bytes are padded on the wire
        frame = H.tftp_frame(H.rand_mac(rng), ip, sport, H.rrq(a.file.encode(), opts=opts))
        snd.send(frame + b"\0" * max(0, 60 - len(frame)))
    time.sleep(a.settle)
    stop.set()
    th.join()
    out = dict(scenario=name, rrqs=snd.n, bytes_in=snd.bytes, **tally)
    out["ratio"] = round(tally["bytes_out"] / snd.bytes, 2)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iface", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--settle", type=float, default=4.0)
    p.add_argument("scenarios", nargs="*", default=["sparse", "victim", "options"])
    a = p.parse_args()
    assert a.count <= 250
    for name in a.scenarios:
        print(json.dumps(scenario(a, name)), flush=True)


main()
