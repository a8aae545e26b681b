/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Power operation names (control/power/power.h): a leaf, so the IPMI and
 * Redfish back ends both use it without calling each other.
 */
#include <string.h>

#include "control/power/power.h"

static const char *const op_names[PWR_OP_MAX] = {
	"status", "on", "off", "cycle", "pxe", "boot",
};

const char *
pwr_op_name(enum pwr_op op)
{
	return (unsigned)op < PWR_OP_MAX ? op_names[op] : "?";
}

int
pwr_op_parse(const char *s)
{
	for (int i = 0; i < PWR_OP_MAX; i++)
		if (!strcmp(s, op_names[i]))
			return i;
	return -1;
}
