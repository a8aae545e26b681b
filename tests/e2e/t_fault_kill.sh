#!/usr/bin/env bash
# Nothing acknowledged is lost (DESIGN.md: a DHCPACK for a dynamic lease
# leaves only once its journal record is fsynced).  While perfdhcp (relay
# mode, a client not written by us) keeps a storm of DORAs going, the test
# kill -9s the dataplane, then control, then both, restarting each at once.
# dumpcap on the relay's interface records every DHCPACK the client side saw.
# Afterwards both are killed once more and the shared region is removed (what
# a reboot does to /dev/shm), so the lease table is rebuilt from the journal
# alone; then every (address, MAC) that was ACKed must be
#   - a GRANT/RENEW record in the journal file (decoded by ack_check.py,
#     independently of bootstorm's code), and
#   - a bound lease in `bootstorm leases`.
# Figures per phase: ACKs seen, kept, lost (must be 0).  Finally a torn
# record is appended to the journal while control is down: control must log
# the truncation and start with the same leases (no half record loaded).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/relay.sh"

RATE=${BS_FAULT_RATE:-300}
PHASE_S=${BS_FAULT_PHASE_S:-5}
need_cmd perfdhcp kea-admin
need_cmd dumpcap wireshark-common
need_cmd tshark tshark
e2e_init --clients 1
write_relay_config
# A wide group-commit window (default 2 ms): a kill of control then usually
# lands while events it took from the dataplane's ring are not yet written,
# the case where the restarted control must re-journal them from the table
# before it lets held ACKs go.
printf 'journal:\n  commit_interval: %s\n' "${BS_FAULT_COMMIT:-50ms}" >>"$CONF"
REGION=/dev/shm/bootstorm-$INSTANCE
JOURNAL=$WORK/state/leases.journal
BS_BIN=$BS_BUILD/control/bootstorm
BS_DP=$BS_BUILD/dataplane/bootstorm-dp
[ -x "$BS_BIN" ] && [ -x "$BS_DP" ] || fail "bootstorm not built in $BS_BUILD"
CTL_N=0 DP_N=0

# Our own starts: --foreground so that $CTL_PID is control itself (kill -9
# must hit the process that holds the journal, not a parent that forked).
ctl_start() {
	CTL_N=$((CTL_N + 1))
	spawn "$WORK/control.$CTL_N.log" ip netns exec "$SRV" "$BS_BIN" serve -c "$CONF" --foreground
	CTL_PID=$LAST_PID
	ln -sf "control.$CTL_N.log" "$WORK/control.log"
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'running: pid' "$WORK/control.$CTL_N.log" && return 0
		kill -0 "$CTL_PID" 2>/dev/null || fail "control exited: $(tail -5 "$WORK/control.$CTL_N.log")"
		sleep 0.05
	done
	fail "control did not start in 5 s"
}

dp_start() {
	DP_N=$((DP_N + 1))
	spawn "$WORK/dp.$DP_N.log" ip netns exec "$SRV" "$BS_DP" -c "$CONF"
	DP_PID=$LAST_PID
	ln -sf "dp.$DP_N.log" "$WORK/dp.log"
	"$LAB" punt --timeout 30 >/dev/null || fail "punt tap: $(tail -5 "$WORK/dp.$DP_N.log")"
}

kill9() { # pid: SIGKILL and reap
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# The process behind `ip netns exec` must be the server itself (iproute2
# execs without forking); otherwise kill -9 would miss it.
check_comm() { # pid name
	local c
	c=$(cat "/proc/$1/comm" 2>/dev/null)
	[ "$c" = "$2" ] || fail "pid $1 is '$c', not $2"
}

ctl_start
dp_start
wait_http "$HTTP/" 30 || fail "control HTTP not reachable"
check_comm "$CTL_PID" bootstorm
check_comm "$DP_PID" bootstorm-dp
relay_up

# Every DHCPACK the relay receives (server -> giaddr:67).
spawn "$WORK/dumpcap.log" ip netns exec "$RELAY_NS" dumpcap -q -P -i cl0 -s 600 \
	-f "udp and src host $SERVER_IP and dst port 67" -w "$WORK/replies.pcap"
CAP_PID=$LAST_PID
for ((i = 0; i < 50; i++)); do [ -s "$WORK/replies.pcap" ] && break; sleep 0.1; done
[ -s "$WORK/replies.pcap" ] || fail "dumpcap did not start: $(cat "$WORK/dumpcap.log")"

# The storm: basic scenario at RATE DORA/s from up to 60000 MACs for
# 4 phases.  Exchanges whose server was down count as drops (expected).
dur=$((4 * PHASE_S + 2))
spawn "$WORK/perfdhcp.txt" timeout -k 3 $((dur + 20)) ip netns exec "$RELAY_NS" \
	perfdhcp -4 -l "$RELAY_IP" -r "$RATE" -R 60000 -p "$dur" "$SERVER_IP"
PERF_PID=$LAST_PID
log "storm: perfdhcp -r $RATE for $dur s"

phases=()
mark() { phases+=("$1:$(date +%s.%N)"); }

sleep "$PHASE_S"
mark "start..dp-kill"
log "kill -9 dataplane (pid $DP_PID)"
kill9 "$DP_PID"
dp_start
log "dataplane restarted (pid $DP_PID)"

sleep "$PHASE_S"
mark "dp-kill..ctl-kill"
log "kill -9 control (pid $CTL_PID)"
kill9 "$CTL_PID"
ctl_start
log "control restarted (pid $CTL_PID): $(grep -h -E 're-journal|replayed|truncat' "$WORK/control.$CTL_N.log" | tr '\n' ' ')"

sleep "$PHASE_S"
mark "ctl-kill..both-kill"
log "kill -9 control (pid $CTL_PID) and dataplane (pid $DP_PID)"
kill9 "$DP_PID"
kill9 "$CTL_PID"
ctl_start
dp_start
log "both restarted (control $CTL_PID, dataplane $DP_PID)"

wait "$PERF_PID" 2>/dev/null
mark "both-kill..storm-end"
sleep 0.5
stop_pid "$CAP_PID"
grep -E '^(Rate|sent packets|received packets|drops):' "$WORK/perfdhcp.txt" | sed 's/^/  perfdhcp| /'

tshark -r "$WORK/replies.pcap" -Y 'dhcp.option.dhcp == 5' \
	-T fields -e frame.time_epoch -e dhcp.ip.your -e dhcp.hw.mac_addr >"$WORK/acks.tsv" 2>"$WORK/tshark.err" ||
	fail "tshark: $(cat "$WORK/tshark.err")"
nack=$(wc -l <"$WORK/acks.tsv")
log "captured $nack DHCPACKs"
[ "$nack" -gt $((RATE * PHASE_S / 2)) ] || fail "only $nack ACKs captured: the storm did not run"
ph=$(IFS=,; echo "${phases[*]}")

# 1. The running server's table (region kept across the kills).
bs leases >"$WORK/leases.live.txt" 2>&1 || fail "bootstorm leases: $(tail -3 "$WORK/leases.live.txt")"
python3 "$E2E_DIR/ack_check.py" --acks "$WORK/acks.tsv" --leases "$WORK/leases.live.txt" \
	--phases "$ph" --label "live table: " || fail "ACKed leases missing from the live lease table"

# 2. Reboot: both killed, region gone; the table comes from the journal only.
kill9 "$DP_PID"
kill9 "$CTL_PID"
rm -f "$REGION"
python3 "$E2E_DIR/ack_check.py" --acks "$WORK/acks.tsv" --journal "$JOURNAL" \
	--phases "$ph" --label "journal file: " || fail "ACKed leases missing from the journal"
ctl_start
dp_start
grep -h 'lease table rebuilt\|replayed' "$WORK/control.$CTL_N.log" | sed 's/^/  control| /'
bs leases >"$WORK/leases.rebuilt.txt" 2>&1 || fail "bootstorm leases after the rebuild"
python3 "$E2E_DIR/ack_check.py" --acks "$WORK/acks.tsv" --leases "$WORK/leases.rebuilt.txt" \
	--phases "$ph" --label "rebuilt from journal: " || fail "ACKed leases missing after the rebuild from the journal"
nb=$(grep -c ' bound ' "$WORK/leases.rebuilt.txt")

# 3. A torn tail (a crash in the middle of an append) is cut, not loaded.
stop_pid "$DP_PID"
stop_pid "$CTL_PID"
rm -f "$REGION"
size=$(stat -c %s "$JOURNAL")
# A frame that announces a whole record (len 101) but holds only 40 bytes.
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<II", 101, 0x12345678) + b"\x00" * 40)' >>"$JOURNAL"
ctl_start
grep -h 'truncating' "$WORK/control.$CTL_N.log" | sed 's/^/  control| /'
grep -q "torn record at offset $size: truncating 48 bytes" "$WORK/control.$CTL_N.log" ||
	fail "control did not report cutting the torn tail at $size"
[ "$(stat -c %s "$JOURNAL")" -eq "$size" ] || fail "journal is $(stat -c %s "$JOURNAL") bytes after the cut, want $size"
bs leases >"$WORK/leases.torn.txt" 2>&1
nt=$(grep -c ' bound ' "$WORK/leases.torn.txt")
[ "$nt" -eq "$nb" ] || fail "$nt bound leases after the torn-tail restart, $nb before"
log "torn tail: 48 bytes cut at $size, $nt bound leases as before"
pass
