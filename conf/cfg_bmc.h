/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A node's BMC address: `ipmi://host[:port]` or
 * `redfish://host[:port][/system-id]`.  No credentials in it: they come
 * from power.credentials_file (control/power/cred.c), never from the YAML.
 * No dependency (part of bs_cfgparse), so control/power reuses it.
 */
#ifndef BS_CONF_CFG_BMC_H
#define BS_CONF_CFG_BMC_H

#include <stdint.h>

enum bmc_proto {
	BMC_NONE = 0,
	BMC_IPMI,	/* IPMI 2.0 RMCP+ (lanplus), UDP 623 */
	BMC_REDFISH,	/* Redfish over HTTPS, TCP 443 */
};

struct bmc_addr {
	enum bmc_proto proto;
	char host[254];		/* DNS name or IPv4 literal */
	uint16_t port;		/* default 623 / 443 */
	char system_id[64];	/* Redfish ComputerSystem id; "" = the only one */
};

/* 0, or -EINVAL with why (a static string) set. */
int cfgp_bmc_url(const char *s, struct bmc_addr *out, const char **why);

#endif
