#!/usr/bin/env bash
# Discovered machines that enter the inventory by the YAML (not by
# `bootstorm enroll`) leave the discovered table, freeing their slots:
# at start (a MAC the YAML already names) and at a reload (a node added
# while running).  Seen through <state_dir>/discovered, which control
# rewrites when the table changed (every 5 s, and at a clean stop), and
# through `bootstorm discovered --json`.  Before: they were only hidden from
# the list and kept their slots, so the file kept them too.
# Loopback only, no dataplane; ~10 s.
source "$(dirname "$0")/../data/control/e2e-lib.sh"
ctl_setup

NOW=$(($(date +%s) * 1000))
# mac first last count arch port worker type giaddr uuid_type uuid vc uc cid rid
{
	echo "bootstorm-discovered 1"
	echo "52:54:00:dd:00:01 $((NOW - 60000)) $((NOW - 3000)) 3 7 0 0 1 0 ff - 505845436c69656e74 - - -"
	echo "52:54:00:dd:00:02 $((NOW - 50000)) $((NOW - 2000)) 2 0 0 0 1 0 ff - - - - -"
	echo "52:54:00:78:00:01 $((NOW - 40000)) $((NOW - 1000)) 1 0 0 0 1 0 ff - - - - -"
} >"$W/state/discovered"
ctl_start

list() { "$BOOTSTORM" discovered --json -c "$W/ctl.yaml" | python3 -c 'import json,sys; print(" ".join(c["mac"] for c in json.load(sys.stdin)["clients"]))'; }
macs=$(list)
[ "$macs" = "52:54:00:dd:00:01 52:54:00:dd:00:02" ] || fail "listed at start: '$macs'"
ok "listed: the two unknown MACs (node001's is not)"

# a node added to the YAML while running: the reload (inotify) takes it
cat >>"$W/ctl.yaml" <<'YAML'
  - name: added01
    mac: 52:54:00:dd:00:02
    ip: 10.78.0.40
    profile: centos7
YAML
for _ in $(seq 100); do
	curl -fsS "$URL/api/nodes" | grep -q '"added01"' && break
	sleep 0.1
done
curl -fsS "$URL/api/nodes" | grep -q '"added01"' || fail "the reload did not install added01"
macs=$(list)
[ "$macs" = "52:54:00:dd:00:01" ] || fail "listed after the reload: '$macs'"
ctl_stop
grep -q '^52:54:00:dd:00:01 ' "$W/state/discovered" || fail "the unknown MAC was lost: $(cat "$W/state/discovered")"
grep -q '^52:54:00:78:00:01 ' "$W/state/discovered" && fail "node001 (in the YAML at start) still holds a slot"
grep -q '^52:54:00:dd:00:02 ' "$W/state/discovered" && fail "added01 (added by a reload) still holds a slot"
ok "after a stop the table file holds only the unknown MAC: node001 freed at start, added01 at the reload"
echo "PASS: t_discover_known"
