#!/usr/bin/env bash
# Reimage lifecycle with real UEFI firmware: OVMF's own PXE (virtio-net, no iPXE) TFTPs
# Debian's grubnetx64.efi (signed build, not in Secure Boot mode here), which reads
# /grub/grub.cfg: bootstorm's dispatcher sends it to /grub/grub.cfg-01-<mac>.  First
# boot: the installer (linux/initrd over TFTP) writes a FAT ESP image to the EMPTY
# virtio disk (its /EFI/BOOT/BOOTX64.EFI is a tiny GRUB that prints BOOTSTORM-DISK-OK),
# reports done and reboots; OVMF netboots again, the per-MAC file now chainloads the
# disk's loader, and the disk prints its marker.  The installer ran exactly once.
# (t_reimage_secboot.sh: the same with Secure Boot enforced, shim -> signed GRUB.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_reimage.sh"
need_qemu
GRUBNET=/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
[ -r "$GRUBNET" ] || notrun "NOT RUN: $GRUBNET missing (package grub-efi-amd64-signed)"
command -v grub-mkimage >/dev/null && [ -d /usr/lib/grub/x86_64-efi ] ||
	notrun "NOT RUN: grub-mkimage / x86_64-efi modules missing (package grub-efi-amd64-bin)"
command -v mformat >/dev/null || notrun "NOT RUN: mformat missing (package mtools)"
[ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] || notrun "NOT RUN: OVMF missing (package ovmf)"
e2e_init --clients 0 --vms 1
build_boot_files
cp "$GRUBNET" "$WORK/tftp/grubx64.efi"
E2E_IPXE_URL=""
write_config
sed -i -e 's|^    bios: pxelinux.0$|    bios: pxelinux.0\n    efi-x64: grubx64.efi|' "$CONF"
grep -q 'efi-x64: grubx64.efi' "$CONF" || fail "could not adapt the lab config"
reimage_lab_installer http://10.77.0.1/repo/lab/esp.img

# The "installed system": an unpartitioned FAT ESP whose default loader prints a marker.
printf 'echo BOOTSTORM-DISK-OK\nsleep 600\n' >"$WORK/marker.cfg"
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c "$WORK/marker.cfg" -o "$WORK/BOOTX64.EFI" echo sleep ||
	fail "grub-mkimage"
reimage_esp "$WORK/repo/lab/esp.img" 8 "$WORK/BOOTX64.EFI" /EFI/BOOT/BOOTX64.EFI
server_start

GEN=$WORK/state/tftp-gen
MAC1=$(vm_mac 1)
G1=$GEN/grub/grub.cfg-01-${MAC1//:/-}
reimage_expect_boot vm01 install
grep -q 'linux /lab/vmlinuz' "$G1" || fail "vm01's GRUB file does not install: $(cat "$G1")"
grep -q 'net_default_mac' "$GEN/grub/grub.cfg" || fail "no GRUB dispatcher in $GEN/grub/grub.cfg"

reimage_ovmf_vm 1 uefi
reimage_cycle 1 vm01 "$G1" 'chainloader /EFI/BOOT/BOOTX64.EFI' 300 240
stop_pid "$VM1_PID"
log "vm01 (UEFI/GRUB): install done at ${T_DONE}s, disk marker at ${T_DISK}s (accel $ACCEL)"
pass
