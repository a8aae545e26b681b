#!/usr/bin/env bash
# scripts/demo as a user runs it: on a terminal (a tmux pane, 120x45, on a private
# tmux server), so `bootstorm watch` runs live.
#   1. a full run: the pane is captured every second; passes only when
#      - the demo exits 0 (its own checks: vm01's serial shows the kickstart marker with
#        the server's sha256 and the API reports vm01 done; bs-storm's 50 clients all
#        booted, every TFTP block compared with the file on disk),
#      - some capture is a whole, well-formed watch frame taken mid-storm: header, the
#        booted bar, all 11 stage rows with equal-width bars whose counts add up to the
#        node total, a tftp transfer row with a progress bar; no line wrapped,
#      - `bootstorm summary` (scrollback) says 51 booted: vm01 done, 50 tftp-done, 0
#        failed, 51 leases bound, TFTP bytes served.
#   2. Ctrl-C in the pane mid-storm: the demo exits 130 and leaves nothing behind
#      (no process of its work dir, no work dir, no shm region, no lab namespace).
# The demo takes the lab lock itself (via lib.sh's e2e_init): this test does not.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || notrun "NOT RUN: needs root (network namespaces)"
need_cmd tmux
need_cmd flock util-linux
need_qemu
[ -x "$BS_BUILD/tools/storm/bs-storm" ] || fail "bs-storm not built in $BS_BUILD"
[ -x "$BS_BUILD/control/bootstorm" ] || fail "bootstorm not built in $BS_BUILD"

T=$(mktemp -d /tmp/bs-demo-t.XXXXXX)
TM=(tmux -L "bsdemo$$") # a private tmux server: nobody else's sessions are touched
cleanup() {
	local rc=$?
	"${TM[@]}" kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/bsdemo$$" # the server leaves its socket
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_demo() { # tag
	rm -f "$T/$1.rc"
	"${TM[@]}" new-session -d -s demo -x 120 -y 45 \
		"cd '$ROOT' && scripts/demo --no-deps --no-build --build '$BS_BUILD'; echo \$? >'$T/$1.rc'; sleep 600" ||
		fail "tmux new-session"
}
dump_pane() { echo "---- demo pane (scrollback)"; "${TM[@]}" capture-pane -p -J -S -400 -t demo 2>/dev/null | grep -v '^$' | tail -60; }
# Other lab users (e2e tests) hold the lab lock for minutes at a time: the clock of a
# run starts once the demo has the lab.
wait_lab() { # tag
	local n=0
	until "${TM[@]}" capture-pane -p -J -S -400 -t demo 2>/dev/null | grep -q ', work=/tmp/' ||
		[ -e "$T/$1.rc" ]; do
		[ $n -lt 1800 ] || { dump_pane; fail "$1: the demo did not get the lab within 15 min"; }
		sleep 0.5
		n=$((n + 1))
	done
}

# ---------------------------------------------------------------- 1. full run
log "run 1: scripts/demo in a tmux pane"
start_demo run1
wait_lab run1
n=0
while [ ! -e "$T/run1.rc" ] && [ $n -lt 200 ]; do
	sleep 1
	n=$((n + 1))
	"${TM[@]}" capture-pane -p -t demo >"$T/cap.$n.txt" 2>/dev/null
done
[ -e "$T/run1.rc" ] || { dump_pane; fail "demo still running 200 s after lab up"; }
"${TM[@]}" capture-pane -p -J -S -2000 -t demo >"$T/full.txt"
rc=$(cat "$T/run1.rc")
[ "$rc" = 0 ] || { dump_pane; fail "scripts/demo exit $rc"; }
log "run 1: demo exit 0 after ${n} s, $n captures"

python3 - "$T" "$n" <<'EOF' || { dump_pane; fail "watch frames or summary not as expected"; }
import re, sys
t, n = sys.argv[1], int(sys.argv[2])
stages = ["none", "dhcp-discover", "dhcp-bound", "tftp-start", "tftp", "tftp-done",
          "tftp-failed", "http", "installing", "done", "failed"]
row = re.compile(r"^  (\S+) +(\d+) \[([#.]+)\]$")
xfer = re.compile(r"^  \S+ +10\.77\.0\.\d+ +(tftp-start|tftp) +\S+ +\[[#.]+\] +\d+\.\d% +[\d.]+ [kMG]?B/[\d.]+ [kMG]?B$")
good = mid = 0
for i in range(1, n + 1):
    try:
        lines = open(f"{t}/cap.{i}.txt").read().splitlines()
    except OSError:
        continue
    if not lines or not re.match(r"^bootstorm \S+  demo  up \d+s  config gen \d+  dataplane UP, 1 worker$", lines[0]):
        continue
    # a whole frame: header .. footer, every line one of the known shapes
    try:
        end = lines.index("Ctrl-C: quit")
    except ValueError:
        continue
    f = lines[:end + 1]
    if max(len(l) for l in f) >= 120:
        sys.exit(f"cap {i}: a line as wide as the pane (wrapped?)")
    m = re.match(r"^booted   \[[#.]+\] (\d+)/(\d+)  \(done (\d+), tftp-done (\d+)\)  failed (\d+)  elapsed (\S+)$", f[1])
    if not m:
        sys.exit(f"cap {i}: booted line: {f[1]!r}")
    total = int(m.group(2))
    if total != 51:
        sys.exit(f"cap {i}: {total} nodes, expected 51")
    got = {}
    widths = set()
    for l in f:
        r = row.match(l)
        if r and r.group(1) in stages:
            got[r.group(1)] = int(r.group(2))
            widths.add(len(r.group(3)))
            # the bar shows the share: within one mark of count/total
            marks, w = r.group(3).count("#"), len(r.group(3))
            if abs(marks - int(r.group(2)) * w / total) > 1.01:
                sys.exit(f"cap {i}: bar {l!r} does not match {r.group(2)}/{total}")
    if list(got) != stages:
        sys.exit(f"cap {i}: stage rows {list(got)}")
    if len(widths) != 1:
        sys.exit(f"cap {i}: stage bars of different widths {widths}")
    if sum(got.values()) != total:
        sys.exit(f"cap {i}: stage counts add up to {sum(got.values())}, not {total}")
    good += 1
    if 0 < got["tftp-done"] < 50 and any(xfer.match(l) for l in f):
        mid += 1
print(f"watch: {good} well-formed frames, {mid} mid-storm with a transfer row")
if good < 3:
    sys.exit("fewer than 3 well-formed watch frames")
if mid < 1:
    sys.exit("no frame caught the storm with a TFTP transfer in progress")

full = open(f"{t}/full.txt").read()
need = [
    r"^booted      51: 1 done \(installer reported: vm01\), 50 tftp-done \(boot files served\)$",
    r"^failed      0$",
    r"^unfinished  0$",
    r"^nodes       51 seen \(51 of 51 inventory nodes, 0 unknown clients\)$",
    r"^elapsed     [\d.]+ s from the first DHCP message to the last node booted",
    r"^DHCP        51 leases bound",
    r"^TFTP        [\d.]+ MB served in \d+ transfers \(0 failed",
    r"^dataplane   alive, 1 worker",
    r"^clients \(bs-storm\): storm: 50 nodes, 50 ok, 0 failed",
    r"^demo: OK in \d+ s",
]
for pat in need:
    if not re.search(pat, full, re.M):
        sys.exit(f"summary: no line matching {pat}")
mb = float(re.search(r"^TFTP        ([\d.]+) MB", full, re.M).group(1))
# 50 x (pxelinux.0 + ldlinux.c32 + kernel + initrd) + the VM's: far more than 50 MB
if mb < 50:
    sys.exit(f"TFTP served only {mb} MB")
print("summary: " + next(l for l in full.splitlines() if l.startswith("booted      ")))
EOF
grep -E '^(booted|elapsed|TFTP) {3,}[0-9]' "$T/full.txt"
"${TM[@]}" kill-session -t demo

# ---------------------------------------------------------------- 2. Ctrl-C
log "run 2: Ctrl-C mid-storm"
start_demo run2
wait_lab run2
n=0
until grep -q '^active nodes' "$T/live.txt" 2>/dev/null || [ $n -ge 120 ]; do
	sleep 0.5
	n=$((n + 1))
	"${TM[@]}" capture-pane -p -t demo >"$T/live.txt" 2>/dev/null
done
grep -q '^active nodes' "$T/live.txt" || { dump_pane; fail "run 2: watch never showed up"; }
work=$("${TM[@]}" capture-pane -p -J -S -2000 -t demo | grep -o 'work=/tmp/bs-e2e\.[A-Za-z0-9]*' | head -1)
work=${work#work=}
sleep 2
"${TM[@]}" send-keys -t demo C-c
n=0
while [ ! -e "$T/run2.rc" ] && [ $n -lt 60 ]; do sleep 0.5; n=$((n + 1)); done
[ -e "$T/run2.rc" ] || { dump_pane; fail "run 2: demo still running 30 s after Ctrl-C"; }
rc=$(cat "$T/run2.rc")
[ "$rc" = 130 ] || { dump_pane; fail "run 2: exit $rc after Ctrl-C, expected 130"; }
"${TM[@]}" capture-pane -p -J -S -2000 -t demo | grep -q 'demo: interrupted, tearing down' ||
	{ dump_pane; fail "run 2: no teardown message"; }
# What the demo leaves behind is checked under the lab lock: no other lab user can
# have made namespaces of the same names meanwhile.
exec 8>/run/lock/bootstorm-lab.lock
flock -w 600 8 || fail "lab lock"
[ -n "$work" ] || fail "run 2: the demo's work dir was not printed"
pgrep -f "$work" >/dev/null && fail "run 2: processes of $work still running: $(pgrep -af "$work")"
[ ! -e "$work" ] || fail "run 2: work dir $work left behind"
[ ! -e /dev/shm/bootstorm-demo ] || fail "run 2: /dev/shm/bootstorm-demo left behind"
for ns in bs-srv bs-cli bs-c1; do
	[ ! -e "/run/netns/$ns" ] || fail "run 2: namespace $ns left behind"
done
flock -u 8
log "run 2: Ctrl-C -> exit 130, processes, work dir, shm and namespaces gone"
pass
