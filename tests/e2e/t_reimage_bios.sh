#!/usr/bin/env bash
# Reimage lifecycle with real BIOS firmware: install once, then boot from disk.
#   1. boot states through the CLI and the API: YAML default (install), localboot /
#      reimage on node sets, an unknown node refused, a non-loopback POST refused.
#   2. A QEMU BIOS VM (SeaBIOS + iPXE ROM, network first, then an EMPTY virtio disk)
#      PXE-boots pxelinux -> the lab installer, which writes a boot sector to the disk
#      (it prints BOOTSTORM-DISK-OK on serial when booted), reports done and reboots;
#      the firmware netboots again, pxelinux.cfg/01-<mac> now says LOCALBOOT 0, and
#      the disk prints its marker.  The installer ran exactly once.
#   3. A node whose installer fetched its kickstart (from the node's address) but never
#      reported stays `installing` and keeps its installer config; one that reported
#      `failed` shows it with its reason.
#   4. Control restarted: every state survives (<state_dir>/nodestate); the VM booted
#      again goes straight to its disk.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_reimage.sh"
need_qemu
e2e_init --clients 1 --vms 1
build_boot_files
# REIMAGE_ROUTE=ipxe (t_reimage_ipxe.sh): the iPXE ROM is sent to /ipxe/boot instead of
# pxelinux.0; kernel and initrd come over HTTP, and a local node gets `sanboot`.
ROUTE=${REIMAGE_ROUTE:-pxelinux}
E2E_IPXE_URL=""
[ "$ROUTE" = ipxe ] && E2E_IPXE_URL="$HTTP/ipxe/boot"
write_config
reimage_lab_installer
server_start

GEN=$WORK/state/tftp-gen
MAC1=$(vm_mac 1)
F1=$GEN/pxelinux.cfg/01-${MAC1//:/-}
F2=$GEN/pxelinux.cfg/01-$(vm_mac 2 | tr ':' '-')

expect_boot() { reimage_expect_boot "$@"; }

# ---- 1. states, commands, routes
expect_boot vm01 install
grep -q 'KERNEL lab/vmlinuz' "$F1" || fail "vm01's pxelinux file does not install: $(cat "$F1")"
bs nodes | grep -E '^vm01 .* install' >/dev/null || fail "bootstorm nodes shows no BOOT column: $(bs nodes | head -3)"
bs localboot 'vm[01-03]' || fail "bootstorm localboot 'vm[01-03]'"
expect_boot vm01 local
expect_boot vm03 local
grep -q 'LOCALBOOT 0' "$F1" || fail "vm01 local but its pxelinux file says: $(cat "$F1")"
grep -q 'chainloader /EFI/BOOT/BOOTX64.EFI' "$GEN/grub/grub.cfg-01-${MAC1//:/-}" ||
	fail "vm01 local but its GRUB file says: $(cat "$GEN/grub/grub.cfg-01-${MAC1//:/-}")"
in_srv curl -sf -m 5 "$HTTP/ipxe/vm01" | grep -q 'sanboot --no-describe --drive 0x80' ||
	fail "vm01 local but /ipxe/vm01 says: $(in_srv curl -s -m 5 "$HTTP/ipxe/vm01")"
bs reimage vm01,vm02 --profile lab || fail "bootstorm reimage vm01,vm02"
bs reimage vm03 || fail "bootstorm reimage vm03"
expect_boot vm01 install
grep -q 'KERNEL lab/vmlinuz' "$F1" || fail "vm01 reimaged but its pxelinux file says: $(cat "$F1")"
in_srv curl -sf -m 5 "$HTTP/ipxe/vm01" | grep -q '^kernel ' || fail "vm01 reimaged but /ipxe/vm01 boots no kernel"
rc=0; bs localboot vm01,vm99 2>"$WORK/bad.err" || rc=$?
[ $rc = 2 ] || fail "localboot of an unknown node: exit $rc, want 2"
grep -q vm99 "$WORK/bad.err" || fail "the error does not name vm99: $(cat "$WORK/bad.err")"
expect_boot vm01 install # nothing changed by the refused set
ip1=$(client_static 1)
code=$(in_client 1 curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST "$HTTP/api/nodes/vm01/localboot")
[ "$code" = 401 ] || fail "localboot POSTed from $ip1 (no admin token, not loopback): HTTP $code, want 401"
expect_boot vm01 install
code=$(in_srv curl -s -o /dev/null -w '%{http_code}' -m 5 "$HTTP/api/nodes/vm01/localboot")
[ "$code" = 405 ] || fail "GET of a state change: HTTP $code, want 405"
log "states: install -> local -> install through the CLI; unknown node and foreign peer refused"

# ---- 2. the VM: install once, reboot, boot the disk
vm_go() { reimage_bios_vm 1; } # an empty disk first, the installed one on a second start
t0=$SECONDS
vm_go
reimage_cycle 1 vm01 "$F1" 'LOCALBOOT 0' 240 180
t_done=$T_DONE t_disk=$T_DISK
stop_pid "$VM1_PID"
if [ "$ROUTE" = ipxe ]; then
	grep -q 'GET /ipxe/boot' "$WORK/control.log" 2>/dev/null || grep -aq 'ipxe/boot' "$WORK/vm1.serial" ||
		log "note: no /ipxe/boot line in the logs (iPXE route not visible)"
	grep -aq 'sanboot\|Booting from SAN\|drive 0x80' "$WORK/vm1.serial" ||
		log "note: iPXE's sanboot is not echoed on serial"
fi
log "vm01 ($ROUTE): install done at ${t_done}s, disk marker at ${t_disk}s (accel $ACCEL)"

# ---- 3. an installer that never reports is not flipped
in_client 1 ip addr add "$(vm_ip 2)/24" dev cl0
in_client 1 curl -sf -m 5 -o /dev/null --interface "$(vm_ip 2)" "$HTTP/ks/vm02" ||
	fail "kickstart of vm02 from its address"
expect_boot vm02 installing
sleep 2
expect_boot vm02 installing
grep -q 'KERNEL lab/vmlinuz' "$F2" || fail "vm02 never reported yet its file says: $(cat "$F2")"
# and one that reported failure stays visible with its reason, still installing next time
# (from vm03's own address, as its installer would)
in_client 1 ip addr add "$(vm_ip 3)/24" dev cl0
in_client 1 curl -sf -m 5 -o /dev/null --interface "$(vm_ip 3)" -X POST \
	"$HTTP/api/nodes/vm03/failed?reason=no%20disk%20found" || fail "POST failed for vm03"
expect_boot vm03 failed
in_srv curl -sf -m 5 "$HTTP/api/nodes/vm03" | grep -q '"boot_reason":"no disk found"' ||
	fail "vm03's failure reason is not shown: $(in_srv curl -s -m 5 "$HTTP/api/nodes/vm03")"
bs nodes | grep -E '^vm03 .* failed' >/dev/null || fail "bootstorm nodes does not show vm03 failed"

# ---- 4. control restarted: states kept; the VM goes straight to its disk
stop_pid "$CTL_PID"
spawn "$WORK/control.2.log" ip netns exec "$SRV" "$BS_BIN" serve -c "$CONF" --foreground
CTL_PID=$LAST_PID
wait_http "$HTTP/" 30 || fail "control did not come back: $(tail -5 "$WORK/control.2.log")"
grep -q 'nodestate: 3 node records' "$WORK/control.2.log" || fail "restarted control did not load the states: $(grep nodestate "$WORK/control.2.log")"
expect_boot vm01 local
expect_boot vm02 installing
expect_boot vm03 failed
grep -q 'LOCALBOOT 0' "$F1" || fail "after restart vm01's file says: $(cat "$F1")"
: >"$WORK/vm1.serial"
vm_go
reimage_wait_serial 1 BOOTSTORM-DISK-OK 180 || { vm_serial_tail 1; fail "vm1 did not boot its disk after the control restart"; }
grep -aq 'BOOTSTORM-KS-OK' "$WORK/vm1.serial" && fail "vm1 ran the installer again after the restart"
stop_pid "$VM1_PID"
log "after the control restart vm01 booted its disk in $((SECONDS - t0 - t_disk)) s incl. restart"
pass "t_reimage_${ROUTE/pxelinux/bios}"
