#!/usr/bin/env bash
# A real QEMU VM powered through a real IPMI 2.0 LAN BMC (OpenIPMI ipmi_sim,
# tests/e2e/lib_bmcvm.sh), its serial console captured over Serial-over-LAN.
#   1. ipmitool (lanplus) first, to show the BMC and the rig behave: status
#      off, power on starts the VM, cycle restarts it, off stops it, bootdev
#      pxe is recorded; `ipmitool sol activate` shows the VM's console.
#   2. bootstorm with power.console_capture: `bootstorm power vm01 pxe` +
#      `power vm01 on` boot the VM, which PXE-boots from bootstorm (lease
#      seen, installer runs, reports done) while bootstorm's SOL capture
#      writes the guest's console to <state_dir>/console/vm01.log: the
#      installer's marker is there, through `bootstorm console` and the
#      admin-only API (401 without the token); `power vm01 off` stops the
#      VM; the BMC restarted, the capture opens a new session by itself.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_bmcvm.sh"
bmcvm_need
e2e_init --clients 1 --vms 1
bmcvm_trap
build_boot_files

# ---- 1. the BMC and the VM, with ipmitool
bmcvm_start 1
D1=$(bmcvm_dir 1)
bmcvm_ipmitool 1 chassis power status | grep -q "Power is off" || fail "ipmitool: not off at start"
bmcvm_ipmitool 1 chassis power on | grep -q "Up/On" || fail "ipmitool: power on: $(tail -n 5 "$D1/hook.log" "$D1/qemu.log" "$D1/sim.log")"
bmcvm_wait 1 on 10 || fail "power on: no QEMU: $(tail -n 5 "$D1/qemu.log" "$D1/hook.log")"
p1=$(bmcvm_qemu_pid 1)
bmcvm_ipmitool 1 chassis power status | grep -q "Power is on" || fail "ipmitool: status after on"
grep -q 'start order=c' "$D1/hook.log" || fail "no bootdev set, yet the VM did not boot the disk first"
bmcvm_ipmitool 1 chassis bootdev pxe | grep -q pxe || fail "ipmitool: bootdev pxe"
[ "$(cat "$D1/boot")" = pxe ] || fail "bootdev pxe not recorded: $(cat "$D1/boot")"
bmcvm_ipmitool 1 chassis power cycle | grep -q Cycle || fail "ipmitool: power cycle"
bmcvm_wait 1 on 15 && [ "$(bmcvm_qemu_pid 1)" != "$p1" ] || sleep 3
p2=$(bmcvm_qemu_pid 1) || fail "power cycle: the VM did not come back: $(tail -n 5 "$D1/hook.log")"
[ "$p2" != "$p1" ] || fail "power cycle: the same QEMU ($p1) still runs"
grep -q 'start order=n' "$D1/hook.log" || fail "bootdev pxe did not make the next power-on boot the network"
[ "$(cat "$D1/boot")" = default ] || fail "the pxe boot device was not consumed by the power-on"
# SOL by hand: iPXE (network first now) prints on the VM's serial port.
(sleep 45 | BMCVM_TIMEOUT=40 bmcvm_ipmitool 1 sol activate >"$WORK/sol1.out" 2>&1) &
sol_pid=$!
for _ in $(seq 200); do grep -aqE 'iPXE|net0' "$WORK/sol1.out" && break; sleep 0.2; done
grep -aqE 'iPXE|net0' "$WORK/sol1.out" || fail "ipmitool sol activate: no iPXE output: $(tail -c 300 "$WORK/sol1.out")"
kill "$sol_pid" 2>/dev/null; wait "$sol_pid" 2>/dev/null
bmcvm_ipmitool 1 sol deactivate >/dev/null 2>&1
bmcvm_ipmitool 1 chassis power off | grep -q "Down/Off" || fail "ipmitool: power off"
bmcvm_wait 1 off 10 || fail "power off: QEMU still runs"
bmcvm_ipmitool 1 chassis power status | grep -q "Power is off" || fail "ipmitool: status after off"
log "ipmitool vs ipmi_sim+QEMU: status/on/cycle/bootdev pxe/SOL/off ok"
[ -n "${BMCVM_ONLY_RIG:-}" ] && pass "t_power_vm (rig only)"

# ---- 2. bootstorm: power, PXE install, console captured over SOL
write_config
# The lab installer reboots after `done` (the VM keeps running for `power off`).
sed -i 's|ks=http://10.77.0.1/ks/${name}"|ks=http://10.77.0.1/ks/${name} bs.reboot=1"|' "$CONF"
grep -q 'bs.reboot=1' "$CONF" || fail "could not add bs.reboot to the lab profile"
# vm01 gets its BMC (the others none: no capture, no power for them).
python3 - "$CONF" "$(bmcvm_port 1)" "$WORK/bmc.creds" <<'PY' || fail "could not edit the inventory"
import sys
p, port, creds = sys.argv[1:]
s = open(p).read()
i = s.index("\nnodes:\n")
s = s[:i] + """
power: {credentials_file: %s, timeout: 8s, retries: 1, ipmi_cipher_suite: 3, console_capture: true}
nodes:
  - {name: vm01, mac: "52:54:00:77:00:01", ip: 10.77.0.11, profile: lab, bmc: "ipmi://127.0.0.1:%s"}
  - range: vm[02-08]
    mac: 52:54:00:77:00:02
    ip: 10.77.0.12
    profile: lab
""" % (creds, port)
open(p, "w").write(s)
PY
printf '# host user password\n127.0.0.1 %s %s\n' "$BMCVM_USER" "$BMCVM_PASS" >"$WORK/bmc.creds"
chmod 600 "$WORK/bmc.creds"
server_start
bsp() { in_srv "$BS_BIN" power -c "$CONF" "$@"; }
CONSOLE=$WORK/state/console/vm01.log
for _ in $(seq 50); do [ -s "$CONSOLE" ] && break; sleep 0.2; done
[ -s "$CONSOLE" ] || fail "power.console_capture: no $CONSOLE for vm01 (install state) after 10 s"
# the SOL child runs with the password in its environment, not its argv
kids=$(ps -o args= --ppid "$CTL_PID")
[[ $kids == *"ipmitool -I lanplus -H 127.0.0.1"*" -E "*"sol activate"* ]] || fail "no 'ipmitool ... -E ... sol activate' child of control: $kids"
[[ $kids != *"$BMCVM_PASS"* ]] || fail "the BMC password is in an ipmitool argv"
[ "$(bsp vm01 status)" = "vm01: off" ] || fail "bootstorm power status: $(bsp vm01 status 2>&1)"
[ "$(bsp vm01 pxe)" = "vm01: ok" ] || fail "bootstorm power pxe"
[ "$(cat "$D1/boot")" = pxe ] || fail "bootstorm power pxe: the BMC recorded '$(cat "$D1/boot")'"
t0=$SECONDS
[ "$(bsp vm01 on)" = "vm01: ok" ] || fail "bootstorm power on"
bmcvm_wait 1 on 10 || fail "bootstorm power on: no VM"
grep -q 'start order=n' "$D1/hook.log" || fail "the VM was not started network first"
log "vm01 powered on through its BMC by bootstorm (network first)"

# The VM PXE-boots from bootstorm: lease, installer, done.
deadline=$((SECONDS + 300))
until api_node_done vm01; do
	[ $SECONDS -lt $deadline ] || { tail -c 2000 "$CONSOLE" | tr -d '\r' | tail -25; fail "vm01 not done within 300 s"; }
	bmcvm_qemu_pid 1 >/dev/null || { tail -c 2000 "$CONSOLE" | tr -d '\r' | tail -25; fail "vm01's VM died"; }
	sleep 2
done
t_done=$((SECONDS - t0))
lease_active "$(vm_mac 1)" || fail "no lease for vm01: $(server_leases | head -5)"
log "vm01 done ${t_done}s after power on (lease seen, installer reported)"

# What the guest printed reached <state_dir>/console/vm01.log over SOL.
for _ in $(seq 25); do grep -aq 'BOOTSTORM-KS-OK' "$CONSOLE" && break; sleep 0.2; done
grep -aq 'BOOTSTORM-KS-OK [0-9a-f]\{64\}' "$CONSOLE" ||
	{ tail -c 1500 "$CONSOLE"; fail "the installer's BOOTSTORM-KS-OK marker is not in $CONSOLE"; }
# ...the very lines the VM wrote to its serial port (QEMU's own log of it):
sum=$(grep -ao 'BOOTSTORM-KS-OK [0-9a-f]\{64\}' "$CONSOLE" | head -1)
grep -aq "$sum" "$D1/serial.log" || fail "the marker in $CONSOLE is not the VM's: $sum"
# The whole boot, from the firmware's first line: the capture held a session
# before the power-on, and QEMU waits for the BMC's SOL device to connect
# (vmhook.sh: wait=on) as a real BMC's UART is always attached.
l_bios=$(grep -an 'SeaBIOS' "$CONSOLE" | head -1 | cut -d: -f1)
l_ks=$(grep -an 'BOOTSTORM-KS-OK' "$CONSOLE" | head -1 | cut -d: -f1)
[ -n "$l_bios" ] && [ "$l_bios" -lt "$l_ks" ] ||
	fail "the firmware's banner (SeaBIOS) is not before the installer's marker in $CONSOLE"
grep -aq 'bootstorm sol: session to 127.0.0.1' "$CONSOLE" || fail "no session line in $CONSOLE"
[ "$(stat -c %a "$CONSOLE")" = 600 ] || fail "$CONSOLE is mode $(stat -c %a "$CONSOLE"), want 600"
in_srv "$BS_BIN" console -c "$CONF" vm01 | grep -aq 'BOOTSTORM-KS-OK' || fail "bootstorm console vm01: no marker"
in_srv curl -sf -m 5 "$HTTP/api/nodes/vm01/console" | grep -aq 'BOOTSTORM-KS-OK' ||
	fail "GET /api/nodes/vm01/console: no marker"
ip1=$(client_static 1)
code=$(in_client 1 curl -s -o /dev/null -w '%{http_code}' -m 5 "$HTTP/api/nodes/vm01/console")
[ "$code" = 401 ] || fail "the console API from $ip1 (no admin token, not local): HTTP $code, want 401"
code=$(in_srv curl -s -o /dev/null -w '%{http_code}' -m 5 "$HTTP/api/nodes/vm02/console")
[ "$code" = 404 ] || fail "the console of a node never captured: HTTP $code, want 404"
log "console: marker in $CONSOLE, bootstorm console and the API; non-admin 401"

# power off stops the VM.
[ "$(bsp vm01 off)" = "vm01: ok" ] || fail "bootstorm power off"
bmcvm_wait 1 off 15 || fail "bootstorm power off: the VM still runs"
[ "$(bsp vm01 status)" = "vm01: off" ] || fail "status after off"
log "vm01 powered off through its BMC"

# A real drop: the BMC restarts (every IPMI session gone); the ipmitool
# child's keepalive gives up and the capture, still held (vm01 set to
# install again), opens a new session by itself.  (With the VM off: ipmi_sim
# cannot bind its VM port again while a running VM's KCS link holds it.)
bs reimage vm01 >/dev/null || fail "bootstorm reimage vm01"
n_sess=$(grep -ac 'bootstorm sol: session to' "$CONSOLE")
t_drop=$SECONDS
sim="BMCVM_SIM1"
stop_pid "${!sim}"
bmcvm_start 1
until grep -aq 'bootstorm sol: session ended' "$CONSOLE" &&
	[ "$(grep -ac 'bootstorm sol: session to' "$CONSOLE")" -gt "$n_sess" ]; do
	[ $((SECONDS - t_drop)) -lt 100 ] || { tail -c 600 "$CONSOLE"; fail "no new SOL session within 100 s of the BMC restart"; }
	sleep 1
done
log "BMC restarted: the capture opened a new session by itself $((SECONDS - t_drop)) s later"
pass
