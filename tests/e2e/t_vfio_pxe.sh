#!/usr/bin/env bash
# A PXE-booted VM through the PCI PMD: the vfio guest rig (tests/vm/run.sh: q35 +
# intel-iommu, TCG, bootstorm-dp with net_virtio on vfio-pci) serves a second
# QEMU VM (SeaBIOS + QEMU's iPXE ROM on an e1000, TCG) bridged to the NIC's
# host-side tap in namespace bs-vfio.  The client VM does what t_pxe_bios does
# in the lab: DHCP, pxelinux.0 + ldlinux.c32 + its pxelinux.cfg (rendered by
# control in the guest) + kernel + initramfs over TFTP from the guest's
# dataplane; its kernel's udhcpc gets node vm01's address, the initramfs fetches
# the kickstart over HTTP (control in the guest, through the dataplane's punt tap)
# and POSTs done.  Passes when the client prints BOOTSTORM-DONE-OK with the
# kickstart sha256 the server renders, the API says vm01 is done, the guest's
# dataplane copied no TFTP payload (tx_copy 0, tftp_dma_fallback 0) and the
# guest's kernel log has no DMAR fault.  Prints each boot stage the client
# reached and when, so a slow run shows how far it got.  Bounded: guest 240 s
# to ready, client 200 s to done (~3 min in all under TCG).
# NOT RUN (77) with the reason when the guest cannot start here.
set -uo pipefail
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build-test}
source "$ROOT/tests/vm/run.sh"
export BS_VM_NIC=virtio
BR=bsvbr0 CTAP=bsvpxe1 CMAC=52:54:00:77:00:01 KS_TOKEN=e2e-admin-token
HTTP=http://$VM_SERVER_IP
log() { echo "[$(date +%T)] $*"; }
W= CPID=
finish() {
	local rc=$?
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	vm_kill
	[ -n "$W" ] && [ -z "${BS_E2E_KEEP:-}" ] && rm -rf "$W"
	[ -z "${BS_E2E_KEEP:-}" ] || echo "kept $W"
	exit $rc
}
fail() {
	echo "FAIL: $*"
	[ -n "$W" ] && grep -E '^(VM|VM-[A-Z]+):|DMAR|Kernel panic' "$W/console.log" | tail -40
	[ -n "$W" ] && [ -f "$W/client.serial" ] && { echo "---- client serial (tail)"; tr -d '\r' <"$W/client.serial" | tail -25; }
	exit 1
}
why=$(vm_notrun_reason)
[ -z "$why" ] || { echo "NOT RUN: $why"; exit 77; }
[ -r /usr/lib/PXELINUX/pxelinux.0 ] || { echo "NOT RUN: pxelinux.0 missing (package pxelinux)"; exit 77; }
[ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] || [ -r /usr/share/qemu/efi-e1000.rom ] ||
	{ echo "NOT RUN: iPXE option ROM efi-e1000.rom missing (package ipxe-qemu)"; exit 77; }
[ -x "$BS_BUILD/dataplane/bootstorm-dp" ] || fail "$BS_BUILD/dataplane/bootstorm-dp not built"
W=$(mktemp -d "$BS_BUILD/vm.XXXXXX")
chmod 755 "$W"
trap finish EXIT
trap 'exit 130' INT TERM

# The lab's installer stand-in (tests/e2e/mkinitramfs.sh) as profile "lab".
"$E2E_DIR/mkinitramfs.sh" "$W/os" >"$W/mkinitramfs.log" 2>&1 || fail "mkinitramfs: $(cat "$W/mkinitramfs.log")"
mkdir -p "$W/tftp/lab" "$W/repo/lab" "$W/templates"
cp /usr/lib/PXELINUX/pxelinux.0 "$W/tftp/"
for b in ldlinux.c32 libcom32.c32 libutil.c32 menu.c32; do
	cp "/usr/lib/syslinux/modules/bios/$b" "$W/tftp/" || fail "$b missing (package syslinux-common)"
done
cp "$W/os/vmlinuz" "$W/os/initrd.img" "$W/tftp/lab/"
cp "$ROOT"/tests/data/e2e/templates/* "$W/templates/"
# The lab's e2e config, with the guest's PCI port, hugepages and a punt tap
# for HTTP (control listens on the tap's 10.77.0.1 in the guest).
sed -e "s|@WORK@/tftp|/tmp/tftp|; s|@WORK@/state|/tmp/state|; s|@WORK@|$W|g" \
	-e "s|@INSTANCE@|vfio|g; s|@LEASE@|1h|; s|@IPXE_LINE@||" \
	-e "s|^  eal: .*|  eal: [-l, \"0\", --file-prefix, bsvfio, --iova-mode, va, --socket-mem, \"256\"]|" \
	-e "s|dev: net_af_packet0,iface=bs-dp0|dev: \"$VM_NIC\"|" \
	-e "s|^  idle_sleep_us: .*|  idle_sleep_us: 100|" \
	"$ROOT/tests/data/e2e/bootstorm.yaml.in" >"$W/guest.yaml"
grep -q "dev: \"$VM_NIC\"" "$W/guest.yaml" && grep -q 'punt: bs-punt0' "$W/guest.yaml" ||
	fail "could not adapt tests/data/e2e/bootstorm.yaml.in for the guest"
# In the guest, before VM-READY: the punt tap gets the server address (what
# scripts/lab punt does in the lab).
cat >"$W/guest-extra.sh" <<'S'
#!/bin/sh
i=0; while ! ip link show bs-punt0 >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
sysctl -qw net.ipv6.conf.bs-punt0.disable_ipv6=1
ip addr replace 10.77.0.1/24 dev bs-punt0 && ip link set bs-punt0 up
ethtool -K bs-punt0 tx off tso off gso off >/dev/null 2>&1
ip -br addr show bs-punt0
S
# After the client: control's view of the node (its admin API answers local callers).
cat >"$W/guest-final.sh" <<'S'
#!/bin/sh
echo "node $(curl -s -m 10 http://127.0.0.1/api/nodes/vm01)"
S
chmod 755 "$W/guest-extra.sh" "$W/guest-final.sh"

t0=$SECONDS
log "booting the guest (TCG, q35 + intel-iommu, virtio-net on vfio-pci)"
vm_start "$W" "$BS_BUILD" || { echo "NOT RUN: guest could not start: $(tail -3 "$W/qemu.log")"; exit 77; }
if ! vm_wait_ready "$W" 240; then
	grep -q 'VM-INIT: host root mounted' "$W/console.log" 2>/dev/null ||
		{ tail -n 5 "$W/console.log" "$W/qemu.log"; echo "NOT RUN: guest did not boot to its script in 240 s"; exit 77; }
	fail "guest dataplane not ready"
fi
tr -d '\r' <"$W/console.log" | grep -E '^VM: |^VM-DP: .*port 0|^VM-EXTRA: '
tr -d '\r' <"$W/console.log" | grep -qE '^VM-DP: .*port 0: net_virtio, .*chained tx yes' || fail "port 0 is not net_virtio with chained tx"
tr -d '\r' <"$W/console.log" | grep -q '^VM-EXTRA: bs-punt0 .*10.77.0.1/24' || fail "punt tap bs-punt0 has no address in the guest"
log "guest dataplane up ($((SECONDS - t0)) s)"

# The lab bridge in bs-vfio: the dataplane's tap, the client VM's tap, and an
# address for this script's own HTTP checks (through ARP + the punt tap).
nsx() { ip netns exec "$VM_NS" "$@"; }
nsx ip link add "$BR" type bridge || fail "bridge"
nsx sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1"
nsx ip link set "$VM_TAP" master "$BR" || fail "tap into bridge"
nsx ip addr add 10.77.0.250/24 dev "$BR"
nsx ip link set "$BR" up
nsx ethtool -K "$BR" tx off tso off gso off >/dev/null 2>&1
nsx curl -sf -m 20 -o /dev/null "$HTTP/" || fail "control HTTP not reachable through the guest's dataplane + punt tap"

s=$SECONDS
nsx qemu-system-x86_64 -accel tcg,thread=single -M pc -m 256 -nodefaults -display none -no-reboot \
	-serial "file:$W/client.serial" -fw_cfg name=etc/sercon-port,string=0x3f8 \
	-netdev "tap,id=n0,ifname=$CTAP,script=no,downscript=no,vnet_hdr=off" \
	-device "e1000,netdev=n0,mac=$CMAC,bootindex=1" -boot order=n,reboot-timeout=1000 \
	>"$W/client.qemu.log" 2>&1 &
CPID=$!
for ((i = 0; i < 50; i++)); do nsx ip link show "$CTAP" >/dev/null 2>&1 && break; sleep 0.1; done
nsx ip link set "$CTAP" master "$BR" && nsx ip link set "$CTAP" up || fail "client tap: $(cat "$W/client.qemu.log")"
log "client VM started (SeaBIOS + iPXE ROM, e1000, TCG, pid $CPID)"
# Stages the client's serial shows, first time seen (seconds since its start).
# (Nothing of iPXE or pxelinux reached this serial file in two runs: they
# draw on VGA.  The kernel boots quiet; its initramfs's first line says that
# kernel + initrd came over TFTP.  The guest's DHCP/TFTP counters, printed
# below, tell how far a client got before that.)
stages=("initramfs:bootstorm-init" "lease:udhcpc: bound" "kickstart:BOOTSTORM-KS-OK"
	"done:BOOTSTORM-DONE-OK")
declare -A seen=()
while ((SECONDS - s < 200)); do
	for st in "${stages[@]}"; do
		[ -n "${seen[${st%%:*}]:-}" ] && continue
		sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$W/client.serial" 2>/dev/null | grep -aqE -- "${st#*:}" &&
			seen[${st%%:*}]=$((SECONDS - s))
	done
	[ -n "${seen[done]:-}" ] && break
	grep -aq 'BOOTSTORM-KS-FAIL' "$W/client.serial" 2>/dev/null && break
	kill -0 "$CPID" 2>/dev/null || break
	sleep 1
done
line=""
for st in "${stages[@]}"; do line+=" ${st%%:*}@${seen[${st%%:*}]:-never}"; done
log "client stages (s since start):$line"
ok=0
[ -n "${seen[done]:-}" ] && ok=1
got=$(grep -ao 'BOOTSTORM-KS-OK [0-9a-f]\{64\}' "$W/client.serial" | head -1 | cut -d' ' -f2)
want=$(nsx curl -sf -m 10 "$HTTP/ks/vm01?token=$KS_TOKEN" | sha256sum | cut -d' ' -f1)
for ((i = 0; i < 20; i++)); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.5; done
vm_finish "$W"
tr -d '\r' <"$W/console.log" | grep -E '^VM-(METRIC|DMESG): '
metric() { tr -d '\r' <"$W/console.log" | awk -v k="VM-METRIC: bootstorm_$1_total" 'index($0, k" ") == 1 { print $NF; f = 1 } END { if (!f) print -1 }'; }
grep -q '^VM-DONE' "$W/console.log" || fail "guest did not finish (no counters)"
faults=$(grep -cE '^VM-DMESG: .*(DMAR: \[DMA|DMAR: DRHD: handling fault|fault addr|fault reason)' "$W/console.log")
[ "$ok" = 1 ] || fail "the client VM did not PXE-boot to done in 200 s (stages:$line)"
[ -n "$got" ] && [ "$got" = "$want" ] || fail "client's kickstart sha256 '$got' != server's '$want'"
node=$(tr -d '\r' <"$W/console.log" | sed -n 's/^VM-FINAL: node //p' | head -1)
echo "$node" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict) and isinstance(d.get("node"), dict): d = d["node"]
st = str(d.get("stage", d.get("state", d.get("status", "")))).lower()
sys.exit(0 if st == "done" or d.get("done") is True else 1)' || fail "API does not report vm01 done: $node"
[ "$faults" = 0 ] || fail "$faults DMAR/IOMMU fault line(s) in the guest's kernel log"
# The kernel and initramfs alone are this many DATA blocks at pxelinux's 1408..1468.
min=$((($(stat -c %s "$W/tftp/lab/vmlinuz") + $(stat -c %s "$W/tftp/lab/initrd.img")) / 1468))
[ "$(metric tftp_tx_data)" -ge "$min" ] || fail "tftp_tx_data $(metric tftp_tx_data) < $min: the kernel and initramfs did not come from this dataplane"
[ "$(metric tx_copy)" = 0 ] || fail "tx_copy $(metric tx_copy): payload copied, not zero-copy"
[ "$(metric tftp_dma_fallback)" = 0 ] || fail "tftp_dma_fallback $(metric tftp_dma_fallback)"
log "vm01 PXE-booted through net_virtio on vfio-pci: kickstart $got, done; $(metric tftp_tx_data) DATA, tx_copy 0, no DMAR fault ($((SECONDS - t0)) s)"
echo "PASS: t_vfio_pxe"
