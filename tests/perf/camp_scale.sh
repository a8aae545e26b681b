#!/usr/bin/env bash
# Campaign scale benchmark (issue 18 "Targets"; a benchmark, not a timed test):
# a daemon-hosted `bootstorm reimage --power` campaign of CAMP_N (1,000) nodes
# against as many fake IPMI LAN BMCs (tests/perf/fakebmc.py: Debian's pyghmi
# BMC, real RMCP+ sessions, driven by bootstorm's ipmitool -I lanplus children)
# in CAMP_PROCS Python processes on 127.0.0.1:PORT0+k, ~5 % of them faulty
# (dead, hanging the first tries, busy 0xC0).  A BMC powered on with next boot
# PXE "boots" and POSTs /api/nodes/<node>/done 2-4 s later (the engine takes a
# report before the node's DHCP, so no dataplane runs here: control alone, in a
# namespace of its own).  Prints and checks: never more than max_in_flight
# powering (sampled from the API, and from the BMCs' power-on -> done log),
# power-on rate at the BMCs vs power_on_rate (within 5 %), every node done or
# failed with a reason, control's CPU seconds and RSS per node (its ipmitool
# children's CPU apart).  Bounded in time; everything it started killed by PID.
#   tests/perf/camp_scale.sh                      (as root)
# Env: BS_BUILD (build), CAMP_N (1000), CAMP_RATE (10 nodes/s), CAMP_CAP (64),
#      CAMP_PROCS (4), CAMP_FAULT_PCT (5), CAMP_BOOT_S (2), CAMP_BMC_TIMEOUT (10s:
#      power.timeout, one ipmitool try).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BS_BUILD:-$ROOT/build}
N=${CAMP_N:-1000} RATE=${CAMP_RATE:-10} CAP=${CAMP_CAP:-64} PROCS=${CAMP_PROCS:-4}
FPCT=${CAMP_FAULT_PCT:-5} BOOT_S=${CAMP_BOOT_S:-2}
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "NOT RUN: needs root (network namespace)"; exit 77; }
$PY -c 'import pyghmi.ipmi.bmc' 2>/dev/null || { echo "NOT RUN: python3-pyghmi not installed"; exit 77; }
command -v ipmitool >/dev/null || { echo "NOT RUN: ipmitool not installed"; exit 77; }
[ -x "$B/control/bootstorm" ] || { echo "camp_scale: $B/control/bootstorm not built"; exit 1; }
[[ $N =~ ^[0-9]+$ && $N -ge 1 && $N -le 9999 ]] || { echo "camp_scale: CAMP_N 1..9999"; exit 2; }
[[ $PROCS =~ ^[0-9]+$ && $PROCS -ge 1 && $((N / PROCS)) -le 900 ]] || { echo "camp_scale: CAMP_PROCS: at most 900 BMCs a process"; exit 2; }
S=bcs-$$ PORT0=$((30000 + $$ % 20000 / 10 * 10))
W=$(mktemp -d /tmp/bs-campscale.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}" $(ip netns pids "$S" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$S" 2>/dev/null
	[ -n "${CAMP_KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$S" || exit 1
ip -n "$S" link set lo up
ip -n "$S" link add bcs0 type veth peer name bcs1
ip -n "$S" link set bcs1 up
ip -n "$S" addr add 10.79.0.1/16 dev bcs0
ip -n "$S" link set bcs0 up
mkdir -p "$W/state" "$W/tftp" "$W/repo" "$W/templates"
cp /usr/lib/PXELINUX/pxelinux.0 "$W/tftp/" 2>/dev/null || : >"$W/tftp/pxelinux.0"
printf '127.0.0.1 bsadmin s3cr3t-pw\n' >"$W/creds"
chmod 600 "$W/creds"
name() { printf 'n%04d' "$1"; }
{
	cat <<EOF
server:
  name: campscale
  instance: bcs$$
  state_dir: $W/state
  ip: 10.79.0.1/16
dataplane:
  eal: [--no-pci]
  ports:
    - dev: net_af_packet0,iface=bcs0
dhcp:
  subnets:
    - subnet: 10.79.0.0/16
boot:
  next_server: 10.79.0.1
  default_profile: lab
  files:
    bios: pxelinux.0
tftp:
  root: $W/tftp
http:
  listen: 127.0.0.1:80
  repo_root: $W/repo
power: {credentials_file: $W/creds, timeout: ${CAMP_BMC_TIMEOUT:-10s}, retries: 2, ipmi_cipher_suite: 3}
profiles:
  - name: lab
    kernel: lab/vmlinuz
    initrd: lab/initrd.img
nodes:
EOF
	for ((k = 1; k <= N; k++)); do
		printf '  - {name: %s, mac: "02:79:00:00:%02x:%02x", ip: 10.79.%d.%d, bmc: "ipmi://127.0.0.1:%d"}\n' \
			"$(name $k)" $((k >> 8)) $((k & 255)) $((k / 200 + 1)) $((k % 200 + 10)) $((PORT0 + k))
	done
} >"$W/bootstorm.yaml"
in_ns() { ip netns exec "$S" "$@"; }
bs() { in_ns "$B/control/bootstorm" "$@" -c "$W/bootstorm.yaml"; }
in_ns "$B/control/bootstorm" check-config "$W/bootstorm.yaml" >"$W/check.log" 2>&1 || { echo "camp_scale: config refused: $(tail -5 "$W/check.log")"; exit 1; }

# ---- the BMCs
per=$(((N + PROCS - 1) / PROCS))
for ((p = 0; p < PROCS; p++)); do
	a=$((p * per + 1)) z=$(((p + 1) * per))
	[ $z -le "$N" ] || z=$N
	[ $a -le $z ] || break
	ip netns exec "$S" $PY "$ROOT/tests/perf/fakebmc.py" $a $z "$PORT0" "$W/bmc$p.log" http://127.0.0.1:80 "$FPCT" "$BOOT_S" \
		>"$W/bmc$p.out" 2>&1 &
	PIDS+=($!)
done
for ((t = 0; t < 300; t++)); do
	[ "$(cat "$W"/bmc*.log 2>/dev/null | grep -c ' ready ')" -ge "${#PIDS[@]}" ] && break
	sleep 0.1
done
[ "$(cat "$W"/bmc*.log | grep -c ' ready ')" -ge "${#PIDS[@]}" ] || { echo "camp_scale: BMCs not up: $(cat "$W"/bmc*.out)"; exit 1; }
ok=$(IPMI_PASSWORD=s3cr3t-pw in_ns ipmitool -I lanplus -C 3 -H 127.0.0.1 -p $((PORT0 + N)) -U bsadmin -E -N 1 -R 2 chassis power status 2>&1)
grep -q 'Power is off' <<<"$ok" || echo "camp_scale: note: BMC $N: $ok (faulty?)"

# ---- control
ip netns exec "$S" "$B/control/bootstorm" serve -c "$W/bootstorm.yaml" --foreground >"$W/ctl.log" 2>&1 &
CP=$!
PIDS+=($CP)
for ((t = 0; t < 100; t++)); do
	in_ns curl -sf -o /dev/null -m 1 http://127.0.0.1/api/campaigns && break
	sleep 0.2
done
# `ip netns exec` may fork: the bootstorm process itself
for ((t = 0; t < 20; t++)); do
	[ "$(readlink "/proc/$CP/exe")" = "$(readlink -f "$B/control/bootstorm")" ] && break
	c=$(pgrep -P "$CP" | head -1)
	[ -n "$c" ] && CP=$c && PIDS+=("$c")
done
rss0=$(awk '/^VmRSS/{print $2}' "/proc/$CP/status")
ticks() { awk '{print $14 + $15, $16 + $17}' "/proc/$CP/stat"; }
read -r c0 k0 < <(ticks)
T0=$(date +%s.%N)
out=$(bs reimage "n[0001-$(printf %04d "$N")]" --profile lab --power --max-in-flight "$CAP" --rate "$RATE" \
	--dhcp-deadline 30 --install-deadline 30 --max-repower 1) || { echo "camp_scale: reimage: $out"; exit 1; }
echo "$out"
# sample the engine's in-flight count until finished (bounded)
limit=$((N / RATE * 3 + 120))
maxif=0
: >"$W/samples"
for ((t = 0; t < limit * 2; t++)); do
	j=$(in_ns curl -s -m 5 http://127.0.0.1/api/campaigns/c1)
	$PY -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["in_flight"], j["stages"]["done"], j["stages"]["failed"], j["finished"])' "$j" \
		>>"$W/samples" 2>/dev/null
	[ "$(tail -1 "$W/samples" | awk '{print $4}')" = True ] && break
	sleep 0.5
done
T1=$(date +%s.%N)
read -r c1 k1 < <(ticks)
hwm=$(awk '/^VmHWM/{print $2}' "/proc/$CP/status")
in_ns curl -s -m 10 http://127.0.0.1/api/campaigns/c1 >"$W/final.json"
maxif=$(awk '$1 > m {m = $1} END {print m + 0}' "$W/samples")
cat "$W"/bmc*.log | sort -n >"$W/bmc.log"
# the engine's stage changes (token times, in-flight count), from control's log
grep -E 'campaign: c1: node [^ ]+ [a-z-]+ -> ' "$W/ctl.log" | awk '{print $1, $6, $7, $9}' >"$W/starts"
$PY - "$W/final.json" "$W/bmc.log" "$N" "$RATE" "$CAP" "$maxif" "$c1" "$c0" "$k1" "$k0" "$rss0" "$hwm" "$T0" "$T1" "$W/starts" <<'PY'
import datetime, json, sys
fin, log, n, rate, cap, maxif = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
c1, c0, k1, k0, rss0, hwm = (int(x) for x in sys.argv[7:13])
t0, t1 = float(sys.argv[13]), float(sys.argv[14])
hz = 100.0
j = json.load(open(fin))
bad = []
st = {}
for nd in j["nodes"]:
    st[nd["stage"]] = st.get(nd["stage"], 0) + 1
    if nd["stage"] not in ("done", "failed"):
        bad.append("%s ended %s" % (nd["name"], nd["stage"]))
    if nd["stage"] == "failed" and not nd.get("reason"):
        bad.append("%s failed without a reason" % nd["name"])
ons, onby, faults, live, most = [], [], {}, set(), 0
for line in open(log):
    w = line.split()
    if len(w) < 3:
        continue
    t, ev = float(w[0]), w[1]
    if ev == "on":
        ons.append(t)
        onby.append((t, w[2]))
        live.add(w[2])
        most = max(most, len(live))
    elif ev == "done":
        live.discard(w[2])
    elif ev == "fault":
        faults.setdefault(w[2], set()).add(w[3])
print("camp_scale: %d nodes; faulty BMCs: %s" % (
    n, ", ".join("%s %d" % (k, len(v)) for k, v in sorted(faults.items()))))
print("camp_scale: ended: %s; campaign %s in %.1f s" % (
    ", ".join("%s %d" % kv for kv in sorted(st.items())), "finished" if j["finished"] else "NOT finished", t1 - t0))
faulty = set().union(*faults.values()) if faults else set()
reasons = {}
for nd in j["nodes"]:
    if nd["stage"] == "failed":
        r = nd["reason"].split(":")[0] if nd.get("reason") else "?"
        reasons[r] = reasons.get(r, 0) + 1
for r, k in sorted(reasons.items()):
    print("camp_scale:   failed %d: %s..." % (k, r))
ex = [nd for nd in j["nodes"] if nd["stage"] == "failed"][:1]
if ex:
    print("camp_scale:   e.g. %s: %s" % (ex[0]["name"], ex[0]["reason"]))
def iso(x):
    return datetime.datetime.fromisoformat(x.rstrip("Z")).replace(tzinfo=datetime.timezone.utc).timestamp()
# the engine's log: each node's token (its first "-> powering"), and the
# in-flight count over time (powering + waiting-dhcp), so the stretches
# where max_in_flight bound (nodes queued, none could start) are known
fly = ("powering", "waiting-dhcp")
tok, binds, nif, bind_from, queued = {}, [], 0, None, n
for line in open(sys.argv[15]):
    w = line.split()
    if len(w) < 4:
        continue
    t, nd, fr, to = iso(w[0]), w[1], w[2], w[3]
    if to == "powering" and nd not in tok:
        tok[nd] = t
    if fr == "queued":
        queued -= 1
    elif to == "queued":
        queued += 1
    if (fr in fly) != (to in fly):
        nif += 1 if to in fly else -1
    binding = nif >= cap and queued > 0
    if binding and bind_from is None:
        bind_from = t
    elif not binding and bind_from is not None:
        binds.append((bind_from, t))
        bind_from = None
if bind_from is not None:
    binds.append((bind_from, t1))
first = {}
for t, nm in onby:
    first.setdefault(nm, t)
r_meas = (len(ons) - 1) / (ons[-1] - ons[0]) if len(ons) > 1 else 0.0
print("camp_scale: power-ons seen by the BMCs %d, first to last %.3f nodes/s (power_on_rate %.3f: %.4fx)" % (
    len(ons), r_meas, rate, r_meas / rate))
if len(tok) > 1:
    ts = sorted(tok.values())
    r_eng = (len(ts) - 1) / (ts[-1] - ts[0])
    bound = sum(b - a for a, b in binds)
    print("camp_scale: engine: %d first power sequences, %.3f nodes/s (%.4fx); max_in_flight bound "
          "%.1f s of %.1f s (%d stretches)" % (len(ts), r_eng, r_eng / rate, bound, ts[-1] - ts[0], len(binds)))
# the engine's own token gaps over the same stretches (its pacing, before
# any BMC latency)
ts = sorted(tok.values())
eg = [(a, b) for a, b in zip(ts, ts[1:]) if not any(x < b and y > a for x, y in binds)]
if eg:
    r_e = len(eg) / sum(b - a for a, b in eg)
    print("camp_scale: engine start rate where max_in_flight did not bind: %.3f nodes/s over %d gaps (%.4fx)" % (
        r_e, len(eg), r_e / rate))
# The rate check: the BMCs' own power-on times, over the stretches where the
# cap did not bind.  Gaps between consecutive power-ons (every BMC, faulty
# ones too) count when their two nodes took consecutive tokens (no dead,
# hung or reordered node between them) and no cap-bound stretch lies
# between those tokens; rate = counted gaps / their total length.
order = sorted(tok, key=lambda k: tok[k])
rank = {nm: k for k, nm in enumerate(order)}
seq = sorted((t, nm) for nm, t in first.items() if nm in rank)
gaps, span = 0, 0.0
for (ta, a), (tb, b) in zip(seq, seq[1:]):
    if rank[b] != rank[a] + 1:
        continue
    lo, hi = min(tok[a], tok[b]), max(tok[a], tok[b])
    if any(x < hi and y > lo for x, y in binds):
        continue
    gaps += 1
    span += tb - ta
r_good = gaps / span if span > 0 else 0.0
print("camp_scale: BMC power-on rate where max_in_flight did not bind: %.3f nodes/s over %d gaps, "
      "%.1f s (%.4fx)" % (r_good, gaps, span, r_good / rate))
print("camp_scale: in flight at most: %d from the API samples, %d from the BMCs (power-on -> done); max_in_flight %d" % (
    maxif, most, cap))
print("camp_scale: control CPU %.2f s (%.2f ms/node), its ipmitool children %.2f s (%.2f ms/node); "
      "RSS %d KiB before, peak %d KiB: %.2f KiB/node" % (
          (c1 - c0) / hz, (c1 - c0) / hz * 1000 / n, (k1 - k0) / hz, (k1 - k0) / hz * 1000 / n,
          rss0, hwm, (hwm - rss0) / n))
if maxif > cap or most > cap:
    bad.append("in flight over max_in_flight")
if abs(r_good / rate - 1) > 0.05:
    bad.append("power-on rate %.3f (cap not binding) not within 5 %% of %.3f" % (r_good, rate))
if not j["finished"]:
    bad.append("campaign not finished in time")
for b in bad[:10]:
    print("camp_scale: FAIL: " + b)
sys.exit(1 if bad else 0)
PY
rc=$?
[ $rc = 0 ] && echo "camp_scale: PASS" || { echo "camp_scale: control log tail:"; tail -5 "$W/ctl.log"; }
exit $rc
