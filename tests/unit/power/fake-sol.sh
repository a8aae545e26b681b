#!/bin/sh
# A stand-in for `ipmitool ... sol activate|deactivate` in test_sol: one line
# per call in /tmp/bs-fake-sol-<port>.log (argv, and whether IPMI_PASSWORD
# reached it).  -H stay: prints a console line, then waits for ipmitool's
# escape "~." on stdin and says bye; -H drop: prints a line and ends the
# session at once (exit 1), as a BMC dropping SOL; -H nosol and -H busy:
# what ipmitool 1.8.19 prints when the BMC's SOL is disabled (after its
# notes on SOL parameters the BMC lacks) or held by another session, exit 1.
host=; port=623
args="$*"
while [ $# -gt 0 ]; do
	case "$1" in
	-H) host=$2; shift ;;
	-p) port=$2; shift ;;
	esac
	shift
done
log=/tmp/bs-fake-sol-$port.log
echo "argv=$args pw=${IPMI_PASSWORD:+set}:${IPMI_PASSWORD}" >>"$log"
case "$args" in *deactivate*) exit 0 ;; esac
case "$host" in
nosol) echo "Info: SOL parameter 'Payload Port (8)' not supported - defaulting to $port"
	echo "Info: SOL payload disabled"
	exit 1 ;;
busy) echo "Info: SOL payload already active on another session"
	exit 1 ;;
esac
echo "[SOL Session operational.  Use ~? for help]"
case "$host" in
stay) echo "console: FAKE-GUEST-MARKER"
	esc=$(head -c 2)
	echo "bye after '$esc'"
	exit 0 ;;
drop) echo "console: session $(grep -c 'sol activate' "$log")"
	exit 1 ;;
esac
exit 2
