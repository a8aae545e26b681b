#!/usr/bin/env bash
# The vfio guest rig: boots Debian's kernel in a q35 guest under TCG with an
# emulated Intel IOMMU and one virtio-net-pci NIC (modern, iommu_platform=on, so
# every DMA of the NIC goes through the guest's IOMMU), the host's root read-only
# over 9p.  Inside, tests/vm/guest-vfio.sh binds the NIC to vfio-pci (a real IOMMU
# group, no no-IOMMU mode) and runs bootstorm + bootstorm-dp with DPDK's net_virtio
# PMD on hugepages.  The NIC's host side is a tap in namespace bs-vfio where the
# caller runs real clients.
#
# Source it: vm_start WORK (writes WORK/console.log), vm_wait_ready, vm_finish.
# Needs root, qemu-system-x86_64, /boot/vmlinuz-*.  KVM is not used: nested KVM
# hangs Debian's kernel on these machines (DPDK-NOTES), TCG boots it in ~7 s.
# BS_VM_SKIP_DMA_MAP=1 runs the dataplane with BOOTSTORM_DP_SKIP_DMA_MAP=1;
# BS_VM_AW_BITS=39 gives the guest QEMU's default (narrow) IOMMU.
# BS_VM_NIC=virtio (default: virtio-net-pci, net_virtio) or e1000e (QEMU's
# 82574L, DPDK's net_e1000_em; QEMU 7.2 here has no igb device, added in 8.0).
# QEMU 7.2's e1000e maps each TX buffer with one pci_dma_map() and drops the
# frame when the mapping comes back shorter (net_tx_pkt_add_raw_fragment): behind
# the IOMMU a buffer that crosses a 4 KiB IOMMU page never goes out.  Zero-copy
# TFTP blocks from 4 KiB file pages do cross (blksize 1468: block 3 at 2936) and
# vanish silently; a real 82574 has no such limit.  Tests use blocks that divide
# 4096 on e1000e.  virtio-net maps buffers page by page and is not affected.
# BS_VM_MTU=N sets the tap's MTU (and virtio's host_mtu) for jumbo frames.
# BS_VM_QUEUES=N gives virtio-net N queue pairs (mq=on, a multiqueue tap), with
# rss=on unless BS_VM_RSS=0.
# BS_VM_PEER=1 adds a second virtio-net-pci (06.0, tap bsvtap1) that the guest's
# kernel keeps: a kernel peer (tftpd-hpa) for benchmarks in the same guest;
# WORK/guest-extra.sh, when present, runs in the guest before VM-READY.
# BS_VM_SMP=N vCPUs (default 2); BS_VM_APPEND="k=v ... " more guest kernel
# arguments (end with a space); BS_VM_PLUGIN="lib.so,arg=v" a TCG plugin
# (tests/perf/vfio_insn_plugin.c counts instructions per vCPU).
# BS_VM_DP_WRAP="cmd args" runs the guest's bootstorm-dp under cmd (valgrind).
# BS_VM_MODE=afxdp: AF_XDP split mode instead of vfio: the guest's kernel keeps
# the NIC (virtio_net, native XDP, 10.77.0.1 on it; `ethtool -L combined
# BS_VM_COMBINED`, default 1), @IFACE@ in WORK/guest.yaml names its interface.
VM_TAP1=bsvtap1
VM_NS=bs-vfio
VM_TAP=bsvtap0
VM_NIC=0000:00:04.0
VM_SERVER_IP=10.77.0.1
VM_PID=

vm_notrun_reason() { # prints why the guest cannot start here, or nothing
	[ "$(id -u)" -eq 0 ] || { echo "needs root (namespace, tap)"; return; }
	command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not installed"; return; }
	command -v busybox >/dev/null || { echo "busybox not installed"; return; }
	ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "no /boot/vmlinuz-* (linux-image-amd64)"; return; }
	[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; return; }
}

# One guest at a time on this machine: tests and benchmarks share namespace
# bs-vfio (vm_start deletes it first) and the CPU.  Held until the shell exits.
vm_lock() {
	exec 8>/run/lock/bootstorm-vfio.lock
	flock -w 900 8 || { echo "vm_lock: another vfio guest held the lock for 15 min" >&2; return 1; }
}

vm_start() { # WORK BUILD
	local w=$1 b=$2 kver
	vm_lock || return 1
	kver=$(ls /boot/vmlinuz-* | sed 's|/boot/vmlinuz-||' | sort -V | tail -1)
	"$(dirname "${BASH_SOURCE[0]}")/mkinitramfs.sh" "$kver" "$w/initrd.img" || return 1
	local dpenv=""
	[ "${BS_VM_SKIP_DMA_MAP:-0}" = 1 ] && dpenv="env BOOTSTORM_DP_SKIP_DMA_MAP=1"
	dpenv+=${BS_VM_DP_WRAP:+ $BS_VM_DP_WRAP}
	case ${BS_VM_MODE:-vfio} in vfio | afxdp) ;; *) echo "BS_VM_MODE=$BS_VM_MODE: vfio or afxdp" >&2; return 1 ;; esac
	cat >"$w/guest.sh" <<G
#!/bin/sh
BS_GUEST_MODE=${BS_VM_MODE:-vfio} BS_GUEST_COMBINED=${BS_VM_COMBINED:-1} BS_DP_ENV="$dpenv" exec /bin/sh $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/guest-vfio.sh $w $VM_NIC $b
G
	chmod 755 "$w/guest.sh"
	ip netns del "$VM_NS" 2>/dev/null
	ip netns add "$VM_NS" || return 1
	ip netns exec "$VM_NS" ip link set lo up
	# TCG only (see above); MTTCG uses both host cores.  aw-bits=48: with IOVA
	# as VA the file pages' IOVAs are mmap addresses (~47 bits); QEMU's default
	# 39-bit IOMMU refuses them (VFIO EINVAL) and dma.c falls back to copy.
	local nic q=${BS_VM_QUEUES:-1} mtu=${BS_VM_MTU:-}
	case ${BS_VM_NIC:-virtio} in
	virtio)
		nic="virtio-net-pci,netdev=n0,mac=02:00:00:77:00:01,disable-legacy=on,iommu_platform=on"
		# rss=on: QEMU steers by the Toeplitz hash the driver programs
		# (VIRTIO_NET_F_RSS), so DPDK's RSS is really configured.
		[ "$q" -gt 1 ] && nic+=",mq=on,vectors=$((2 * q + 2))"
		[ "$q" -gt 1 ] && [ "${BS_VM_RSS:-1}" = 1 ] && nic+=",rss=on"
		[ -n "$mtu" ] && nic+=",host_mtu=$mtu"
		;;
	e1000e) nic="e1000e,netdev=n0,mac=02:00:00:77:00:01" ;; # DMA through the IOMMU as any PCI device
	*) echo "BS_VM_NIC=${BS_VM_NIC}: virtio or e1000e" >&2; return 1 ;;
	esac
	local qopt="" peer=() plugin=()
	[ -z "${BS_VM_PLUGIN:-}" ] || plugin=(-plugin "$BS_VM_PLUGIN")
	[ "${BS_VM_PEER:-0}" = 1 ] && peer=(-netdev "tap,id=n1,ifname=$VM_TAP1,script=no,downscript=no"
		-device "virtio-net-pci,netdev=n1,mac=02:00:00:78:00:01,disable-legacy=on,iommu_platform=on,addr=06.0,romfile=")
	[ "$q" -gt 1 ] && qopt=",queues=$q"
	ip netns exec "$VM_NS" qemu-system-x86_64 \
		-machine q35,kernel-irqchip=split -accel tcg,thread=multi -cpu max -smp "${BS_VM_SMP:-2}" -m 1536 \
		-device intel-iommu,intremap=on,caching-mode=on,aw-bits=${BS_VM_AW_BITS:-48} \
		-kernel "/boot/vmlinuz-$kver" -initrd "$w/initrd.img" \
		-append "console=ttyS0 intel_iommu=on no_timer_check panic=-1 loglevel=4 ${BS_VM_APPEND:-}bs.script=$w/guest.sh" \
		-fsdev local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=fs0,mount_tag=hostroot,addr=05.0 \
		-netdev tap,id=n0,ifname=$VM_TAP,script=no,downscript=no$qopt \
		-device "$nic,addr=04.0,romfile=" "${peer[@]}" \
		-display none -serial "file:$w/console.log" -monitor none -no-reboot "${plugin[@]}" \
		>"$w/qemu.log" 2>&1 &
	VM_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$VM_NS" ip link show "$VM_TAP" >/dev/null 2>&1 && break
		sleep 0.1
	done
	[ -z "$mtu" ] || ip netns exec "$VM_NS" ip link set "$VM_TAP" mtu "$mtu" || return 1
	ip netns exec "$VM_NS" ip link set "$VM_TAP" up || return 1
	ip netns exec "$VM_NS" sysctl -qw "net.ipv6.conf.$VM_TAP.disable_ipv6=1" 2>/dev/null
	if [ "${BS_VM_PEER:-0}" = 1 ]; then
		for ((i = 0; i < 50; i++)); do
			ip netns exec "$VM_NS" ip link show "$VM_TAP1" >/dev/null 2>&1 && break
			sleep 0.1
		done
		ip netns exec "$VM_NS" ip link set "$VM_TAP1" up || return 1
	fi
	return 0
}

vm_wait_ready() { # WORK timeout_s -> 0 when VM-READY, 1 on VM-FAIL/exit/timeout
	local w=$1 deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		if grep -q '^VM-READY' "$w/console.log" 2>/dev/null; then
			# Full checksums from the client side: QEMU set the tap's offloads
			# when the guest's driver negotiated them, so only now.  (A
			# partial checksum reaches DPDK as RX_L4_CKSUM_NONE, which the
			# dataplane drops as udp_csum today.)
			ip netns exec "$VM_NS" ethtool -K "$VM_TAP" tx off >/dev/null 2>&1
			[ "${BS_VM_PEER:-0}" = 1 ] && ip netns exec "$VM_NS" ethtool -K "$VM_TAP1" tx off >/dev/null 2>&1
			return 0
		fi
		grep -q '^VM-FAIL' "$w/console.log" 2>/dev/null && return 1
		kill -0 "$VM_PID" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

vm_finish() { # WORK: lets the guest dump counters and dmesg, waits for poweroff
	local w=$1 i
	touch "$w/done"
	for ((i = 0; i < 120; i++)); do
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 1
	done
	vm_kill
}

vm_kill() {
	[ -n "$VM_PID" ] && kill "$VM_PID" 2>/dev/null
	[ -n "$VM_PID" ] && wait "$VM_PID" 2>/dev/null
	VM_PID=
	ip netns del "$VM_NS" 2>/dev/null
	return 0
}
