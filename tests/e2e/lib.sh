# shellcheck shell=bash
# Shared helpers for tests/e2e/t_*.sh (sourced).  Every test:
#   source "$(dirname "$0")/lib.sh"; e2e_init [lab up args]
#   ... server_start ...; checks; pass
# Exit codes: 0 pass, 1 fail, 77 NOT RUN (reason is the last output line; only for a
# genuine impossibility such as a missing QEMU binary).
#
# The server under test is bootstorm (BS_SERVER=bootstorm, default): control
# (`bootstorm serve`) and the dataplane (`bootstorm-dp`) from $BS_BUILD, run inside the
# server namespace (BS_DP_MODE=afxdp: in AF_XDP split mode, scripts/lab afxdp; tests
# that expect the dataplane to answer ARP/ICMP do not apply).  BS_SERVER=dnsmasq swaps in dnsmasq (DHCP+TFTP) plus a small
# python HTTP stand-in for control's kickstart/iPXE/API endpoints: it validates the
# lab, the clients and the VM flow independently of bootstorm.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BS_BUILD=${BS_BUILD:-$ROOT/build-test}
BS_SERVER=${BS_SERVER:-bootstorm}
LAB=$ROOT/scripts/lab
SRV=bs-srv
CLI=bs-cli
SERVER_IP=10.77.0.1
SERVER_MAC=02:00:00:77:00:01
INSTANCE=${BS_E2E_INSTANCE:-e2e}
HTTP=http://$SERVER_IP
# The admin token of the e2e config: lets the test itself read a node's kickstart.
KS_TOKEN=e2e-admin-token
E2E_PIDS=()
WORK=

log() { echo "[$(date +%T)] $*"; }
fail() {
	echo "FAIL: $*"
	dump_server_logs
	exit 1
}
notrun() { echo "$*"; exit 77; }
pass() { echo "PASS: ${1:-$(basename "$0" .sh)}"; exit 0; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
in_srv() { nsx "$SRV" "$@"; }
in_cli() { nsx "$CLI" "$@"; }
in_client() { local n=$1; shift; nsx "bs-c$n" "$@"; } # client namespace N

need_cmd() { # cmd [package]: NOT RUN only when a client program cannot exist here
	command -v "$1" >/dev/null 2>&1 || notrun "NOT RUN: $1 not installed (Debian package ${2:-$1})"
}

dump_server_logs() {
	[ -n "$WORK" ] || return 0
	local f
	for f in "$WORK"/control.log "$WORK"/dp.log "$WORK"/dnsmasq.log "$WORK"/peer_http.log; do
		[ -s "$f" ] || continue
		echo "---- tail of $(basename "$f")"
		tail -25 "$f"
	done
}

# Background a process and remember its PID for cleanup.
spawn() { # logfile cmd...
	local logf=$1; shift
	# 9>&-: a daemon that outlives the test must not keep the lab lock
	"$@" >"$logf" 2>&1 9>&- &
	E2E_PIDS+=($!)
	LAST_PID=$!
}

stop_pid() { # pid: TERM, wait up to 5 s, then KILL
	local p=$1 i
	kill -0 "$p" 2>/dev/null || return 0
	kill "$p" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

e2e_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${E2E_PIDS[$i]}"; done
	"$LAB" down >/dev/null 2>&1
	rm -f "/dev/shm/bootstorm-$INSTANCE" "/dev/shm/bootstorm-$INSTANCE".snap*
	if [ -n "$WORK" ] && [ -z "${BS_E2E_KEEP:-}" ]; then rm -rf "$WORK"; fi
	[ -z "${BS_E2E_KEEP:-}" ] || echo "kept $WORK"
	exit $rc
}

# Serialises e2e tests (and the demo) on this machine: they share namespace names.
e2e_lock() {
	exec 9>/run/lock/bootstorm-lab.lock
	flock -w 900 9 || fail "another lab user held /run/lock/bootstorm-lab.lock for 15 min"
}

e2e_init() { # lab up args...
	[ "$(id -u)" -eq 0 ] || notrun "NOT RUN: needs root (network namespaces)"
	e2e_lock
	WORK=$(mktemp -d /tmp/bs-e2e.XXXXXX)
	chmod 755 "$WORK"
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	"$LAB" down >/dev/null 2>&1
	rm -f "/dev/shm/bootstorm-$INSTANCE" "/dev/shm/bootstorm-$INSTANCE".snap*
	"$LAB" up "$@" >/dev/null || fail "lab up $*"
	mkdir -p "$WORK/tftp" "$WORK/repo" "$WORK/state" "$WORK/templates"
	log "lab up ($*), server=$BS_SERVER, work=$WORK"
}

# ---------------------------------------------------------------- server config

# Nodes of the e2e inventory: vmNN has MAC 52:54:00:77:00:NN and IP 10.77.0.(10+NN).
vm_name() { printf 'vm%02d' "$1"; }
vm_mac() { printf '52:54:00:77:00:%02x' "$1"; }
vm_ip() { echo "10.77.0.$((10 + $1))"; }

# Writes $WORK/bootstorm.yaml from tests/data/e2e/bootstorm.yaml.in.
#   E2E_IPXE_URL   boot.ipxe (empty = iPXE gets the plain boot file, e.g. pxelinux.0)
#   E2E_LEASE      lease time (default 1h)
write_config() {
	local ipxe_line="" lease=${E2E_LEASE:-1h}
	[ -z "${E2E_IPXE_URL:-}" ] || ipxe_line="  ipxe: $E2E_IPXE_URL"
	sed -e "s|@WORK@|$WORK|g" -e "s|@INSTANCE@|$INSTANCE|g" -e "s|@LEASE@|$lease|g" \
		-e "s|@IPXE_LINE@|$ipxe_line|" "$ROOT/tests/data/e2e/bootstorm.yaml.in" >"$WORK/bootstorm.yaml"
	# BS_DP_MODE=afxdp: AF_XDP split mode (the kernel owns bs-dp0, no punt tap).
	[ "${BS_DP_MODE:-}" != afxdp ] || sed -i -e 's|dev: net_af_packet0,iface=bs-dp0|dev: net_af_xdp0,iface=bs-dp0|' \
		-e '/^  punt: /d' "$WORK/bootstorm.yaml"
	cp "$ROOT"/tests/data/e2e/templates/* "$WORK/templates/" 2>/dev/null || true
	# The config names pxelinux.0 as the BIOS boot file and a missing boot file is a
	# config error: tests that boot no VM get the real file all the same.
	[ -e "$WORK/tftp/pxelinux.0" ] || cp /usr/lib/PXELINUX/pxelinux.0 "$WORK/tftp/" ||
		fail "pxelinux.0 missing (package pxelinux)"
	CONF=$WORK/bootstorm.yaml
}

server_start() {
	[ -n "${CONF:-}" ] || write_config
	case $BS_SERVER in
	bootstorm) bootstorm_start ;;
	dnsmasq) peer_start ;;
	*) fail "BS_SERVER=$BS_SERVER: bootstorm or dnsmasq" ;;
	esac
}

BS_BIN=
BS_DP=
bootstorm_start() {
	BS_BIN=$BS_BUILD/control/bootstorm
	BS_DP=$BS_BUILD/dataplane/bootstorm-dp
	[ -x "$BS_BIN" ] || fail "control binary $BS_BIN not built"
	[ -x "$BS_DP" ] || fail "dataplane binary $BS_DP not built"
	# Control creates the shared region and publishes the config; the dataplane
	# attaches to it.  Both run in the server namespace (shm is shared: /dev/shm is
	# the same mount in every network namespace).
	spawn "$WORK/control.log" ip netns exec "$SRV" "$BS_BIN" serve -c "$CONF" --foreground
	CTL_PID=$LAST_PID
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/dev/shm/bootstorm-$INSTANCE" ] && break
		kill -0 "$CTL_PID" 2>/dev/null || fail "bootstorm serve exited: $(tail -5 "$WORK/control.log")"
		sleep 0.1
	done
	[ -e "/dev/shm/bootstorm-$INSTANCE" ] || fail "control did not create /dev/shm/bootstorm-$INSTANCE in 10 s"
	[ "${BS_DP_MODE:-}" != afxdp ] || "$LAB" afxdp on >/dev/null || fail "lab afxdp on"
	spawn "$WORK/dp.log" ip netns exec "$SRV" "$BS_DP" -c "$CONF"
	DP_PID=$LAST_PID
	[ "${BS_DP_MODE:-}" = afxdp ] || "$LAB" punt --timeout 30 >/dev/null || fail "punt tap: $(tail -5 "$WORK/dp.log")"
	if [ "${BS_DP_MODE:-}" = afxdp ]; then
		for ((i = 0; i < 150; i++)); do
			in_srv ip link show bs-dp0 | grep -q prog/xdp && break
			kill -0 "$DP_PID" 2>/dev/null || fail "dataplane exited: $(tail -5 "$WORK/dp.log")"
			sleep 0.2
		done
		in_srv ip link show bs-dp0 | grep -q prog/xdp || fail "no XDP program on bs-dp0: $(tail -5 "$WORK/dp.log")"
	fi
	wait_http "$HTTP/" 30 || fail "control HTTP not reachable through the punt path"
	log "bootstorm up (control pid $CTL_PID, dataplane pid $DP_PID)"
}

# HTTP reachability from the server namespace itself (through the tap address).
wait_http() { # url timeout_s
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		in_srv curl -s -o /dev/null -m 2 "$1" && return 0
		sleep 0.3
	done
	return 1
}

# `bootstorm <cmd>` against the running instance.
bs() { in_srv "$BS_BUILD/control/bootstorm" "$@" -c "$CONF"; }

# ---------------------------------------------------------------- dnsmasq peer

peer_start() {
	need_cmd dnsmasq dnsmasq-base
	"$LAB" peer on >/dev/null || fail "lab peer on"
	local ipxe_opts=(--dhcp-boot=pxelinux.0,,$SERVER_IP)
	if [ -n "${E2E_IPXE_URL:-}" ]; then
		# iPXE (option 175, or user class "iPXE") gets the HTTP script; firmware PXE gets pxelinux.0.
		ipxe_opts=(--dhcp-match=set:ipxe,175 --dhcp-match=set:ipxe,77,iPXE "--dhcp-boot=tag:ipxe,$E2E_IPXE_URL"
			"--dhcp-boot=tag:!ipxe,pxelinux.0,,$SERVER_IP")
	fi
	local hosts=() n
	for n in 1 2 3 4 5 6 7 8; do hosts+=("--dhcp-host=$(vm_mac $n),$(vm_ip $n),$(vm_name $n)"); done
	spawn "$WORK/dnsmasq.log" ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-daemon \
		--conf-file=/dev/null --port=0 --interface=bs-dp0 --bind-interfaces --no-resolv \
		--dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,${E2E_LEASE:-1h} \
		--dhcp-leasefile="$WORK/state/dnsmasq.leases" --dhcp-authoritative \
		"${hosts[@]}" "${ipxe_opts[@]}" \
		--enable-tftp --tftp-root="$WORK/tftp" --log-dhcp --pid-file="$WORK/dnsmasq.pid" \
		--user=root --group=root
	PEER_DNSMASQ_PID=$LAST_PID
	spawn "$WORK/peer_http.log" ip netns exec "$SRV" python3 "$E2E_DIR/peer_http.py" \
		--bind "$SERVER_IP" --port 80 --repo "$WORK/repo" --state "$WORK/state"
	wait_http "$HTTP/" 15 || fail "peer HTTP not up"
	log "dnsmasq peer up"
}

# ---------------------------------------------------------------- files

# Lab boot files: pxelinux + modules, kernel + initramfs, per-node pxelinux configs.
# The kernel/initrd also go under the HTTP repo for iPXE.
build_boot_files() {
	local t=$WORK/tftp b
	"$E2E_DIR/mkinitramfs.sh" "$WORK/os" >"$WORK/mkinitramfs.log" 2>&1 ||
		fail "mkinitramfs: $(cat "$WORK/mkinitramfs.log")"
	[ -r /usr/lib/PXELINUX/pxelinux.0 ] || fail "pxelinux.0 missing (package pxelinux)"
	cp /usr/lib/PXELINUX/pxelinux.0 "$t/"
	for b in ldlinux.c32 libcom32.c32 libutil.c32 menu.c32; do
		cp "/usr/lib/syslinux/modules/bios/$b" "$t/" || fail "$b missing (package syslinux-common)"
	done
	ln -f "$WORK/os/vmlinuz" "$t/vmlinuz"
	ln -f "$WORK/os/initrd.img" "$t/initrd.img"
	mkdir -p "$t/pxelinux.cfg" "$t/lab" "$WORK/repo/lab"
	# Profile paths (lab/vmlinuz) for configs control renders, plain names for ours.
	ln -f "$WORK/os/vmlinuz" "$t/lab/vmlinuz"
	ln -f "$WORK/os/initrd.img" "$t/lab/initrd.img"
	ln -f "$WORK/os/vmlinuz" "$WORK/repo/lab/vmlinuz"
	ln -f "$WORK/os/initrd.img" "$WORK/repo/lab/initrd.img"
	local n
	for n in 1 2 3 4 5 6 7 8; do
		pxelinux_cfg "$(vm_name $n)" >"$t/pxelinux.cfg/01-$(vm_mac $n | tr ':' '-')"
	done
	pxelinux_cfg unknown >"$t/pxelinux.cfg/default"
}

pxelinux_cfg() { # node name
	cat <<EOF
UI menu.c32
PROMPT 0
TIMEOUT 10
MENU TITLE bootstorm lab ($1)
DEFAULT lab
LABEL lab
  MENU LABEL Install $1
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0,115200 loglevel=4 panic=-1 ks=$HTTP/ks/$1
EOF
}

# ---------------------------------------------------------------- VMs

QEMU=
qemu_accel() {
	# DPDK-NOTES: /dev/kvm may open yet a KVM guest hits an emulation failure in iPXE
	# here.  Probe KVM with a tiny guest once; use TCG when that fails.
	if [ -n "${BS_QEMU_ACCEL:-}" ]; then echo "$BS_QEMU_ACCEL"; return; fi
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		timeout 10 "$QEMU" -accel kvm -M pc -m 64 -nodefaults -display none -no-reboot \
			-kernel /dev/null -S -monitor none </dev/null >/dev/null 2>&1; then
		echo kvm
	else
		echo tcg
	fi
}

need_qemu() {
	QEMU=$(command -v qemu-system-x86_64 || true)
	[ -n "$QEMU" ] || notrun "NOT RUN: qemu-system-x86_64 not installed (package qemu-system-x86)"
	[ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] || [ -r /usr/share/qemu/efi-e1000.rom ] ||
		notrun "NOT RUN: iPXE option ROM efi-e1000.rom missing (package ipxe-qemu)"
	ACCEL=$(qemu_accel)
}

# Starts VM N (tap bs-vmN, MAC of node vmNN) in the client namespace, serial to
# $WORK/vmN.serial.  firmware: bios | uefi.
vm_start() { # N firmware
	local n=$1 fw=${2:-bios} extra=()
	if [ "$fw" = uefi ]; then
		local code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
		cp "$vars" "$WORK/vm$n.vars.fd"
		extra=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
			-drive "if=pflash,format=raw,unit=1,file=$WORK/vm$n.vars.fd")
	fi
	local accel_opts=(-accel "$ACCEL")
	[ "$ACCEL" = tcg ] && accel_opts=(-accel tcg,thread=single)
	# SeaBIOS sercon mirrors the text console (iPXE, pxelinux) to the serial log;
	# reboot-timeout + -no-reboot end the VM 1 s after a failed boot instead of retrying.
	[ "$fw" = bios ] && extra=(-fw_cfg name=etc/sercon-port,string=0x3f8)
	# vnet_hdr=off: QEMU completes guest checksums itself, so frames on the bridge
	# carry real checksums (the dataplane's af_packet port sees them as sent).
	spawn "$WORK/vm$n.qemu.log" ip netns exec "$CLI" "$QEMU" "${accel_opts[@]}" -M pc -m 256 \
		-nodefaults -display none -no-reboot -serial "file:$WORK/vm$n.serial" \
		-netdev "tap,id=n0,ifname=bs-vm$n,script=no,downscript=no,vnet_hdr=off" \
		-device "e1000,netdev=n0,mac=$(vm_mac "$n"),bootindex=1" \
		"${extra[@]}" -boot order=n,reboot-timeout=1000
	eval "VM${n}_PID=$LAST_PID"
	log "vm$n started ($fw, $ACCEL, pid $LAST_PID)"
}

# Waits until VM N printed the kickstart marker and powered off (or timeout).
vm_wait() { # N timeout_s -> 0 when BOOTSTORM-DONE-OK seen
	local n=$1 deadline=$((SECONDS + $2)) pid_var="VM${1}_PID"
	local pid=${!pid_var}
	while [ $SECONDS -lt $deadline ]; do
		grep -q 'BOOTSTORM-DONE-OK' "$WORK/vm$n.serial" 2>/dev/null && break
		grep -q 'BOOTSTORM-KS-FAIL' "$WORK/vm$n.serial" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	# The guest powers off right after the marker.
	local i
	for ((i = 0; i < 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	grep -q 'BOOTSTORM-DONE-OK' "$WORK/vm$n.serial" 2>/dev/null
}

vm_serial_tail() { echo "---- vm$1 serial (tail)"; tail -c 3000 "$WORK/vm$1.serial" 2>/dev/null | tr -d '\r' | tail -30; }

# The sha256 the VM printed must match the kickstart the server renders for it.
vm_check_ks() { # N
	local n=$1 name got want
	name=$(vm_name "$n")
	got=$(grep -ao 'BOOTSTORM-KS-OK [0-9a-f]\{64\}' "$WORK/vm$n.serial" | head -1 | cut -d' ' -f2)
	[ -n "$got" ] || { vm_serial_tail "$n"; fail "vm$n: no BOOTSTORM-KS-OK marker on the serial console"; }
	want=$(in_srv curl -sf -m 5 "$HTTP/ks/$name?token=$KS_TOKEN" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "vm$n: kickstart sha256 $got != server's $want"
	log "vm$n: kickstart $got matches the server's rendering"
}

# Node state from the API: passes when the node is reported done.
api_node_done() { # name
	local body
	body=$(in_srv curl -sf -m 5 "$HTTP/api/nodes/$1") || return 1
	echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict) and "node" in d and isinstance(d["node"], dict): d = d["node"]
st = str(d.get("stage", d.get("state", d.get("status", "")))).lower()
sys.exit(0 if st == "done" or d.get("done") is True else 1)'
}

# ---------------------------------------------------------------- clients

# Static address for client N when a test is not about DHCP (10.77.0.(49+N), outside
# the pool and the inventory).
client_static() { # N
	local ip="10.77.0.$((49 + $1))"
	in_client "$1" ip addr replace "$ip/24" dev cl0
	echo "$ip"
}

# The MAC the server answers ARP with.
server_mac() {
	if [ "$BS_SERVER" = dnsmasq ]; then
		in_srv cat /sys/class/net/bs-dp0/address
	else
		echo "$SERVER_MAC"
	fi
}

# Lease lines as the server reports them: `bootstorm leases` or dnsmasq's lease file.
server_leases() {
	if [ "$BS_SERVER" = dnsmasq ]; then
		cat "$WORK/state/dnsmasq.leases" 2>/dev/null
	else
		bs leases 2>&1
	fi
}

# An active lease for MAC (and IP when given) is listed.
lease_active() { # mac [ip]
	server_leases | grep -i -- "$1" | grep -viE 'released|free|expired|declined' |
		{ if [ -n "${2:-}" ]; then grep -qw -- "$2"; else grep -q .; fi; }
}

# ---------------------------------------------------------------- modes
# Runs other t_*.sh tests with BS_DP_MODE=$1 (a CI matrix cell: t_afxdp_clients.sh
# runs the real-client tests in AF_XDP split mode).  Each takes the lab lock itself;
# the caller must not hold it (no e2e_init).  Prints each test's time; fails on the
# first failure with its log's tail; NOT RUN (77) only when none of them could run.
e2e_run_mode() { # mode test...
	local mode=$1 t rc s ran=0 logf
	shift
	[ "$(id -u)" -eq 0 ] || notrun "NOT RUN: needs root (network namespaces)"
	[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: BS_DP_MODE=$mode is bootstorm's"
	if [ "$mode" = afxdp ] && [ ! -f "$BS_BUILD/dataplane/xdp/bs_steer.bpf.o" ]; then
		echo "FAIL: steering program $BS_BUILD/dataplane/xdp/bs_steer.bpf.o not built"; exit 1
	fi
	for t in "$@"; do
		logf=$(mktemp /tmp/bs-e2e-mode.XXXXXX)
		s=$SECONDS
		BS_DP_MODE=$mode BS_BUILD=$BS_BUILD bash "$E2E_DIR/$t.sh" >"$logf" 2>&1
		rc=$?
		# its own time: from its "lab up" line (the lab lock taken) to the end
		local up now
		up=$(sed -n 's/^\[\([0-9:]*\)\] lab up.*/\1/p' "$logf" | head -1)
		now=$(date +%s)
		up=$([ -n "$up" ] && echo $((now - $(date -d "$up" +%s))) || echo "?")
		case $rc in
		0) log "$t (BS_DP_MODE=$mode): ok ($up s, $((SECONDS - s)) s with the wait for the lab lock)"; ran=$((ran + 1)) ;;
		77) log "$t (BS_DP_MODE=$mode): $(tail -1 "$logf")" ;;
		*) tail -40 "$logf"; rm -f "$logf"; echo "FAIL: $t in BS_DP_MODE=$mode (rc $rc, $((SECONDS - s)) s)"; exit 1 ;;
		esac
		rm -f "$logf"
	done
	[ "$ran" -gt 0 ] || notrun "NOT RUN: none of $* could run in BS_DP_MODE=$mode"
}
