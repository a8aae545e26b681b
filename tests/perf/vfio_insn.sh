#!/usr/bin/env bash
# Instructions per TFTP DATA through the PCI PMD (net_virtio on vfio-pci behind
# the guest's IOMMU), 1 vs 2 workers, in one run: tests/perf/vfio_tftp.sh with
# VFIO_INSN=1 twice, 1 worker (one queue) then 2 workers (BS_VM_QUEUES=2, RSS),
# each worker alone on its own vCPU and counted by a TCG plugin (see
# vfio_tftp.sh for what the figure includes and what it does not).  Prints each
# run's lines and the ratio 2 workers / 1 worker of Ir/DATA (total over the
# workers: a ratio near 1 means the second worker adds no cost per DATA).
#   tests/perf/vfio_insn.sh      (as root; ~2 x 4 min)
# Env as vfio_tftp.sh; defaults here VFIO_RUNS=2 VFIO_MB=2.
set -uo pipefail
P=$(cd "$(dirname "$0")" && pwd)
# (3 vCPU threads on a loaded 2-core host: the 2-worker guest took over 240 s
# to be ready once.)
export VFIO_INSN=1 VFIO_RUNS=${VFIO_RUNS:-2} VFIO_MB=${VFIO_MB:-2} VFIO_READY_S=${VFIO_READY_S:-480}
declare -A ir=()
for nw in 1 2; do
	q=1; [ $nw = 2 ] && q=2
	out=$(VFIO_WORKERS=$nw BS_VM_QUEUES=$q bash "$P/vfio_tftp.sh" 2>&1)
	rc=$?
	echo "---- $nw worker(s)"
	echo "$out"
	[ $rc = 0 ] || { echo "vfio_insn: the $nw-worker run failed (rc $rc)"; exit "$rc"; }
	ir[$nw]=$(echo "$out" | sed -n 's/^Ir\/DATA .*: windowsize 1 \([0-9]*\), windowsize 16 \([0-9]*\);.*/\1 \2/p')
	[ -n "${ir[$nw]}" ] || { echo "vfio_insn: no Ir/DATA line from the $nw-worker run"; exit 1; }
done
read -r a1 a16 <<<"${ir[1]}"
read -r b1 b16 <<<"${ir[2]}"
awk -v a1="$a1" -v a16="$a16" -v b1="$b1" -v b16="$b16" 'BEGIN {
	printf "Ir/DATA, 1 worker: %d (windowsize 1), %d (windowsize 16); 2 workers: %d, %d\n", a1, a16, b1, b16
	if (a1 > 0 && a16 > 0) printf "ratio 2 workers / 1 worker: %.2fx at windowsize 1, %.2fx at windowsize 16 (same guest rig, same TCG plugin)\n", b1 / a1, b16 / a16 }'
