/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lease events -> the text arrays of one set-based upsert (fleet_pure.h).
 */
#include "control/fleet/fleet_pure.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fleet_lease_upsert_sql[] =
	"INSERT INTO leases (server, ip, mac, state, expires, seq, ts, hostname) "
	"SELECT DISTINCT ON (u.ip) $1, u.ip, u.mac, u.state, "
	" to_timestamp(u.exp / 1000.0), u.seq, to_timestamp(u.ts / 1000.0), u.host "
	"FROM unnest($2::inet[], $3::macaddr[], $4::text[], $5::bigint[], $6::bigint[], "
	" $7::bigint[], $8::text[]) AS u(ip, mac, state, exp, seq, ts, host) "
	"ORDER BY u.ip, u.seq DESC "
	"ON CONFLICT (server, ip) DO UPDATE SET mac = excluded.mac, state = excluded.state, "
	" expires = excluded.expires, seq = excluded.seq, ts = excluded.ts, "
	" hostname = excluded.hostname, shipped = now() "
	"WHERE leases.seq < excluded.seq";

void
fleet_str_add(struct fleet_str *s, const char *text, size_t n)
{
	if (s->oom)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		char *p;

		while (cap < s->len + n + 1)
			cap *= 2;
		p = realloc(s->p, cap);
		if (!p) {
			s->oom = true;
			return;
		}
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, text, n);
	s->len += n;
	s->p[s->len] = '\0';
}

void
fleet_str_free(struct fleet_str *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

void
fleet_arr_add(struct fleet_arr *a, const char *elem)
{
	fleet_str_add(&a->s, a->n ? "," : "{", 1);
	a->n++;
	if (!elem) {
		fleet_str_add(&a->s, "NULL", 4);
		return;
	}
	/* array_in: inside double quotes, only " and \ need a backslash */
	fleet_str_add(&a->s, "\"", 1);
	for (const char *p = elem; *p; p++) {
		if (*p == '"' || *p == '\\')
			fleet_str_add(&a->s, "\\", 1);
		fleet_str_add(&a->s, p, 1);
	}
	fleet_str_add(&a->s, "\"", 1);
}

const char *
fleet_arr_done(struct fleet_arr *a)
{
	fleet_str_add(&a->s, a->n ? "}" : "{}", a->n ? 1 : 2);
	return a->s.oom ? NULL : a->s.p;
}

void
fleet_arr_free(struct fleet_arr *a)
{
	fleet_str_free(&a->s);
	a->n = 0;
}

const char *
fleet_lease_state(unsigned kind)
{
	switch (kind) {
	case LEASE_EV_GRANT:
	case LEASE_EV_RENEW:
		return "bound";
	case LEASE_EV_RELEASE:
		return "released";
	case LEASE_EV_DECLINE:
		return "declined";
	case LEASE_EV_EXPIRE:
		return "expired";
	default:
		return "?";
	}
}

void
fleet_lease_batch_add(struct fleet_lease_batch *b, const struct lease_event *ev)
{
	char ip[16], mac[18], exp[24], seq[24], ts[24], host[sizeof(ev->hostname)];
	size_t k = 0;

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", ev->ip >> 24, (ev->ip >> 16) & 255,
		 (ev->ip >> 8) & 255, ev->ip & 255);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ev->mac[0], ev->mac[1],
		 ev->mac[2], ev->mac[3], ev->mac[4], ev->mac[5]);
	snprintf(exp, sizeof(exp), "%" PRIu64, ev->expires_ms);
	snprintf(seq, sizeof(seq), "%" PRIu64, ev->seq);
	snprintf(ts, sizeof(ts), "%" PRIu64, ev->ts_ms);
	fleet_arr_add(&b->col[FL_IP], ip);
	fleet_arr_add(&b->col[FL_MAC], mac);
	fleet_arr_add(&b->col[FL_STATE], fleet_lease_state(ev->kind));
	fleet_arr_add(&b->col[FL_EXPIRES_MS], exp);
	fleet_arr_add(&b->col[FL_SEQ], seq);
	fleet_arr_add(&b->col[FL_TS_MS], ts);
	/* The dataplane sanitised it already; a byte PostgreSQL would refuse
	 * as text (not UTF-8, NUL) must not poison a whole batch that the
	 * shipper would then retry forever: printable ASCII only. */
	for (; k + 1 < sizeof(host) && ev->hostname[k]; k++)
		host[k] = ev->hostname[k] > 0x20 && ev->hostname[k] < 0x7f ? ev->hostname[k] : '?';
	host[k] = '\0';
	fleet_arr_add(&b->col[FL_HOSTNAME], k ? host : NULL);
	b->n++;
}

bool
fleet_lease_batch_done(struct fleet_lease_batch *b, const char *vals[FL_COL_MAX])
{
	bool ok = true;

	for (unsigned i = 0; i < FL_COL_MAX; i++)
		ok &= (vals[i] = fleet_arr_done(&b->col[i])) != NULL;
	return ok;
}

void
fleet_lease_batch_free(struct fleet_lease_batch *b)
{
	for (unsigned i = 0; i < FL_COL_MAX; i++)
		fleet_arr_free(&b->col[i]);
	b->n = 0;
}
