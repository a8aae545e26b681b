#!/bin/sh
# ipmi_sim's chassis_control program for one QEMU VM (tests/e2e/lib_bmcvm.sh).
#   vmhook.sh DIR check | get power|boot... | set power 0|1 | reset 1 | boot DEV ...
# DIR/vm.env holds the VM's settings (written by bmcvm_start); DIR/boot the
# boot device set over IPMI, consumed by the next power-on (IPMI 2.0 section
# 28.12: "valid for the next boot only"); DIR/qemu.pid the running VM.
# Power on starts QEMU detached (its NIC is the lab tap, opened in the client
# namespace by tapfd.py; QEMU itself runs here, next to the BMC); power off
# stops it (TERM, then KILL); reset stops and starts it again.  QEMU's
# serial port waits for ipmi_sim's SOL device to connect (wait=on; ipmi_sim
# retries every 10 s): QEMU drops serial output while nobody is connected,
# and a real BMC's UART is always attached, firmware lines included.  Every call
# is appended to DIR/hook.log.
dir=$1; shift
. "$dir/vm.env"
echo "$(date +%T) $*" >>"$dir/hook.log"
boot() { cat "$dir/boot" 2>/dev/null || echo default; }
vm_pid() {
	p=$(cat "$dir/qemu.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && grep -q qemu "/proc/$p/comm" 2>/dev/null && echo "$p"
}
vm_on() {
	vm_pid >/dev/null && return 0
	order=c
	if [ "$(boot)" = pxe ]; then order=n; echo default >"$dir/boot"; fi
	echo "$(date +%T) start order=$order" >>"$dir/hook.log"
	echo "$(date +%s%3N) on" >>"$dir/power.log" # wall clock, ms: pacing checks
	rm -f "$dir/qemu.pid"
	# VM_DISK (optional): a raw virtio disk booted after the network (the
	# installer's target; iPXE exits to it when bootstorm says "local").
	disk=
	[ -z "${VM_DISK:-}" ] || disk="-drive file=$VM_DISK,format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,bootindex=2"
	# shellcheck disable=SC2086
	setsid ip netns exec "$VM_NETNS" python3 "$VM_TAPFD" "$VM_TAP" \
		ip netns exec "$BMC_NETNS" "$VM_QEMU" $VM_ACCEL -M pc -m 256 -nodefaults -display none \
		-pidfile "$dir/qemu.pid" \
		-chardev "socket,id=ipmi0,host=127.0.0.1,port=$VM_VMPORT,reconnect=1" \
		-device ipmi-bmc-extern,chardev=ipmi0,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0 \
		-chardev "socket,id=ser0,host=127.0.0.1,port=$VM_SOLPORT,server=on,wait=on,logfile=$dir/serial.log,logappend=on" \
		-serial chardev:ser0 -fw_cfg "name=etc/sercon-port,file=$dir/sercon.bin" \
		-netdev tap,id=n0,fd=3 -device "e1000,netdev=n0,mac=$VM_MAC,bootindex=1" \
		$disk -boot "order=$order" </dev/null >>"$dir/qemu.log" 2>&1 &
	i=0
	while [ $i -lt 100 ] && ! vm_pid >/dev/null; do sleep 0.1; i=$((i + 1)); done
	vm_pid >/dev/null
}
vm_off() {
	p=$(vm_pid) || return 0
	kill "$p"
	i=0
	while [ $i -lt 50 ] && kill -0 "$p" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$p" 2>/dev/null
	rm -f "$dir/qemu.pid"
	return 0
}
op=$1; shift
case "$op" in
check) exit 0 ;;
get)
	for p in "$@"; do
		case "$p" in
		power) if vm_pid >/dev/null; then echo power:1; else echo power:0; fi ;;
		boot) echo "boot:$(boot)" ;;
		esac
	done ;;
set)
	while [ $# -ge 2 ]; do
		case "$1" in
		power) if [ "$2" = 1 ]; then vm_on; else vm_off; fi ;;
		reset) vm_off; vm_on ;;
		boot) echo "$2" >"$dir/boot" ;;
		esac
		shift 2
	done ;;
*) exit 1 ;;
esac
exit 0
