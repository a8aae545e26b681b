# shellcheck shell=bash
# What the vfio guest tests (tests/e2e/t_vfio*.sh) each did the same way
# around tests/vm/run.sh (which this sources): the work folder and its
# cleanup, NOT RUN checks, booting the guest, a lease with busybox udhcpc, the
# guest's counters and kernel log after vm_finish.  Source it after setting
# BS_BUILD; W is the work folder.
#   vfio_need CMD...        NOT RUN (77) when the guest cannot start here or a
#                           client program is missing
#   vfio_workdir            W under $BS_BUILD (the guest sees the host's root
#                           except /tmp /run /var/tmp); vfio_finish on EXIT
#   vfio_finish             trap: stop the guest, remove W (kept with BS_E2E_KEEP)
#   fail MSG                FAIL with the guest's VM lines; exit 1
#   vfio_yaml_head CORES WORKERS   guest.yaml's server and dataplane sections
#                           (EAL -l CORES, the guest's NIC on vfio-pci); a
#                           caller's next lines may add dataplane keys
#   vfio_yaml_dhcp          the dhcp section: a pool on 10.77.0.0/24, router
#                           and next server the guest, lease time 1 h
#   vfio_yaml_tftp_http MAX_BLKSIZE   the tftp section (/tmp/tftp, windowsize
#                           16, timeout 1 s, 5 retries) and http on 127.0.0.1:80
#   vfio_boot WHAT WAIT_S   boots the guest (WHAT for the log); NOT RUN when it
#                           cannot start or boot to its script, fail when its
#                           dataplane does not get ready in WAIT_S
#   vfio_lease [REGEX]      busybox udhcpc on the tap; fail without a lease or
#                           when its LEASE line does not match REGEX
#   metric NAME             bootstorm_NAME_total from the guest (-1 when absent)
#   vfio_faults             DMAR/IOMMU fault lines in the guest's kernel log
#   vfio_need_done          fail unless the guest finished (dumped counters)
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"

W=
log() { echo "[$(date +%T)] $*"; }

vfio_need() { # cmd...
	local why c
	why=$(vm_notrun_reason)
	[ -z "$why" ] || { echo "NOT RUN: $why"; exit 77; }
	for c; do command -v "$c" >/dev/null || { echo "NOT RUN: $c not installed"; exit 77; }; done
	[ -x "$BS_BUILD/dataplane/bootstorm-dp" ] || fail "$BS_BUILD/dataplane/bootstorm-dp not built"
}

vfio_finish() {
	local rc=$?
	vm_kill
	[ -n "$W" ] && [ -z "${BS_E2E_KEEP:-}" ] && rm -rf "$W"
	[ -z "${BS_E2E_KEEP:-}" ] || echo "kept $W"
	exit $rc
}

fail() {
	echo "FAIL: $*"
	[ -n "$W" ] && grep -E '^(VM|VM-[A-Z]+):|DMAR|Kernel panic' "$W/console.log" | tail -40
	exit 1
}

vfio_workdir() {
	W=$(mktemp -d "$BS_BUILD/vm.XXXXXX")
	chmod 755 "$W"
	trap vfio_finish EXIT
	trap 'exit 130' INT TERM
}

vfio_yaml_head() { # cores workers
	cat <<Y
server:
  name: vfio
  instance: vfio
  state_dir: /tmp/state
  ip: $VM_SERVER_IP/24
  mac: 02:00:00:77:00:01
dataplane:
  eal: [-l, "$1", --file-prefix, bsvfio, --iova-mode, va, --socket-mem, "256"]
  ports:
    - dev: "$VM_NIC"
  workers: $2
  idle_sleep_us: 100
Y
}

vfio_yaml_dhcp() {
	cat <<Y
dhcp:
  unknown_clients: allow
  lease_time: 1h
  subnets:
    - subnet: 10.77.0.0/24
      router: $VM_SERVER_IP
      pools: [10.77.0.100-10.77.0.199]
      next_server: $VM_SERVER_IP
Y
}

vfio_yaml_tftp_http() { # max_blksize
	cat <<Y
tftp:
  root: /tmp/tftp
  max_blksize: $1
  max_windowsize: 16
  timeout: 1s
  retries: 5
http:
  listen: 127.0.0.1:80
  base_url: http://127.0.0.1
Y
}

vfio_boot() { # what wait_s
	log "booting the guest (TCG, q35 + intel-iommu, $1)"
	vm_start "$W" "$BS_BUILD" || { echo "NOT RUN: guest could not start: $(tail -3 "$W/qemu.log")"; exit 77; }
	if ! vm_wait_ready "$W" "$2"; then
		grep -q 'VM-INIT: host root mounted' "$W/console.log" 2>/dev/null ||
			{ tail -n 5 "$W/console.log" "$W/qemu.log"; echo "NOT RUN: guest did not boot to its script in $2 s"; exit 77; }
		fail "guest dataplane not ready"
	fi
}

vfio_lease() { # [regex of the LEASE line]
	cat >"$W/udhcpc.sh" <<'S'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface" && echo "LEASE $ip from $serverid"
exit 0
S
	chmod 755 "$W/udhcpc.sh"
	ip netns exec "$VM_NS" timeout 60 busybox udhcpc -i "$VM_TAP" -f -n -q -t 8 -T 5 -s "$W/udhcpc.sh" >"$W/udhcpc.log" 2>&1 ||
		fail "udhcpc: no lease: $(tail -3 "$W/udhcpc.log")"
	grep -q "${1:-^LEASE 10.77.0.1[0-9][0-9] }" "$W/udhcpc.log" || fail "udhcpc: $(cat "$W/udhcpc.log")"
	log "udhcpc: $(grep LEASE "$W/udhcpc.log")"
}

# (The serial console ends lines with CR LF.)
metric() { tr -d '\r' <"$W/console.log" | awk -v k="VM-METRIC: bootstorm_$1_total" 'index($0, k" ") == 1 { print $NF; f = 1 } END { if (!f) print -1 }'; }

vfio_faults() { grep -cE '^VM-DMESG: .*(DMAR: \[DMA|DMAR: DRHD: handling fault|fault addr|fault reason)' "$W/console.log"; }

vfio_need_done() { grep -q '^VM-DONE' "$W/console.log" || fail "guest did not finish (no counters)"; }
