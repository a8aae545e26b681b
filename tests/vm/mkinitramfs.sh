#!/usr/bin/env bash
# Tiny initramfs for the vfio guest (tests/vm/run.sh): busybox plus the modules
# needed to mount the host's root read-only over virtio-9p; its /init then chroots
# into that root (tmpfs over the few writable places) and runs $bs.script from the
# kernel command line.  Nothing else is copied: the guest runs the very binaries
# and libraries built and installed on the host.  ~1 s.
# Usage: tests/vm/mkinitramfs.sh KVER OUT.img
set -euo pipefail
kver=${1:?kver}; out=${2:?out}
bb=$(command -v busybox) || { echo "busybox not installed" >&2; exit 2; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,host,mods}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
ldd "$bb" 2>/dev/null | grep -Eo '/[^ ]+' | while read -r lib; do
	[ -e "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"
done
# Load order = dependency order, as modprobe resolves it for that kernel.
i=0
for f in $(for m in virtio_pci 9pnet_virtio 9p; do modprobe -S "$kver" --show-depends "$m"; done |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }'); do
	m=$(basename "$f"); m=${m%%.ko*}
	case $f in
	*.ko.xz) xz -dc "$f" >"$root/mods/$(printf %02d $i)-$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$root/mods/$(printf %02d $i)-$m.ko" ;;
	*) cp "$f" "$root/mods/$(printf %02d $i)-$m.ko" ;;
	esac
	i=$((i + 1))
done
[ "$i" -ge 5 ] || { echo "mkinitramfs: 9p/virtio modules for $kver not found" >&2; exit 2; }
cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin
busybox mount -t proc proc /proc
busybox mount -t sysfs sys /sys
busybox mount -t devtmpfs dev /dev
for m in /mods/*.ko; do busybox insmod "$m" || echo "VM-INIT: insmod $m failed"; done
script=$(busybox sed -n 's/.*bs\.script=\([^ ]*\).*/\1/p' /proc/cmdline)
busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host ||
	{ echo "VM-INIT: 9p mount failed"; busybox poweroff -f; }
for d in proc sys dev; do busybox mount --move /$d /host/$d 2>/dev/null || busybox mount -t $d $d /host/$d; done
busybox mkdir -p /host/dev/shm /host/dev/hugepages
busybox mkdir -p /orig && busybox mount --bind /host /orig
for d in tmp run var/tmp var/log var/lib dev/shm root; do busybox mount -t tmpfs tmpfs /host/$d; done
# A checkout under one of those (a CI clone in /tmp, say) would be hidden by
# its tmpfs: show the script's top folder there again, read-only, from a
# bind of the host root taken before the tmpfs mounts (mounts here are
# private: the later tmpfs mounts do not show through /orig).
for d in tmp run var/tmp var/log var/lib root; do
	case "$script" in
	/$d/*)
		top=/$d/$(echo "${script#/$d/}" | busybox cut -d/ -f1)
		busybox mkdir -p "/host$top" 2>/dev/null # on the tmpfs, below
		busybox mount --bind "/orig$top" "/host$top" ||
			echo "VM-INIT: cannot show $top under the guest's tmpfs"
		;;
	esac
done
echo "VM-INIT: host root mounted, running $script"
busybox chroot /host /bin/sh -c "$script; echo VM-SCRIPT-RC=\$?" 2>&1
busybox sync
busybox poweroff -f
INIT
chmod 755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$out"
