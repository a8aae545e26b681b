#!/usr/bin/env bash
# A reimage campaign over 4 real IPMI LAN BMCs (OpenIPMI ipmi_sim on
# loopback, no VMs yet): the campaign engine + control/power (camp_bmc)
# driven by tests/unit/power/camp_drive.  The test plays the machines: a
# node "DHCPs" once its BMC shows power on with next boot PXE; n4 never
# does.  The driver is killed mid-campaign and resumed from its state file.
# Checks: n1-n3 done, each BMC told bootdev pxe then powered on; n4 power-
# cycled again after its DHCP deadline, then failed with its reason;
# never more than max_in_flight (2) powering.
#   flock /tmp/bootstorm-e2e.lock env BS_BUILD=build bash tests/e2e/t_power_campaign.sh
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/bmc_lib.sh"

need_cmd ipmi_sim openipmi
DRIVE=$BS_BUILD/tests/unit/power/camp_drive
[ -x "$DRIVE" ] || fail "no $DRIVE (build first, or set BS_BUILD)"
DATA=$ROOT/tests/data/power
T=$(mktemp -d /tmp/bs-camp-e2e.XXXXXX)
BASE=$((20000 + $$ % 10000))
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

{
	echo "server: {ip: 10.1.0.1/16, state_dir: $T/bs}"
	echo "power: {credentials_file: creds, timeout: 8s, retries: 1, ipmi_cipher_suite: 3}"
	echo "nodes:"
} >"$T/bs.yaml"
BMC_DIR=$T
for i in 1 2 3 4; do
	port=$((BASE + i))
	bmc_sim_conf "$i" "$port" "$T/state$i"
	$(bmc_sim_cmd "$i") >"$T/sim$i.log" 2>&1 &
	PIDS+=($!)
	echo "  - {name: n$i, mac: \"52:54:00:00:00:0$i\", bmc: \"ipmi://127.0.0.1:$port\"}" >>"$T/bs.yaml"
done
printf '127.0.0.1 bsadmin s3cr3t-pw\n' >"$T/creds"
chmod 600 "$T/creds"
mkdir "$T/seen"
sleep 1

# The machines: n1-n3 netboot when powered with next boot PXE.
(
	while :; do
		for i in 1 2 3; do
			f=$T/state$i
			[ -f "$f" ] && grep -q '^power 1' "$f" && grep -q '^boot pxe' "$f" &&
				touch "$T/seen/n$i"
		done
		sleep 0.2
	done
) &
PIDS+=($!)

# max_in_flight 2, 1 node/s, DHCP deadline 4 s, 1 repower.
"$DRIVE" "$T/bs.yaml" "$T/camp.state" "$T/seen" 2 1 4000 1 1500 >"$T/run1.log" 2>&1
rc=$?
cat "$T/run1.log"
[ $rc -eq 3 ] || fail "the first run should stop itself mid-campaign (rc $rc)"
[ -s "$T/camp.state" ] || fail "no campaign state file"
log "driver killed mid-campaign; state: $(grep -c '^node' "$T/camp.state") nodes"
timeout 120 "$DRIVE" "$T/bs.yaml" "$T/camp.state" "$T/seen" 2 1 4000 1 >"$T/run2.log" 2>&1 ||
	{ cat "$T/run2.log"; fail "resumed run failed"; }
cat "$T/run2.log"
grep -q '^resumed: 4 nodes' "$T/run2.log" || fail "not resumed from the state file"
for i in 1 2 3; do
	grep -q "^n$i done " "$T/run2.log" || fail "n$i not done"
	head -1 "$T/state$i.log" | grep -q 'boot pxe' || fail "n$i: first BMC op was not bootdev pxe: $(cat "$T/state$i.log")"
done
grep -q '^n4 failed 2 no DHCP within 4 s after 2 power cycles at stage waiting-dhcp$' "$T/run2.log" ||
	fail "n4's reason"
ons=$(grep -c 'set power 1' "$T/state4.log")
[ "$ons" -ge 2 ] || fail "n4 powered on $ons times, wanted 2 (on, then cycle)"
seen=$(sed -n 's/^max_in_flight_seen \([0-9]*\).*/\1/p' "$T/run2.log")
[ "${seen:-99}" -le 2 ] || fail "in flight reached $seen"
pass
