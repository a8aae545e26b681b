/* SPDX-License-Identifier: BSD-3-Clause
 * JSON answers of the API (control/daemon/api.h): one place that serialises
 * a reply and turns an out-of-memory into a 500, for api.c and the routes
 * in files of their own (bootroutes.c). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/api.h"

bool
api_reply_json(struct api_resp *r, unsigned status, json_t *j)
{
	r->status = status;
	r->type = "application/json";
	r->body = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	r->len = r->body ? strlen(r->body) : 0;
	json_decref(j);
	if (!r->body) {
		r->status = 500;
		r->body = strdup("{\"error\":\"out of memory\"}");
		r->len = r->body ? strlen(r->body) : 0;
	}
	return true;
}

bool
api_reply_error(struct api_resp *r, unsigned status, const char *msg)
{
	json_t *j = json_object();
	json_t *s = json_string(msg ? msg : "");

	/* messages may quote client input: invalid UTF-8 must not lose the reply */
	json_object_set_new(j, "error", s ? s : json_string("(unprintable)"));
	return api_reply_json(r, status, j);
}
