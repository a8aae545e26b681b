#!/usr/bin/env bash
# Spoofed-RRQ reflection, bytes out per byte in (README Reliability table):
#   sudo BS_BUILD=$PWD/build bash tests/perf/tftp/reflect.sh [count]
# The e2e lab (tests/e2e/lib.sh: its namespaces, the lab lock) with the e2e
# config (tftp timeout 1s, retries 5, max_per_client 4); from bs-c1,
# tests/perf/tftp/reflect.py sends spoofed RRQs as raw frames (sparse: one per
# source; victim: one source, many ports; options: blksize/tsize) and counts
# every frame the server sends to those sources until 4 s after the last RRQ.
# Bounded: 3 x count RRQs (default 200), ~20 s.  Compare builds by running it
# with BS_BUILD pointing at each.
source "$(dirname "$0")/../../e2e/lib.sh"
COUNT=${1:-200}
e2e_init --clients 1 --vms 0
head -c 65536 /dev/urandom >"$WORK/tftp/r64k"
write_config
server_start
log "server up ($BS_BUILD); $COUNT spoofed RRQs per scenario"
ip netns exec bs-c1 python3 "$ROOT/tests/perf/tftp/reflect.py" --iface cl0 --file r64k \
	--count "$COUNT" >"$WORK/reflect.json" || fail "reflect.py failed"
python3 - "$WORK/reflect.json" <<'P'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print("FIGURE reflect %-8s %4d RRQs %7d B in -> %4d frames (%d DATA, %d OACK, %d ERROR) %8d B out: %.2f B out per B in"
          % (d["scenario"], d["rrqs"], d["bytes_in"], d["frames_out"], d["data"], d["oack"], d["error"],
             d["bytes_out"], d["ratio"]))
P
pass tftp_reflect
