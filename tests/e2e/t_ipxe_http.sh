#!/usr/bin/env bash
# iPXE → HTTP: the VM's iPXE ROM sends DHCP option 175 / user class "iPXE"; the
# server answers it with the iPXE script URL (boot.ipxe) instead of a TFTP boot file,
# which breaks the chainload loop.  iPXE fetches the script (/ipxe/...) from control,
# then the kernel and initramfs over HTTP (/repo/...), boots; the initramfs fetches
# its kickstart and POSTs done.  Passes only when the serial console shows the
# kickstart marker, no TFTP was needed for the kernel, and the API shows the node done.
source "$(dirname "$0")/lib.sh"
need_qemu
e2e_init --clients 0 --vms 1
build_boot_files
# No usable pxelinux on the TFTP side (an empty file: the config still names
# one): a boot that falls back to TFTP must fail.
: >"$WORK/tftp/pxelinux.0"
E2E_IPXE_URL="$HTTP/ipxe/boot"
write_config
server_start
script=$(in_srv curl -s -m 5 --interface "$SERVER_IP" "$HTTP/ipxe/boot")
log "iPXE script as the server renders it (for 10.77.0.1): $(echo "$script" | head -3 | tr '\n' '|')"
vm_start 1 bios
vm_wait 1 240 || { vm_serial_tail 1; fail "vm1 did not finish the iPXE HTTP flow within 240 s"; }
vm_check_ks 1
api_node_done vm01 || fail "API does not report vm01 done: $(in_srv curl -s -m 5 "$HTTP/api/nodes/vm01")"
log "vm01 booted over iPXE+HTTP in $SECONDS s (accel $ACCEL)"
pass
