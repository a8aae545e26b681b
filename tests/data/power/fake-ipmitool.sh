#!/bin/sh
# A stand-in for ipmitool in tests/unit/power: behaviour by -H host
# (ok, off, fail, hang, flaky, badauth), one line per call in /tmp/bs-fake-ipmi-<port>.log
# with its argv and whether IPMI_PASSWORD reached it.
host=; port=623
args="$*"
while [ $# -gt 0 ]; do
	case "$1" in
	-H) host=$2; shift ;;
	-p) port=$2; shift ;;
	esac
	shift
done
log=/tmp/bs-fake-ipmi-$port.log
echo "argv=$args pw=${IPMI_PASSWORD:+set}:${IPMI_PASSWORD}" >> "$log"
case "$args" in *"power status"*) word="Chassis Power is on" ;; *) word="ok" ;; esac
case "$host" in
ok) echo "$word" ;;
off) case "$args" in *"power status"*) echo "Chassis Power is off" ;; *) echo ok ;; esac ;;
fail) echo "Error: Unable to establish IPMI v2 / RMCP+ session" >&2; exit 1 ;;
hang) exec sleep 30 ;;
badauth) echo "RAKP 2 HMAC is invalid" >&2
	echo "Error: Unable to establish IPMI v2 / RMCP+ session" >&2; exit 1 ;;
flaky)
	n=$(grep -c . "$log")
	if [ "$n" -le 1 ]; then echo "Error: busy" >&2; exit 1; fi
	echo "$word" ;;
*) exit 2 ;;
esac
exit 0
