#!/bin/sh
# ipmi_sim's chassis_control hook: "<state> get power|boot..." prints
# "power:0|1", "boot:<dev>"; "<state> set power 0|1 | reset 1 | boot
# <dev> ..." records it.  The state file is what the test reads back;
# <state>.log keeps every "set" in order.
state=$1; shift
[ -f "$state" ] || printf 'power 0\nboot default\nresets 0\n' > "$state"
get() { sed -n "s/^$1 //p" "$state"; }
put() { grep -v "^$1 " "$state" > "$state.new"; echo "$1 $2" >> "$state.new"; mv "$state.new" "$state"; }
op=$1; shift
case "$op" in
check) exit 0 ;;
get)
	for p in "$@"; do
		case "$p" in
		power) echo "power:$(get power)" ;;
		boot) echo "boot:$(get boot)" ;;
		*) ;;
		esac
	done ;;
set)
	echo "set $*" >> "$state.log"
	while [ $# -ge 2 ]; do
		case "$1" in
		power) put power "$2" ;;
		reset) put resets $(( $(get resets) + 1 )) ;;
		boot) put boot "$2" ;;
		*) ;;
		esac
		shift 2
	done ;;
*) exit 1 ;;
esac
exit 0
