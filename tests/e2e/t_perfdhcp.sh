#!/usr/bin/env bash
# perfdhcp (ISC Kea's load generator, a client not written by us) runs a
# 1000-client DORA against bootstorm through a relay address and every
# client gets its address: perfdhcp counts 1000 OFFERs and 1000 ACKs with no
# drops, and `bootstorm leases` lists 1000 bound leases in the relayed subnet.
# Each ACK is a dynamic lease, so each one waited for its journal record to
# be fsynced (group commit): the rate printed is the durable rate.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/relay.sh"

N=${BS_PERFDHCP_CLIENTS:-1000}
need_cmd perfdhcp kea-admin
e2e_init --clients 1
write_relay_config
server_start
relay_up

# --scenario avalanche: each of the N clients does one DORA (perfdhcp
# retransmits after its back-off when a reply is late), then it reports.
out=$WORK/perfdhcp.txt
t0=$(date +%s.%N)
perfdhcp_run "$out" 60 --scenario avalanche -R "$N"
rc=$?
t1=$(date +%s.%N)
sed 's/^/  perfdhcp| /' "$out" | grep -v '^  perfdhcp| *$' | head -60
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "perfdhcp exited $rc"

offers=$(perfdhcp_stat "$out" DO "received packets")
acks=$(perfdhcp_stat "$out" RA "received packets")
disc=$(perfdhcp_stat "$out" DO "sent packets")
reqs=$(perfdhcp_stat "$out" RA "sent packets")
drops_do=$(perfdhcp_stat "$out" DO "drops")
drops_ra=$(perfdhcp_stat "$out" RA "drops")
resent=$(awk '/^Requests resent:/{print $3+0; exit}' "$out")
took=$(awk '/^It took/{split($3,t,":"); printf "%.2f", t[1]*3600+t[2]*60+t[3]; exit}' "$out")
log "perfdhcp: DISCOVER sent $disc, OFFER received $offers, REQUEST sent $reqs, ACK received $acks, drops $drops_do/$drops_ra, resent ${resent:-?}, took ${took:-?} s"

[ "${offers:-0}" -eq "$N" ] || fail "perfdhcp received ${offers:-0} OFFERs, want $N"
[ "${acks:-0}" -eq "$N" ] || fail "perfdhcp received ${acks:-0} ACKs, want $N"
[ "${drops_do:-1}" -eq 0 ] && [ "${drops_ra:-1}" -eq 0 ] ||
	fail "perfdhcp counted drops (DO ${drops_do:-?}, RA ${drops_ra:-?})"

bound=$(relay_bound_ips | wc -l)
log "bootstorm leases: $bound bound in 10.78.0.0/16"
[ "$bound" -eq "$N" ] || fail "bootstorm leases lists $bound bound leases in the relayed subnet, want $N"

# Figures for the README (not asserted: speed is reported, never timed).
rate=$(awk -v n="$N" -v s="${took:-0}" 'BEGIN{ if (s > 0) printf "%.0f", n / s; else print "?" }')
bs status | grep -E '^(journal|leases)' | sed 's/^/  status| /'
log "FIGURES perfdhcp avalanche: $N clients DORA in ${took:-?} s = $rate leases/s (durable), resent ${resent:-?}, wall $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
# Basic scenario at a fixed offered rate, other MACs (-b): the completed
# rate and drop ratio as bench's dhcp part reports them.
for r in ${BS_PERFDHCP_RATES:-500 1000}; do
	o=$WORK/perfdhcp-r$r.txt
	perfdhcp_run "$o" 20 -b mac=00:0c:02:00:00:00 -r "$r" -R 20000 -p 4
	log "FIGURES perfdhcp basic offered $r/s: completed $(awk '/^Rate:/{printf "%d", $2; exit}' "$o")/s, drops DO $(perfdhcp_stat "$o" DO "drops ratio")% RA $(perfdhcp_stat "$o" RA "drops ratio")%"
done
pass
