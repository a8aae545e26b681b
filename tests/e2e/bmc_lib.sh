# shellcheck shell=bash
# Simulated IPMI LAN BMCs for e2e tests (sourced): OpenIPMI's ipmi_sim on
# loopback, one per node, from tests/data/power/{lan.conf.in,bmc.emu}.  Its
# chassis_control hook (power, reset, boot device) is tests/data/power/
# chassis-hook.sh, or a test's own wrapper around it.
#   bmc_sim_conf N PORT STATE [HOOK...]  writes $BMC_DIR/lanN.conf (BMC N on 127.0.0.1:PORT)
#   bmc_sim_cmd N                         the ipmi_sim command line of BMC N
# BMC_DIR (a folder of the test) must be set first.
BMC_DATA=${BMC_DATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../data/power" && pwd)}

bmc_sim_conf() { # N port state-file [hook command...]
	local n=$1 port=$2 state=$3 hook
	shift 3
	hook=${*:-$BMC_DATA/chassis-hook.sh $state}
	sed -e "s|@DIR@/chassis-hook.sh @STATE@|$hook|" -e "s|@DIR@|$BMC_DATA|" -e "s|@PORT@|$port|" \
		-e "s|@STATE@|$state|" -e "s|bsbmc1|bsbmc$n|" "$BMC_DATA/lan.conf.in" >"$BMC_DIR/lan$n.conf"
	mkdir -p "$BMC_DIR/sim$n"
}

bmc_sim_cmd() { # N
	echo ipmi_sim -c "$BMC_DIR/lan$1.conf" -f "$BMC_DATA/bmc.emu" -s "$BMC_DIR/sim$1" -n
}
