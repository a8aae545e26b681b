#!/usr/bin/env bash
# UEFI HTTP boot with real firmware: OVMF (its own network stack, no iPXE, PXE switched
# off through fw_cfg so the NIC's boot option is "UEFI HTTPv4") asks bootstorm's DHCP
# as an HTTPClient (RFC 4578 arch 16).  Node vm01 is in `install`: the answer carries
# option 60 HTTPClient and http://10.77.0.1/boot/efi/httpboot.efi (profiles[].http_boot),
# OVMF downloads that loader from control's HTTP and runs it (a GRUB image printing
# BOOTSTORM-HTTPBOOT-LOADER, then rebooting).  Meanwhile the installer's `done` is
# reported: the node turns local, control republishes its snapshot, and on the next
# boot the DHCP answer has no boot URL -- OVMF's HTTP boot gives up at once and the
# firmware goes on to the next boot option (after EDK2's DHCP retries, ~60 s under
# TCG: it ignores an offer without a boot URI), the disk, whose loader prints
# BOOTSTORM-DISK-OK.  The network loader ran exactly once; `summary` counts the
# node's route as UEFI HTTP boot.
source "$(dirname "$0")/lib.sh"
need_qemu
command -v grub-mkimage >/dev/null && [ -d /usr/lib/grub/x86_64-efi ] ||
	notrun "NOT RUN: grub-mkimage / x86_64-efi modules missing (package grub-efi-amd64-bin)"
command -v mformat >/dev/null || notrun "NOT RUN: mformat missing (package mtools)"
[ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] || notrun "NOT RUN: OVMF missing (package ovmf)"
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: node boot states are bootstorm's (BS_SERVER=$BS_SERVER)"
e2e_init --clients 0 --vms 1
write_config
sed -i -e 's|^  - name: lab$|  - name: lab\n    http_boot: efi/httpboot.efi|' "$CONF"
grep -q 'http_boot: efi/httpboot.efi' "$CONF" || fail "could not adapt the lab config"

# The network loader: a GRUB that says it ran and reboots (sleep: time for `done`).
mkdir -p "$WORK/tftp/efi"
printf 'echo BOOTSTORM-HTTPBOOT-LOADER\nsleep 8\nreboot\n' >"$WORK/loader.cfg"
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c "$WORK/loader.cfg" -o "$WORK/tftp/efi/httpboot.efi" \
	echo sleep reboot || fail "grub-mkimage (loader)"
# The installed system: an unpartitioned FAT ESP whose default loader prints a marker.
printf 'echo BOOTSTORM-DISK-OK\nsleep 600\n' >"$WORK/marker.cfg"
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c "$WORK/marker.cfg" -o "$WORK/BOOTX64.EFI" echo sleep ||
	fail "grub-mkimage (disk)"
DISK=$WORK/vm1.disk
mformat -i "$DISK" -C -T 16384 -h 2 -s 32 :: && mmd -i "$DISK" ::/EFI ::/EFI/BOOT &&
	mcopy -i "$DISK" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/ || fail "building the disk's ESP"
server_start

boot_of() { in_srv curl -sf -m 5 "$HTTP/api/nodes/vm01" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("boot", "?"))'; }
[ "$(boot_of)" = install ] || fail "vm01 does not start in install"

MAC1=$(vm_mac 1)
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vm1.vars.fd"
accel_opts=(-accel "$ACCEL")
[ "$ACCEL" = tcg ] && accel_opts=(-accel tcg,thread=single)
# PXE off (OVMF runtime configuration, fw_cfg opt/org.tianocore/*): the NIC's only boot
# options are HTTP ones; IPv6 off so no HTTPv6 attempt waits for a DHCPv6 server.
spawn "$WORK/vm1.qemu.log" ip netns exec "$CLI" "$QEMU" "${accel_opts[@]}" -M pc -m 512 \
	-nodefaults -display none -serial "file:$WORK/vm1.serial" \
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd" \
	-drive "if=pflash,format=raw,unit=1,file=$WORK/vm1.vars.fd" \
	-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6Support,string=no \
	-netdev "tap,id=n0,ifname=bs-vm1,script=no,downscript=no,vnet_hdr=off" \
	-device "virtio-net-pci,netdev=n0,mac=$MAC1,romfile=,bootindex=1" \
	-drive "file=$DISK,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,bootindex=2
VM1_PID=$LAST_PID
log "vm1 started (OVMF, HTTP boot only, network then disk, $ACCEL, pid $VM1_PID)"
wait_serial() { # pattern timeout_s
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		grep -aq "$1" "$WORK/vm1.serial" 2>/dev/null && return 0
		kill -0 "$VM1_PID" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}
t0=$SECONDS
wait_serial BOOTSTORM-HTTPBOOT-LOADER 150 || { vm_serial_tail 1; fail "OVMF did not run the loader from the HTTP boot URL in 150 s"; }
t_loader=$((SECONDS - t0))
# OVMF prints the URI our DHCP answer gave it
grep -aq 'URI: http://10.77.0.1/boot/efi/httpboot.efi' "$WORK/vm1.serial" ||
	{ vm_serial_tail 1; fail "OVMF did not show the boot URI of the DHCP answer"; }
# the installer's report, as an admin would send it for an installer that cannot
in_srv curl -sf -m 5 -o /dev/null -X POST "http://127.0.0.1/api/nodes/vm01/done" || fail "POST done"
[ "$(boot_of)" = local ] || fail "vm01 not local after done"
log "loader ran after ${t_loader} s; vm01 reported done -> local"
wait_serial BOOTSTORM-DISK-OK 180 || { vm_serial_tail 1; fail "vm1 did not go on to its disk after the local answer"; }
t_disk=$((SECONDS - t0))
# EDK2's HTTP boot takes only an HTTPClient offer with a URI: the plain one is not
# selected and its DHCP gives up after its retries ("Server response timeout")
grep -aq 'failed to load Boot.*UEFI HTTPv4' "$WORK/vm1.serial" ||
	{ vm_serial_tail 1; fail "the disk booted, but not after the HTTP boot option failed"; }
n=$(grep -ac 'BOOTSTORM-HTTPBOOT-LOADER' "$WORK/vm1.serial")
[ "$n" = 1 ] || fail "the network loader ran $n times, want once"
in_srv curl -sf -m 5 "$HTTP/metrics" | grep -E '^bootstorm_dhcp_boot_local_total [1-9]' >/dev/null ||
	fail "dhcp_boot_local did not count the local answers"
bs summary >"$WORK/summary.txt" 2>&1 || true
grep -q 'UEFI HTTP boot' "$WORK/summary.txt" || fail "summary shows no UEFI HTTP boot route: $(cat "$WORK/summary.txt")"
log "disk booted ${t_disk} s after start ($ACCEL); summary: $(grep routes "$WORK/summary.txt")"
stop_pid "$VM1_PID"
pass
