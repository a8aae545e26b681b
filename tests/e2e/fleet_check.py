#!/usr/bin/env python3
"""Checks of t_fleet_failover.sh, from what the clients saw (bs-storm's
client-side pcap, decoded here, not by bootstorm), the servers' journals
(ack_check.py's own decoder) and the database's leases table.

  fleet_check.py --pcap NAME=FILE ... --journal SERVER=FILE ... --db FILE
                 --dead-ip IP --kill-at EPOCH

Phases are named by the pcaps: p1 (all three up), p2 (one killed -9 at
--kill-at, database restarted mid-storm), p3 (the dead one back).
Fails (exit 1) on: an address ACKed to two MACs anywhere (pcaps, journals,
database); a MAC ACKed by two servers in one phase; a p1 ACK missing from
the database or from its server's journal; a client of the dead server
given another address in p2/p3 than in p1.  Prints the failover figures.
"""
import argparse
import struct
import sys
from collections import defaultdict

sys.path.insert(0, __import__("os").path.dirname(__file__))
from ack_check import read_journal  # noqa: E402


def ip_str(b):
    return ".".join(str(x) for x in b)


def acks(path, first_discover=None):
    """[(t, mac, yiaddr, server_id)] for every DHCPACK in a pcap file;
    first_discover (a dict) gets each MAC's first DISCOVER time."""
    out = []
    data = open(path, "rb").read()
    magic = struct.unpack_from("<I", data, 0)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from(endian + "IIII", data, off)
        pkt = data[off + 16: off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        if len(pkt) < 14 + 20 + 8 + 240 or pkt[12:14] != b"\x08\x00":
            continue
        ihl = (pkt[14] & 15) * 4
        udp = 14 + ihl
        if pkt[23] != 17 or struct.unpack_from(">H", pkt, udp)[0] not in (67, 68):
            continue
        d = pkt[udp + 8:]
        if d[0] not in (1, 2) or d[236:240] != b"\x63\x82\x53\x63":
            continue
        i, mtype, sid = 240, 0, None
        while i < len(d) and d[i] != 255:
            if d[i] == 0:
                i += 1
                continue
            if i + 1 >= len(d):
                break
            code, ln = d[i], d[i + 1]
            v = d[i + 2: i + 2 + ln]
            if code == 53 and ln == 1:
                mtype = v[0]
            elif code == 54 and ln == 4:
                sid = ip_str(v)
            i += 2 + ln
        if d[0] == 1:
            if mtype == 1 and first_discover is not None:
                first_discover.setdefault(":".join(f"{b:02x}" for b in d[28:34]), t)
            continue
        if mtype == 5:
            mac = ":".join(f"{b:02x}" for b in d[28:34])
            out.append((t, mac, ip_str(d[16:20]), sid))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", action="append", default=[])
    ap.add_argument("--journal", action="append", default=[])
    ap.add_argument("--db", required=True)
    ap.add_argument("--dead-ip", required=True)
    ap.add_argument("--kill-at", type=float, required=True)
    a = ap.parse_args()
    bad = []
    ip_macs = defaultdict(set)
    phase = {}
    starts = {}
    for spec in a.pcap:
        name, path = spec.split("=", 1)
        by_mac = defaultdict(set)
        last = {}
        disc = {}
        for t, mac, ip, sid in acks(path, disc):
            by_mac[mac].add(sid)
            last[mac] = (t, ip, sid)
            ip_macs[ip].add(mac)
        two = [m for m, s in by_mac.items() if len(s) > 1]
        if two:
            bad.append(f"{name}: {len(two)} MACs ACKed by two servers, e.g. {two[0]} {sorted(by_mac[two[0]])}")
        phase[name] = last
        starts[name] = disc
        per = defaultdict(int)
        for _t, _ip, sid in last.values():
            per[sid] += 1
        print(f"{name}: {len(last)} clients ACKed; per server: "
              + ", ".join(f"{k}={v}" for k, v in sorted(per.items())))
    journals = {}
    for spec in a.journal:
        name, path = spec.split("=", 1)
        journals[name], _st = read_journal(path)
        for ip, mac in journals[name]:
            ip_macs[ip].add(mac)
    db = [ln.split() for ln in open(a.db) if ln.strip()]
    for _srv, ip, mac in db:
        ip_macs[ip].add(mac)
    dbset = {(s, ip, mac) for s, ip, mac in db}
    dup = {ip: m for ip, m in ip_macs.items() if len(m) > 1}
    if dup:
        ip = next(iter(dup))
        bad.append(f"{len(dup)} addresses given to two MACs, e.g. {ip}: {sorted(dup[ip])}")
    name_of = {f"10.77.0.{k}": f"s{k}" for k in (1, 2, 3)}
    p1 = phase.get("p1", {})
    missing_db = [(m, ip) for m, (_t, ip, sid) in p1.items() if (name_of.get(sid), ip, m) not in dbset]
    missing_j = [(m, ip) for m, (_t, ip, sid) in p1.items()
                 if name_of.get(sid) in journals and (ip, m) not in journals[name_of[sid]]]
    if missing_db:
        bad.append(f"{len(missing_db)} phase-1 ACKs not in the database, e.g. {missing_db[0]}")
    if missing_j:
        bad.append(f"{len(missing_j)} phase-1 ACKs not in their server's journal, e.g. {missing_j[0]}")
    dead_clients = {m: ip for m, (_t, ip, sid) in p1.items() if sid == a.dead_ip}
    for name in ("p2", "p3"):
        ph = phase.get(name)
        if ph is None:
            continue
        moved = [m for m, ip in dead_clients.items() if m in ph and ph[m][1] != ip]
        lost = [m for m in dead_clients if m not in ph]
        if moved:
            bad.append(f"{name}: {len(moved)} clients of the dead server got another address, e.g. {moved[0]}")
        if lost:
            bad.append(f"{name}: {len(lost)} clients of the dead server not answered, e.g. {lost[0]}")
        if name == "p2" and dead_clients:
            by = defaultdict(int)
            for m in dead_clients:
                if m in ph:
                    by[ph[m][2]] += 1
            ts = sorted(ph[m][0] - a.kill_at for m in dead_clients if m in ph)
            # a client's wait: its first DISCOVER (after the kill) to its ACK
            waits = sorted(ph[m][0] - starts[name].get(m, a.kill_at) for m in dead_clients if m in ph)
            others = sorted(ph[m][0] - starts[name].get(m, a.kill_at) for m in ph if m not in dead_clients)
            if ts:
                print(f"failover: {len(dead_clients)} clients of {a.dead_ip} answered by survivors "
                      f"({', '.join(f'{k}={v}' for k, v in sorted(by.items()))}), same address; "
                      f"first ACK {ts[0]:.2f} s, last {ts[-1]:.2f} s after kill -9")
                print(f"failover: DISCOVER-to-ACK of the dead server's clients: median "
                      f"{waits[len(waits) // 2]:.2f} s, max {waits[-1]:.2f} s; of the survivors' own "
                      f"clients: median {others[len(others) // 2]:.2f} s, max {others[-1]:.2f} s")
            if a.dead_ip in by:
                bad.append(f"p2: the dead server {a.dead_ip} ACKed after it was killed")
    print(f"addresses seen bound (pcaps, journals, database): {len(ip_macs)}; given to two MACs: {len(dup)}; "
          f"phase-1 ACKs missing from the database: {len(missing_db)}")
    for b in bad:
        print("BAD:", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
