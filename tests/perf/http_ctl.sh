#!/usr/bin/env bash
# Control's HTTP server alone against Debian's nginx, same kernel path, same file,
# interleaved: is control's HTTP (libmicrohttpd, control/daemon/httpd.c) itself
# slower than nginx?  No dataplane, no lab lock: two namespaces and a veth of its
# own (named after the PID), removed on exit.  `bootstorm serve` on 10.78.0.1:80 and
# nginx (sendfile, tcp_nopush, 2 workers) on 10.78.0.1:81 serve one file; C curl
# clients (each from its own address) fetch it at once; prints aggregate MB/s and
# the server's CPU ticks (user + system of its processes) per run, then medians and
# the ratio control/nginx.  With HTTP_CTL_PERF=1, a `perf record -g` of control
# during one more run, top symbols and the sendfile share.  BS_OLD_BUILD=<dir>: that
# build's control too (port 82), in the same rounds: before/after a change.
#   tests/perf/http_ctl.sh              (as root)
# Env: BS_BUILD (default build), HTTP_MB (64), HTTP_RUNS (5), HTTP_CLIENTS (8).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BS_BUILD:-$ROOT/build}
MB=${HTTP_MB:-64}
RUNS=${HTTP_RUNS:-5}
C=${HTTP_CLIENTS:-8}
[ "$(id -u)" = 0 ] || { echo "NOT RUN: needs root (network namespaces)"; exit 77; }
command -v nginx >/dev/null || { echo "NOT RUN: nginx not installed (nginx-light)"; exit 77; }
[ -x "$B/control/bootstorm" ] || { echo "http_ctl: $B/control/bootstorm not built"; exit 1; }
[[ $C =~ ^[0-9]+$ && $C -ge 1 && $C -le 200 ]] || { echo "http_ctl: HTTP_CLIENTS 1..200"; exit 2; }
T=$$ S=bhc-s-$$ L=bhc-c-$$
W=$(mktemp -d /tmp/bs-httpctl.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}" $(ip netns pids "$S" 2>/dev/null) $(ip netns pids "$L" 2>/dev/null); do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}" $(ip netns pids "$S" 2>/dev/null) $(ip netns pids "$L" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$S" 2>/dev/null
	ip netns del "$L" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$S" && ip netns add "$L" || exit 1
ip -n "$S" link set lo up
ip -n "$L" link set lo up
ip -n "$S" link add "hs$T" type veth peer name "hc$T"
ip -n "$S" link set "hc$T" netns "$L"
ip -n "$S" addr add 10.78.0.1/24 dev "hs$T"
ip -n "$S" link set "hs$T" up
for ((n = 2; n <= C + 1; n++)); do ip -n "$L" addr add "10.78.0.$n/24" dev "hc$T"; done
ip -n "$L" link set "hc$T" up
# real NICs segment and checksum; veth offloads would hand TCP 64 KiB frames around
ip netns exec "$S" ethtool -K "hs$T" tx off tso off gso off >/dev/null 2>&1
ip netns exec "$L" ethtool -K "hc$T" tx off tso off gso off >/dev/null 2>&1
mkdir -p "$W/repo/os" "$W/state" "$W/ng"
head -c $((MB << 20)) /dev/urandom >"$W/repo/os/f.img"
chmod -R a+rX "$W"
cat >"$W/bootstorm.yaml" <<EOF
server:
  name: httpctl
  instance: bhc$T
  state_dir: $W/state
  ip: 10.78.0.1/24
dataplane:
  eal: [--no-pci]
  ports:
    - dev: net_af_packet0,iface=hs$T
dhcp:
  subnets:
    - subnet: 10.78.0.0/24
tftp:
  root: $W
http:
  listen: 10.78.0.1:80
  repo_root: $W/repo
EOF
cat >"$W/ng/nginx.conf" <<EOF
worker_processes 2;
pid $W/ng/pid;
error_log $W/ng/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on; tcp_nopush on;
	client_body_temp_path $W/ng/body;
	server { listen 10.78.0.1:81; root $W; }
}
EOF
ip netns exec "$S" "$B/control/bootstorm" serve -c "$W/bootstorm.yaml" --foreground >"$W/ctl.log" 2>&1 &
CP=$!; PIDS+=("$CP")
OP=""
if [ -n "${BS_OLD_BUILD:-}" ]; then
	mkdir -p "$W/state-old"
	sed -e "s|instance: bhc$T|instance: bhco$T|" -e "s|state_dir: $W/state|state_dir: $W/state-old|" \
		-e 's|listen: 10.78.0.1:80|listen: 10.78.0.1:82|' "$W/bootstorm.yaml" >"$W/old.yaml"
	ip netns exec "$S" "$BS_OLD_BUILD/control/bootstorm" serve -c "$W/old.yaml" --foreground >"$W/old.log" 2>&1 &
	OP=$!; PIDS+=("$OP")
fi
ip netns exec "$S" nginx -c "$W/ng/nginx.conf" -g 'daemon off;' >"$W/ng.log" 2>&1 &
NP=$!; PIDS+=("$NP")
for ((k = 0; k < 50; k++)); do
	ip netns exec "$L" curl -sf -o /dev/null -m 1 "http://10.78.0.1:80/repo/os/f.img" &&
		ip netns exec "$L" curl -sf -o /dev/null -m 1 "http://10.78.0.1:81/repo/os/f.img" &&
		{ [ -z "$OP" ] || ip netns exec "$L" curl -sf -o /dev/null -m 1 "http://10.78.0.1:82/repo/os/f.img"; } && break
	sleep 0.2
done

fetch() { # port -> MB/s; every client's size checked
	local port=$1 s e
	s=$(date +%s.%N)
	ip netns exec "$L" bash -c '
		for ((n = 2; n <= $1 + 1; n++)); do
			curl -s --max-time 300 --interface 10.78.0.$n -o /dev/null -w "%{size_download}\n" "http://10.78.0.1:$2/repo/os/f.img" &
		done; wait; times >"$3"' _ "$C" "$port" "$W/ctimes" >"$W/sizes"
	e=$(date +%s.%N)
	[ "$(grep -cx $((MB << 20)) "$W/sizes")" = "$C" ] || { echo "http_ctl: short download on port $port"; exit 1; }
	awk -v mb="$MB" -v c="$C" -v s="$s" -v e="$e" 'BEGIN{printf "%.0f", mb * c * 1.048576 / (e - s)}'
}
# the curls' CPU (user + system, centiseconds = ticks) of the last fetch: on a veth
# the TCP work of a transfer lands on whichever side's process runs the softirq,
# so a server that uses less CPU itself can leave more to its clients
cticks() { tail -1 "$W/ctimes" | sed 's/[ms]/ /g' | awk '{printf "%.0f", ($1 * 60 + $2 + $3 * 60 + $4) * 100}'; }
ticks() { local t=0 p; for p in "$@" $(pgrep -P "$NP"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
ctl_ticks() { awk '{print $14 + $15}' "/proc/${1:-$CP}/stat"; }
med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
A="" B_="" AC="" BC="" O="" OC="" AK="" BK="" OK=""
for ((r = 1; r <= RUNS; r++)); do
	c0=$(ctl_ticks); a=$(fetch 80); c1=$(ctl_ticks); ak=$(cticks)
	n0=$(ticks "$NP"); b=$(fetch 81); n1=$(ticks "$NP"); bk=$(cticks)
	o=""
	if [ -n "$OP" ]; then
		o0=$(ctl_ticks "$OP"); ob=$(fetch 82); o1=$(ctl_ticks "$OP"); ok=$(cticks)
		O+="$ob " OC+="$((o1 - o0)) " OK+="$ok "
		o=", old control $ob MB/s ($((o1 - o0)) + $ok ticks)"
	fi
	echo "run $r: control $a MB/s ($((c1 - c0)) CPU ticks + clients $ak), nginx $b MB/s ($((n1 - n0)) + $bk)$o"
	A+="$a " B_+="$b " AC+="$((c1 - c0)) " BC+="$((n1 - n0)) " AK+="$ak " BK+="$bk "
done
if [ -n "$OP" ]; then
	mo=$(echo "$O" | med)
	echo "http_ctl: old control ($BS_OLD_BUILD) $mo MB/s: $(awk -v a="$mo" -v b="$(echo "$B_" | med)" 'BEGIN{printf "%.2f", a / b}')x nginx, CPU ticks per run $(echo "$OC" | med) + clients $(echo "$OK" | med)"
fi
ma=$(echo "$A" | med) mb=$(echo "$B_" | med)
echo "http_ctl: $C clients x $MB MiB, medians of $RUNS interleaved runs: control $ma MB/s, nginx $mb MB/s: $(awk -v a="$ma" -v b="$mb" 'BEGIN{printf "%.2f", a / b}')x nginx; CPU ticks per run (server + its curl clients): control $(echo "$AC" | med) + $(echo "$AK" | med), nginx $(echo "$BC" | med) + $(echo "$BK" | med)"
if [ "${HTTP_CTL_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
	perf record -g -o "$W/perf.data" -p "$CP" -- sleep 8 >/dev/null 2>&1 &
	pp=$!
	sleep 0.5
	fetch 80 >/dev/null
	wait "$pp"
	echo "perf (control, one run): top symbols"
	perf report -i "$W/perf.data" --no-children -g none --sort sym --stdio 2>/dev/null | grep '%' | grep -v '^#' | head -12
	echo "perf (control): inclusive share of sendfile / epoll / nanosleep"
	perf report -i "$W/perf.data" --children -g none --sort sym --stdio 2>/dev/null |
		grep -E '\] (sendfile|epoll_wait|clock_nanosleep|MHD_)' | head -8
fi
