#!/usr/bin/env bash
# Several VMs PXE-boot at the same time (a small storm of real firmware): VMs 1..N
# (default 4, BS_E2E_VMS to change; the lab has taps for up to 8 inventory nodes)
# start together in BIOS mode, the classic flow (iPXE ROM -> TFTP pxelinux.0 ->
# menu -> kernel/initrd over TFTP); UEFI has its own test (t_pxe_uefi: the EFI
# build of iPXE goes the HTTP way, pxelinux.0 is BIOS-only).
# Each must show its own kickstart marker (sha256 = the server's rendering for that
# node) and be reported done by the API; the TFTP side must have served every
# node's loader.  Memory: 256 MiB per VM; under TCG on 2 cores, 4 VMs take ~1 min.
source "$(dirname "$0")/lib.sh"
need_qemu
N=${BS_E2E_VMS:-4}
[ "$N" -ge 2 ] && [ "$N" -le 8 ] || fail "BS_E2E_VMS=$N: 2..8"
e2e_init --clients 0 --vms "$N"
build_boot_files
E2E_IPXE_URL=""
write_config
server_start
start=$SECONDS
for ((n = 1; n <= N; n++)); do
	vm_start "$n" bios
done
failed=()
for ((n = 1; n <= N; n++)); do
	vm_wait "$n" 400 || { vm_serial_tail "$n"; failed+=("vm$n"); }
done
[ ${#failed[@]} -eq 0 ] || fail "not booted: ${failed[*]}"
for ((n = 1; n <= N; n++)); do
	vm_check_ks "$n"
	api_node_done "$(vm_name "$n")" || fail "API does not report $(vm_name "$n") done"
done
log "$N VMs booted at once in $((SECONDS - start)) s (accel $ACCEL)"
bs nodes | head -$((N + 1))
pass
