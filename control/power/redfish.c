/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Redfish power and boot override (DMTF DSP0266) through libcurl +
 * jansson: GET the ComputerSystem's PowerState, POST
 * Actions/ComputerSystem.Reset {ResetType}, PATCH Boot
 * {BootSourceOverrideTarget: Pxe, BootSourceOverrideEnabled: Once}.
 * HTTPS only, verified against power.redfish_ca_file (or the system
 * store), HTTP Basic auth, a hard timeout per request.  One try here;
 * retries and the per-BMC lock are pwr_exec's (ipmi.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "control/power/power.h"
#include "control/power/redfish.h"

struct buf {
	char *p;
	size_t n;
};

static size_t
on_data(char *d, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t k = sz * nm;
	if (b->n + k > 1 << 20)
		return 0; /* a ComputerSystem is a few KiB: refuse a flood */
	char *np = realloc(b->p, b->n + k + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, d, k);
	b->p = np;
	b->n += k;
	b->p[b->n] = 0;
	return k;
}

/* One request; the HTTP status in *code, the body in *out (caller frees). */
static int
req(const struct bmc_addr *a, const struct pwr_cred *cr, const struct pwr_opts *o,
    const char *method, const char *path, const char *body, long *code, struct buf *out,
    char *err, size_t errcap)
{
	CURL *h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	char url[512];
	snprintf(url, sizeof(url), "https://%s:%u%s", a->host, a->port, path);
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Accept: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, cr->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, cr->pass);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	CURLcode cc = curl_easy_perform(h);
	*code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	if (cc != CURLE_OK) {
		snprintf(err, errcap, "%s", curl_easy_strerror(cc));
		/* A certificate that does not verify will not verify on a
		 * second try: not retried. */
		if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
			return -EACCES;
		return cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	}
	return 0;
}

/* The system's path: /redfish/v1/Systems/<id>, or the only member. */
static int
system_path(const struct bmc_addr *a, const struct pwr_cred *cr, const struct pwr_opts *o,
	    char *path, size_t cap, char *err, size_t errcap)
{
	if (a->system_id[0]) {
		snprintf(path, cap, "/redfish/v1/Systems/%s", a->system_id);
		return 0;
	}
	struct buf b = { 0 };
	long code;
	int rc = req(a, cr, o, "GET", "/redfish/v1/Systems", NULL, &code, &b, err, errcap);
	if (rc == 0 && code != 200) {
		snprintf(err, errcap, "GET Systems: HTTP %ld", code);
		rc = code == 401 || code == 403 ? -EACCES : -EIO;
	}
	if (rc == 0) {
		json_t *j = json_loads(b.p ? b.p : "", 0, NULL);
		json_t *m = json_object_get(j, "Members");
		const char *id = json_string_value(json_object_get(json_array_get(m, 0), "@odata.id"));
		if (json_array_size(m) != 1 || !id || strncmp(id, "/redfish/v1/Systems/", 20)) {
			snprintf(err, errcap, "Systems: %zu members, name one in the URL",
				 json_array_size(m));
			rc = -EIO;
		} else {
			snprintf(path, cap, "%s", id);
		}
		json_decref(j);
	}
	free(b.p);
	return rc;
}

int
redfish_try(const struct bmc_addr *a, const struct pwr_cred *cr, enum pwr_op op,
	    const struct pwr_opts *o, struct pwr_result *r)
{
	char sys[256], path[320];
	int rc = system_path(a, cr, o, sys, sizeof(sys), r->err, sizeof(r->err));
	if (rc < 0)
		return rc;
	const char *method = "POST", *body = NULL;
	static const char *const reset[PWR_OP_MAX] = {
		[PWR_ON] = "On", [PWR_OFF] = "ForceOff", [PWR_CYCLE] = "ForceRestart",
	};
	char jb[128];
	switch (op) {
	case PWR_STATUS:
		method = "GET";
		snprintf(path, sizeof(path), "%s", sys);
		break;
	case PWR_PXE_ONCE:
		method = "PATCH";
		snprintf(path, sizeof(path), "%s", sys);
		body = "{\"Boot\":{\"BootSourceOverrideTarget\":\"Pxe\","
		       "\"BootSourceOverrideEnabled\":\"Once\"}}";
		break;
	case PWR_ON:
	case PWR_OFF:
	case PWR_CYCLE:
		snprintf(path, sizeof(path), "%s/Actions/ComputerSystem.Reset", sys);
		snprintf(jb, sizeof(jb), "{\"ResetType\":\"%s\"}", reset[op]);
		body = jb;
		break;
	default:
		return -EINVAL;
	}
	struct buf b = { 0 };
	long code;
	rc = req(a, cr, o, method, path, body, &code, &b, r->err, sizeof(r->err));
	if (rc == 0 && (code < 200 || code > 299)) {
		snprintf(r->err, sizeof(r->err), "%s: HTTP %ld", pwr_op_name(op), code);
		/* 401/403: not retried (lockout); 4xx: our request is wrong. */
		rc = code == 401 || code == 403 ? -EACCES : code >= 400 && code < 500 ? -EINVAL : -EIO;
	}
	if (rc == 0 && op == PWR_STATUS) {
		json_t *j = json_loads(b.p ? b.p : "", 0, NULL);
		const char *ps = json_string_value(json_object_get(j, "PowerState"));
		if (ps && (!strcmp(ps, "On") || !strcmp(ps, "Off"))) {
			r->on = !strcmp(ps, "On");
		} else {
			snprintf(r->err, sizeof(r->err), "status: no PowerState in the answer");
			rc = -EIO;
		}
		json_decref(j);
	}
	free(b.p);
	return rc;
}
