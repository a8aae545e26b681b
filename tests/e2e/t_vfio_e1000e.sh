#!/usr/bin/env bash
# t_vfio on a second PCI NIC model: QEMU's e1000e (Intel 82574L) driven by DPDK's
# net_e1000_em on vfio-pci behind the emulated IOMMU: udhcpc lease, tftp-hpa and
# atftp (blksize 1024, windowsize 16: QEMU 7.2's e1000e drops TX buffers that
# cross a 4 KiB IOMMU page, tests/vm/run.sh) sha256-equal, tx_copy 0, no DMAR
# fault.  ~2 min under TCG.
BS_VM_NIC=e1000e exec bash "$(dirname "$0")/t_vfio.sh" "$@"
