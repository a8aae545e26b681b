#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""pcap replay benchmark for bootstorm-dp (issue 8; a benchmark, not a test).

Run it through replay.sh (see README.md).  For each case (DHCP or TFTP, 1 or
2 workers) it writes a request pcap per RX queue, starts bs_pcaptool serve
(control's part, from tests/pcap), runs the real bootstorm-dp binary with
net_pcap (rx_pcap=IN per queue, tx_pcap=OUT per queue, no infinite_rx),
polls the dataplane's counters in the shared region until every frame was
received and the replies stopped, stops it by PID, then reads the reply
pcaps: counts by type, exactly-once checks, a field-checked sample, and the
rate from the TX timestamps net_pcap writes (ns, one per reply).
--callgrind runs smaller cases under valgrind --tool=callgrind with
collection on only inside dp_worker_main: Ir per reply.

Requests are generated (deterministic), not recorded: see README.md.
"""
import argparse
import array
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "pcap"))
import run as pcaprun  # noqa: E402  (tests/pcap/run.py: counters, stop, checksum helpers)
from scapy.all import BOOTP, IP, UDP, Ether  # noqa: E402

SRV_MAC = bytes.fromhex("020000770001")
SRV_IP = (10 << 24) | (77 << 16) | 1            # 10.77.0.1/16
NODE_IP0 = (10 << 24) | (77 << 16) | (16 << 8)  # reservations from 10.77.16.0
CLI_IP0 = (10 << 24) | (77 << 16) | (128 << 8)  # TFTP clients from 10.77.128.0
TID_LO, TID_HI = 40000, 49999
FILE = "pxelinux.0"
BCAST = b"\xff" * 6


def ip_s(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def node_mac(i):
    return bytes([0x52, 0x54, 0x00, 0x10 | (i >> 16), (i >> 8) & 255, i & 255])


def cli_mac(c):
    return bytes([0x52, 0x54, 0x00, 0xcc, (c >> 8) & 255, c & 255])


def csum(b):
    """RFC 1071 sum of b (big-endian words), folded, complemented."""
    if len(b) & 1:
        b += b"\0"
    a = array.array("H", b)
    if sys.byteorder == "little":
        a.byteswap()
    s = sum(a)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(smac, dmac, sip, dip, sport, dport, payload):
    """Ethernet + IPv4 + UDP with both checksums, padded to 60 bytes."""
    ulen = 8 + len(payload)
    iph = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + ulen, 0, 0, 64, 17, 0, sip, dip)
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    ph = struct.pack("!IIBBH", sip, dip, 0, 17, ulen)
    uh = struct.pack("!HHHH", sport, dport, ulen, 0)
    c = csum(ph + uh + payload) or 0xffff
    f = dmac + smac + b"\x08\x00" + iph + uh[:6] + struct.pack("!H", c) + payload
    return f + b"\0" * (60 - len(f)) if len(f) < 60 else f


def write_pcap(path, frames):
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            fh.write(struct.pack("<IIII", 1_700_000_000 + i // 1000000, i % 1000000, len(f), len(f)))
            fh.write(f)


def read_pcap(path):
    """Yields (t_ns, frame); net_pcap writes nanosecond pcaps."""
    with open(path, "rb") as fh:
        data = fh.read()
    magic = struct.unpack_from("<I", data)[0]
    nano = magic == 0xa1b23c4d
    if not nano and magic != 0xa1b2c3d4:
        raise pcaprun.Fail("%s: not a little-endian pcap" % path)
    o = 24
    while o + 16 <= len(data):
        s, frac, cap, _ = struct.unpack_from("<IIII", data, o)
        o += 16
        yield s * 1_000_000_000 + (frac if nano else frac * 1000), data[o:o + cap]
        o += cap


# ---- requests ---------------------------------------------------------------

def dhcp_payload(i, xid, request):
    """A PXE ROM's DISCOVER or selecting REQUEST: the same bytes as
    bench_dp's dhcp_msg() (53, [50, 54], 57, 60, 93, 94, 97, 55; 300 bytes)."""
    b = bytearray(300)
    b[0:3] = b"\x01\x01\x06"
    b[4:8] = struct.pack("!I", xid)
    b[28:34] = node_mac(i)
    o = 236
    b[o:o + 4] = b"\x63\x82\x53\x63"
    o += 4
    opts = bytes([53, 1, 3 if request else 1])
    if request:
        opts += bytes([50, 4]) + struct.pack("!I", NODE_IP0 + i) + bytes([54, 4]) + struct.pack("!I", SRV_IP)
    vci = b"PXEClient:Arch:00000:UNDI:002001"
    opts += bytes([57, 2, 5, 0xc0, 60, len(vci)]) + vci
    opts += bytes([93, 2, 0, 0, 94, 3, 1, 2, 1, 97, 17, 0]) + bytes((i * 7 + k) & 255 for k in range(16))
    prl = bytes([1, 3, 6, 12, 15, 28, 43, 60, 66, 67, 128, 129, 130])
    opts += bytes([55, len(prl)]) + prl + b"\xff"
    b[o:o + len(opts)] = opts
    return bytes(b)


def xid_of(rnd, i, request):
    return (rnd << 24 | i << 1 | int(request)) & 0xffffffff


def dhcp_frames(a, nq):
    """Per queue: rounds x (every node's DISCOVER, then every node's
    REQUEST).  All on queue 0, as a NIC's RSS puts them (broadcasts from
    0.0.0.0:68 to 255.255.255.255:67 hash alike, DPDK-NOTES.md); with
    --dhcp-spread node i arrives on queue i % 2 and worker 1 hands its half
    to worker 0, which owns DHCP (the lease table's one writer)."""
    qs = [[] for _ in range(nq)]
    for rnd in range(a.rounds):
        for request in (False, True):
            for i in range(a.nodes):
                p = dhcp_payload(i, xid_of(rnd, i, request), request)
                qs[i % nq if a.dhcp_spread else 0].append(frame(node_mac(i), BCAST, 0, 0xffffffff, 68, 67, p))
    return qs


def mix(k):
    k ^= k >> 33
    k = (k * 0xff51afd7ed558ccd) & 0xffffffffffffffff
    k ^= k >> 33
    return k & 0xffffffff


def tid_of(ip, cport, worker, nw):
    """dataplane/tftp/tftp.c pick_port(): the server TID of a transfer is a
    pure function of (client ip, client port, receiving worker, workers,
    port range), so a fresh dataplane picks the same one every run."""
    nk = (TID_HI - TID_LO - worker) // nw + 1
    k = mix(ip << 32 | cport << 16) % nk
    return TID_LO + k * nw + worker


def tftp_clients(a, nq):
    out = []
    for c in range(a.transfers * nq):
        ip = CLI_IP0 + (c // 250) * 256 + c % 250 + 1
        port = 1024 + (c * 7919) % 60000
        q = c % nq
        out.append((c, ip, port, q, tid_of(ip, port, q, nq)))
    return out


def tftp_acks(a):
    """The ACKs a client sends: 0 for the OACK, then the last block of each
    window (windowsize 1: every block)."""
    acks, b = [0], 0
    while b < a.blocks:
        b = min(b + a.windowsize, a.blocks)
        acks.append(b)
    return acks


def tftp_frames(a, nq):
    """Per queue: every client's RRQ, then round by round every client's
    next ACK.  A client's ACK k comes `transfers` frames after its ACK k-1,
    i.e. transfers/32 RX bursts later: by then the worker has sent the
    window that ACK k acknowledges (it sends in the iteration that received
    ACK k-1).  An ACK that came too early would be dropped as
    DROP_TFTP_ACK_STALE and is checked for."""
    rrq = b"\x00\x01" + FILE.encode() + b"\0octet\0blksize\0" + str(a.blksize).encode() + b"\0tsize\x000\0"
    if a.windowsize > 1:
        rrq += b"windowsize\0" + str(a.windowsize).encode() + b"\0"
    qs = [[] for _ in range(nq)]
    cl = tftp_clients(a, nq)
    for c, ip, port, q, _ in cl:
        qs[q].append(frame(cli_mac(c), SRV_MAC, ip, SRV_IP, port, 69, rrq))
    for blk in tftp_acks(a):
        ack = b"\x00\x04" + struct.pack("!H", blk & 0xffff)
        for c, ip, port, q, tid in cl:
            qs[q].append(frame(cli_mac(c), SRV_MAC, ip, SRV_IP, port, tid, ack))
    return qs


# ---- config -----------------------------------------------------------------

def config(a, work, inst, nq, cg):
    rx = ",".join("rx_pcap=%s/in%d.pcap" % (work, q) for q in range(nq))
    tx = ",".join("tx_pcap=%s/out%d.pcap" % (work, q) for q in range(nq))
    lines = [
        "server: {name: replay, instance: %s, state_dir: %s/state, ip: 10.77.0.1/16,"
        " mac: '02:00:00:77:00:01'}" % (inst, work),
        "dataplane:",
        "  eal: [--no-pci, --no-huge, -m, '%d', -l, '%s', --file-prefix, %s,"
        " --log-level, 'lib.eal:warning']" % (512 if cg else 256, "0" if nq == 1 else "0-1", inst),
        "  ports:",
        "    - dev: net_pcap0,%s,%s" % (rx, tx),
        "  workers: %d" % nq,
        # Only empty polls sleep: while the files last every poll has work.
        # Under callgrind a long sleep keeps the empty polls after the last
        # reply (counted inside dp_worker_main) to a few dozen.
        "  idle_sleep_us: %d" % (20000 if cg else 100),
        "dhcp:",
        "  unknown_clients: deny",
        "  max_leases: %d" % (a.nodes * 2 + 1024),
        "  subnets:",
        "    - subnet: 10.77.0.0/16",
        "      router: 10.77.0.1",
        "      dns: [10.77.0.1]",
        "      pools: [10.77.250.1-10.77.250.254]",
        "boot:",
        "  next_server: 10.77.0.1",
        "  files: {bios: %s}" % FILE,
        "tftp:",
        "  root: %s/tftp" % work,
        "  max_blksize: 1468",
        "  max_windowsize: 16",
        "  ports: %d-%d" % (TID_LO, TID_HI),
        "nodes:",
    ]
    for i in range(a.nodes):
        m = node_mac(i)
        lines.append("  - {name: n%05d, mac: '%s', ip: %s}" % (i, ":".join("%02x" % x for x in m),
                                                                  ip_s(NODE_IP0 + i)))
    return "\n".join(lines) + "\n"


# ---- the run ------------------------------------------------------------------

def worker_threads(pid, nq):
    """Thread ids of the workers: the main thread (lcore 0) and the EAL
    thread of lcore 1 ('lcore-worker-1'; Debian's 22.11.11 names it
    'rte-worker-1')."""
    tids = [pid]
    if nq > 1:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, t)) as fh:
                    if fh.read().strip() in ("lcore-worker-1", "rte-worker-1"):
                        tids.append(int(t))
            except OSError:
                pass
    return tids


def cpu_ns(pid, tids):
    """(on-CPU ns from schedstat, kernel-mode ticks from stat) summed over
    the worker threads.  The kernel share is net_pcap's file I/O: write(2)
    of the reply pcap (every 4 KiB stdio buffer and every burst's flush),
    read(2) of the request pcap."""
    s = st = 0
    for t in tids:
        try:
            with open("/proc/%d/task/%d/schedstat" % (pid, t)) as fh:
                s += int(fh.read().split()[0])
            with open("/proc/%d/task/%d/stat" % (pid, t)) as fh:
                st += int(fh.read().rsplit(")", 1)[1].split()[12])
        except OSError:
            pass
    return s, st


def run_case(a, mode, nq, cg=False):
    """Returns a dict of results; raises pcaprun.Fail."""
    work = tempfile.mkdtemp(prefix="bs-replay-", dir="/dev/shm")
    inst = "replay-%s%d-%d" % (mode, nq, os.getpid())
    for d in ("tftp", "state"):
        os.makedirs(os.path.join(work, d))
    size = (a.blocks - 1) * a.blksize + a.blksize // 2   # last block short
    fdata = bytes((i * 31 + 7) % 251 for i in range(size))
    fpath = os.path.join(work, "tftp", FILE)
    with open(fpath, "wb") as fh:
        fh.write(fdata)
    old = time.time() - 60      # older than the engine's settle time
    os.utime(fpath, (old, old))
    qs = dhcp_frames(a, nq) if mode == "dhcp" else tftp_frames(a, nq)
    for q in range(nq):
        write_pcap(os.path.join(work, "in%d.pcap" % q), qs[q])
    nframes = sum(len(q) for q in qs)
    cfg = os.path.join(work, "replay.yaml")
    with open(cfg, "w") as fh:
        fh.write(config(a, work, inst, nq, cg))
    res = {"mode": mode, "workers": nq, "frames": nframes, "work": work}
    ready = os.path.join(work, "ready")
    tool = subprocess.Popen([a.tool, "serve", cfg, "--ready", ready], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    dp = None
    dplog = open(os.path.join(work, "dp.log"), "w+")
    ok = False
    try:
        t0 = time.time()
        while not os.path.exists(ready):
            if tool.poll() is not None:
                raise pcaprun.Fail("bs_pcaptool serve exited: %s" % tool.stderr.read())
            pcaprun.check(time.time() - t0 < 20, "region not ready in 20 s")
            time.sleep(0.05)
        cmd = [a.dp, "-c", cfg]
        if cg:
            cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=dp_worker_main",
                   "--callgrind-out-file=%s/cg.out" % work] + cmd
        dp = subprocess.Popen(cmd, stdout=dplog, stderr=subprocess.STDOUT)
        # Poll the dataplane's counters (bs_pcaptool counters reads the
        # region) until every frame was received and TX stopped moving.
        # The first poll that sees RX_PKTS > 0 bounds the first RX from
        # above, the first poll that sees the final TX_PKTS bounds the last
        # TX from above: the counter rate is good to +-1 poll interval.
        poll_s = a.poll_ms / 1000.0
        t0 = time.time()
        limit = a.timeout * (20 if cg else 1)
        first_rx = tids = None
        last_tx, last_tx_t, ctr = -1, None, None
        while True:
            if dp.poll() is not None:
                raise pcaprun.Fail("bootstorm-dp exited early (rc %s)" % dp.returncode)
            if time.time() - t0 > limit:
                raise pcaprun.Fail("not done in %d s: RX %s of %d" % (limit, ctr and ctr.get("RX_PKTS"),
                                                                      nframes))
            now = time.monotonic()
            c = pcaprun.read_counters(a.tool, inst)
            if c and c["dp_pid"] in (dp.pid, 0) and c.get("dp_workers") == nq:
                ctr = c
                if first_rx is None and ctr["RX_PKTS"] > 0:
                    tids = worker_threads(dp.pid, nq) if not cg else []
                    first_rx = (now, cpu_ns(dp.pid, tids) if tids else (0, 0))
                if ctr["TX_PKTS"] != last_tx:
                    last_tx, last_tx_t = ctr["TX_PKTS"], now
                    last_cpu = cpu_ns(dp.pid, tids) if tids else (0, 0)
                elif ctr["RX_PKTS"] >= nframes and now - last_tx_t > max(0.3, 4 * poll_s):
                    break
            time.sleep(poll_s)
        res["ctr"] = ctr
        res["ctr_span_s"] = last_tx_t - first_rx[0]
        res["cpu_s"] = (last_cpu[0] - first_rx[1][0]) / 1e9 if tids else None
        res["sys_s"] = (last_cpu[1] - first_rx[1][1]) / os.sysconf("SC_CLK_TCK") if tids else None
        pcaprun.check(ctr["RX_PKTS"] == nframes, "RX_PKTS %d != %d frames" % (ctr["RX_PKTS"], nframes))
        pcaprun.check(ctr["POOL_INUSE"] == ctr["POOL_BASE"],
                      "mbufs in use %d, baseline %d" % (ctr["POOL_INUSE"], ctr["POOL_BASE"]))
        rc = pcaprun.stop(dp, timeout=60 if cg else 10)
        pcaprun.check(rc == 0, "bootstorm-dp did not exit cleanly on SIGTERM (rc %s)" % rc)
        dplog.seek(0)
        log = dplog.read()
        pcaprun.check("mbufs in use after close: 0, ext 0" in log, "mbufs left at exit:\n" + log[-2000:])
        if cg:
            res["cg"] = os.path.join(work, "cg.out")
        check_replies(a, mode, nq, res, fdata)
        ok = True
        return res
    except pcaprun.Fail:
        dplog.seek(0)
        print("--- dp log (%s%s) ---\n%s" % (work, "" if a.keep else ", removed: --keep keeps it",
                                              dplog.read()[-3000:]), file=sys.stderr)
        if res.get("ctr"):
            print("--- counters ---\n%s" % " ".join("%s=%d" % kv for kv in sorted(res["ctr"].items()) if kv[1]),
                  file=sys.stderr)
        raise
    finally:
        if dp is not None:
            pcaprun.stop(dp, timeout=60 if cg else 10)
        pcaprun.stop(tool)
        dplog.close()
        # A successful callgrind case is analysed (then removed) by the
        # caller; everything else goes unless --keep (failures included:
        # the pcaps are hundreds of MB of /dev/shm).
        if not a.keep and not (ok and cg):
            shutil.rmtree(work, ignore_errors=True)


# ---- replies ------------------------------------------------------------------

def dhcp_type(f):
    """Option 53 of a DHCP reply frame (no IP options: IHL 5), or 0."""
    o = 14 + 20 + 8 + 240
    while o + 1 < len(f):
        code = f[o]
        if code == 255:
            break
        if code == 0:
            o += 1
            continue
        if code == 53:
            return f[o + 2]
        o += 2 + f[o + 1]
    return 0


def check_replies(a, mode, nq, res, fdata):
    """Counts every reply by type, checks exactly-once delivery and a
    sample field by field; sets res['replies'], res['span'] per queue."""
    counts = {}
    res["queues"] = []
    sample = []
    seen = set()
    cl = {(ip, port): (c, q, tid) for c, ip, port, q, tid in tftp_clients(a, nq)} if mode == "tftp" else {}
    rng = random.Random(8)
    for q in range(nq):
        t_first = t_last = None
        n = 0
        for t, f in read_pcap(os.path.join(res["work"], "out%d.pcap" % q)):
            et = f[12:14]
            if et == b"\x08\x06":
                counts["arp"] = counts.get("arp", 0) + 1
                continue
            if et != b"\x08\x00" or f[23] != 17:
                counts["other"] = counts.get("other", 0) + 1
                continue
            sport, dport = struct.unpack_from("!HH", f, 34)
            if sport == 67:
                k = {2: "offer", 5: "ack", 6: "nak"}.get(dhcp_type(f), "dhcp-other")
                if k in ("offer", "ack"):
                    key = (f[14 + 20 + 8 + 4:14 + 20 + 8 + 8], k)     # xid, type
                    pcaprun.check(key not in seen, "duplicate %s xid %s" % (k, key[0].hex()))
                    seen.add(key)
            elif TID_LO <= sport <= TID_HI:
                op = struct.unpack_from("!H", f, 42)[0]
                k = {3: "data", 5: "error", 6: "oack"}.get(op, "tftp-other")
                if k == "data":
                    dip = struct.unpack_from("!I", f, 30)[0]
                    key = (dip, dport, struct.unpack_from("!H", f, 44)[0])
                    pcaprun.check(key not in seen, "DATA sent twice: %s" % (key,))
                    seen.add(key)
            else:
                k = "udp-other"
            counts[k] = counts.get(k, 0) + 1
            if k in ("offer", "ack", "data"):     # TFTP: the figure is DATA/s
                n += 1
                t_first = t if t_first is None else t_first
                t_last = t
            if k in ("offer", "ack", "data", "oack") and rng.random() < a.sample / 10000.0:
                sample.append((q, f))
        res["queues"].append({"replies": n, "t_first": t_first, "t_last": t_last})
    res["counts"] = counts
    ctr = res["ctr"]
    lost = 0
    if mode == "dhcp" and a.dhcp_spread and nq > 1:
        # An unpaced replay offers worker 1's half faster than worker 0
        # drains the 1024-entry hand-over ring: those are counted drops
        # (DROP_HANDOVER_FULL), reported, not hidden.
        lost = ctr.get("DROP_HANDOVER_FULL", 0)
        res["lost"] = lost
    if mode == "dhcp":
        want = a.rounds * a.nodes
        pcaprun.check(lost or counts.get("offer", 0) == want and counts.get("ack", 0) == want,
                      "want %d OFFER + %d ACK, got %s" % (want, want, counts))
        pcaprun.check(counts.get("offer", 0) + counts.get("ack", 0) + lost == 2 * want,
                      "replies + DROP_HANDOVER_FULL != requests: %s, lost %d" % (counts, lost))
        res["replies"] = counts.get("offer", 0) + counts.get("ack", 0)
    else:
        nt = a.transfers * nq
        pcaprun.check(counts.get("oack", 0) == nt, "want %d OACK, got %s" % (nt, counts))
        pcaprun.check(counts.get("data", 0) == nt * a.blocks, "want %d DATA, got %s" % (nt * a.blocks, counts))
        pcaprun.check(ctr["TFTP_XFER_DONE"] == nt if "TFTP_XFER_DONE" in ctr else True, "transfers done")
        res["replies"] = nt * a.blocks          # DATA only: the figure is DATA/s
    pcaprun.check(counts.get("arp", 0) == 1, "one gratuitous ARP (got %s)" % counts.get("arp"))
    extra = {k: v for k, v in counts.items() if k not in ("offer", "ack", "data", "oack", "arp")}
    pcaprun.check(not extra, "unexpected replies: %s" % extra)
    watch = ("TX_FULL", "TFTP_TIMEOUTS", "TFTP_WINDOW_REWIND")
    bad = {k: v for k, v in ctr.items() if v and (k.startswith("DROP_") or k in watch) and
           not (lost and k == "DROP_HANDOVER_FULL")}
    pcaprun.check(not bad, "drops or retransmissions: %s" % bad)
    pcaprun.check(ctr["TX_PKTS"] == sum(counts.values()), "TX_PKTS %d != %d frames in the reply pcaps" % (
        ctr["TX_PKTS"], sum(counts.values())))
    for q, f in sample:
        check_one(a, mode, nq, q, f, cl, fdata)
    res["sampled"] = len(sample)


def check_one(a, mode, nq, q, f, cl, fdata):
    p = Ether(f)
    pcaprun.check(p[Ether].src == "02:00:00:77:00:01", "source MAC")
    pcaprun.check(p[IP].src == "10.77.0.1", "source IP %s" % p[IP].src)
    pcaprun.check(pcaprun.ip_csum_ok(p) and pcaprun.udp_csum_ok(p), "checksums")
    if mode == "dhcp":
        b = p[BOOTP]
        i = int.from_bytes(bytes(b.chaddr)[:6], "big") & 0xfffff
        pcaprun.check(bytes(b.chaddr)[:6] == node_mac(i), "chaddr")
        pcaprun.check(b.xid >> 24 < a.rounds and (b.xid & 0xffffff) >> 1 == i, "xid %08x for node %d" % (b.xid, i))
        pcaprun.check(b.yiaddr == ip_s(NODE_IP0 + i), "node %d got %s (reservation %s)" % (
            i, b.yiaddr, ip_s(NODE_IP0 + i)))
        pcaprun.check(b.siaddr == "10.77.0.1", "siaddr")
        o = pcaprun.dhcp_opts(p)
        t = o.get("message-type", (0,))[0]
        pcaprun.check((t == 2) == (b.xid & 1 == 0) and t in (2, 5), "type %d for xid %08x" % (t, b.xid))
        pcaprun.check(o.get("server_id") == ("10.77.0.1",), "server id")
        pcaprun.check(o.get("subnet_mask") == ("255.255.0.0",), "mask")
        boot = o.get("boot-file-name", (b"",))[0].rstrip(b"\0")
        pcaprun.check(bytes(b.file).rstrip(b"\0") == FILE.encode() or boot == FILE.encode(), "boot file")
        pcaprun.check(p[UDP].sport == 67 and p[UDP].dport == 68, "ports")
    else:
        key = (int.from_bytes(bytes(map(int, p[IP].dst.split("."))), "big"), p[UDP].dport)
        pcaprun.check(key in cl, "DATA to a client that sent nothing: %s" % (key,))
        c, cq, tid = cl[key]
        pcaprun.check(cq == q, "reply on queue %d, client's queue %d" % (q, cq))
        pcaprun.check(p[UDP].sport == tid, "TID %d, pick_port() says %d" % (p[UDP].sport, tid))
        pcaprun.check(p[Ether].dst == ":".join("%02x" % x for x in cli_mac(c)), "client MAC")
        pl = bytes(p[UDP].payload)
        if pl[:2] == b"\x00\x06":
            od = pl[2:].split(b"\0")
            od = dict(zip(od[0::2], od[1::2]))
            pcaprun.check(od.get(b"blksize") == str(a.blksize).encode(), "OACK blksize %r" % od)
            pcaprun.check(od.get(b"tsize") == str(len(fdata)).encode(), "OACK tsize %r" % od)
        else:
            blk = struct.unpack("!H", pl[2:4])[0]
            off = (blk - 1) * a.blksize
            pcaprun.check(pl[4:] == fdata[off:off + a.blksize], "DATA %d payload == file bytes" % blk)


# ---- callgrind ------------------------------------------------------------------

def cg_split(path):
    """Ir collected (only inside dp_worker_main: --toggle-collect) and the
    inclusive Ir of the net_pcap PMD's burst functions.  Its library has no
    symbols (they show as addresses): the one tx_flush calls is the TX
    dumper, the one dp_worker_main calls is RX.  Also libpcap's share."""
    r = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=caller", "--threshold=100",
                        "--auto=no", path], capture_output=True, text=True, timeout=120)
    total, parts = None, {}
    callers = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?([<*])?\s*(.*)$", line)
        if not line.strip():
            callers = []
            continue
        if not m:
            continue
        v = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in m.group(3):
            total = v
        elif m.group(2) == "<":
            callers.append(m.group(3))
        elif m.group(2) == "*":
            fn = m.group(3)
            if "librte_net_pcap" in fn:
                if any(":tx_flush " in c for c in callers):
                    parts["net_pcap TX burst (eth_pcap_tx_dumper)"] = v
                elif any(":dp_worker_main " in c for c in callers):
                    parts["net_pcap RX burst (eth_pcap_rx)"] = v
            for lib in ("pcap_dump ", "pcap_dump_flush ", "pcap_next_ex "):
                if ":" + lib in fn:
                    parts["  libpcap " + lib.strip()] = v
    return total, parts


# ---- main ---------------------------------------------------------------------------

def figures(a, res):
    ctr = res["ctr"]
    qs = res["queues"]
    t0 = min(q["t_first"] for q in qs if q["t_first"])
    t1 = max(q["t_last"] for q in qs if q["t_last"])
    n = sum(q["replies"] for q in qs)
    what = "DHCP replies (OFFER+ACK)" if res["mode"] == "dhcp" else "TFTP DATA"
    span = (t1 - t0) / 1e9
    rate = (n - 1) / span if span > 0 else 0
    print("%s, %d worker%s: %d frames in, %s out" % (
        res["mode"].upper(), res["workers"], "s" if res["workers"] > 1 else "",
        res["frames"], ", ".join("%s %d" % kv for kv in sorted(res["counts"].items()))))
    print("  %s/s: %.0f (first to last reply in the TX pcap timestamps, %.1f ms)" % (what, rate, span * 1e3))
    if res["workers"] > 1:
        for w, q in enumerate(qs):
            s = (q["t_last"] - q["t_first"]) / 1e9 if q["t_first"] else 0
            print("    TX queue %d (worker %d): %d replies, %.0f/s over its own span" % (
                w, w, q["replies"], (q["replies"] - 1) / s if s > 0 else 0))
    if res["mode"] == "dhcp":
        print("  per worker core: %.0f/s (DHCP is served by worker 0 alone, whatever the worker count)" % rate)
    else:
        print("  per worker core: %.0f/s (%d worker%s on this 2-vCPU machine)" % (
            rate / res["workers"], res["workers"], "s" if res["workers"] > 1 else ""))
    if res.get("lost"):
        print("  NOT answered: %d requests dropped as DROP_HANDOVER_FULL (worker 1 -> worker 0 ring)" % res["lost"])
    cs = res["ctr_span_s"]
    if cs < 5 * a.poll_ms / 1000.0:
        print("  counters: run shorter than 5 polls: no counter rate (use more --rounds/--blocks)")
    else:
        print("  counters: TX_PKTS %d over first-RX..last-TX %.0f ms (polled every %d ms): %.0f/s" % (
            ctr["TX_PKTS"], cs * 1e3, a.poll_ms, ctr["TX_PKTS"] / cs))
    if res.get("cpu_s") and cs > 5 * a.poll_ms / 1000.0:
        print("  worker CPU time in that window: %.0f ms (%.0f %% on CPU); %.0f %s per CPU-second" % (
            res["cpu_s"] * 1e3, 100 * res["cpu_s"] / (cs * res["workers"]) if cs else 0,
            n / res["cpu_s"], "replies" if res["mode"] == "dhcp" else "DATA"))
        print("    of it in the kernel (net_pcap's read/write of the pcap files): %.0f ms (%.0f %%, 10 ms ticks)" % (
            res["sys_s"] * 1e3, 100 * res["sys_s"] / res["cpu_s"]))
    print("  checked: every reply counted by type and exactly once, %d sampled field by field; "
          "no %sdrop counter set; RX_PKTS == frames; mbufs back to baseline" % (
              res["sampled"], "other " if res.get("lost") else ""))
    if res["mode"] == "tftp":
        print("  payload: %.2f Gbit/s (blksize %d, windowsize %d, %d transfers x %d blocks); TX_COPY_BYTES %d" % (
            rate * a.blksize * 8 / 1e9, a.blksize, a.windowsize, a.transfers * res["workers"], a.blocks,
            ctr.get("TX_COPY_BYTES", 0)))
    if ctr.get("HANDOVER_TX"):
        print("  hand-over to the owner: %d (DHCP_HANDOVER_RX %d)" % (
            ctr["HANDOVER_TX"], ctr.get("DHCP_HANDOVER_RX", 0)))
    return rate


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dp", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--mode", choices=("dhcp", "tftp", "all"), default="all")
    ap.add_argument("--workers", choices=("1", "2", "both"), default="both")
    ap.add_argument("--callgrind", choices=("yes", "no", "only"), default="yes")
    ap.add_argument("--nodes", type=int, default=8192, help="inventory (one DISCOVER+REQUEST each per round)")
    ap.add_argument("--rounds", type=int, default=16, help="DHCP rounds over the inventory")
    ap.add_argument("--transfers", type=int, default=1024, help="TFTP transfers per worker")
    ap.add_argument("--blocks", type=int, default=256, help="DATA blocks per transfer")
    ap.add_argument("--blksize", type=int, default=1468)
    ap.add_argument("--windowsize", type=int, default=1, help="1..4 (see README)")
    ap.add_argument("--dhcp-spread", action="store_true",
                    help="2 workers: DHCP on both queues (hand-over to worker 0) instead of all on queue 0")
    ap.add_argument("--sample", type=int, default=20, help="replies field-checked per 10,000")
    ap.add_argument("--poll-ms", type=int, default=20)
    ap.add_argument("--timeout", type=int, default=40, help="seconds per case (x20 under callgrind)")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    a = ap.parse_args()
    if not (1 <= a.windowsize <= 4 and 33 <= a.transfers <= 4096 and 1 <= a.blocks <= 65535 and
            1 <= a.nodes <= 65536 and 8 <= a.blksize <= 1468 and 1 <= a.rounds <= 255):
        print("out of range: windowsize 1..4, transfers 33..4096, nodes 1..65536, blksize 8..1468, "
              "rounds 1..255", file=sys.stderr)
        return 2
    modes = ("dhcp", "tftp") if a.mode == "all" else (a.mode,)
    workers = (1, 2) if a.workers == "both" else (int(a.workers),)
    t_start = time.time()
    try:
        if a.callgrind != "only":
            for mode in modes:
                for nw in workers:
                    figures(a, run_case(a, mode, nw))
        if a.callgrind != "no":
            if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
                print("callgrind: valgrind not installed, skipped")
            else:
                for mode in modes:
                    callgrind(a, mode)
    except pcaprun.Fail as e:
        print("replay FAILED: %s" % e)
        return 1
    print("total %.0f s" % (time.time() - t_start))
    return 0


def callgrind(a, mode):
    # Smaller cases: callgrind runs ~50x slower.
    b = argparse.Namespace(**vars(a))
    b.nodes, b.rounds, b.transfers, b.blocks = min(a.nodes, 2048), 1, min(a.transfers, 256), min(a.blocks, 32)
    res = run_case(b, mode, 1, cg=True)
    try:
        total, parts = cg_split(res["cg"])
        n = res["replies"]
        tx = res["ctr"]["TX_PKTS"]
        print("CALLGRIND %s, 1 worker: %d frames in, %d replies%s" % (
            mode.upper(), res["frames"], n, "" if mode == "dhcp" else " DATA + %d OACK" % res["counts"]["oack"]))
        if total is None:
            raise pcaprun.Fail("no callgrind totals in %s" % res["cg"])
        print("  worker loop (dp_worker_main inclusive): %d Ir = %.0f Ir per %s (%.0f per frame sent)" % (
            total, total / n, "reply" if mode == "dhcp" else "DATA", total / tx))
        what = "reply" if mode == "dhcp" else "DATA"
        for name, v in sorted(parts.items(), key=lambda kv: kv[0].startswith(" ")):
            print("    %s %s: %.0f Ir per %s" % ("of which" if name[0] != " " else "  inside those,",
                                              name.strip(), v / n, what))
        pmd = sum(v for k, v in parts.items() if k.startswith("net_pcap"))
        print("  without the net_pcap PMD (its RX and TX burst functions, TX completion included): "
              "%.0f Ir per %s" % ((total - pmd) / n, what))
    finally:
        if not a.keep:
            shutil.rmtree(res["work"], ignore_errors=True)
        else:
            print("  profile kept: %s" % res["cg"])


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(1))
    sys.exit(main())
