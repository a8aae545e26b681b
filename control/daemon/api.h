/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The JSON API and the Prometheus metrics of a running control process.
 * Producers only: they build a body (malloc'd) and a status; httpd.c
 * turns it into a response.
 */
#ifndef BS_CONTROL_API_H
#define BS_CONTROL_API_H

#include <jansson.h>
#include <stdbool.h>
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
	/* any other query argument by name (NULL = absent), set by httpd.c */
	const char *(*q_arg)(const struct api_resp *r, const char *name);
	void *q_ctx;
};

/* Who is asking (httpd.c decides admin). */
struct api_caller {
	uint32_t peer;		/* client IPv4, host order */
	bool admin;		/* bearer = http.admin_token_file's token, or a local
				   connection with http.admin_local */
	const char *bearer;	/* Authorization: Bearer value, NULL = absent */
};

/* Handles /api/... and /metrics.  method is "GET"/"HEAD"/"POST".
 * Authorisation (issue 15 item 5):
 *   POST /api/nodes/<node>/done|failed  admin, the node's assigned address
 *                                      (kickstart.h: ks_assigned) or the
 *                                      node's secret as bearer; GET: 405
 *   /metrics                           admin, or anyone with http.metrics_public
 *   every other /api/ path             admin only (401 otherwise)
 * Returns false when the path is not the API's. */
bool api_handle(struct ctl *c, const char *method, const char *path, const struct api_caller *who,
		struct api_resp *r);

/* A node of the current config by name, MAC (aa:bb:..) or IP; caller holds
 * cfg_lock for reading. */
const struct cfg_node *api_find_node(const struct cfg *cfg, const char *key);

/* api_reply.c: r gets j serialised (j is consumed) with status, or a 500
 * when out of memory; api_reply_error answers {"error": msg}.  Both return
 * true ("handled"). */
bool api_reply_json(struct api_resp *r, unsigned status, json_t *j);
bool api_reply_error(struct api_resp *r, unsigned status, const char *msg);

#endif
