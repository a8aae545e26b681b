/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The campaign engine's `power` callback over control/power: each BMC
 * operation runs on its own short-lived thread (at most max_in_flight of
 * them: the engine never has more nodes powering), its result is queued,
 * and camp_bmc_drain() hands the results to the engine on the engine's
 * thread (the engine itself is not thread-safe, by design).
 */
#ifndef BS_CONTROL_CAMP_BMC_H
#define BS_CONTROL_CAMP_BMC_H

#include <pthread.h>

#include "conf/cfg.h"
#include "control/campaign/campaign.h"
#include "control/power/power.h"

struct camp_bmc_done;

struct camp_bmc {
	const struct cfg *cfg;
	const struct pwr_creds *creds;
	struct pwr_opts opts;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct camp_bmc_done *q;
	size_t nq, cap;
	unsigned running;
};

void camp_bmc_init(struct camp_bmc *b, const struct cfg *cfg, const struct pwr_creds *cr,
		   const struct pwr_opts *o);
/* struct camp_env.power, ctx = the struct camp_bmc.  -ENODEV when the node
 * has no usable bmc: URL, -ENOMEM, or a pthread_create error. */
int camp_bmc_power(void *ctx, uint32_t i, const char *node, enum camp_op op);
/* Queues a failed result of op for node i without running it (e.g. it
 * must not run: its node's boot state could not be saved). */
void camp_bmc_fail(struct camp_bmc *b, uint32_t i, enum camp_op op, int rc, const char *err);
/* Feeds finished operations to the engine; returns how many. */
size_t camp_bmc_drain(struct camp_bmc *b, struct campaign *c, uint64_t now_ms);
/* Waits for every running operation, then frees the queue. */
void camp_bmc_fini(struct camp_bmc *b);

#endif
