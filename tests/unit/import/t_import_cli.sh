#!/usr/bin/env bash
# `bootstorm import` end to end on the real-world style fixtures: the command
# writes a YAML (atomically, -o), reports what it left out on stderr, and the
# result passes `bootstorm check-config` once the boot files it names exist
# under a TFTP root (here a temp dir standing in for /srv/tftp).  Bad usage
# exits 2, an unreadable input 1 and leaves no output file behind.
set -euo pipefail
BS=$1 DATA=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for fmt in dnsmasq dhcpd; do
	in=$(ls "$DATA"/$fmt-*.conf | head -1)
	"$BS" import "$fmt" "$in" -o "$W/$fmt.yaml" 2>"$W/$fmt.report" || fail "$fmt: import exited $?"
	[ -s "$W/$fmt.yaml" ] || fail "$fmt: no YAML written"
	grep -q "^$in:[0-9]*: " "$W/$fmt.report" || fail "$fmt: report names no file:line item"
	grep -q "read the report above" "$W/$fmt.report" || fail "$fmt: no closing line"
	ls "$W"/$fmt.yaml.tmp.* >/dev/null 2>&1 && fail "$fmt: temporary file left behind"
	# Point the TFTP root at a temp dir and create the boot files the config names.
	mkdir -p "$W/tftp-$fmt"
	if grep -q '^tftp:' "$W/$fmt.yaml"; then
		sed -i "/^tftp:/,/^[a-z]/s|^  root: .*|  root: \"$W/tftp-$fmt\"|" "$W/$fmt.yaml"
	else
		printf 'tftp:\n  root: "%s"\n' "$W/tftp-$fmt" >>"$W/$fmt.yaml"
	fi
	sed -n '/^boot:/,/^[a-z]/p' "$W/$fmt.yaml" | grep -E '^    (bios|efi-[a-z0-9]+|[a-z0-9-]+): ' |
		sed -E 's/^ +[a-z0-9-]+: +"?([^"]+)"?$/\1/' | while read -r f; do
			mkdir -p "$(dirname "$W/tftp-$fmt/$f")"; : >"$W/tftp-$fmt/$f"
		done
	"$BS" check-config "$W/$fmt.yaml" >"$W/$fmt.check" 2>&1 || fail "$fmt: imported config invalid: $(cat "$W/$fmt.check")"
	echo "ok: import $fmt: $(grep -c . "$W/$fmt.report") report lines, check-config passes"
done

rc=0; "$BS" import >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "no arguments: exit $rc, want 2"
rc=0; "$BS" import nginx "$DATA/dnsmasq-pxe.conf" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "unknown format: exit $rc, want 2"
rc=0; "$BS" import dnsmasq "$W/missing.conf" -o "$W/out.yaml" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "missing input: exit $rc, want 1"
[ ! -e "$W/out.yaml" ] || fail "missing input left an output file"
echo "1 passed, 0 failed"
