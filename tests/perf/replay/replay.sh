#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pcap replay benchmark (issue 8; a benchmark, not a test: it prints figures
# and asserts only that every reply is right, never a speed).
#
#   tests/perf/replay/replay.sh [BUILD_DIR] [replay.py options]
#   e.g. tests/perf/replay/replay.sh build-h8
#        tests/perf/replay/replay.sh build-h8 --mode tftp --workers 1 --callgrind no
#        tests/perf/replay/replay.sh build-h8 --help
#
# Generated request pcaps (DHCP: DISCOVER+REQUEST of a reserved inventory;
# TFTP: RRQ + every ACK a client sends) are replayed into the real
# bootstorm-dp through net_pcap (rx_pcap/tx_pcap per worker queue), with
# tests/pcap's bs_pcaptool playing control's part of the shared region.
# Prints DHCP replies/s and TFTP DATA/s for 1 and 2 workers, then Ir per
# reply under callgrind.  Root (EAL --no-huge), /usr/bin/python3 with scapy.
# Work files live in /dev/shm/bs-replay-* and are removed at the end; the
# whole run is bounded (default ~40 s, killed at 170 s).  See README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift $(( $# >= 1 ? 1 : 0 ))
dp=$build/dataplane/bootstorm-dp
tool=$build/tests/pcap/bs_pcaptool
for x in "$dp" "$tool"; do
	if [ ! -x "$x" ]; then
		echo "no $x: build first (meson setup $build -Dbuildtype=release && ninja -C $build)" >&2
		exit 2
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "bootstorm-dp runs EAL with --no-huge, which needs root here" >&2
	exit 2
fi
/usr/bin/python3 -c 'import scapy.all' 2>/dev/null || {
	echo "needs Debian's python3-scapy, importable from /usr/bin/python3" >&2
	exit 2
}
# SIGTERM on timeout: replay.py stops its children by PID and removes its
# work directory; SIGKILL 10 s later if it did not.
exec timeout -k 10 170 /usr/bin/python3 "$here/replay.py" --dp "$dp" --tool "$tool" "$@"
