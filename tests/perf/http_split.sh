#!/usr/bin/env bash
# HTTP install-stream throughput, one run, same lab: curl from 1 and 8 client
# namespaces (each its own download of one file, checked by size) against
#   afxdp   bootstorm control's HTTP on the kernel's bs-dp0 while bootstorm-dp runs
#           in AF_XDP split mode on it (XDP steering program attached);
#   punt    bootstorm control's HTTP through the dataplane's punt tap (af_packet);
#   nginx   Debian's nginx on the kernel's bs-dp0 (lab peer on), no dataplane;
#   ctl-kernel  bootstorm control's HTTP on the kernel's bs-dp0, no dataplane (what
#           the HTTP server itself does, apart from the XDP program);
#   nginx-afxdp  nginx on bs-dp0 while bootstorm-dp runs in split mode (control's
#           HTTP moved to 127.0.0.1:8080): the cost of the XDP program alone.
# Prints aggregate MB/s per server and client count (median of HTTP_RUNS, default 3,
# interleaved).  Uses the e2e lab:
#   flock /tmp/bootstorm-e2e.lock tests/perf/http_split.sh
# Env: BS_BUILD (default build), HTTP_MB (file size, default 128), HTTP_RUNS (3),
# HTTP_CLIENTS ("1 8"), HTTP_SERVERS ("afxdp punt nginx").
source "$(dirname "$0")/../e2e/lib.sh"
need_cmd curl curl
[ -x "$BS_BUILD/control/bootstorm" ] || BS_BUILD=$ROOT/build
MB=${HTTP_MB:-128}
RUNS=${HTTP_RUNS:-3}
CLIENTS=${HTTP_CLIENTS:-"1 8"}
SERVERS=${HTTP_SERVERS:-"afxdp punt nginx ctl-kernel nginx-afxdp"}
case " $SERVERS " in *" nginx"*) need_cmd nginx nginx-light ;; esac
maxc=1
for c in $CLIENTS; do [ "$c" -gt "$maxc" ] && maxc=$c; done
e2e_init --clients "$maxc" --vms 0
mkdir -p "$WORK/repo/lab"
head -c $((MB << 20)) /dev/urandom >"$WORK/repo/lab/big.bin"
write_config
BASE_CONF=$CONF
for ((n = 1; n <= maxc; n++)); do client_static "$n" >/dev/null; done

nginx_up() {
	cat >"$WORK/nginx.conf" <<NGX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on; tcp_nopush on;
	server { listen 10.77.0.1:80; root $WORK; }
}
NGX
	spawn "$WORK/nginx.log" ip netns exec "$SRV" nginx -c "$WORK/nginx.conf" -g 'daemon off;'
	NG_PID=$LAST_PID
	wait_http "$HTTP/repo/lab/big.bin" 20 || fail "nginx did not come up: $(cat "$WORK/nginx.err")"
}
up() { # server
	case $1 in
	punt) CONF=$BASE_CONF; bootstorm_start >"$WORK/start.out" || fail "start: $(tail -3 "$WORK/start.out")" ;;
	ctl-kernel)
		"$LAB" peer on >/dev/null
		spawn "$WORK/control.log" ip netns exec "$SRV" "$BS_BUILD/control/bootstorm" serve -c "$BASE_CONF" --foreground
		CTL_PID=$LAST_PID
		wait_http "$HTTP/" 20 || fail "ctl-kernel: control HTTP"
		;;
	afxdp | nginx-afxdp)
		CONF=$WORK/afxdp.yaml
		sed -e 's|dev: net_af_packet0,iface=bs-dp0|dev: net_af_xdp0,iface=bs-dp0|' -e '/^  punt: /d' "$BASE_CONF" >"$CONF"
		[ "$1" = afxdp ] || sed -i 's|listen: 0.0.0.0:80|listen: 127.0.0.1:8080|' "$CONF"
		spawn "$WORK/control.log" ip netns exec "$SRV" "$BS_BUILD/control/bootstorm" serve -c "$CONF" --foreground
		CTL_PID=$LAST_PID
		"$LAB" afxdp on >/dev/null
		sleep 1
		spawn "$WORK/dp.log" ip netns exec "$SRV" "$BS_BUILD/dataplane/bootstorm-dp" -c "$CONF"
		DP_PID=$LAST_PID
		local i
		for ((i = 0; i < 50; i++)); do in_srv ip link show bs-dp0 | grep -q prog/xdp && break; sleep 0.2; done
		in_srv ip link show bs-dp0 | grep -q prog/xdp || fail "afxdp: no XDP program: $(tail -3 "$WORK/dp.log")"
		if [ "$1" = afxdp ]; then
			wait_http "$HTTP/" 20 || fail "afxdp: control HTTP"
		else
			nginx_up
		fi
		;;
	nginx) "$LAB" peer on >/dev/null; nginx_up ;;
	esac
	for ((n = 1; n <= maxc; n++)); do in_client "$n" ip neigh flush dev cl0; done
}
down() { # server
	case $1 in
	punt | afxdp | nginx-afxdp)
		[ "$1" = nginx-afxdp ] && stop_pid "$NG_PID"
		stop_pid "$DP_PID"; stop_pid "$CTL_PID"; rm -f "/dev/shm/bootstorm-$INSTANCE"
		"$LAB" afxdp off >/dev/null 2>&1 ;;
	ctl-kernel) stop_pid "$CTL_PID"; rm -f "/dev/shm/bootstorm-$INSTANCE"; "$LAB" peer off >/dev/null ;;
	nginx) stop_pid "$NG_PID"; "$LAB" peer off >/dev/null ;;
	esac
}
run() { # clients -> MB/s aggregate
	local c=$1 n s e pids=()
	s=$(date +%s.%N)
	for ((n = 1; n <= c; n++)); do
		# body to /dev/null, size checked: writing 32 x 128 MiB to disk would cost
		# CPU and page cache (this machine's 2 cores serve too) beside the servers
		ip netns exec "bs-c$n" curl -sS --max-time 300 -o /dev/null -w '%{size_download}' \
			"$HTTP/repo/lab/big.bin" >"$WORK/got.$n" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail "curl failed"; done
	e=$(date +%s.%N)
	for ((n = 1; n <= c; n++)); do
		[ "$(cat "$WORK/got.$n")" = $((MB << 20)) ] || fail "short download"
		rm -f "$WORK/got.$n"
	done
	echo "$MB * $c * 1.048576 / ($e - $s)" | bc -l
}
declare -A res
for ((r = 1; r <= RUNS; r++)); do
	for sv in $SERVERS; do
		up "$sv"
		for c in $CLIENTS; do res[$sv.$c]+="$(run "$c") "; done
		down "$sv"
	done
done
med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for c in $CLIENTS; do
	ng=$(echo "${res[nginx.$c]:-}" | med)
	for sv in $SERVERS; do
		m=$(echo "${res[$sv.$c]}" | med)
		ratio=""
		[ -n "$ng" ] && ratio=$(printf '  %.2fx nginx' "$(echo "$m / $ng" | bc -l)")
		printf 'http %-11s %2d client(s): %7.1f MB/s (runs: %s)%s\n' "$sv" "$c" "$m" "$(echo ${res[$sv.$c]} | xargs printf '%.0f ')" "$ratio"
	done
done
pass http_split
