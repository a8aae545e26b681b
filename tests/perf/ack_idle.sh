#!/usr/bin/env bash
# Control's journal thread: idle cost and lease-ACK latency, this build against
# another in interleaved rounds (issue 16: the 1 ms poll -> futex doorbell).
# Per round and build: a control instance on loopback (tests/data/control/
# e2e-lib.sh, journal on the disk under /tmp), 10 s idle (CPU ticks of the
# process, voluntary context switches of all its threads), then ctl_fake_dp
# grants 1000 leases one at a time, each waiting until durable_seq covers it
# (what the DHCP worker does before an ACK): ms for 1000 = us per ACK.
#   BS_OLD_BUILD=<dir> tests/perf/ack_idle.sh      (ACK_ROUNDS, default 2)
# The old build's ctl_fake_dp is used with its control (a pre-doorbell one
# does not kick).  Prints each run, then the ratios new/old of the sums.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NEW=${BS_BUILD:-$ROOT/build}
OLD=${BS_OLD_BUILD:-}
ROUNDS=${ACK_ROUNDS:-2}
one() { # build -> "ticks switches ms"
	BS_BUILD=$1 bash -c '
source "$0/tests/data/control/e2e-lib.sh"
ctl_setup; ctl_start >/dev/null; sleep 2
p=$SERVE_PID
csw() { cat /proc/$p/task/*/status | awk "/^voluntary_ctxt_switches/ {s+=\$2} END {print s}"; }
c0=$(awk "{print \$14+\$15}" /proc/$p/stat); s0=$(csw); sleep 10
c1=$(awk "{print \$14+\$15}" /proc/$p/stat); s1=$(csw)
t0=$(date +%s%N); "$FAKE_DP" leases "$INST" 1000 "$W/acks" 60 >/dev/null; t1=$(date +%s%N)
echo "$((c1 - c0)) $((s1 - s0)) $(( (t1 - t0) / 1000000 ))"' "$ROOT" 2>/dev/null | tail -1
}
declare -A T S M
for b in new old; do T[$b]=0; S[$b]=0; M[$b]=0; done
for r in $(seq "$ROUNDS"); do
	for b in new ${OLD:+old}; do
		dir=$NEW; [ "$b" = old ] && dir=$OLD
		read -r t s m < <(one "$dir")
		echo "round $r $b: idle 10 s: $t CPU ticks, $s voluntary switches; 1000 ACKs one at a time: $m ms (${m} us per ACK)"
		T[$b]=$((T[$b] + t)); S[$b]=$((S[$b] + s)); M[$b]=$((M[$b] + m))
	done
done
[ -n "$OLD" ] && awk -v t="${T[new]}" -v to="${T[old]}" -v s="${S[new]}" -v so="${S[old]}" \
	-v m="${M[new]}" -v mo="${M[old]}" 'BEGIN { printf "ack_idle: new/old: idle CPU ticks %d/%d, idle switches %.3fx, ACK latency %.2fx\n", t, to, s / so, m / mo }'
