/* SPDX-License-Identifier: BSD-3-Clause
 * The bootstorm.dp log type (dataplane/dp_log.h). */
#include "dataplane/dp_log.h"

RTE_LOG_REGISTER(bs_dp_logtype, bootstorm.dp, INFO);
