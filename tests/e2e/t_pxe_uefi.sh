#!/usr/bin/env bash
# UEFI network boot: OVMF + QEMU's iPXE EFI option ROM (efi-e1000.rom). iPXE announces
# client arch 7 (EFI x64) and user class iPXE; the server hands it the iPXE script
# (boot.ipxe); iPXE loads the EFI-stub kernel and initramfs over HTTP; the initramfs
# fetches the kickstart and reports done.  Passes only with the serial marker AND the
# node done in the API.
source "$(dirname "$0")/lib.sh"
need_qemu
for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd; do
	[ -r "$f" ] || notrun "NOT RUN: $f missing (package ovmf)"
done
e2e_init --clients 0 --vms 1
build_boot_files
E2E_IPXE_URL="$HTTP/ipxe/boot"
write_config
server_start
vm_start 1 uefi
vm_wait 1 280 || { vm_serial_tail 1; fail "vm1 (UEFI) did not finish within 280 s"; }
vm_check_ks 1
api_node_done vm01 || fail "API does not report vm01 done: $(in_srv curl -s -m 5 "$HTTP/api/nodes/vm01")"
log "vm01 (UEFI) booted in $SECONDS s (accel $ACCEL)"
pass
