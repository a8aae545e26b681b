/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The per-node fleet view's pure parts (fleet_node.h).
 */
#include "control/fleet/fleet_node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "conf/cfg_parse.h"
#include "shm/snap.h"

bool
fleet_node_key_mac(const char *key, char mac[18])
{
	uint8_t m[6];

	mac[0] = '\0';
	/* the 17-character form only: a node name is never taken for a MAC */
	if (!key || strlen(key) != 17 || cfgp_mac(key, m) != 0)
		return false;
	snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return true;
}

bool
fleet_bmc_redact(const char *url, char *out, size_t cap)
{
	const char *p = url ? url : "", *scheme = strstr(p, "://");
	const char *host = scheme ? scheme + 3 : p;
	const char *auth_end = host + strcspn(host, "/?#");
	const char *end = p + strcspn(p, "?#"), *at = NULL;

	if (cap == 0)
		return false;
	/* userinfo: what precedes the authority's last '@' (RFC 3986
	 * section 3.2.1); a query may carry a password too: both dropped */
	for (const char *q = host; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at && end > at)
		snprintf(out, cap, "%.*s%.*s", (int)(host - p), p, (int)(end - at - 1), at + 1);
	else
		snprintf(out, cap, "%.*s", (int)(end - p), p);
	return at != NULL || *end != '\0';
}

static bool
filter_ok(const char *s)
{
	if (strlen(s) > 128)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
fleet_nodes_q_fill(struct fleet_nodes_q *q, const char *server, const char *state,
		   const char *campaign, const char *limit, char *err, size_t err_cap)
{
	const char *in[3] = { server, state, campaign };
	static const char *const what[3] = { "--server", "--state", "--campaign" };
	long n = FLEET_NODES_LIMIT_DEFAULT;
	char *e = NULL;

	memset(q, 0, sizeof(*q));
	for (int i = 0; i < 3; i++) {
		if (in[i] && !filter_ok(in[i])) {
			snprintf(err, err_cap, "%s wants a name of at most 128 printable bytes", what[i]);
			return -EINVAL;
		}
		q->v[i] = in[i] && in[i][0] ? in[i] : NULL;
	}
	if (limit && limit[0]) {
		errno = 0;
		n = strtol(limit, &e, 10);
		if (errno || *e || n < 1 || n > FLEET_NODES_LIMIT_MAX) {
			snprintf(err, err_cap, "--limit wants 1-%d, not '%s'", FLEET_NODES_LIMIT_MAX,
				 limit);
			return -EINVAL;
		}
	}
	snprintf(q->limit, sizeof(q->limit), "%ld", n);
	q->v[FNP_LIMIT] = q->limit;
	return 0;
}

int
fleet_node_answerer(int bucket, uint32_t n_peers, const bool *alive)
{
	uint32_t live[CFG_MAX_PEERS], n_live = 0, owner;

	if (bucket < 0 || bucket >= SNAP_LB_BUCKETS || n_peers == 0 || n_peers > CFG_MAX_PEERS)
		return -1;
	for (uint32_t i = 0; i < n_peers; i++)
		if (alive[i])
			live[n_live++] = i;
	if (n_live == 0)
		return -1;
	owner = (uint32_t)bucket % n_peers;
	if (!alive[owner])
		owner = live[((uint32_t)bucket / n_peers) % n_live];
	return (int)owner;
}
