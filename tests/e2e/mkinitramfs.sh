#!/usr/bin/env bash
# Builds the lab's tiny "installer": Debian's kernel + a busybox initramfs whose /init
#   1. loads the e1000 driver (QEMU's default NIC, whose iPXE ROM ships in ipxe-qemu;
#      Debian builds it as a module) and brings eth0 up with udhcpc,
#   2. fetches the kickstart named by ks= on the kernel command line (busybox wget),
#   3. prints BOOTSTORM-KS-OK <sha256 of the kickstart> on the serial console,
#   4. with bs.disk=DEV (e.g. /dev/vda, a virtio disk): writes a boot sector to DEV
#      that prints BOOTSTORM-DISK-OK on the serial port when the BIOS boots it
#      (the "installed system"), or with bs.diskimg=URL the image at URL (e.g. a FAT
#      ESP whose /EFI/BOOT/BOOTX64.EFI prints the marker), and prints
#      BOOTSTORM-DISK-WRITTEN,
#      (bs.diskmarker=1: it is that installed system: prints BOOTSTORM-DISK-OK and stops),
#      (bs.hang=NAME: the node NAME's installer hangs here, after the kickstart:
#      prints BOOTSTORM-HANG NAME and never reports; a campaign's stuck node),
#   5. POSTs to /api/nodes/<name>/done (bs.done=URL overrides) and prints
#      BOOTSTORM-DONE-OK <http status>, then powers off (bs.reboot=1: reboots,
#      as an installer does, so the firmware netboots again).
# Usage: tests/e2e/mkinitramfs.sh OUTDIR   -> OUTDIR/vmlinuz, OUTDIR/initrd.img
# Nothing large is committed: this runs at test/demo time (~1 s).
set -euo pipefail
out=${1:?usage: mkinitramfs.sh OUTDIR}
mkdir -p "$out"

kver=${BS_KVER:-}
if [ -z "$kver" ]; then
	# Newest Debian kernel installed under /boot (the host may run another kernel).
	kver=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)
fi
[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] || { echo "mkinitramfs: no /boot/vmlinuz-* (install linux-image-amd64)" >&2; exit 2; }
mod=$(find "/lib/modules/$kver" -name 'e1000.ko*' | head -1)
[ -n "$mod" ] || { echo "mkinitramfs: e1000 module for $kver not found" >&2; exit 2; }

bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "mkinitramfs: busybox not installed" >&2; exit 2; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib/modules,usr/share/udhcpc}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# (busybox 1.35 wget -T crashes: the init bounds wget with `timeout` instead.)
# Debian's busybox is dynamically linked: copy its loader and libraries (a static
# busybox, e.g. busybox-static, has none to copy).
if ldd "$bb" >/dev/null 2>&1; then
	ldd "$bb" | grep -Eo '/[^ ]+' | while read -r lib; do
		[ -e "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	# getaddrinfo (wget) dlopens NSS modules: without them busybox wget crashes.
	libdir=$(dirname "$(ldd "$bb" | grep -Eo '/[^ ]+/libc\.so\.6' | head -1)")
	for lib in "$libdir"/libnss_files.so.2 "$libdir"/libnss_dns.so.2; do
		[ -e "$lib" ] && cp -L "$lib" "$root$lib"
	done
	printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
	printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
fi
case $mod in
*.ko) cp "$mod" "$root/lib/modules/e1000.ko" ;;
*.ko.xz) xz -dc "$mod" >"$root/lib/modules/e1000.ko" ;;
*.ko.zst) zstd -qdc "$mod" >"$root/lib/modules/e1000.ko" ;;
*.ko.gz) gzip -dc "$mod" >"$root/lib/modules/e1000.ko" ;;
esac

# virtio: virtio-blk for bs.disk, virtio-net for UEFI VMs booted by OVMF's own PXE
# (all modules in Debian's kernel; load order = dependency order)
mkdir -p "$root/lib/modules/disk"
i=0
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk \
	failover net_failover virtio_net; do
	f=$(find "/lib/modules/$kver" -name "$m.ko*" | head -1)
	[ -n "$f" ] || continue # built in
	i=$((i + 1))
	case $f in
	*.ko) cp "$f" "$root/lib/modules/disk/$(printf %02d $i)-$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$root/lib/modules/disk/$(printf %02d $i)-$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/disk/$(printf %02d $i)-$m.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$root/lib/modules/disk/$(printf %02d $i)-$m.ko" ;;
	esac
done
# The "installed system": a 512-byte MBR boot sector (real mode, loaded at 0:7C00):
#   cli; cld; xor ax,ax; mov ds,ax; mov si,msg; mov dx,0x3f8
#   l: lodsb; test al,al; jz h; out dx,al; jmp l     h: hlt; jmp h
# msg: "BOOTSTORM-DISK-OK\r\n\0", then zeros and the 55 AA signature.
{
	printf '\xfa\xfc\x31\xc0\x8e\xd8\xbe\x17\x7c\xba\xf8\x03\xac\x84\xc0\x74\x03\xee\xeb\xf8\xf4\xeb\xfd'
	printf 'BOOTSTORM-DISK-OK\r\n\0'
	head -c $((510 - 23 - 20)) /dev/zero
	printf '\x55\xaa'
} >"$root/lib/mbr.bin"
[ "$(stat -c %s "$root/lib/mbr.bin")" = 512 ] || { echo "mkinitramfs: mbr.bin is not 512 bytes" >&2; exit 2; }

cat >"$root/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc hook: configure the interface from the lease.
case "$1" in
deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
	echo "udhcpc: $1 $ip/${mask:-24} server ${serverid:-?} boot_file=${boot_file:-}" >/dev/console
	;;
esac
exit 0
EOF
chmod +x "$root/usr/share/udhcpc/default.script"

cat >"$root/init" <<'EOF'
#!/bin/sh
# bootstorm lab installer stand-in. Every line that matters goes to the console.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
say() { echo "bootstorm-init: $*" >/dev/console; }
fail() { echo "BOOTSTORM-KS-FAIL $*" >/dev/console; sleep 1; poweroff -f; }

# Under UEFI the kernel logs the firmware's Secure Boot mode ("secureboot: Secure boot
# enabled") and, with it, lockdown: shown on the console for tests that assert it.
sb=$(dmesg | grep -iE 'Secure boot (enabled|disabled)|locked down' | sed 's/^\[[^]]*\] //' | tr '\n' ';')
[ -z "$sb" ] || echo "BOOTSTORM-SECUREBOOT $sb" >/dev/console
# bs.diskmarker=1: this kernel + initrd are the "installed system" on a disk
# (t_reimage_secboot's signed chain): say so and stop.
case " $(cat /proc/cmdline) " in
*" bs.diskmarker=1 "*) echo "BOOTSTORM-DISK-OK" >/dev/console; sleep 1; poweroff -f ;;
esac

ks=; done_url=; disk=; diskimg=; reboot=; hang=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ks=*) ks=${arg#ks=} ;;
	bs.done=*) done_url=${arg#bs.done=} ;;
	bs.disk=*) disk=${arg#bs.disk=} ;;
	bs.diskimg=*) diskimg=${arg#bs.diskimg=} ;;
	bs.reboot=1) reboot=1 ;;
	bs.hang=*) hang=${arg#bs.hang=} ;;
	esac
done
[ -n "$ks" ] || fail "no ks= on the kernel command line"

insmod /lib/modules/e1000.ko || fail "insmod e1000"
# virtio (virtio-net of UEFI VMs, virtio-blk for bs.disk); absent devices are harmless
for m in /lib/modules/disk/*.ko; do [ -e "$m" ] && insmod "$m" 2>/dev/null; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up
say "udhcpc on eth0"
udhcpc -i eth0 -t 10 -T 2 -n -q -s /usr/share/udhcpc/default.script || fail "udhcpc: no lease"

say "fetching kickstart $ks"
n=0
until timeout 20 wget -q -O /tmp/ks.cfg "$ks"; do
	n=$((n + 1)); [ $n -lt 5 ] || fail "wget $ks"
	sleep 1
done
sum=$(sha256sum /tmp/ks.cfg | cut -d' ' -f1)
echo "BOOTSTORM-KS-OK $sum" >/dev/console
head -c 2000 /tmp/ks.cfg >/dev/console
me=${ks##*/ks/}; me=${me%%\?*}
if [ -n "$hang" ] && [ "$hang" = "$me" ]; then
	echo "BOOTSTORM-HANG $me: installer waiting for a package mirror that never answers" >/dev/console
	while :; do sleep 3600; done
fi

if [ -n "$disk" ]; then
	i=0
	while [ ! -b "$disk" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b "$disk" ] || fail "no disk $disk"
	img=/lib/mbr.bin
	if [ -n "$diskimg" ]; then
		timeout 60 wget -q -O /tmp/disk.img "$diskimg" || fail "wget $diskimg"
		img=/tmp/disk.img
	fi
	dd if="$img" of="$disk" bs=65536 conv=fsync 2>/dev/null || fail "writing $disk"
	sync
	echo "BOOTSTORM-DISK-WRITTEN $disk" >/dev/console
fi

if [ -z "$done_url" ]; then
	# http://host[:port]/ks/<name>[?token=..] -> http://host[:port]/api/nodes/<name>/done
	base=${ks%%/ks/*}
	name=${ks##*/ks/}; name=${name%%\?*}
	done_url="$base/api/nodes/$name/done"
fi
n=0
until timeout 20 wget -q -O /tmp/done.out --post-data "sha256=$sum" "$done_url"; do
	n=$((n + 1)); [ $n -lt 5 ] || fail "POST $done_url"
	sleep 1
done
echo "BOOTSTORM-DONE-OK $done_url" >/dev/console
sync
[ -n "$reboot" ] && reboot -f
poweroff -f
EOF
chmod +x "$root/init"

cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"
echo "mkinitramfs: $out/vmlinuz ($kver) $out/initrd.img ($(stat -c %s "$out/initrd.img") bytes)"
