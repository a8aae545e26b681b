#!/usr/bin/env bash
# Does callgrind run bootstorm-dp on a VFIO device?  The vfio guest rig
# (tests/vm/run.sh, TCG, q35 + intel-iommu, net_virtio on vfio-pci) with the
# guest's dataplane under `valgrind --tool=callgrind`, collecting only inside
# dp_worker_main (the worker loop and its callees, as
# tests/perf/dataplane/bench_dp_callgrind.sh does over an in-memory port).
# From namespace bs-vfio: VFIO_CLIENTS atftp clients fetch a 1 MiB file at
# blksize 1468 windowsize 16 (sha256 checked); then, in the guest, the
# dataplane is stopped, callgrind writes its profile, and the guest prints the
# collected Ir, the DATA sent and Ir/DATA.  A benchmark, not a test; it says
# what happened when callgrind does not get that far.  Ir/DATA here includes
# the worker's empty polls (a PMD spins until idle_sleep_us) and the
# virtio PMD's own RX/TX work.
# Run 2026-12-03 (host load average ~40): callgrind runs it: EAL, the VFIO
# container/group/device ioctls (valgrind does not know them: "unhandled ioctl
# 0x3b6x", passed through), the DMA map of the file pages, net_virtio with
# chained TX; 2 of 2 transfers sha256-equal; 4,281,736 Ir in dp_worker_main
# and callees for 1,430 DATA = 2,994 Ir/DATA, 25 % of it tftp_raw_sum (the UDP
# checksum over the payload), 4 % dp_idle.  The worker ran for minutes around
# 2 short transfers, so empty polls weigh far more than in a storm.
#   tests/perf/vfio_callgrind.sh      (as root; ~8-10 min under TCG)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build}
C=${VFIO_CLIENTS:-2}
source "$ROOT/tests/vm/vfio_lib.sh"
export BS_VM_NIC=virtio
export BS_VM_DP_WRAP="valgrind --tool=callgrind --collect-atstart=no --toggle-collect=dp_worker_main --callgrind-out-file=/tmp/cg.out"
why=$(vm_notrun_reason)
[ -z "$why" ] || { echo "NOT RUN: $why"; exit 77; }
command -v valgrind >/dev/null || { echo "NOT RUN: valgrind not installed"; exit 77; }
command -v atftp >/dev/null || { echo "NOT RUN: atftp not installed"; exit 77; }
W=$(mktemp -d "$BS_BUILD/vm.XXXXXX")
chmod 755 "$W"
trap 'vm_kill; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$W/tftp"
head -c $((1 << 20)) /dev/urandom >"$W/tftp/f1m"
{
	vfio_yaml_head "0" 1
	cat <<Y
dhcp:
  unknown_clients: allow
  subnets:
    - subnet: 10.77.0.0/24
      pools: [10.77.0.100-10.77.0.199]
tftp:
  root: /tmp/tftp
  max_blksize: 1468
  max_windowsize: 16
  timeout: 2s
  retries: 8
http:
  listen: 127.0.0.1:80
Y
} >"$W/guest.yaml"
# After the transfers, in the guest: stop the dataplane (callgrind dumps on
# exit) and report.
cat >"$W/guest-final.sh" <<'G'
#!/bin/sh
data=$(sed -n 's/^bootstorm_tftp_tx_data_total \([0-9]*\)$/\1/p' /tmp/m.prom)
p=$(pgrep -o -f 'tool=callgrind')
[ -n "$p" ] && kill "$p"
i=0; while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ $i -lt 1800 ]; do sleep 0.1; i=$((i + 1)); done
[ -s /tmp/cg.out ] || { echo "no callgrind profile; the dataplane's log:"; tail -15 /tmp/dp.log; exit 0; }
ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' /tmp/cg.out | head -1)
echo "callgrind: ${ir:-?} Ir in dp_worker_main and callees, ${data:-?} TFTP DATA sent"
[ -n "$ir" ] && [ -n "$data" ] && [ "$data" -gt 0 ] && echo "Ir/DATA $((ir / data))"
callgrind_annotate --inclusive=no --threshold=90 --auto=no /tmp/cg.out 2>/dev/null | grep -E '^ *[0-9,]+ ' | head -12
G
chmod 755 "$W/guest-final.sh"
echo "booting the guest (TCG): bootstorm-dp under callgrind on 04.0 (vfio-pci)"
vm_start "$W" "$BS_BUILD" || { echo "NOT RUN: guest could not start"; exit 77; }
if ! vm_wait_ready "$W" 300; then
	tr -d '\r' <"$W/console.log" | grep -E '^VM|valgrind|==[0-9]+==' | tail -25
	echo "vfio_callgrind: the dataplane did not come up under callgrind"
	exit 1
fi
tr -d '\r' <"$W/console.log" | grep -E '^VM-DP: .*(port 0|valgrind|Callgrind)|==[0-9]+== (Callgrind|Command)'
ip netns exec "$VM_NS" ip addr add 10.77.0.2/24 dev "$VM_TAP"
sum=$(sha256sum <"$W/tftp/f1m")
ok=0 pids=()
for ((i = 0; i < C; i++)); do
	timeout 240 ip netns exec "$VM_NS" atftp --option "blksize 1468" --option "windowsize 16" \
		-g -r f1m -l "$W/dl.$i" "$VM_SERVER_IP" >/dev/null 2>&1 &
	pids+=($!)
done
wait "${pids[@]}" # (not the guest's QEMU, also a child of this shell)
for ((i = 0; i < C; i++)); do [ "$(sha256sum <"$W/dl.$i" 2>/dev/null)" = "$sum" ] && ok=$((ok + 1)); done
echo "atftp under callgrind: $ok of $C transfers sha256-equal"
# Stopping the dataplane, callgrind's dump and callgrind_annotate take minutes
# under TCG: wait up to 6 min for the guest to power off.
touch "$W/done"
for ((i = 0; i < 360; i++)); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 1; done
vm_finish "$W"
tr -d '\r' <"$W/console.log" | grep -E '^VM-FINAL: |^VM-DMESG: .*(DMAR: \[DMA|fault)'
