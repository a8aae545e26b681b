#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per packet of bootstorm-dp's worker loop, counted by
# callgrind over bench_dp's in-memory port (a benchmark, not a test).
#
#   tests/perf/dataplane/bench_dp_callgrind.sh [BUILD_DIR] [dhcp|tftp|all] [bench_dp options]
#   e.g. tests/perf/dataplane/bench_dp_callgrind.sh build-h5 all
#
# bench_dp --callgrind runs a fixed number of packets (DHCP: 2048 DISCOVERs
# then 2048 REQUESTs = 4096 replies; TFTP: 8 phases x 256 transfers x
# windowsize 16 = 32768 DATA) with one worker, zeroes callgrind's counts
# after set-up (EAL, RRQs, file mapping) and dumps them after the last
# timed phase.  Collection is on only inside dp_worker_main (the worker
# loop) and bench_tx_complete (the generator freeing sent mbufs, i.e. a NIC
# PMD's TX completion, reported apart).  Ir per packet = Ir collected in
# dp_worker_main and its callees / packets answered.  (callgrind_annotate's
# own inclusive figure for dp_worker_main is not used: the function was
# already running when the counts were zeroed, which skews it by ~13%.)
# Also counted, and small: the empty
# polls between phases (at most 64 per phase before the worker's idle
# sleep; bench_dp prints the phase and sleep counts).
#
# Keep the profiles: BENCH_KEEP=1 (the directory is printed).
set -euo pipefail

build=${1:-build}
what=${2:-all}
shift $(( $# >= 2 ? 2 : $# ))
bin=$build/tests/perf/dataplane/bench_dp
if [ ! -x "$bin" ]; then
	echo "no $bin: build first (ninja -C $build)" >&2
	exit 2
fi
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null || {
	echo "valgrind/callgrind_annotate not installed" >&2
	exit 2
}
out=$(mktemp -d /tmp/bench-dp-cg.XXXXXX)
if [ "${BENCH_KEEP:-0}" = 1 ]; then
	echo "profiles kept in $out"
else
	trap 'rm -rf "$out"' EXIT
fi

# Inclusive Ir of one function in a callgrind file.
incl() {
	callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" 2>/dev/null |
		awk -v fn=":$2 " 'index($0, fn) && !done { gsub(",", "", $1); print $1; done = 1 }'
}

run() {
	local mode=$1 log=$out/$1.log cg=$out/cg.$1
	shift
	# One worker, fixed counts, long idle sleeps between phases.
	if ! valgrind --tool=callgrind --callgrind-out-file="$cg" \
		--toggle-collect=dp_worker_main --toggle-collect=bench_tx_complete \
		"$bin" --callgrind --mode "$mode" --workers 1 --mem 256 "$@" >"$log" 2>&1; then
		echo "bench_dp under valgrind failed:" >&2
		grep -v '^==' "$log" | tail -20 >&2
		return 1
	fi
	local pk worker free total
	pk=$(sed -n 's/^callgrind: packets=\([0-9]*\).*/\1/p' "$log")
	grep -E '^callgrind:|replies checked' "$log" | sed 's/^/  /'
	if [ -z "$pk" ] || [ "$pk" = 0 ] || [ ! -f "$cg.1" ]; then
		echo "no packet count or no dump ($cg.1)" >&2
		return 1
	fi
	# Collection is on only inside dp_worker_main (worker thread) and
	# bench_tx_complete (generator): the worker loop's Ir is the dump's
	# total less the TX completion (a function entered and left inside the
	# dump, so its inclusive count is exact).  The total is the file's
	# "totals:" line, the sum of every cost line (what the functions
	# executed), not its "summary:" line (callgrind_annotate's PROGRAM
	# TOTALS): the summary also holds ~6.3 M Ir that no function owns and
	# that does not grow with the packets (the same in runs of 8 and 16
	# phases), which added ~190 Ir to every per-packet figure before
	# 2026-12-01.
	total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$cg.1" | head -1)
	free=$(incl "$cg.1" bench_tx_complete)
	worker=$(( ${total:-0} - ${free:-0} ))
	awk -v m="$mode" -v w="${worker:-0}" -v f="${free:-0}" -v p="$pk" 'BEGIN {
		printf "%s: %d packets; worker loop (dp_worker_main and callees) %.0f Ir/packet; " \
		       "TX completion (mbuf free, generator) %.0f Ir/packet\n", m, p, w / p, f / p }'
	echo "  top functions by self Ir per packet (worker thread; TX completion marked):"
	# Frames that were on a stack when the counts were zeroed show their
	# inclusive cost as self: leave them out.
	callgrind_annotate --inclusive=no --threshold=100 --auto=no "$cg.1" 2>/dev/null |
		awk -v p="$pk" '
		/^[ 0-9,]+ \(/ && !/PROGRAM TOTALS/ {
			ir = $1; gsub(",", "", ir)
			loc = $0; sub(/^[^)]*\) +/, "", loc); sub(/ .*$/, "", loc)
			fn = loc; sub(/^.*:/, "", fn); file = loc; sub(/:[^:]*$/, "", file)
			sub(/^.*\//, "", file)
			if (fn ~ /^(dp_worker_main|clone|start_thread|gen_main|main|run_one|dp_run|bench_tx_complete)$/ ||
			    fn ~ /^0x/ && $0 ~ /librte_eal/ || fn ~ /below main|libc_start/)
				next
			tag = ($0 ~ /librte_mbuf/ && fn !~ /alloc/) ? "  [TX completion]" : ""
			if (n++ < 18)
				printf "  %8.1f  %s (%s)%s\n", ir / p, fn, file, tag
		}'
}

case $what in
dhcp) run dhcp --phases 2 --batch 2048 "$@" ;;
tftp) run tftp --phases 8 --transfers 256 "$@" ;;
all)
	run dhcp --phases 2 --batch 2048 "$@"
	run tftp --phases 8 --transfers 256 "$@"
	;;
*)
	echo "usage: $0 [BUILD_DIR] [dhcp|tftp|all] [bench_dp options]" >&2
	exit 2
	;;
esac
