/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The dataplane's rte_log type (bootstorm.dp) and its one logging macro.
 * Its own file so that dp.c, port.c and the workers share it without
 * calling into each other (it was defined in dp.c, a call circle).
 * Never per packet: the fast path returns a drop reason instead.
 */
#ifndef BS_DATAPLANE_DP_LOG_H
#define BS_DATAPLANE_DP_LOG_H

#include <rte_log.h>

extern int bs_dp_logtype;

#define DP_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, bs_dp_logtype, "bootstorm-dp: " __VA_ARGS__)

#endif
