#!/usr/bin/env bash
# BIOS PXE boot of a QEMU VM through the lab: SeaBIOS + QEMU's iPXE option ROM does
# DHCP, TFTPs pxelinux.0 (iPXE is not sent to an HTTP script: boot.ipxe is unset),
# pxelinux fetches ldlinux.c32, its config (pxelinux.cfg/01-<mac>), menu.c32, the
# kernel and the busybox initramfs over TFTP; the initramfs gets a lease with udhcpc,
# fetches its kickstart over HTTP from control and POSTs done.
# Passes only when the serial console shows the kickstart marker (sha256 matching
# the server's rendering) AND the API reports the node done.
source "$(dirname "$0")/lib.sh"
need_qemu
e2e_init --clients 0 --vms 1
build_boot_files
E2E_IPXE_URL=""
write_config
server_start
vm_start 1 bios
vm_wait 1 240 || { vm_serial_tail 1; fail "vm1 did not finish the PXE flow within 240 s"; }
vm_check_ks 1
api_node_done vm01 || fail "API does not report vm01 done: $(in_srv curl -s -m 5 "$HTTP/api/nodes/vm01")"
grep -q 'pxelinux\|PXELINUX' "$WORK/vm1.serial" || log "note: no pxelinux banner on serial (menu is on VGA)"
log "vm01 booted in $SECONDS s (accel $ACCEL)"
pass
