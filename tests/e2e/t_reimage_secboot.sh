#!/usr/bin/env bash
# Reimage lifecycle under UEFI Secure Boot, with the firmware enforcing it: OVMF
# (OVMF_CODE_4M.secboot.fd, a copy of OVMF_VARS_4M.ms.fd: Microsoft keys enrolled, q35 +
# SMM) PXE-boots node vm01, whose profile names shim as its efi-x64 loader:
#   Microsoft-signed shim (shim-signed) -> grubx64.efi from the same TFTP directory
#   (Debian-signed grubnetx64, grub-efi-amd64-signed) -> /grub/grub.cfg, bootstorm's
#   dispatcher -> /grub/grub.cfg-01-<mac> -> Debian's signed kernel (verified through
#   shim) + the lab installer, which writes an ESP to the EMPTY disk (the same signed
#   chain: shim as /EFI/BOOT/BOOTX64.EFI, signed GRUB, a grub.cfg, the signed kernel
#   and an initrd that prints BOOTSTORM-DISK-OK), reports done and reboots.  OVMF
#   netboots again; vm01 is `local`, its GRUB file chainloads the disk's shim, and the
#   disk's system prints its marker.  Both kernels say the firmware booted them with
#   Secure Boot on ("secureboot: Secure boot enabled", from boot_params).
# Then the negative: node `rogue`'s boot_file is an UNSIGNED loader; OVMF downloads it
# and refuses to run it (Access Denied).
# BS_SECBOOT_FW=uefi runs the same with Secure Boot off (plain OVMF): the test must then
# fail ("Secure Boot enabled on 0 of 2 boots"), which shows what it asserts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_reimage.sh"
need_qemu
FW=${BS_SECBOOT_FW:-secboot}
SHIM=/usr/lib/shim/shimx64.efi.signed
GRUBNET=/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
GRUBDISK=/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
[ -r "$SHIM" ] || notrun "NOT RUN: $SHIM missing (package shim-signed)"
[ -r "$GRUBNET" ] && [ -r "$GRUBDISK" ] || notrun "NOT RUN: signed GRUB missing (package grub-efi-amd64-signed)"
[ -r "$CODE" ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.ms.fd ] || notrun "NOT RUN: $CODE missing (package ovmf)"
command -v grub-mkimage >/dev/null && [ -d /usr/lib/grub/x86_64-efi ] ||
	notrun "NOT RUN: grub-mkimage / x86_64-efi modules missing (package grub-efi-amd64-bin)"
command -v mformat >/dev/null || notrun "NOT RUN: mformat missing (package mtools)"
e2e_init --clients 0 --vms 2
build_boot_files
# The kernel the chain boots must be one Debian signed (linux-image-amd64 ships it so).
[ "$(head -c 2 "$WORK/os/vmlinuz")" = MZ ] || fail "$WORK/os/vmlinuz is not a PE image"
T=$WORK/tftp
cp "$SHIM" "$T/shimx64.efi"
cp "$GRUBNET" "$T/grubx64.efi" # shim loads grubx64.efi from its own directory
for h in mmx64 fbx64; do [ -r "/usr/lib/shim/$h.efi.signed" ] && cp "/usr/lib/shim/$h.efi.signed" "$T/$h.efi"; done
# Node rogue gets an unsigned loader (a plain grub-mkimage build): it must not run.
printf 'echo BOOTSTORM-UNSIGNED-RAN\nsleep 600\n' >"$WORK/unsigned.cfg"
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c "$WORK/unsigned.cfg" -o "$T/unsigned.efi" echo sleep ||
	fail "grub-mkimage"
E2E_IPXE_URL=""
write_config
ROGUE_MAC=52:54:00:77:00:30
sed -i -e 's|^    kernel: lab/vmlinuz$|    kernel: lab/vmlinuz\n    files: { efi-x64: shimx64.efi }|' "$CONF"
echo "  - { name: rogue, mac: $ROGUE_MAC, boot_file: unsigned.efi }" >>"$CONF"
grep -q 'boot_file: unsigned.efi' "$CONF" && grep -q 'files: { efi-x64: shimx64.efi }' "$CONF" ||
	fail "could not adapt the lab config"
reimage_lab_installer http://10.77.0.1/repo/lab/esp.img

# The installed system: the signed chain on an ESP, the kernel told to print the marker.
cat >"$WORK/disk.cfg" <<'CFG'
set timeout=0
linux /vmlinuz console=ttyS0,115200 loglevel=4 panic=-1 bs.diskmarker=1
initrd /initrd.img
boot
CFG
reimage_esp "$WORK/repo/lab/esp.img" 40 "$SHIM" /EFI/BOOT/BOOTX64.EFI "$GRUBDISK" /EFI/BOOT/grubx64.efi \
	"$WORK/disk.cfg" /EFI/BOOT/grub.cfg "$WORK/disk.cfg" /EFI/debian/grub.cfg \
	"$WORK/os/vmlinuz" /vmlinuz "$WORK/os/initrd.img" /initrd.img
"$BS_BUILD/control/bootstorm" check-config "$CONF" >"$WORK/check.out" 2>&1 || fail "check-config: $(cat "$WORK/check.out")"
# the real signed chain (shim, grubx64.efi next to it with prefix /grub, signed kernel): no warning
! grep -q warning "$WORK/check.out" || fail "check-config warns about a working chain: $(cat "$WORK/check.out")"
server_start

GEN=$WORK/state/tftp-gen
MAC1=$(vm_mac 1)
G1=$GEN/grub/grub.cfg-01-${MAC1//:/-}
reimage_expect_boot vm01 install
grep -q 'linux /lab/vmlinuz' "$G1" || fail "vm01's GRUB file does not install: $(cat "$G1")"
cmp -s "$G1" "$GEN/grub/grub.cfg-0A4D000B" || fail "vm01's IP alias grub.cfg-0A4D000B differs from its MAC file"

t0=$SECONDS
reimage_ovmf_vm 1 "$FW"
reimage_cycle 1 vm01 "$G1" 'chainloader /EFI/BOOT/BOOTX64.EFI' 300 240
stop_pid "$VM1_PID"
S1=$WORK/vm1.serial
grep -aq 'NBP filename is shimx64.efi' "$S1" || { vm_serial_tail 1; fail "OVMF did not netboot shim"; }
n=$(grep -ac 'BOOTSTORM-SECUREBOOT .*Secure boot enabled' "$S1")
[ "$n" = 2 ] || { grep -a 'BOOTSTORM-SECUREBOOT' "$S1"; fail "Secure Boot enabled on $n of 2 boots (installer, disk)"; }
# the disk's kernel, the last boot, printed its Secure Boot line right before the marker
tail -c 4000 "$S1" | tr -d '\r' | grep -a -A3 'BOOTSTORM-SECUREBOOT .*Secure boot enabled' | grep -aq BOOTSTORM-DISK-OK ||
	fail "the disk's system did not report Secure Boot"
log "vm01 (Secure Boot: shim -> signed GRUB -> signed kernel): install done at ${T_DONE}s, disk marker at ${T_DISK}s"

# ---- the firmware refuses an unsigned loader
reimage_ovmf_vm 2 "$FW" "$ROGUE_MAC"
S2=$WORK/vm2.serial
refused=0
for ((i = 0; i < 150; i++)); do
	grep -aq 'BOOTSTORM-UNSIGNED-RAN\|Fetching Netboot' "$S2" 2>/dev/null && break
	grep -aqE 'Access Denied|Security Violation' "$S2" 2>/dev/null && { refused=1; break; }
	sleep 1
done
stop_pid "$VM2_PID"
grep -aq 'BOOTSTORM-UNSIGNED-RAN' "$S2" && fail "the firmware ran an unsigned loader under Secure Boot"
grep -aq 'NBP filename is unsigned.efi' "$S2" || { vm_serial_tail 2; fail "the unknown client was not offered unsigned.efi"; }
[ $refused = 1 ] || { vm_serial_tail 2; fail "no refusal of the unsigned loader on the console"; }
log "unsigned.efi downloaded and refused: $(grep -aE 'Access Denied|Security Violation' "$S2" | head -1 | tr -d '\r' | sed 's/ from .*: /: /')"
log "t_reimage_secboot: accel ${ACCEL^^}, $((SECONDS - t0)) s of VMs"
pass
