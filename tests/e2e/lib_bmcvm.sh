# shellcheck shell=bash
# QEMU VMs behind real IPMI 2.0 LAN BMCs (sourced after lib.sh):
# OpenIPMI's ipmi_sim, one per VM, runs in the server namespace ($SRV) on
# loopback, where bootstorm's ipmitool children (and the test's) reach it.
# Its chassis_control program (ipmi/vmhook.sh) powers the VM on (QEMU
# started, BIOS: SeaBIOS + iPXE ROM, network first only after `chassis
# bootdev pxe`, else the empty disk order), off, resets it and records the
# boot device; the VM's NIC is its lab tap in the client namespace ($CLI,
# the bridge of bootstorm's port); its first serial port is served to
# ipmi_sim's SOL, its KCS system interface to ipmi_sim's VM codec.
#   source lib.sh; source lib_bmcvm.sh; bmcvm_need; e2e_init --vms 1 ...
#   bmcvm_start 1; bmcvm_ipmitool 1 chassis power on; bmcvm_qemu_pid 1
# Ports on the server namespace's loopback: VM N uses BMCVM_BASE+10N (LAN,
# UDP), +1 (VM interface, TCP), +2 (SOL device, TCP).
BMCVM_DIR=$E2E_DIR/ipmi
BMCVM_BASE=${BMCVM_BASE:-16200}
BMCVM_USER=bsadmin
BMCVM_PASS=s3cr3t-pw
BMCVM_SIMS=()

bmcvm_need() {
	need_cmd ipmi_sim openipmi
	need_cmd ipmitool ipmitool
	need_cmd python3 python3
	need_qemu
}

bmcvm_port() { echo $((BMCVM_BASE + 10 * $1)); }
bmcvm_dir() { echo "$WORK/bmc$1"; }

# ipmitool -I lanplus against VM N's BMC, from the server namespace.
bmcvm_ipmitool() { # N args...
	local n=$1; shift
	timeout "${BMCVM_TIMEOUT:-60}" ip netns exec "$SRV" ipmitool -I lanplus -H 127.0.0.1 -p "$(bmcvm_port "$n")" -U "$BMCVM_USER" \
		-P "$BMCVM_PASS" -C 3 -N 2 -R 2 "$@"
}

# PID of VM N's QEMU, empty (and 1) when it is off.
bmcvm_qemu_pid() { # N
	local p
	p=$(cat "$(bmcvm_dir "$1")/qemu.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

# Starts VM N's BMC (the VM stays off); waits until it answers ipmitool.
bmcvm_start() { # N
	local n=$1 d port accel
	d=$(bmcvm_dir "$n")
	port=$(bmcvm_port "$n")
	mkdir -p "$d/sim"
	accel="-accel $ACCEL"
	[ "$ACCEL" = tcg ] && accel="-accel tcg,thread=single"
	cat >"$d/vm.env" <<EOV
VM_QEMU=$QEMU
VM_ACCEL="$accel"
VM_NETNS=$CLI
BMC_NETNS=$SRV
VM_TAP=bs-vm$n
VM_TAPFD=$BMCVM_DIR/tapfd.py
VM_MAC=$(vm_mac "$n")
VM_VMPORT=$((port + 1))
VM_SOLPORT=$((port + 2))
EOV
	# BMCVM_DISK_MB: the VM gets an empty raw disk $d/disk.img of that size.
	if [ -n "${BMCVM_DISK_MB:-}" ]; then
		[ -e "$d/disk.img" ] || truncate -s "${BMCVM_DISK_MB}M" "$d/disk.img"
		echo "VM_DISK=$d/disk.img" >>"$d/vm.env"
	fi
	# SeaBIOS mirrors its text console (and iPXE's, pxelinux's) to this
	# port; the fw_cfg file is read as a little-endian integer, so it must be
	# the 2 bytes 0x3f8 (a string= value is ignored).
	printf '\370\003' >"$d/sercon.bin"
	sed -e "s|@NAME@|bsvm$n|" -e "s|@PORT@|$port|" -e "s|@VMPORT@|$((port + 1))|" \
		-e "s|@SOLPORT@|$((port + 2))|" -e "s|@HOOK@|$BMCVM_DIR/vmhook.sh|" -e "s|@DIR@|$d|" \
		"$BMCVM_DIR/lan.conf.in" >"$d/lan.conf"
	spawn "$d/sim.log" ip netns exec "$SRV" ipmi_sim -c "$d/lan.conf" \
		-f "$ROOT/tests/data/power/bmc.emu" -s "$d/sim" -n
	BMCVM_SIMS+=("$n")
	eval "BMCVM_SIM$n=$LAST_PID" # the ipmi_sim process (ip netns exec execs it)
	local i
	for ((i = 0; i < 50; i++)); do
		bmcvm_ipmitool "$n" chassis power status >/dev/null 2>&1 && break
		sleep 0.2
	done
	bmcvm_ipmitool "$n" chassis power status >/dev/null 2>&1 ||
		fail "ipmi_sim of vm$n did not answer on 127.0.0.1:$port: $(tail -3 "$d/sim.log")"
	log "bmc of vm$n: ipmi_sim on 127.0.0.1:$port (in $SRV), VM off"
}

# Waits until VM N's QEMU is running (want=on) or gone (want=off).
bmcvm_wait() { # N on|off timeout_s
	local deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		if bmcvm_qemu_pid "$1" >/dev/null; then [ "$2" = on ] && return 0
		else [ "$2" = off ] && return 0; fi
		sleep 0.2
	done
	return 1
}

# Stops every VM started through a BMC (they are detached from ipmi_sim).
bmcvm_stop_all() {
	local n p
	for n in "${BMCVM_SIMS[@]}"; do
		p=$(bmcvm_qemu_pid "$n") && stop_pid "$p"
	done
	return 0
}

# Replaces lib.sh's EXIT trap: VMs first, then e2e_cleanup (ipmi_sim, lab).
bmcvm_trap() {
	trap 'bmcvm_exit' EXIT
}
bmcvm_exit() {
	local rc=$?
	bmcvm_stop_all
	(exit $rc)
	e2e_cleanup
}
