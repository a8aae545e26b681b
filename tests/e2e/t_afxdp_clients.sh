#!/usr/bin/env bash
# The fast real-client tests again in AF_XDP split mode (BS_DP_MODE=afxdp: net_af_xdp
# + the XDP steering program on bs-dp0, the kernel owning the address, ARP and HTTP;
# lib.sh write_config/bootstorm_start): t_dhcp_clients (dhclient, udhcpc: DORA, renew,
# INIT-REBOOT, release) and t_tftp_clients (tftp-hpa with block rollover, atftp, curl;
# 0 B to 100 MiB by sha256).  Each prints its own time.
source "$(dirname "$0")/lib.sh"
e2e_run_mode afxdp t_dhcp_clients t_tftp_clients
pass
