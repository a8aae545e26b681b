#!/usr/bin/env bash
# What DHCP hands out per node boot state, seen by a real client (ISC dhclient, made to
# look like firmware with dhclient.conf: option 93 arch and option 60 class):
#   1. install, UEFI HTTP boot (arch 16, "HTTPClient"): the answer carries option 60
#      HTTPClient and an http:// URL of the loader (profiles[].http_boot: a path served
#      under /boot/); curl fetches that URL from the client and gets the file
#   2. `bootstorm localboot`: the next answer has no URL, no HTTPClient echo, the same
#      address; a PXE BIOS request still gets pxelinux.0 (its per-MAC file boots the
#      disk) -- until a reload sets boot.local_boot: no-boot-file: then no file either.
#      The state survives the reload (YAML is the default, records win)
#   3. `bootstorm reimage`: the URL is back
#   4. after_install: hold: the node's own `done` report holds it -- no boot info on
#      any route, `nodes` shows hold
# Counters dhcp_boot_local / dhcp_boot_hold move with the answers.
source "$(dirname "$0")/lib.sh"
need_cmd dhclient isc-dhcp-client
[ "$BS_SERVER" = bootstorm ] || notrun "NOT RUN: node boot states are bootstorm's (BS_SERVER=$BS_SERVER)"
e2e_init --clients 1 --vms 0
write_config
mkdir -p "$WORK/tftp/efi"
head -c 300000 /dev/urandom >"$WORK/tftp/efi/httpboot.efi"
MAC=52:54:00:77:01:01 IP=10.77.0.51
sed -i -e 's|^  - name: lab$|  - name: lab\n    http_boot: efi/httpboot.efi|' "$CONF"
printf '  - {name: cl1, mac: "%s", ip: %s, profile: lab}\n' "$MAC" "$IP" >>"$CONF"
grep -q 'http_boot: efi/httpboot.efi' "$CONF" || fail "could not adapt the lab config"
server_start
URL=$HTTP/boot/efi/httpboot.efi

cat >"$WORK/script" <<'SCRIPT'
#!/bin/sh
case "$reason" in
BOUND|RENEW|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface" ;;
PREINIT) ip link set "$interface" up ;;
esac
exit 0
SCRIPT
chmod +x "$WORK/script"
# The firmware's identity (RFC 4578 2.1 option 93, PXE spec / UEFI 2.x option 60).
dhconf() { # name arch class
	cat >"$WORK/$1.conf" <<EOF
option client-arch code 93 = unsigned integer 16;
send client-arch $2;
send vendor-class-identifier "$3";
request subnet-mask, routers, vendor-class-identifier, tftp-server-name, bootfile-name;
EOF
}
dhconf http 16 "HTTPClient:Arch:00016:UNDI:003001"
dhconf bios 0 "PXEClient:Arch:00000:UNDI:002001"
# One fresh DORA as firmware KIND; prints the lease block dhclient wrote.  (It runs
# in a command substitution: the run number comes from the files already there.)
lease_as() { # kind
	local RUN
	RUN=$(find "$WORK" -maxdepth 1 -name 'run*.leases' | wc -l)
	local lf=$WORK/run$RUN.leases
	in_client 1 ip addr flush dev cl0
	timeout 20 ip netns exec bs-c1 dhclient -4 -1 -cf "$WORK/$1.conf" -sf "$WORK/script" \
		-lf "$lf" -pf "$WORK/run$RUN.pid" cl0 >"$WORK/run$RUN.log" 2>&1 ||
		fail "dhclient ($1) got no lease: $(tail -5 "$WORK/run$RUN.log")"
	local pid
	pid=$(cat "$WORK/run$RUN.pid" 2>/dev/null) && [ -n "$pid" ] && kill "$pid" 2>/dev/null
	cat "$lf"
}
metric() { in_srv curl -sf -m 5 "$HTTP/metrics" | awk -v k="bootstorm_$1" '$1 == k { print $2 + 0; f = 1 } END { if (!f) print -1 }'; }
boot_of() { in_srv curl -sf -m 5 "$HTTP/api/nodes/cl1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("boot", "?"))'; }
status_field() { in_srv curl -sf -m 5 "$HTTP/api/status" | python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
has_addr() { echo "$1" | grep -q "fixed-address $IP;" || fail "$2: not the reserved $IP: $1"; }

# ---- 1. install: UEFI HTTP boot gets the URL and HTTPClient, and the URL serves the loader
L=$(lease_as http)
has_addr "$L" "install/http"
echo "$L" | grep -q "filename \"$URL\";" || fail "install/http: no boot URL $URL in: $L"
echo "$L" | grep -q 'option vendor-class-identifier "HTTPClient";' ||
	fail "install/http: option 60 HTTPClient not echoed: $L"
in_client 1 curl -sf -m 10 -o "$WORK/got.efi" "$URL" || fail "curl $URL from the client"
cmp -s "$WORK/got.efi" "$WORK/tftp/efi/httpboot.efi" || fail "the loader fetched over HTTP differs"
log "install: HTTPClient + $URL, loader fetched by curl ($(stat -c %s "$WORK/got.efi") bytes)"
[ "$(metric dhcp_boot_local_total)" = 0 ] || fail "dhcp_boot_local moved for an install node"

# ---- 2. local: no URL for UEFI HTTP boot; the PXE loader still (its per-MAC file boots the disk)
bs localboot cl1 >/dev/null || fail "bootstorm localboot cl1"
[ "$(boot_of)" = local ] || fail "cl1 not local"
L=$(lease_as http)
has_addr "$L" "local/http"
if echo "$L" | grep -q 'filename'; then fail "local/http: a local node got a boot file: $L"; fi
if echo "$L" | grep -q 'vendor-class-identifier'; then fail "local/http: HTTPClient echoed: $L"; fi
[ "$(metric dhcp_boot_local_total)" -ge 2 ] || fail "dhcp_boot_local did not count OFFER + ACK ($(metric dhcp_boot_local_total))"
L=$(lease_as bios)
echo "$L" | grep -q 'filename "pxelinux.0";' || fail "local/bios (local_boot: boot-file): no pxelinux.0: $L"
grep -q 'LOCALBOOT' "$WORK/state/tftp-gen/pxelinux.cfg/01-${MAC//:/-}" || fail "cl1's pxelinux file does not boot local"
log "local: no URL for HTTP boot, pxelinux.0 (LOCALBOOT file) for PXE"

gen0=$(status_field config_gen)
sed -i -e 's|^  default_profile: lab$|  default_profile: lab\n  local_boot: no-boot-file|' "$CONF"
grep -q 'local_boot: no-boot-file' "$CONF" || fail "could not set boot.local_boot"
kill -HUP "$(status_field control_pid)"
for ((i = 0; i < 50; i++)); do [ "$(status_field config_gen)" -gt "$gen0" ] && break; sleep 0.2; done
[ "$(status_field config_gen)" -gt "$gen0" ] || fail "the reload was not published: $(tail -5 "$WORK/control.log")"
[ "$(boot_of)" = local ] || fail "cl1's local state did not survive the reload: $(boot_of)"
L=$(lease_as bios)
has_addr "$L" "local/bios no-boot-file"
if echo "$L" | grep -q 'filename'; then fail "local_boot: no-boot-file but a boot file: $L"; fi
if echo "$L" | grep -q 'vendor-class-identifier'; then fail "no-boot-file: PXEClient echoed: $L"; fi
log "reload with local_boot: no-boot-file: state kept, no boot file for PXE either"

# ---- 3. reimage: the URL is back (republished without a reload)
gen1=$(status_field config_gen)
bs reimage cl1 >/dev/null || fail "bootstorm reimage cl1"
[ "$(status_field config_gen)" -gt "$gen1" ] || fail "reimage did not republish the snapshot"
L=$(lease_as http)
echo "$L" | grep -q "filename \"$URL\";" || fail "reimage: no boot URL: $L"
log "reimage: URL back (generation $gen1 -> $(status_field config_gen))"

# ---- 4. after_install: hold -- the node's own done report holds it
sed -i -e 's|^    http_boot: efi/httpboot.efi$|    http_boot: efi/httpboot.efi\n    after_install: hold|' "$CONF"
gen2=$(status_field config_gen)
kill -HUP "$(status_field control_pid)"
for ((i = 0; i < 50; i++)); do [ "$(status_field config_gen)" -gt "$gen2" ] && break; sleep 0.2; done
in_client 1 ip addr replace "$IP/24" dev cl0
in_client 1 curl -sS -f -m 5 -o /dev/null --interface "$IP" -X POST "$HTTP/api/nodes/cl1/done" 2>"$WORK/done.err" ||
	fail "POST done from cl1's address: $(cat "$WORK/done.err"; in_client 1 ip -4 addr show dev cl0)"
[ "$(boot_of)" = hold ] || fail "after_install: hold, but cl1 is $(boot_of) after done"
bs nodes | grep -E '^cl1 .*hold' >/dev/null || fail "bootstorm nodes does not show cl1 hold: $(bs nodes | grep cl1)"
hold0=$(metric dhcp_boot_hold_total)
for k in http bios; do
	L=$(lease_as $k)
	has_addr "$L" "hold/$k"
	if echo "$L" | grep -q 'filename'; then fail "hold/$k: a held node got a boot file: $L"; fi
done
[ "$(metric dhcp_boot_hold_total)" -ge $((hold0 + 4)) ] || fail "dhcp_boot_hold did not move"
log "after_install hold: done -> hold, no boot info for HTTP boot or PXE"
pass
