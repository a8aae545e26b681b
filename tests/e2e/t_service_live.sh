#!/usr/bin/env bash
# "Show it": an admin's existing dnsmasq.conf (tests/data/e2e/lab-dnsmasq.conf)
# imported with `bootstorm import dnsmasq` boots a QEMU VM (BIOS PXE, as in
# t_pxe_bios), and the live web page (control/web/index.html, served by control
# at /) watched in headless Chromium shows it booting until vm01's cell is done.
#
# The imported YAML is used as imported: the test only ADDS what a dnsmasq.conf
# cannot say (EAL flags, punt tap, server instance/state dir/MAC, the http
# section, a profile with a kickstart and boot.default_profile naming it); it
# asserts that no imported line was changed or removed and that the DHCP, boot,
# TFTP and node sections read back identical.  check-config must pass on it.
#
# Passes only when: a Chromium DOM dump of http://10.77.0.1/ has vm01's cell in
# stage done, the serial console shows the kickstart marker with the sha256 of
# the server's rendering, and the API reports vm01 done.  The screenshot of the
# page that showed done goes to $WORK/live.png and /tmp/bootstorm-live.png
# ($BS_LIVE_SHOT); the first one that showed vm01 mid-boot, when a dump caught
# it, to /tmp/bootstorm-live-boot.png.
source "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || notrun "NOT RUN: no chromium in PATH (Debian package chromium)"
SHOT=${BS_LIVE_SHOT:-/tmp/bootstorm-live.png}
BOOT_SHOT=${SHOT%.png}-boot.png
need_qemu
e2e_init --clients 0 --vms 1
build_boot_files
cp "$ROOT"/tests/data/e2e/templates/* "$WORK/templates/"

# ---- 1. the admin's dnsmasq.conf, imported
sed "s|@TFTP_ROOT@|$WORK/tftp|" "$ROOT/tests/data/e2e/lab-dnsmasq.conf" >"$WORK/dnsmasq.conf"
"$BS_BUILD/control/bootstorm" import dnsmasq "$WORK/dnsmasq.conf" -o "$WORK/imported.yaml" \
	2>"$WORK/import.report" || fail "import: $(cat "$WORK/import.report")"
log "imported $WORK/dnsmasq.conf; report:"
sed 's/^/    /' "$WORK/import.report"

# Only additions, each at the top of its section (the section keys are the
# importer's own, so an insertion cannot create a duplicate key).
CONF=$WORK/bootstorm.yaml
awk -v work="$WORK" -v inst="$INSTANCE" '
{ print }
/^server:$/ {
	print "  instance: " inst
	print "  state_dir: " work "/state"
	print "  mac: 02:00:00:77:00:01"
}
/^dataplane:$/ {
	print "  eal: [--no-pci, --no-huge, -m, \"256\", -l, \"0-1\", --file-prefix, bs-" inst "]"
	print "  punt: bs-punt0"
	print "  idle_sleep_us: 50"
}
/^boot:$/ { print "  default_profile: lab" }
END {
	print "http:"
	print "  listen: 0.0.0.0:80"
	print "  base_url: http://10.77.0.1"
	print "  repo_root: " work "/repo"
	print "  templates: " work "/templates"
	print "  kickstart_token: e2e-admin-token"
	print "profiles:"
	print "  - name: lab"
	print "    kernel: lab/vmlinuz"
	print "    initrd: lab/initrd.img"
	print "    append: \"console=ttyS0,115200 loglevel=4 panic=-1 ks=http://10.77.0.1/ks/${name}\""
	print "    kickstart: lab.ks"
	print "    repo_url: http://10.77.0.1/repo/lab"
}' "$WORK/imported.yaml" >"$CONF"
diff "$WORK/imported.yaml" "$CONF" | grep '^<' && fail "an imported line was changed or removed"
python3 - "$WORK/imported.yaml" "$CONF" <<'PY' || fail "imported config is not the lab's, or was altered"
import sys, yaml
imp, fin = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
errs = []
def want(cond, msg):
    if not cond:
        errs.append(msg)
# What the dnsmasq.conf says, read back from the importer's YAML.
sub = (imp.get("dhcp", {}).get("subnets") or [{}])[0]
want(sub.get("subnet") == "10.77.0.0/24", "subnet %r" % sub.get("subnet"))
want(sub.get("pools") == ["10.77.0.100-10.77.0.199"], "pools %r" % sub.get("pools"))
want(sub.get("router") == "10.77.0.1" and sub.get("dns") == ["10.77.0.1"], "router/dns %r" % sub)
want(imp.get("boot", {}).get("files", {}).get("bios") == "pxelinux.0", "boot %r" % imp.get("boot"))
want(imp.get("boot", {}).get("next_server") == "10.77.0.1", "next_server %r" % imp.get("boot"))
want(imp.get("nodes") == [{"name": "vm01", "mac": "52:54:00:77:00:01", "ip": "10.77.0.11"}],
     "nodes %r" % imp.get("nodes"))
want(imp.get("server", {}).get("ip") == "10.77.0.1/24", "server.ip %r" % imp.get("server"))
want(imp.get("dataplane", {}).get("ports") == [{"dev": "net_af_packet0,iface=bs-dp0"}],
     "ports %r" % imp.get("dataplane"))
# The test's additions left the imported sections as they were.
for k in ("dhcp", "tftp", "nodes"):
    want(imp.get(k) == fin.get(k), "section %s changed: %r -> %r" % (k, imp.get(k), fin.get(k)))
b = dict(fin.get("boot", {}))
want(b.pop("default_profile", None) == "lab" and b == imp.get("boot"), "boot changed: %r" % fin.get("boot"))
if errs:
    print("\n".join(errs))
    sys.exit(1)
PY
"$BS_BUILD/control/bootstorm" check-config "$CONF" >"$WORK/check.log" 2>&1 ||
	fail "check-config on the imported config: $(cat "$WORK/check.log")"
log "check-config passed; additions to the imported YAML:"
diff "$WORK/imported.yaml" "$CONF" | grep '^>' | sed 's/^/    /'

# ---- 2. serve it, boot vm01, watch the page
server_start
T0=$SECONDS
vm_start 1 bios

# One headless Chromium run: DOM dump on stdout, screenshot to $2.  Run in the
# server namespace (the page's API is 10.77.0.1 there), bounded by timeout,
# killed by PID when the test is interrupted.
N_CHROME=0
chrome_snap() { # dom_out png_out
	N_CHROME=$((N_CHROME + 1))
	ip netns exec "$SRV" timeout 30 "$CHROME" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$WORK/chrome-$N_CHROME" --window-size=1280,800 \
		--virtual-time-budget=2500 --screenshot="$2" --dump-dom "$HTTP/#node=vm01" \
		>"$1" 2>>"$WORK/chrome.log" &
	local pid=$!
	E2E_PIDS+=("$pid")
	wait "$pid"
	local rc=$?
	rm -rf "$WORK/chrome-$N_CHROME"
	return $rc
}

# vm01's cell in a DOM dump: prints "<data-stage> <class>" and the legend's
# done count; exit 0 only when the cell exists with class st-done and
# data-stage done (the markup renderNodes() in index.html writes).
dom_vm01() { # dom file
	PYTHONPATH="$E2E_DIR" python3 - "$1" <<'PY'
import sys
from types import SimpleNamespace
from webdom import parse

cells, text = parse(sys.argv[1])
vm01 = [(st, cls) for key, st, cls in cells if key == "vm01"]
p = SimpleNamespace(cell=vm01[-1] if vm01 else None, text=text)
conn = p.text.get("conn", "").strip()
if not p.cell:
    print("no vm01 cell (conn: %s)" % conn)
    sys.exit(1)
stage, cls = p.cell
det = " ".join(p.text.get("details", "").split())
print("vm01 %s [%s] legend done=%s conn=%s" % (stage, " ".join(cls), p.text.get("n-done", "?").strip(), conn))
ok = stage == "done" and "st-done" in cls and p.text.get("n-done", "").strip() == "1" \
     and "vm01" in det and "52:54:00:77:00:01" in det and "10.77.0.11" in det
sys.exit(0 if ok else 1)
PY
}

deadline=$((SECONDS + 100))
seen_done=0
booting_shot=
while [ $SECONDS -lt $deadline ]; do
	i=$((N_CHROME + 1))
	chrome_snap "$WORK/dom$i.html" "$WORK/shot$i.png" ||
		log "chromium run $i: rc $? ($(tail -2 "$WORK/chrome.log" | tr '\n' ' '))"
	if line=$(dom_vm01 "$WORK/dom$i.html"); then
		log "page $i (+$((SECONDS - T0)) s): $line"
		[ -s "$WORK/shot$i.png" ] || fail "chromium wrote no screenshot with the done DOM"
		cp "$WORK/shot$i.png" "$WORK/live.png"
		seen_done=1
		break
	fi
	log "page $i (+$((SECONDS - T0)) s): $line"
	# Mid-boot picture: the first loader/kernel page (a transfer in
	# progress), else the latest DHCP/installing one.
	case $line in
	*"vm01 loader "* | *"vm01 kernel "*)
		if [ "$booting_shot" != transfer ] && [ -s "$WORK/shot$i.png" ]; then
			cp "$WORK/shot$i.png" "$BOOT_SHOT" && booting_shot=transfer
		fi
		;;
	*"vm01 dhcp "* | *"vm01 installing "*)
		if [ "$booting_shot" != transfer ] && [ -s "$WORK/shot$i.png" ]; then
			cp "$WORK/shot$i.png" "$BOOT_SHOT" && booting_shot=other
		fi
		;;
	esac
	# A VM that powered off without reporting done will not change the page.
	if ! kill -0 "$VM1_PID" 2>/dev/null && ! api_node_done vm01; then
		vm_serial_tail 1
		fail "vm1 exited and the API does not report it done"
	fi
done
[ "$seen_done" = 1 ] || { vm_serial_tail 1; fail "the page never showed vm01 done (last: $line)"; }
cp "$WORK/live.png" "$SHOT" || fail "copy screenshot to $SHOT"

vm_wait 1 30 || { vm_serial_tail 1; fail "vm1: no BOOTSTORM-DONE-OK on the serial console"; }
vm_check_ks 1
api_node_done vm01 || fail "API does not report vm01 done: $(in_srv curl -s -m 5 "$HTTP/api/nodes/vm01")"
log "vm01 booted from the imported dnsmasq.conf in $((SECONDS - T0)) s (accel $ACCEL), $N_CHROME page loads"
[ -z "$booting_shot" ] || echo "screenshot mid-boot: $BOOT_SHOT"
echo "screenshot: $SHOT"
pass
