#!/usr/bin/env python3
"""Compare the DHCPACKs a client saw with what bootstorm kept.

  ack_check.py --acks ACKS.tsv [--journal FILE] [--leases LEASES.txt]
               [--phases "name:t_end,..."]

ACKS.tsv: tshark fields "epoch<TAB>yiaddr<TAB>chaddr" of every DHCPACK captured
on the client side.  --journal: the lease journal, read here with its own
decoder of the on-disk format (control/daemon/journal.h), independently of bootstorm's
code: a valid record has its whole frame and a matching CRC; a torn or corrupt
tail is reported.  --leases: output of `bootstorm leases`.

An ACK is "kept" when the source holds a bound lease (leases) or a GRANT/RENEW
record (journal) for the same address and MAC.  Prints per phase (ACKs whose
capture time falls before each phase's end) ACKs seen, kept, lost; exits 1 when
anything ACKed was lost, 2 on a usage or format problem.
"""
import argparse
import struct
import sys
import zlib

MAGIC = b"BSJOURN1"
HDR_LEN = 16
EV_LEN = 101


def ip_str(v):
    return ".".join(str((v >> s) & 255) for s in (24, 16, 8, 0))


def read_journal(path):
    """Returns (set of (ip, mac) with a GRANT/RENEW record, stats dict)."""
    data = open(path, "rb").read()
    st = {"bytes": len(data), "records": 0, "corrupt": 0, "tail": "clean", "max_seq": 0}
    if len(data) < HDR_LEN or data[:8] != MAGIC:
        raise SystemExit(f"ack_check: {path}: not a journal (size {len(data)})")
    off, granted = HDR_LEN, {}
    while off < len(data):
        if len(data) - off < 8:
            st["tail"] = f"torn frame header at {off}"
            break
        ln, crc = struct.unpack_from("<II", data, off)
        if ln == 0 or ln > 4096 or ln > len(data) - off - 8:
            st["tail"] = f"torn/bad record at {off} (len {ln})"
            break
        pay = data[off + 8 : off + 8 + ln]
        if zlib.crc32(pay) & 0xFFFFFFFF != crc:
            st["corrupt"] += 1
        elif ln == EV_LEN and pay[0] == 1:
            seq, _exp, _ts, ip = struct.unpack_from("<QQQI", pay, 1)
            mac = ":".join(f"{b:02x}" for b in pay[29:35])
            kind = pay[35]
            st["records"] += 1
            st["max_seq"] = max(st["max_seq"], seq)
            # lease_event kinds (shm/shm.h): 0 grant, 1 renew; a later
            # release/decline/expire for the same address ends the binding.
            key = (ip_str(ip), mac)
            if kind in (0, 1):
                granted[key] = True
            else:
                granted[key] = False
        off += 8 + ln
    return {k for k, v in granted.items() if v}, st


def read_leases(path):
    kept = set()
    for line in open(path):
        f = line.split()
        if len(f) >= 3 and f[2] == "bound" and f[0].count(".") == 3:
            kept.add((f[0], f[1].lower()))
    return kept


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--acks", required=True)
    ap.add_argument("--journal")
    ap.add_argument("--leases")
    ap.add_argument("--phases", default="")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    acks = []
    for line in open(a.acks):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 3 and f[1] and f[2]:
            # tshark lists every dhcp.hw.mac_addr of the frame (chaddr,
            # then the one inside option 61): chaddr is the first
            acks.append((float(f[0]), f[1].split(",")[0], f[2].split(",")[0].lower()))
    kept, what = set(), []
    if a.journal:
        j, st = read_journal(a.journal)
        kept |= j
        what.append("journal")
        print(f"journal: {st['records']} valid records, max seq {st['max_seq']}, "
              f"{st['corrupt']} corrupt, tail {st['tail']}, {st['bytes']} bytes")
    if a.leases:
        kept_l = read_leases(a.leases)
        kept = kept_l if not a.journal else kept & kept_l
        what.append("leases")
        print(f"leases: {len(kept_l)} bound")
    if not what:
        raise SystemExit("ack_check: --journal and/or --leases")
    phases = []
    for p in filter(None, a.phases.split(",")):
        name, t = p.rsplit(":", 1)
        phases.append((name, float(t)))
    phases.append(("rest", float("inf")))
    lost_all, start = set(), 0.0
    for name, t_end in phases:
        seen = {(ip, mac) for (ts, ip, mac) in acks if start <= ts < t_end}
        lost = seen - kept
        lost_all |= lost
        print(f"{a.label}phase {name}: ACKs seen {len(seen)} (distinct address+MAC), "
              f"kept in {'+'.join(what)} {len(seen) - len(lost)}, lost {len(lost)}")
        start = t_end
    total = {(ip, mac) for (_, ip, mac) in acks}
    print(f"{a.label}total: ACK packets {len(acks)}, distinct leases ACKed {len(total)}, "
          f"kept {len(total - lost_all)}, lost {len(lost_all)}")
    for ip, mac in sorted(lost_all)[:20]:
        print(f"  lost: {ip} {mac}")
    return 1 if lost_all else 0


if __name__ == "__main__":
    sys.exit(main())
