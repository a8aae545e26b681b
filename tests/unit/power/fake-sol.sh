#!/bin/sh
# A stand-in for `ipmitool ... sol activate|deactivate` in test_sol: one line
# per call in /tmp/bs-fake-sol-<port>.log (argv, and whether IPMI_PASSWORD
# reached it).  -H stay: prints a console line, then waits for ipmitool's
# escape "~." on stdin and says bye; -H drop: prints a line and ends the
# session at once (exit 1), as a BMC dropping SOL.
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
