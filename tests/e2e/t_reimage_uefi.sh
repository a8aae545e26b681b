#!/usr/bin/env bash
# Reimage lifecycle with real UEFI firmware: OVMF's own PXE (virtio-net, no iPXE) TFTPs
# Debian's grubnetx64.efi (signed build, not in Secure Boot mode here), which reads
# /grub/grub.cfg: bootstorm's dispatcher sends it to /grub/grub.cfg-01-<mac>.  First
# boot: the installer (linux/initrd over TFTP) writes a FAT ESP image to the EMPTY
# virtio disk (its /EFI/BOOT/BOOTX64.EFI is a tiny GRUB that prints BOOTSTORM-DISK-OK),
# reports done and reboots; OVMF netboots again, the per-MAC file now chainloads the
# disk's loader, and the disk prints its marker.  The installer ran exactly once.
source "$(dirname "$0")/lib.sh"
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
sed -i -e 's|^    bios: pxelinux.0$|    bios: pxelinux.0\n    efi-x64: grubx64.efi|' \
	-e 's|ks=http://10.77.0.1/ks/${name}"|ks=http://10.77.0.1/ks/${name} bs.disk=/dev/vda bs.diskimg=http://10.77.0.1/repo/lab/esp.img bs.reboot=1"|' "$CONF"
grep -q 'efi-x64: grubx64.efi' "$CONF" && grep -q 'bs.diskimg=' "$CONF" || fail "could not adapt the lab config"

# The "installed system": an unpartitioned FAT ESP whose default loader prints a marker.
printf 'echo BOOTSTORM-DISK-OK\nsleep 600\n' >"$WORK/marker.cfg"
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c "$WORK/marker.cfg" -o "$WORK/BOOTX64.EFI" echo sleep ||
	fail "grub-mkimage"
ESP=$WORK/repo/lab/esp.img
mformat -i "$ESP" -C -T 16384 -h 2 -s 32 :: && mmd -i "$ESP" ::/EFI ::/EFI/BOOT &&
	mcopy -i "$ESP" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/ || fail "building the ESP image"
server_start

GEN=$WORK/state/tftp-gen
MAC1=$(vm_mac 1)
G1=$GEN/grub/grub.cfg-01-${MAC1//:/-}
boot_of() {
	in_srv curl -sf -m 5 "$HTTP/api/nodes/$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("boot", "?"))'
}
[ "$(boot_of vm01)" = install ] || fail "vm01 does not start in install"
grep -q 'linux /lab/vmlinuz' "$G1" || fail "vm01's GRUB file does not install: $(cat "$G1")"
grep -q 'net_default_mac' "$GEN/grub/grub.cfg" || fail "no GRUB dispatcher in $GEN/grub/grub.cfg"

DISK=$WORK/vm1.disk
truncate -s 16M "$DISK"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vm1.vars.fd"
accel_opts=(-accel "$ACCEL")
[ "$ACCEL" = tcg ] && accel_opts=(-accel tcg,thread=single)
spawn "$WORK/vm1.qemu.log" ip netns exec "$CLI" "$QEMU" "${accel_opts[@]}" -M pc -m 512 \
	-nodefaults -display none -serial "file:$WORK/vm1.serial" \
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd" \
	-drive "if=pflash,format=raw,unit=1,file=$WORK/vm1.vars.fd" \
	-netdev "tap,id=n0,ifname=bs-vm1,script=no,downscript=no,vnet_hdr=off" \
	-device "virtio-net-pci,netdev=n0,mac=$MAC1,romfile=,bootindex=1" \
	-drive "file=$DISK,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,bootindex=2
VM1_PID=$LAST_PID
log "vm1 started (OVMF, own PXE, network then disk, $ACCEL, pid $VM1_PID)"
wait_serial() { # pattern timeout_s
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		grep -aq "$1" "$WORK/vm1.serial" 2>/dev/null && return 0
		grep -aq 'BOOTSTORM-KS-FAIL' "$WORK/vm1.serial" 2>/dev/null && return 1
		kill -0 "$VM1_PID" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}
t0=$SECONDS
wait_serial BOOTSTORM-DONE-OK 300 || { vm_serial_tail 1; fail "vm1 did not install within 300 s"; }
grep -aq 'BOOTSTORM-DISK-WRITTEN /dev/vda' "$WORK/vm1.serial" || { vm_serial_tail 1; fail "the installer did not write the disk"; }
t_done=$((SECONDS - t0))
[ "$(boot_of vm01)" = local ] || fail "vm01 not local after done"
grep -q 'chainloader /EFI/BOOT/BOOTX64.EFI' "$G1" || fail "vm01 done but its GRUB file says: $(cat "$G1")"
wait_serial BOOTSTORM-DISK-OK 240 || { vm_serial_tail 1; fail "vm1 did not boot its disk after the install"; }
n=$(grep -ac 'BOOTSTORM-KS-OK' "$WORK/vm1.serial")
[ "$n" = 1 ] || fail "the installer ran $n times, want once"
vm_check_ks 1
stop_pid "$VM1_PID"
log "vm01 (UEFI/GRUB): install done at ${t_done}s, disk marker at $((SECONDS - t0))s (accel $ACCEL)"
pass
