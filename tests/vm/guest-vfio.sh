#!/bin/sh
# Runs INSIDE the vfio guest (tests/vm/run.sh), chrooted into the host's root
# (read-only 9p, tmpfs on /tmp /run /dev/shm ...).  Usage: guest-vfio.sh WORK NIC BUILD
# Prints VM-* marker lines on the serial console; the host reads them.
W=$1 NIC=$2 B=$3
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "VM: $*"; }
ip link set lo up
echo 256 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
mount -t hugetlbfs none /dev/hugepages
say "hugepages $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) x 2M"
CONF=$W/guest.yaml
if [ "${BS_GUEST_MODE:-vfio}" = afxdp ]; then
	# AF_XDP split mode: the kernel keeps the NIC (virtio_net, native XDP) and its
	# address; @IFACE@ in the config becomes the NIC's interface name.
	modprobe virtio_net
	i=0; while [ ! -d /sys/bus/pci/devices/$NIC/virtio*/net ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	IF=$(ls /sys/bus/pci/devices/$NIC/virtio*/net 2>/dev/null | head -1)
	[ -n "$IF" ] || { echo "VM-FAIL: no kernel interface on $NIC"; exit 1; }
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	sysctl -qw net.ipv6.conf.$IF.disable_ipv6=1
	# the kernel's ephemeral UDP ports below the TFTP range (dataplane/afxdp.c)
	sysctl -qw net.ipv4.ip_local_port_range="32768 39999"
	ethtool -L "$IF" combined ${BS_GUEST_COMBINED:-1} 2>&1 | sed 's/^/VM: ethtool -L: /'
	ip addr add 10.77.0.1/24 dev "$IF" && ip link set "$IF" up
	say "NIC $NIC kernel $IF driver=$(basename "$(readlink /sys/bus/pci/devices/$NIC/driver)") $(ethtool -l "$IF" | awk '/^Combined/ { printf "combined %s/", $2 }')max iommu_group=$(basename "$(readlink /sys/bus/pci/devices/$NIC/iommu_group)")"
	sed "s|@IFACE@|$IF|g" "$W/guest.yaml" >/tmp/guest.yaml
	CONF=/tmp/guest.yaml
else
	modprobe vfio-pci || { echo "VM-FAIL: modprobe vfio-pci"; exit 1; }
	noiommu=$(cat /sys/module/vfio/parameters/enable_unsafe_noiommu_mode 2>/dev/null || echo N)
	grp=$(readlink /sys/bus/pci/devices/$NIC/iommu_group) || { echo "VM-FAIL: $NIC has no IOMMU group (DMAR off?)"; exit 1; }
	grp=${grp##*/}
	# virtio_pci (loaded for the 9p root) took the NIC at boot: hand it over.
	[ -e /sys/bus/pci/devices/$NIC/driver ] && echo "$NIC" >/sys/bus/pci/devices/$NIC/driver/unbind
	echo vfio-pci >/sys/bus/pci/devices/$NIC/driver_override
	echo "$NIC" >/sys/bus/pci/drivers_probe
	drv=$(readlink /sys/bus/pci/devices/$NIC/driver); drv=${drv##*/}
	say "NIC $NIC driver=$drv iommu_group=$grp /dev/vfio/$(ls /dev/vfio | tr '\n' ' ') noiommu=$noiommu"
	[ "$drv" = vfio-pci ] && [ -e /dev/vfio/$grp ] && [ "$noiommu" = N ] || { echo "VM-FAIL: vfio binding"; exit 1; }
fi
cp -r "$W/tftp" /tmp/tftp
# dataplane.punt (net_tap) needs /dev/net/tun: tun is a module in Debian's kernel.
modprobe tun 2>/dev/null
mkdir -p /tmp/state
"$B/control/bootstorm" serve -c "$CONF" --foreground >/tmp/control.log 2>&1 &
CTL=$!
i=0; while [ ! -e /dev/shm/bootstorm-vfio ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /dev/shm/bootstorm-vfio ] || { tail -5 /tmp/control.log; echo "VM-FAIL: control"; exit 1; }
${BS_DP_ENV:-} "$B/dataplane/bootstorm-dp" -c "$CONF" >/tmp/dp.log 2>&1 &
DP=$!
i=0; while ! grep -q "chained tx" /tmp/dp.log && [ $i -lt 900 ]; do
	kill -0 $DP 2>/dev/null || break; sleep 0.2; i=$((i + 1)); done
sed 's/^/VM-DP: /' /tmp/dp.log
grep -q "chained tx" /tmp/dp.log || { echo "VM-FAIL: dataplane did not start"; exit 1; }
[ -x "$W/guest-extra.sh" ] && "$W/guest-extra.sh" "$W" 2>&1 | sed 's/^/VM-EXTRA: /'
echo VM-READY
i=0; while [ ! -e "$W/done" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
curl -s -m 10 http://127.0.0.1/metrics >/tmp/m.prom
# WORK/guest-final.sh, when present: the test's own checks from inside (control's
# admin API answers local callers).
[ -x "$W/guest-final.sh" ] && "$W/guest-final.sh" "$W" 2>&1 | sed 's/^/VM-FINAL: /'
grep -E '^bootstorm_[a-z_0-9]*(_total|{reason=[^}]*}) [1-9]|^bootstorm_(tx_copy|tx_copy_bytes|tftp_dma_fallback|tftp_file_maps)_total ' /tmp/m.prom | sed 's/^/VM-METRIC: /'
# Per-worker counters (multiqueue checks), when the test built the reader.
[ -x "$W/shm_workers" ] && "$W/shm_workers" vfio | sed 's/^/VM-WORKER: /'
kill $DP; i=0; while kill -0 $DP 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "${IF:-}" ] && say "after exit: $IF $(ip -o link show "$IF" | grep -o 'prog/xdp[a-z]* id [0-9]*' || echo 'has no XDP program')"
sed 's/^/VM-DP: /' /tmp/dp.log | tail -n +2 | grep -v "^VM-DP: *$" | tail -20
kill $CTL
dmesg | grep -iE 'DMAR|iommu|fault' | sed 's/^/VM-DMESG: /'
echo VM-DONE
