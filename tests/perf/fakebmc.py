#!/usr/bin/python3
"""A fleet of fake IPMI LAN BMCs (Debian python3-pyghmi's pyghmi.ipmi.bmc.Bmc,
real RMCP+ sessions for ipmitool -I lanplus) for the campaign scale benchmark
(tests/perf/camp_scale.sh).  One process serves BMCs FIRST..LAST on
127.0.0.1:PORT0+k (pyghmi waits in select(): keep a process under ~900 sockets).

Each BMC plays its machine: powered on (or cycled) while its boot device is
"network" (ipmitool chassis bootdev pxe), it "boots" and BOOT_S seconds later
(BOOT_S..2*BOOT_S, seeded) its installer POSTs /api/nodes/<name>/done to
control, as a real one does (curl in t_campaign.sh).  Injected faults, by
node index (seeded, ~FAULT_PCT % in all):
  dead  never answers anything (a socket that reads and drops)
  hang  drops its first 3 chassis-control requests (ipmitool's 1 try + 2
        retransmissions): that ipmitool times out; bootstorm's retry works
  busy  answers its first chassis control with completion code 0xC0 (node
        busy, IPMI 2.0 table 5-2): ipmitool fails; bootstorm's retry works
Log lines (one file per process): "<t> on <node>", "<t> done <node>" (t: when
its first POST was sent; logged once one is answered),
"<t> fault <kind> <node>", "<t> cc <code> <node>", t = CLOCK_REALTIME seconds.
  fakebmc.py FIRST LAST PORT0 LOG CTL_URL [FAULT_PCT] [BOOT_S] [SEED]
"""
import faulthandler
import heapq
import random
import signal
import socket
import sys
import threading
import time
import urllib.request

import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.private.session as ipmisession

FIRST, LAST, PORT0 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
LOG, CTL = sys.argv[4], sys.argv[5]
FAULT_PCT = float(sys.argv[6]) if len(sys.argv) > 6 else 5.0
BOOT_S = float(sys.argv[7]) if len(sys.argv) > 7 else 2.0
SEED = int(sys.argv[8]) if len(sys.argv) > 8 else 18

logf = open(LOG, "a", buffering=1)
faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: stacks to stderr
loglock = threading.Lock()


def log(*words, at=None):
    with loglock:
        logf.write("%.3f %s\n" % (time.time() if at is None else at, " ".join(str(w) for w in words)))


def fault_of(k):
    """dead 1 part, hang 2, busy 2 of FAULT_PCT (same on every process)."""
    r = random.Random(SEED * 100003 + k).random() * 100.0
    if r < FAULT_PCT * 0.2:
        return "dead"
    if r < FAULT_PCT * 0.6:
        return "hang"
    if r < FAULT_PCT:
        return "busy"
    return ""


def node_name(k):
    return "n%04d" % k


# ---- the installers: 16 threads, a heap of (when, node) ------------------
pending = []
cv = threading.Condition()


def installer():
    while True:
        with cv:
            while not pending or pending[0][0] > time.time():
                cv.wait(None if not pending else max(0.0, pending[0][0] - time.time()))
            _, name = heapq.heappop(pending)
        sent = time.time()  # a retry repeats what the node said then
        for attempt in range(20):  # like curl --retry: control may be busy
            try:
                req = urllib.request.Request("%s/api/nodes/%s/done" % (CTL, name),
                                             data=b"", method="POST")
                urllib.request.urlopen(req, timeout=5).read()
                # when the node said it: control answers once the report
                # is on disk (fsyncs), but the node is no longer powering
                log("done", name, at=sent)
                break
            except Exception as e:  # noqa: BLE001 (retried, then logged)
                if attempt == 19:
                    log("postfail", name, repr(e)[:80])
                time.sleep(0.5)


class FakeBmc(bmc.Bmc):
    def __init__(self, k, fault):
        super().__init__({"bsadmin": "s3cr3t-pw"}, port=PORT0 + k, address="127.0.0.1")
        self.k, self.name, self.fault = k, node_name(k), fault
        self.power, self.bootdev, self.dropped, self.busied = 0, "default", 0, False
        self.rng = random.Random(SEED + k)

    def control_chassis(self, request, session):
        if self.fault == "hang" and self.dropped < 3:
            self.dropped += 1
            log("fault", "hang", self.name)
            return  # no answer: ipmitool retransmits, then gives up
        if self.fault == "busy" and not self.busied:
            self.busied = True
            log("fault", "busy", self.name)
            return session.send_ipmi_response(code=0xC0)
        return super().control_chassis(request, session)

    def get_power_state(self):
        return "on" if self.power else "off"

    def _boot(self):
        if self.bootdev == "network":
            self.bootdev = "default"  # once (ipmitool's bootdev sets "next boot only")
            log("on", self.name)
            with cv:
                heapq.heappush(pending, (time.time() + BOOT_S * (1 + self.rng.random()), self.name))
                cv.notify()

    def power_on(self):
        self.power = 1
        self._boot()

    def power_cycle(self):
        self.power = 1
        self._boot()

    def power_reset(self):
        self.power_cycle()

    def power_off(self):
        self.power = 0

    def get_boot_device(self):
        return self.bootdev

    def set_boot_device(self, bootdevice):
        self.bootdev = bootdevice


def main():
    dead = []
    n = 0
    for k in range(FIRST, LAST + 1):
        f = fault_of(k)
        if f == "dead":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", PORT0 + k))
            dead.append(s)  # bound, never read: requests are dropped
            log("fault", "dead", node_name(k))
        else:
            FakeBmc(k, f)
        n += 1
    # installers report concurrently, as real nodes do: one thread for a
    # process's 125 nodes serialised every report behind control's fsyncs
    # (0.3-1 s each under load), so done lagged 20 s and the in-flight cap
    # bound most of the run
    for _ in range(16):
        threading.Thread(target=installer, daemon=True).start()
    log("ready", n)
    # pyghmi's Bmc.listen() loop, but an exception from one packet (its
    # ServerSession raises AttributeError 'Rm' on a RAKP 3 that ipmitool
    # retransmitted under load) no longer ends the loop: it used to take
    # every BMC of the process down mid-run (125 nodes failing "no answer")
    while True:
        try:
            ipmisession.Session.wait_for_rsp(1)
        except Exception as e:  # noqa: BLE001 (logged, the loop goes on)
            log("pyghmi", type(e).__name__, str(e)[:60].replace(" ", "_"))


main()
