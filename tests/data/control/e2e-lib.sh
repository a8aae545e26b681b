# Shared by tests/e2e/t_control_*.sh (sourced, not run): a throw-away
# bootstorm control instance on loopback with its own state, repo,
# templates, shm instance and a free port.  Everything it starts is
# recorded by PID and stopped by the EXIT trap.
set -euo pipefail
CTL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BS_BUILD=${BS_BUILD:-$CTL_ROOT/build-test}
BOOTSTORM=$BS_BUILD/control/bootstorm
FAKE_DP=$BS_BUILD/tests/unit/control/ctl_fake_dp
[ -x "$BOOTSTORM" ] || { echo "missing $BOOTSTORM (build first: ninja -C $BS_BUILD)"; exit 1; }
W=$(mktemp -d /tmp/bs-ctl-e2e.XXXXXX)
INST=e2e$$
PIDS=()
SERVE_PID=
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT

ctl_cleanup() {
	local p
	for p in "${PIDS[@]}" ${SERVE_PID:+$SERVE_PID}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -f "/dev/shm/bootstorm-$INST"
	rm -rf "$W"
}
trap ctl_cleanup EXIT

fail() { echo "FAIL: $*"; [ -f "$W/serve.log" ] && tail -20 "$W/serve.log"; exit 1; }
ok() { echo "ok: $*"; }

# ctl_setup: repo, TFTP root, templates and the config (extra YAML for the
# nodes: section can be appended by the caller before ctl_start).
ctl_setup() {
	mkdir -p "$W"/{repo/centos7/Packages,tftp/centos7,templates,state}
	echo "hello repo" >"$W/repo/centos7/hello.txt"
	head -c 3000000 /dev/urandom >"$W/repo/centos7/Packages/big.rpm"
	echo "secret outside the roots" >"$W/outside.txt"
	ln -s "$W/outside.txt" "$W/repo/centos7/escape-abs"
	ln -s ../../outside.txt "$W/repo/centos7/escape-rel"
	echo "kernel bytes" >"$W/tftp/centos7/vmlinuz"
	echo "initrd bytes" >"$W/tftp/centos7/initrd.img"
	echo "pxelinux" >"$W/tftp/pxelinux.0"
	cat >"$W/templates/centos7.ks" <<'KS'
# kickstart for ${name} (${mac})
network --device=${mac} --hostname=${hostname} --ip=${ip}
url --url=${repo_url}
timezone ${timezone}
rootpw --iscrypted $6$not$real
%post
curl -fsS -X POST ${base_url}/api/nodes/${name}/done
%end
KS
	cat >"$W/templates/broken.ks" <<'KS'
# line 1
# line 2
part / --size=${disk_size}
KS
	cat >"$W/ctl.yaml" <<YAML
server:
  name: e2e
  instance: $INST
  state_dir: state
  ip: 10.78.0.1/24
dataplane:
  ports:
    - dev: net_null0
  workers: 1
dhcp:
  max_leases: 4096
  subnets:
    - subnet: 10.78.0.0/24
      pools: [10.78.0.100-10.78.0.199]
boot:
  default_profile: centos7
  files: { bios: pxelinux.0 }
tftp:
  root: tftp
http:
  listen: 127.0.0.1:$PORT
  base_url: http://127.0.0.1:$PORT
  repo_root: repo
  templates: templates
  kickstart_token: s3cret-token
  max_connections: 4096
journal:
  commit_interval: 2ms
profiles:
  - name: centos7
    kernel: centos7/vmlinuz
    initrd: centos7/initrd.img
    append: "inst.repo=http://10.78.0.1/repo/centos7 ks=http://10.78.0.1/ks/\${name}"
    kickstart: centos7.ks
    repo_url: http://10.78.0.1/repo/centos7
    vars: { timezone: UTC }
  - name: broken
    kernel: centos7/vmlinuz
    initrd: centos7/initrd.img
    append: "ks=http://10.78.0.1/ks/\${name}"
    kickstart: broken.ks
nodes:
  - name: node001
    mac: 52:54:00:78:00:01
    ip: 10.78.0.11
    profile: centos7
  - name: node002
    mac: 52:54:00:78:00:02
    ip: 10.78.0.12
    profile: broken
  - range: node[010-019]
    mac: 52:54:00:78:00:10
    ip: 10.78.0.20
    profile: centos7
YAML
}

# ctl_start [extra serve args]: starts serve, waits for the port (10 s).
ctl_start() {
	"$BOOTSTORM" serve -c "$W/ctl.yaml" --foreground "$@" >>"$W/serve.log" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 100); do
		# any answer will do (the API may want a token: 401)
		curl -sS -m 1 -o /dev/null "$URL/api/status" 2>/dev/null && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited early"
		sleep 0.1
	done
	fail "serve did not answer on $URL"
}

# ctl_stop: SIGTERM, wait 10 s for the clean stop, else fail.
ctl_stop() {
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID"
	for _ in $(seq 100); do
		kill -0 "$SERVE_PID" 2>/dev/null || { wait "$SERVE_PID" || true; SERVE_PID=; return 0; }
		sleep 0.1
	done
	fail "serve did not stop on SIGTERM"
}

# ctl_kill9: the crash.
ctl_kill9() {
	kill -KILL "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null || true
	SERVE_PID=
}

# status code of a curl request (extra curl args)
code() { curl -s -o /dev/null -w '%{http_code}' -m 5 "$@"; }
