/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The JSON API and the Prometheus metrics of a running control process.
 * Producers only: they build a body (malloc'd) and a status; httpd.c
 * turns it into a response.
 */
#ifndef BS_CONTROL_API_H
#define BS_CONTROL_API_H

#include <stddef.h>
#include <stdint.h>

#include "control/daemon/ctl.h"

struct api_resp {
	unsigned status;
	const char *type;	/* content type (static) */
	char *body;		/* malloc'd */
	size_t len;
	/* in: query arguments of the request (NULL = absent), set by httpd.c:
	 * ?profile= of reimage, ?reason= of failed */
	const char *q_profile, *q_reason;
};

/* Handles /api/... and /metrics.  method is "GET"/"HEAD"/"POST"; peer the
 * client's IPv4.  Returns false when the path is not the API's. */
bool api_handle(struct ctl *c, const char *method, const char *path, uint32_t peer,
		struct api_resp *r);

/* A node of the current config by name, MAC (aa:bb:..) or IP; caller holds
 * cfg_lock for reading. */
const struct cfg_node *api_find_node(const struct cfg *cfg, const char *key);

#endif
