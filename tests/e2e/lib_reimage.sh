# shellcheck shell=bash
# Shared parts of the reimage lifecycle tests (t_reimage_{bios,uefi,secboot}.sh), sourced
# after lib.sh: boot states from the API, the installer -> done -> local -> disk cycle
# and its checks, the lab config for UEFI installers, FAT ESP images, OVMF VMs.

reimage_boot_of() { # node -> its boot state from /api/nodes/<node>
	in_srv curl -sf -m 5 "$HTTP/api/nodes/$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("boot", "?"))'
}

reimage_expect_boot() { # node state
	local got
	got=$(reimage_boot_of "$1")
	[ "$got" = "$2" ] || fail "$1: boot state '$got', want '$2'"
}

# 0 once VM N printed pattern on serial; 1 when its installer failed, it exited
# or timeout_s passed.
reimage_wait_serial() { # N pattern timeout_s
	local n=$1 deadline=$((SECONDS + $3)) pid_var="VM${1}_PID"
	while [ $SECONDS -lt $deadline ]; do
		grep -aq "$2" "$WORK/vm$n.serial" 2>/dev/null && return 0
		grep -aq 'BOOTSTORM-KS-FAIL' "$WORK/vm$n.serial" 2>/dev/null && return 1
		kill -0 "${!pid_var}" 2>/dev/null || { grep -aq "$2" "$WORK/vm$n.serial"; return; }
		sleep 1
	done
	return 1
}

# The lifecycle every route must show, VM N booting node with network first:
# the installer writes the disk and reports done, the node is then `local` and
# its boot file (file) says local_re, the firmware netboots again and is sent
# to the disk, whose system prints BOOTSTORM-DISK-OK; the installer ran once
# and fetched the kickstart the server renders.  Sets T_DONE and T_DISK
# (seconds since the call).
reimage_cycle() { # N node file local_re install_timeout_s disk_timeout_s
	local n=$1 node=$2 file=$3 re=$4 t0=$SECONDS cnt
	reimage_wait_serial "$n" BOOTSTORM-DONE-OK "$5" || { vm_serial_tail "$n"; fail "vm$n did not install within $5 s"; }
	grep -aq 'BOOTSTORM-DISK-WRITTEN /dev/vda' "$WORK/vm$n.serial" || { vm_serial_tail "$n"; fail "the installer did not write the disk"; }
	T_DONE=$((SECONDS - t0))
	reimage_expect_boot "$node" local
	grep -q -- "$re" "$file" || fail "$node done but $(basename "$file") says: $(cat "$file")"
	reimage_wait_serial "$n" BOOTSTORM-DISK-OK "$6" || { vm_serial_tail "$n"; fail "vm$n did not boot its disk after the install"; }
	T_DISK=$((SECONDS - t0))
	cnt=$(grep -ac 'BOOTSTORM-KS-OK' "$WORK/vm$n.serial")
	[ "$cnt" = 1 ] || fail "the installer ran $cnt times, want once"
	vm_check_ks "$n"
}

# The lab profile's installer gets the disk to write (and an image for it, when
# given), and reboots as a real one does.
reimage_lab_installer() { # [disk image URL]
	local img=""
	[ -z "${1:-}" ] || img=" bs.diskimg=$1"
	sed -i "s|ks=http://10.77.0.1/ks/\${name}\"|ks=http://10.77.0.1/ks/\${name} bs.disk=/dev/vda$img bs.reboot=1\"|" "$CONF"
	grep -q 'bs.disk=/dev/vda' "$CONF" || fail "could not add bs.disk to the lab profile"
}

# An unpartitioned FAT image (OVMF boots it as an ESP) holding the given
# files: pairs of host file and path in the image (directories are created).
reimage_esp() { # image size_MiB src dst [src dst]...
	local img=$1 mib=$2 d p c
	shift 2
	rm -f "$img"
	mformat -i "$img" -C -T $((mib * 2048)) -h 2 -s 32 :: || fail "mformat $img"
	while [ $# -ge 2 ]; do
		d=$(dirname "$2") p=""
		for c in ${d//\// }; do
			p="$p/$c"
			mmd -i "$img" "::$p" 2>/dev/null # already there: fine
		done
		mcopy -i "$img" "$1" "::$2" || fail "mcopy $1 to $img:$2"
		shift 2
	done
}

# Starts VM N on OVMF with its own PXE (virtio-net, no iPXE ROM), network
# first, then disk (an empty file when absent).  fw: uefi (OVMF, no Secure
# Boot) or secboot (OVMF_CODE_4M.secboot.fd + the Microsoft-keys vars, q35 +
# SMM: Secure Boot enforced).  The node MAC is vm_mac N unless mac is given.
reimage_ovmf_vm() { # N uefi|secboot [mac]
	local n=$1 fw=$2 mac=${3:-$(vm_mac "$1")} code vars m=(-M pc) extra=()
	local accel_opts=(-accel "$ACCEL")
	[ "$ACCEL" = tcg ] && accel_opts=(-accel tcg,thread=single)
	code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
	if [ "$fw" = secboot ]; then
		code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd vars=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
		m=(-M q35,smm=on -global driver=cfi.pflash01,property=secure,value=on)
	fi
	[ -e "$WORK/vm$n.vars.fd" ] || cp "$vars" "$WORK/vm$n.vars.fd"
	[ -e "$WORK/vm$n.disk" ] || truncate -s 64M "$WORK/vm$n.disk"
	spawn "$WORK/vm$n.qemu.log" ip netns exec "$CLI" "$QEMU" "${accel_opts[@]}" "${m[@]}" -m 512 \
		-nodefaults -display none -serial "file:$WORK/vm$n.serial" "${extra[@]}" \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
		-drive "if=pflash,format=raw,unit=1,file=$WORK/vm$n.vars.fd" \
		-netdev "tap,id=n0,ifname=bs-vm$n,script=no,downscript=no,vnet_hdr=off" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=1" \
		-drive "file=$WORK/vm$n.disk,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,bootindex=2
	eval "VM${n}_PID=$LAST_PID"
	log "vm$n started (OVMF $fw, own PXE, network then disk, $ACCEL, pid $LAST_PID)"
}

# Starts VM N on SeaBIOS + the iPXE ROM (e1000), network first, then its disk
# $WORK/vmN.disk (an empty one when absent), serial to $WORK/vmN.serial; the VM
# reboots (no -no-reboot): an installer's reboot netboots it again.
reimage_bios_vm() { # N
	local n=$1 accel_opts=(-accel "$ACCEL")
	[ "$ACCEL" = tcg ] && accel_opts=(-accel tcg,thread=single)
	[ -e "$WORK/vm$n.disk" ] || truncate -s 16M "$WORK/vm$n.disk"
	spawn "$WORK/vm$n.qemu.log" ip netns exec "$CLI" "$QEMU" "${accel_opts[@]}" -M pc -m 256 \
		-nodefaults -display none -serial "file:$WORK/vm$n.serial" \
		-fw_cfg name=etc/sercon-port,string=0x3f8 \
		-netdev "tap,id=n0,ifname=bs-vm$n,script=no,downscript=no,vnet_hdr=off" \
		-device "e1000,netdev=n0,mac=$(vm_mac "$n"),bootindex=1" \
		-drive "file=$WORK/vm$n.disk,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,bootindex=2
	eval "VM${n}_PID=$LAST_PID"
	log "vm$n started (bios, network then disk, $ACCEL, pid $LAST_PID)"
}
