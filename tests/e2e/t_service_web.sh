#!/usr/bin/env bash
# The live web view (control/web/index.html) in headless Chromium against a fake
# API: a python http.server on 127.0.0.1 serves the page at / and canned
# /api/status + /api/storm + /api/nodes (the field names of control/daemon/api.c and
# storm.c, plus nodes with missing fields and numeric stages the page must tolerate).
# Checks the DOM after the page polled: one cell per node, the colour class per
# stage, the legend counts, rates and failed nodes from the storm object, the storm
# panel, the errors list, the discovered panel, and the details panel of the node named in the URL
# (#node=...).  Saves a screenshot ($BS_WEB_SHOT, default
# /tmp/bootstorm-web.png).
# Exit: 0 pass, 1 fail, 77 when no Chromium is installed (nothing else skips).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAGE=$ROOT/control/web/index.html
SHOT=${BS_WEB_SHOT:-/tmp/bootstorm-web.png}
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || { echo "no chromium/chromium-browser/google-chrome in PATH"; exit 77; }
command -v python3 >/dev/null || { echo "FAIL: python3 missing"; exit 1; }

WORK=$(mktemp -d /tmp/bs-web-XXXXXX)
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$WORK/fake_api.py" <<'PY'
"""Fake bootstorm control API for the web view test (127.0.0.1 only)."""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

page, portfile = sys.argv[1], sys.argv[2]
now = int(time.time() * 1000)
STAGES = ["none", "dhcp-discover", "dhcp-bound", "tftp-start", "tftp", "tftp-done",
          "tftp-failed", "http", "installing", "done", "failed"]
nodes = []
for i in range(1, 121):
    st = STAGES[i % len(STAGES)]
    n = {"name": "node%03d" % i, "mac": "52:54:00:00:%02x:%02x" % (i >> 8, i & 255),
         "ip": "10.77.0.%d" % (10 + i), "profile": "centos7", "stage": st,
         "last_seen_ms": now - i * 1000}
    if st in ("tftp-start", "tftp", "tftp-done"):
        # every other TFTP node fetches the kernel: kernel/initrd category
        n["file"] = "centos7/vmlinuz" if i % 2 else "pxelinux.0"
        n["bytes"], n["total"] = i * 100000, 12000000
        n["progress"] = 100.0 * n["bytes"] / n["total"]
    nodes.append(n)
# the node panel speaks words (issue 18): firmware by name, ages
nodes[41].update({"arch": 7, "first_seen_ms": now - 90000, "stage_since_ms": now - 5000})
# tolerance: no name, numeric stage, bare object, junk entry
nodes.append({"mac": "52:54:00:ff:00:01", "stage": 9})
nodes.append({"ip": "10.77.1.1"})
nodes.append("junk")
status = {"name": "lab", "version": "0.1.0", "uptime_s": 754, "config_gen": 3,
          "config": "/etc/bootstorm/lab.yaml",
          "dataplane": {"alive": True, "pid": 4242, "workers": 2},
          "journal": {"ok": True, "durable_seq": 1234, "records": 1234, "fsyncs": 80,
                      "fsync_avg_us": 210.0, "fsync_max_us": 950.0, "file_bytes": 98765},
          "leases": {"bound": 96, "used": 110, "cap": 65536},
          "rates": {"dhcp_per_s": 412.5, "tftp_mbytes_per_s": 87.25, "http_per_s": 33.0},
          "nodes": {"by_stage": {}}}
# the server's storm object (control/daemon/storm.c): failed names in list order
failed = [n["name"] for n in nodes if isinstance(n, dict) and n.get("stage") in ("failed", "tftp-failed")]
storm = {"now_ms": now,
         "nodes": {"total": 122, "inventory": 120, "seen": 110, "unknown": 1, "booted": 23,
                   "done": 12, "tftp_done": 11, "failed": len(failed), "unfinished": 66,
                   "names": {"done": [], "failed": failed[:8], "unfinished": []},
                   "first_seen_ms": now - 60000, "clock_ms": 60000, "elapsed_ms": 58000,
                   "per_node_ms": {"n": 23, "p50": 21000, "p90": 48000, "max": 58000, "slowest": "node098"}},
         "dhcp": {"bound": 96, "leases": 110, "cap": 65536, "discover": 120, "request": 110,
                  "offer": 120, "ack": 110, "nak": 0, "per_s": 412.5},
         "tftp": {"bytes": 1234567890, "transfers": 200, "failed": 3, "retransmits": 7,
                  "not_found": 0, "mbytes_per_s": 87.25},
         "http": {"requests": 500, "errors_4xx": 2, "errors_5xx": 0, "other": 0,
                  "bytes": 98765432, "per_s": 33.0},
         "drops": {"total": 5, "reasons": {"DROP_DHCP_NOT_PXE": 5}}}

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def send(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/":
            self.send(200, "text/html; charset=utf-8", open(page, "rb").read())
        elif path == "/api/status":
            self.send(200, "application/json", json.dumps(status).encode())
        elif path == "/api/storm":
            # rates move from poll to poll so the sparkline has a shape
            H.polls = getattr(H, "polls", 0) + 1
            k = H.polls
            storm["dhcp"]["per_s"] = 412.5 if k == 1 else 300 + 100 * ((k * 7) % 5)
            storm["tftp"]["mbytes_per_s"] = 87.25 if k == 1 else 60 + 9 * ((k * 3) % 7)
            storm["http"]["per_s"] = 33.0 if k == 1 else 10 + 4 * (k % 6)
            self.send(200, "application/json", json.dumps(storm).encode())
        elif path == "/api/nodes":
            self.send(200, "application/json", json.dumps({"nodes": nodes}).encode())
        elif path in ("/api/campaigns", "/api/campaigns/c1"):
            camp = {"id": "c1", "profile": "centos7", "created_ms": now - 60000, "power": True,
                    "max_in_flight": 2, "in_flight": 1, "nodes_total": 4, "finished": False,
                    "stages": {"queued": 0, "powering": 0, "waiting-dhcp": 1, "installing": 0,
                               "done": 2, "failed": 1, "cancelled": 0}}
            if path.endswith("c1"):
                camp["nodes"] = [{"name": "vm04", "stage": "failed", "attempts": 1,
                                  "reason": "install timeout at stage kickstart",
                                  "console": ["installer: <hung>"]}]
            body = camp if path.endswith("c1") else {"campaigns": [camp]}
            self.send(200, "application/json", json.dumps(body).encode())
        elif path == "/api/discovered":
            # control/daemon/discover.c disc_json(): newest first
            disc = {"capacity": 4096, "count": 1, "overflow": 0, "events": 3, "ring_full": 0,
                    "clients": [{"mac": "52:54:00:dd:00:01", "arch": 7, "arch_name": "x64 UEFI",
                                 "vendor_class": "PXEClient:Arch:00007:UNDI:003000",
                                 "first_seen_ms": now - 120000, "last_seen_ms": now - 4000,
                                 "count": 3}]}
            self.send(200, "application/json", json.dumps(disc).encode())
        else:
            # anything else (a remote asset, a favicon) is a 404 and logged
            sys.stderr.write("404 %s\n" % self.path)
            self.send(404, "text/plain", b"not found\n")

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY

python3 "$WORK/fake_api.py" "$PAGE" "$WORK/port" 2>"$WORK/api.log" &
SRV_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || fail "fake API did not start: $(cat "$WORK/api.log")"
URL="http://127.0.0.1:$(cat "$WORK/port")/#node=node042"

chrome() {
	# A fresh profile per run; everything that would phone home is off.
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$WORK/profile-$1" --virtual-time-budget=${BS_WEB_BUDGET_MS:-12000} "${@:2}" 2>>"$WORK/chrome.log"
}

chrome dom --dump-dom "$URL" >"$WORK/dom.html" || fail "chromium --dump-dom failed: $(tail -5 "$WORK/chrome.log")"
chrome shot --window-size=1280,800 --screenshot="$SHOT" "$URL" >/dev/null ||
	fail "chromium --screenshot failed: $(tail -5 "$WORK/chrome.log")"
[ -s "$SHOT" ] || fail "no screenshot at $SHOT"

PYTHONPATH="$ROOT/tests/e2e" python3 - "$WORK/dom.html" <<'PY' || exit 1
import re, sys
from types import SimpleNamespace
from webdom import parse

cells, text = parse(sys.argv[1])
p = SimpleNamespace(cells=cells, text=text)
dom = open(sys.argv[1]).read()
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

# 120 named nodes + 2 partial ones; the "junk" entry is skipped
check(len(p.cells) == 122, "cells: %d, want 122" % len(p.cells))
want = {"waiting": 0, "dhcp": 0, "loader": 0, "kernel": 0, "installing": 0, "done": 0, "failed": 0}
STAGES = ["none", "dhcp-discover", "dhcp-bound", "tftp-start", "tftp", "tftp-done",
          "tftp-failed", "http", "installing", "done", "failed"]
CAT = {"none": "waiting", "dhcp-discover": "dhcp", "dhcp-bound": "dhcp", "tftp-failed": "failed",
       "http": "kernel", "installing": "installing", "done": "done", "failed": "failed"}
for i in range(1, 121):
    st = STAGES[i % len(STAGES)]
    c = CAT.get(st) or ("kernel" if i % 2 else "loader")
    want[c] += 1
want["done"] += 1      # {"stage": 9} numeric = done
want["waiting"] += 1   # no stage at all
got = {}
for key, stage, cls in p.cells:
    check("st-" + str(stage) in cls, "cell %s: class %s vs data-stage %s" % (key, cls, stage))
    got[stage] = got.get(stage, 0) + 1
for k, v in want.items():
    check(got.get(k, 0) == v, "stage %s: %d cells, want %d" % (k, got.get(k, 0), v))
    check(p.text.get("n-" + k, "").strip() == str(v),
          "legend %s: %r, want %d" % (k, p.text.get("n-" + k), v))
cellmap = {k: s for k, s, _ in p.cells}
check(cellmap.get("node009") == "done", "node009 (stage done) is %s" % cellmap.get("node009"))
check(cellmap.get("node011") == "waiting", "node011 (stage none) is %s" % cellmap.get("node011"))
check(cellmap.get("node004") == "loader", "node004 (tftp pxelinux.0) is %s" % cellmap.get("node004"))
check(cellmap.get("node005") == "kernel", "node005 (tftp-done vmlinuz) is %s" % cellmap.get("node005"))
check(cellmap.get("52:54:00:ff:00:01") == "done", "nameless node keyed by MAC")
check("10.77.1.1" in cellmap, "node with only an IP is keyed by it")
check(re.fullmatch(r"\d+\.\d /s", p.text.get("r-dhcp", "")), "DHCP rate: %r" % p.text.get("r-dhcp"))
check(re.fullmatch(r"\d+\.\d\d MB/s", p.text.get("r-tftp", "")), "TFTP rate: %r" % p.text.get("r-tftp"))
check("alive" in p.text.get("dp", ""), "dataplane badge: %r" % p.text.get("dp"))
check("live" in p.text.get("conn", ""), "connection badge: %r" % p.text.get("conn"))
check("lab" in p.text.get("server", "") and "gen 3" in p.text.get("server", ""),
      "server line: %r" % p.text.get("server"))
errs = p.text.get("errlist", "")
check("node(s) failed" in errs and "node006" in errs, "errors list: %r" % errs)
# failed nodes as the storm object counts them: 22 of the 120, 8 named, then "…"
check(re.search(r"\b22 node\(s\) failed: node006, ", errs) and "…" in errs, "failed count/names: %r" % errs)
sk = p.text.get("storm-kv", "")
check("23 / 122 (done 12, tftp-done 11)" in sk, "storm panel booted: %r" % sk)
check("60.0 s" in sk and "21.0 s / 48.0 s / 58.0 s" in sk, "storm panel times: %r" % sk)
det = p.text.get("details", "")
check("node042" in det and "52:54:00:00:00:2a" in det and "10.77.0.52" in det,
      "details of node042: %r" % det[:300])
check("Firmware" in det and "UEFI x64" in det and "First seen" in det and "first_seen_ms" not in det,
      "node panel in words: %r" % det[:600])
cl = p.text.get("camplist", "")
check("c1" in cl and "2/4 done" in cl and "vm04: install timeout at stage kickstart" in cl
      and "installer: <hung>" in cl, "campaign panel: %r" % cl)
dl = p.text.get("disclist", "")
check("52:54:00:dd:00:01" in dl and "x64 UEFI" in dl and "×3" in dl, "discovered panel: %r" % dl)
check(not re.search(r'(src|href)=["\']?https?://', dom), "page references a remote asset")
if errors:
    print("FAIL: " + "\n  ".join(errors))
    sys.exit(1)
print("dom: %d cells, by stage %s" % (len(p.cells), got))
PY

if grep -q '^404' "$WORK/api.log"; then
	# favicon.ico is the browser's own request; anything else is the page's
	grep -v 'favicon' "$WORK/api.log" | grep -q '^404' && fail "page requested unknown paths: $(cat "$WORK/api.log")"
fi
echo "screenshot: $SHOT"
echo "PASS: t_service_web"
