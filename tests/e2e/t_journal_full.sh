#!/usr/bin/env bash
# A full disk under the lease journal.  state_dir is a 512 KiB tmpfs mounted
# by this test in a private mount namespace (it disappears with the test).
# After a first perfdhcp round (disk fine) the test fills the tmpfs, then:
#   - a dynamic storm (perfdhcp avalanche, new MACs) runs: its ACKs are held
#     by the dataplane until their records are durable, so while the journal
#     cannot write, what the client sees ACKed must still be on disk (decoded
#     from the journal file by ack_check.py);
#   - a reservation (busybox udhcpc with a node's MAC) is answered anyway;
#   - the condition is logged (ENOSPC) and visible in /metrics
#     (bootstorm_journal_ok 0, write errors, held ACKs);
# then the space comes back: the journal writes again by itself, perfdhcp's
# clients all complete, and every ACKed lease is in the journal and in
# `bootstorm leases`.
if [ -z "${BS_JF_MNTNS:-}" ]; then
	# Our own mount namespace: the tmpfs is private to this test and its
	# children (ip netns exec copies it into the server's namespace).
	[ "$(id -u)" -eq 0 ] || { echo "NOT RUN: needs root (mount namespace)"; exit 77; }
	exec unshare -m --propagation private env BS_JF_MNTNS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/relay.sh"

N=${BS_JF_CLIENTS:-100}
FULL_S=${BS_JF_FULL_S:-5}
need_cmd perfdhcp kea-admin
need_cmd dumpcap wireshark-common
need_cmd tshark tshark
need_cmd busybox busybox
e2e_init --clients 2
STATE=$WORK/state
mount -t tmpfs -o size=512k,mode=755 bs-journal-full "$STATE" || fail "mount tmpfs on $STATE"
# lib's cleanup removes $WORK: detach the tmpfs first (lazily: the server
# still has the journal open until the cleanup stops it).
trap 'rc=$?; umount -l "$STATE" 2>/dev/null; (exit $rc); e2e_cleanup' EXIT
write_relay_config
server_start
relay_up
JOURNAL=$STATE/leases.journal

metric() { # name -> value ("" when absent)
	in_srv curl -s -m 5 "$HTTP/metrics" | awk -v n="$1" '$1 == n { print $2; exit }'
}

spawn "$WORK/dumpcap.log" ip netns exec "$RELAY_NS" dumpcap -q -P -i cl0 -s 600 \
	-f "udp and src host $SERVER_IP and dst port 67" -w "$WORK/replies.pcap"
CAP_PID=$LAST_PID
for ((i = 0; i < 50; i++)); do [ -s "$WORK/replies.pcap" ] && break; sleep 0.1; done
[ -s "$WORK/replies.pcap" ] || fail "dumpcap did not start: $(cat "$WORK/dumpcap.log")"

acks_now() { # -> $WORK/acks.tsv: every DHCPACK captured so far
	tshark -r "$WORK/replies.pcap" -Y 'dhcp.option.dhcp == 5' -T fields \
		-e frame.time_epoch -e dhcp.ip.your -e dhcp.hw.mac_addr >"$WORK/acks.tsv" 2>/dev/null
	wc -l <"$WORK/acks.tsv"
}

# ---- 1. disk fine: a first round completes
perfdhcp_run "$WORK/perfdhcp-1.txt" 40 --scenario avalanche -R "$N" -b mac=00:0c:11:00:00:00
a1=$(perfdhcp_stat "$WORK/perfdhcp-1.txt" RA "received packets")
[ "${a1:-0}" -eq "$N" ] || fail "first round: ${a1:-0} ACKs of $N with the disk fine"
log "round 1 (disk fine): $a1 ACKs, journal $(stat -c %s "$JOURNAL") bytes"

# ---- 2. fill the disk
dd if=/dev/zero of="$STATE/filler" bs=4k status=none 2>/dev/null
log "state_dir full: $(df -k --output=avail "$STATE" | tail -1 | tr -d ' ') KiB free"

spawn "$WORK/perfdhcp-2.txt" timeout -k 3 90 ip netns exec "$RELAY_NS" perfdhcp -4 -l "$RELAY_IP" \
	--scenario avalanche -R "$N" -b mac=00:0c:22:00:00:00 "$SERVER_IP"
PERF_PID=$LAST_PID
# The last page of the journal has slack a few records still fit in; then
# the writes fail and control says so.
for ((i = 0; i < 100; i++)); do [ "$(metric bootstorm_journal_ok)" = 0 ] && break; sleep 0.1; done
[ "$(metric bootstorm_journal_ok)" = 0 ] || fail "bootstorm_journal_ok never went to 0 on a full disk"
[ "$(metric bootstorm_journal_damaged_bytes_total)" = 0 ] || fail "bootstorm_journal_damaged_bytes_total missing or non-zero on a clean journal"
[ "$(metric bootstorm_lease_read_skipped_total)" = 0 ] || fail "bootstorm_lease_read_skipped_total missing or non-zero"
grep -h 'No space left on device' "$WORK"/control.log | head -2 | sed 's/^/  control| /'
grep -q 'No space left on device' "$WORK/control.log" || fail "control did not log the ENOSPC"

# A reservation is answered while the journal cannot write: node vm01's MAC.
in_client 2 ip link set cl0 address "$(vm_mac 1)"
cat >"$WORK/udhcpc-script" <<SCRIPT
#!/bin/sh
echo "\$1 \${ip:-}" >>"$WORK/udhcpc.reasons"
SCRIPT
chmod +x "$WORK/udhcpc-script"
timeout -k 2 20 ip netns exec bs-c2 busybox udhcpc -f -q -n -i cl0 -t 5 -T 1 \
	-s "$WORK/udhcpc-script" >"$WORK/udhcpc.log" 2>&1
grep -q "^bound $(vm_ip 1)\$" "$WORK/udhcpc.reasons" 2>/dev/null ||
	fail "reservation not answered while the journal is full: $(cat "$WORK/udhcpc.log")"
[ "$(metric bootstorm_journal_ok)" = 0 ] || fail "the journal recovered before the reservation check (disk not full?)"
log "reservation: udhcpc bound $(vm_ip 1) (vm01) with the journal failing"

sleep "$FULL_S"
acks_now >/dev/null
n_full=$(grep -c $'\t00:0c:22' "$WORK/acks.tsv")
python3 "$E2E_DIR/ack_check.py" --acks "$WORK/acks.tsv" --journal "$JOURNAL" --label "disk full: " ||
	fail "an ACK left while its lease was not on disk"
held=$(metric bootstorm_dhcp_held_total)
werr=$(metric bootstorm_journal_write_errors_total)
tmo=$(in_srv curl -s -m 5 "$HTTP/metrics" | awk '$1 == "bootstorm_drops_total{reason=\"hold_timeout\"}" { print $2 }')
log "full for ${FULL_S}s: journal_ok 0, write errors ${werr:-?}, ACKs held ${held:-?}, held ACKs dropped on timeout ${tmo:-?}, round-2 ACKs so far $n_full"
[ "${werr:-0}" -gt 0 ] || fail "bootstorm_journal_write_errors_total is ${werr:-absent}"
[ "$n_full" -lt "$N" ] ||
	fail "all $N dynamic ACKs went out with the disk full: not held"

# ---- 3. space comes back
rm -f "$STATE/filler"
wait "$PERF_PID"
rc=$?
grep -E '^(It took|Requests resent)' "$WORK/perfdhcp-2.txt" | sed 's/^/  perfdhcp| /'
a2=$(perfdhcp_stat "$WORK/perfdhcp-2.txt" RA "received packets")
[ "$rc" -eq 0 ] || [ "${a2:-0}" -eq "$N" ] || fail "perfdhcp round 2 exited $rc with ${a2:-0} ACKs"
[ "${a2:-0}" -eq "$N" ] || fail "round 2: ${a2:-0} ACKs of $N after the disk came back"
grep -q 'writable again' "$WORK/control.log" || fail "control did not log the recovery"
[ "$(metric bootstorm_journal_ok)" = 1 ] || fail "bootstorm_journal_ok did not come back to 1"
sleep 0.3
stop_pid "$CAP_PID"
total=$(acks_now)
python3 "$E2E_DIR/ack_check.py" --acks "$WORK/acks.tsv" --journal "$JOURNAL" --label "after recovery: " ||
	fail "ACKed leases missing from the journal"
bs leases >"$WORK/leases.txt" 2>&1
python3 "$E2E_DIR/ack_check.py" --acks "$WORK/acks.tsv" --leases "$WORK/leases.txt" --label "lease table: " ||
	fail "ACKed leases missing from bootstorm leases"
log "FIGURES journal full: round 2 $N clients, $n_full ACKed during ${FULL_S}s of full disk, ${held:-?} ACKs held, ${tmo:-?} held ACKs timed out (client retried), ${werr:-?} write errors; after recovery all $total ACKed leases on disk, perfdhcp took $(awk '/^It took/{print $3; exit}' "$WORK/perfdhcp-2.txt")"
pass
