/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BS_CONTROL_POWER_REDFISH_H
#define BS_CONTROL_POWER_REDFISH_H

#include "control/power/power.h"

/* One try of a simple op (not PWR_BOOT) against a redfish:// BMC. */
int redfish_try(const struct bmc_addr *a, const struct pwr_cred *cr, enum pwr_op op,
		const struct pwr_opts *o, struct pwr_result *r);

#endif
