#!/usr/bin/env bash
# Lone lock-step TFTP client (what PXE firmware does: no windowsize), interleaved
# in one run against: bootstorm (default config: idle_sleep_us 50, af_packet +
# punt), optionally an older bootstorm build (BS_OLD_BUILD) and AF_XDP split mode
# (BS_LOCKSTEP_AFXDP=1), and dnsmasq on the kernel veth.  Prints seconds per
# download (tftp-hpa: 512 B blocks; curl --tftp-blksize 1468: 1468 B blocks, also
# lock-step) and the dataplane's idle CPU over 5 s.  Uses the e2e lab: run under
#   flock /tmp/bootstorm-e2e.lock tests/perf/lockstep.sh
# Env: BS_BUILD (default build), LOCKSTEP_MB (64), LOCKSTEP_RUNS (3).
source "$(dirname "$0")/../e2e/lib.sh"
need_cmd tftp tftp-hpa
need_cmd dnsmasq dnsmasq-base
[ -x "$BS_BUILD/control/bootstorm" ] || BS_BUILD=$ROOT/build
NEW_BUILD=$BS_BUILD
MB=${LOCKSTEP_MB:-64}
RUNS=${LOCKSTEP_RUNS:-3}
e2e_init --clients 1 --vms 0
head -c $((MB << 20)) /dev/urandom >"$WORK/tftp/big"
write_config
BASE_CONF=$CONF
client_static 1 >/dev/null

fetch() { # label: prints seconds for both block sizes, checks the bytes
	local s e
	s=$(date +%s.%N)
	timeout 300 ip netns exec bs-c1 tftp -m binary "$SERVER_IP" -c get big "$WORK/got" || fail "$1: tftp-hpa"
	e=$(date +%s.%N)
	cmp -s "$WORK/got" "$WORK/tftp/big" || fail "$1: tftp-hpa bytes differ"
	local t512 t1468
	t512=$(echo "$e - $s" | bc)
	s=$(date +%s.%N)
	timeout 300 ip netns exec bs-c1 curl -sS --tftp-blksize 1468 -o "$WORK/got" "tftp://$SERVER_IP/big" || fail "$1: curl"
	e=$(date +%s.%N)
	cmp -s "$WORK/got" "$WORK/tftp/big" || fail "$1: curl bytes differ"
	t1468=$(echo "$e - $s" | bc)
	rm -f "$WORK/got"
	printf '%-10s 512B %6.2f s (%5.1f MiB/s)   1468B %6.2f s (%5.1f MiB/s)\n' "$1" "$t512" \
		"$(echo "$MB / $t512" | bc -l)" "$t1468" "$(echo "$MB / $t1468" | bc -l)"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
idle_cpu() { # pid label
	local a b
	a=$(cpu_ticks "$1"); sleep 5; b=$(cpu_ticks "$1")
	printf '%-10s dataplane idle CPU %.1f %% of one core (5 s)\n' "$2" "$(echo "($b - $a) / $(getconf CLK_TCK) / 5 * 100" | bc -l)"
}

bs_up() { # build label
	BS_BUILD=$1
	CONF=$BASE_CONF
	if [ "$2" = afxdp ]; then
		CONF=$WORK/afxdp.yaml
		sed -e 's|dev: net_af_packet0,iface=bs-dp0|dev: net_af_xdp0,iface=bs-dp0|' -e '/^  punt: /d' "$BASE_CONF" >"$CONF"
		spawn "$WORK/control.log" ip netns exec "$SRV" "$BS_BUILD/control/bootstorm" serve -c "$CONF" --foreground
		CTL_PID=$LAST_PID
		sleep 1
		"$LAB" afxdp on >/dev/null
		spawn "$WORK/dp.log" ip netns exec "$SRV" "$BS_BUILD/dataplane/bootstorm-dp" -c "$CONF"
		DP_PID=$LAST_PID
		sleep 3
	else
		bootstorm_start >"$WORK/start.out" || fail "start: $(tail -3 "$WORK/start.out")"
	fi
	in_client 1 ip neigh flush dev cl0
}
bs_down() {
	stop_pid "$DP_PID"; stop_pid "$CTL_PID"
	rm -f "/dev/shm/bootstorm-$INSTANCE"
	"$LAB" afxdp off >/dev/null 2>&1
}
dn_up() {
	"$LAB" peer on >/dev/null
	spawn "$WORK/dnsmasq.log" ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-daemon \
		--conf-file=/dev/null --port=0 --interface=bs-dp0 --bind-interfaces --no-resolv \
		--enable-tftp --tftp-root="$WORK/tftp" --user=root --group=root
	DN_PID=$LAST_PID
	sleep 1
	in_client 1 ip neigh flush dev cl0
}
dn_down() { stop_pid "$DN_PID"; "$LAB" peer off >/dev/null; }

log "lone lock-step client, $MB MiB, $RUNS interleaved rounds"
for ((r = 1; r <= RUNS; r++)); do
	bs_up "$NEW_BUILD" bs; fetch bootstorm
	[ "$r" -eq 1 ] && idle_cpu "$DP_PID" bootstorm
	bs_down
	if [ -n "${BS_OLD_BUILD:-}" ]; then
		bs_up "$BS_OLD_BUILD" old; fetch bs-old
		[ "$r" -eq 1 ] && idle_cpu "$DP_PID" bs-old
		bs_down
	fi
	if [ -n "${BS_LOCKSTEP_AFXDP:-}" ]; then
		bs_up "$NEW_BUILD" afxdp; fetch bs-afxdp
		bs_down
	fi
	dn_up; fetch dnsmasq; dn_down
done
pass lockstep
