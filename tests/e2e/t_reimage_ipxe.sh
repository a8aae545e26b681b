#!/usr/bin/env bash
# t_reimage_bios through iPXE over HTTP: the BIOS iPXE ROM gets boot.ipxe
# (/ipxe/boot), the installer's kernel and initrd come over HTTP, and once the
# node is `local` its script is `sanboot --no-describe --drive 0x80 || exit`,
# which boots the disk the installer wrote.
REIMAGE_ROUTE=ipxe exec bash "$(dirname "$0")/t_reimage_bios.sh"
