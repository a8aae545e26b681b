#!/usr/bin/env bash
# TFTP MB/s through the PCI PMD, against a kernel peer in the same guest, same run
# (a benchmark, not a test).  The vfio guest rig (tests/vm/run.sh, TCG, q35 +
# intel-iommu) with two NICs: 04.0 on vfio-pci served by bootstorm-dp (net_virtio,
# zero-copy), 06.0 kept by the guest's kernel (virtio_net) where tftpd-hpa
# (in.tftpd) serves the same files.  From namespace bs-vfio, VFIO_CLIENTS atftp
# clients at once fetch a VFIO_MB MiB file (blksize 1468; tftpd-hpa has no
# windowsize, so windowsize 1 for both, then the dataplane alone at windowsize
# 16), VFIO_RUNS interleaved rounds; prints MB/s per round, medians and the ratio
# dataplane / tftpd-hpa.  TCG emulates both servers' CPU, so absolute MB/s mean
# nothing; the ratio is the figure.
# VFIO_INSN=1 also counts instructions per TFTP DATA.  TCG offers no PMU to
# perf (callgrind in the guest: tests/perf/vfio_callgrind.sh); here a TCG
# plugin (tests/perf/vfio_insn_plugin.c)
# counts the instructions each vCPU executes, user and kernel mode apart.  The
# guest gets VFIO_WORKERS + 1 vCPUs and isolcpus=1..N, the workers run alone on
# vCPUs 1..N (EAL -l 1-N), so user-mode instructions there during a dataplane
# round are the workers' own; divided by the DATA blocks of that round (C x
# file / 1468, first sends): "Ir/DATA".  It includes the workers' empty polls
# at that load (a PMD spins until idle_sleep_us), so it is what the worker
# spends per DATA here, not the bare cost of one (the callgrind benchmark
# tests/perf/dataplane/bench_dp_callgrind.sh gives that).  The plugin slows TCG
# (a callback per translation block): MB/s of such a run are not comparable to
# a run without it.  tests/perf/vfio_insn.sh runs 1 and 2 workers and prints
# the ratio.
#   tests/perf/vfio_tftp.sh      (as root; ~3-4 min)
# Env: BS_BUILD (default build), VFIO_MB (4), VFIO_CLIENTS (4), VFIO_RUNS (3),
#      VFIO_WORKERS (1; 2 with BS_VM_QUEUES=2 for multiqueue RSS), VFIO_INSN (0).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build}
MB=${VFIO_MB:-4} C=${VFIO_CLIENTS:-4} RUNS=${VFIO_RUNS:-3} NW=${VFIO_WORKERS:-1} INSN=${VFIO_INSN:-0}
source "$ROOT/tests/vm/vfio_lib.sh"
export BS_VM_NIC=virtio BS_VM_PEER=1
why=$(vm_notrun_reason)
[ -z "$why" ] || { echo "NOT RUN: $why"; exit 77; }
command -v atftp >/dev/null || { echo "NOT RUN: atftp not installed"; exit 77; }
command -v in.tftpd >/dev/null || { echo "NOT RUN: tftpd-hpa not installed"; exit 77; }
[[ $C =~ ^[0-9]+$ && $C -ge 1 && $C -le 16 ]] || { echo "vfio_tftp: VFIO_CLIENTS 1..16"; exit 2; }
W=$(mktemp -d "$BS_BUILD/vm.XXXXXX")
chmod 755 "$W"
trap 'vm_kill; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$W/tftp"
head -c $((MB << 20)) /dev/urandom >"$W/tftp/big"
cores=0; ((NW > 1)) && cores=0-$((NW - 1))
if [ "$INSN" = 1 ]; then
	cc -O2 -shared -fPIC -o "$W/insn.so" "$ROOT/tests/perf/vfio_insn_plugin.c" -lpthread ||
		{ echo "vfio_tftp: cannot build the TCG plugin"; exit 1; }
	cores=1; ((NW > 1)) && cores=1-$NW
	export BS_VM_SMP=$((NW + 1)) BS_VM_APPEND="isolcpus=$cores " BS_VM_PLUGIN="$W/insn.so,out=$W/insn.log"
fi
{
	vfio_yaml_head "$cores" $NW
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
  timeout: 1s
  retries: 5
http:
  listen: 127.0.0.1:80
  base_url: http://127.0.0.1
Y
} >"$W/guest.yaml"
# In the guest: the kernel's NIC (MAC 02:00:00:78:00:01) gets 10.78.0.1, and
# tftpd-hpa serves the same copy of the files (/tmp/tftp) there.
cat >"$W/guest-extra.sh" <<'G'
#!/bin/sh
modprobe virtio_net
i=0; while [ $i -lt 50 ]; do
	ifc=$(grep -l 02:00:00:78:00:01 /sys/class/net/*/address 2>/dev/null | head -1)
	[ -n "$ifc" ] && break; sleep 0.1; i=$((i + 1)); done
ifc=${ifc%/address}; ifc=${ifc##*/}
[ -n "$ifc" ] || { echo "no kernel NIC"; exit 1; }
ip addr add 10.78.0.1/24 dev "$ifc" && ip link set "$ifc" up
in.tftpd --listen --address 10.78.0.1:69 --secure /tmp/tftp && echo "tftpd-hpa on $ifc 10.78.0.1"
# bootstorm-dp-setup, for real in the guest: it must refuse the NIC that
# carries an address, named by interface or by PCI address (exit 2, the NIC
# stays with the kernel), and find 04.0 already on vfio-pci (exit 0).
for n in $ifc 0000:00:06.0 0000:00:04.0; do
	BOOTSTORM_NIC=$n sh SETUP --env /dev/null >/tmp/setup.out 2>&1; rc=$?
	grep -E 'refusing|already bound|no such|running: dpdk' /tmp/setup.out
	echo "bootstorm-dp-setup BOOTSTORM_NIC=$n: exit $rc, $ifc still on $(basename "$(readlink /sys/class/net/$ifc/device/driver)")"
done
G
sed -i "s|SETUP|$ROOT/packaging/systemd/bootstorm-dp-setup|" "$W/guest-extra.sh"
chmod 755 "$W/guest-extra.sh"
echo "booting the guest (TCG): dataplane on 04.0 (vfio-pci, $NW worker(s)), tftpd-hpa on 06.0 (kernel)"
vm_start "$W" "$BS_BUILD" || { echo "NOT RUN: guest could not start"; exit 77; }
vm_wait_ready "$W" "${VFIO_READY_S:-240}" || { grep -E '^VM' "$W/console.log" | tail; echo "vfio_tftp: guest not ready"; exit 1; }
grep -E '^VM-EXTRA: |^VM-DP: .*port 0' "$W/console.log"
grep -q 'VM-EXTRA: tftpd-hpa on' "$W/console.log" || { echo "vfio_tftp: kernel peer did not start"; exit 1; }
n=$(tr -d '\r' <"$W/console.log" | grep -cE '^VM-EXTRA: bootstorm-dp-setup: refusing to take eth[0-9]+ \(0000:00:06.0\)')
[ "$n" = 2 ] || echo "WARNING: bootstorm-dp-setup did not refuse the guest's addressed NIC both ways ($n of 2)"
N() { ip netns exec "$VM_NS" "$@"; }
N ip addr add 10.77.0.2/24 dev "$VM_TAP"
N ip addr add 10.78.0.2/24 dev "$VM_TAP1"
sum=$(sha256sum <"$W/tftp/big")
round() { # SERVER_IP WINDOWSIZE -> MB/s (0 when a transfer lost data)
	local ip=$1 ws=$2 i t0 t1 ok=1 opt=()
	[ "$ws" -gt 1 ] && opt=(--option "windowsize $ws")
	t0=$(date +%s.%N)
	for ((i = 0; i < C; i++)); do
		timeout 300 ip netns exec "$VM_NS" atftp --option "blksize 1468" "${opt[@]}" -g -r big -l "$W/dl.$i" "$ip" >/dev/null 2>&1 &
	done
	wait
	t1=$(date +%s.%N)
	for ((i = 0; i < C; i++)); do [ "$(sha256sum <"$W/dl.$i")" = "$sum" ] || ok=0; rm -f "$W/dl.$i"; done
	echo "$t0 $t1" >"$W/round.t"
	[ $ok = 1 ] && echo "$t0 $t1" | awk -v b=$((C * (MB << 20))) '{ printf "%.2f", b / ($2 - $1) / 1e6 }' || echo 0
}
# Instructions on the worker vCPUs (1..NW) over the last round, per DATA block:
# "user kernel" from the plugin's samples just before t0 and just after t1.
ndata=$((C * ((MB << 20) / 1468 + 1)))
insn_round() {
	sleep 0.3 # the plugin's next sample after t1
	read -r t0 t1 <"$W/round.t"
	awk -v t0="$t0" -v t1="$t1" -v nw="$NW" -v nd="$ndata" '
	function sum(u,   v, s) { s = 0; for (v = 1; v <= nw; v++) s += $(2 + 2 * v + u); return s }
	$1 <= t0 { u0 = sum(0); k0 = sum(1) }
	$1 >= t1 && !done { u1 = sum(0); k1 = sum(1); done = 1 }
	END { if (done && u0 != "") printf "%.0f %.0f", (u1 - u0) / nd, (k1 - k0) / nd; else printf "0 0" }' "$W/insn.log"
}
dp=() kp=() dp16=() ir1=() ir16=() kr1=() kr16=()
for ((r = 1; r <= RUNS; r++)); do
	dp+=("$(round $VM_SERVER_IP 1)")
	[ "$INSN" = 1 ] && { read -r a b <<<"$(insn_round)"; ir1+=("$a"); kr1+=("$b"); }
	kp+=("$(round 10.78.0.1 1)"); dp16+=("$(round $VM_SERVER_IP 16)")
	[ "$INSN" = 1 ] && { read -r a b <<<"$(insn_round)"; ir16+=("$a"); kr16+=("$b"); }
	echo "round $r: $C x ${MB} MiB, blksize 1468: bootstorm-dp $(echo "${dp[-1]}") MB/s, tftpd-hpa ${kp[-1]} MB/s; bootstorm-dp windowsize 16 ${dp16[-1]} MB/s"
	[ "$INSN" = 1 ] && echo "round $r: worker vCPUs per DATA: windowsize 1 ${ir1[-1]} user + ${kr1[-1]} kernel, windowsize 16 ${ir16[-1]} user + ${kr16[-1]} kernel instructions"
done
med() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m_dp=$(med "${dp[@]}") m_kp=$(med "${kp[@]}") m_16=$(med "${dp16[@]}")
vm_finish "$W"
tr -d '\r' <"$W/console.log" | grep -E '^VM-METRIC: bootstorm_(tx_copy|tftp_dma_fallback|tftp_tx_data)_total '
echo "median MB/s: bootstorm-dp (PCI PMD, vfio) $m_dp, tftpd-hpa (guest kernel) $m_kp, bootstorm-dp windowsize 16 $m_16"
awk -v a="$m_dp" -v b="$m_kp" -v c="$m_16" 'BEGIN { if (b > 0) printf "ratio dataplane/tftpd-hpa: %.2fx at windowsize 1, %.2fx at windowsize 16 (TCG: ratios only)\n", a / b, c / b }'
if [ "$INSN" = 1 ]; then
	echo "Ir/DATA ($NW worker(s), user-mode instructions on the worker vCPUs per DATA block, TCG plugin, medians): windowsize 1 $(med "${ir1[@]}"), windowsize 16 $(med "${ir16[@]}"); kernel-mode on those vCPUs: $(med "${kr1[@]}") / $(med "${kr16[@]}")"
fi
