/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A campaign's verify probes (struct camp_env.verify): after a node's
 * installer reported done, is the installed system up?  "tcp:PORT" (a TCP
 * connect to the node's address) or "http[s]://..." with {ip} replaced by
 * the node's address (a GET answered 2xx/3xx, libcurl).  Each probe runs on
 * its own short-lived thread (at most CAMP_VERIFY_MAX at once per
 * campaign); results are queued and camp_verify_drain() hands them to the
 * engine on the engine's thread.
 */
#ifndef BS_CONTROL_CAMP_VERIFY_H
#define BS_CONTROL_CAMP_VERIFY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/campaign/campaign.h"

#define CAMP_VERIFY_MAX 32u
#define CAMP_VERIFY_TIMEOUT_MS 2000u /* one probe */

struct camp_verify_done {
	uint32_t i;
	bool ok;
};

struct camp_verify {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct camp_verify_done *q;
	size_t nq, cap;
	unsigned running;
};

/* Checks a probe spec: 0, or -EINVAL with *why. */
int camp_verify_check(const char *spec, const char **why);
void camp_verify_init(struct camp_verify *v);
/* Starts one probe of node i at ip (host order) by spec; spec NULL: an
 * immediate success (nothing to check).  -EBUSY: CAMP_VERIFY_MAX running. */
int camp_verify_start(struct camp_verify *v, uint32_t i, const char *spec, uint32_t ip);
size_t camp_verify_drain(struct camp_verify *v, struct campaign *c, uint64_t now_ms);
/* Waits for the running probes, frees the queue. */
void camp_verify_fini(struct camp_verify *v);

#endif
