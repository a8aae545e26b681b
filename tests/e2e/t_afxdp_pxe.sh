#!/usr/bin/env bash
# Firmware in AF_XDP split mode (BS_DP_MODE=afxdp): t_pxe_bios (SeaBIOS + iPXE ROM,
# pxelinux, kernel + initramfs over TFTP, kickstart over the kernel's HTTP, done) and
# t_pxe_uefi (OVMF + iPXE EFI, boot.ipxe, kernel + initramfs over HTTP), QEMU under
# TCG.  Each prints its own time.
source "$(dirname "$0")/lib.sh"
e2e_run_mode afxdp t_pxe_bios t_pxe_uefi
pass
