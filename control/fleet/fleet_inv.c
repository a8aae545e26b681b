/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The pure parts of following the fleet database (fleet_inv.h).
 */
#include "control/fleet/fleet_inv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_parse.h"

#define NODESET_MAX 1000000u /* names one expression may expand to */

bool
fleet_owns(const char *row_server, uint32_t ip, const char *me, const uint32_t *nets,
	   const uint8_t *prefixes, size_t n_nets)
{
	if (row_server && row_server[0])
		return strcmp(row_server, me) == 0;
	for (size_t i = 0; ip && i < n_nets; i++) {
		uint32_t mask = prefixes[i] ? ~0u << (32 - prefixes[i]) : 0;

		if ((ip & mask) == (nets[i] & mask))
			return true;
	}
	return false;
}

static int
by_name_seq(const void *a, const void *b)
{
	const struct fleet_inv_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool
same_row(const struct fleet_inv_row *a, const struct fleet_inv_row *b)
{
	return strcmp(a->mac, b->mac) == 0 && strcmp(a->ip, b->ip) == 0 &&
	       strcmp(a->profile, b->profile) == 0 && strcmp(a->bmc, b->bmc) == 0;
}

long
fleet_inv_merge(struct fleet_inv *t, struct fleet_inv_row *batch, size_t n, bool full)
{
	struct fleet_inv_row *out;
	size_t i = 0, j = 0, k = 0, cap = t->n + n;
	long changed = 0;

	if (n) /* qsort(NULL, 0, ...) is undefined (C11 7.22.5) */
		qsort(batch, n, sizeof(*batch), by_name_seq);
	out = malloc((cap ? cap : 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	/* two sorted lists, one pass: t's rows and the batch's (the last of
	 * each name in the batch, its highest seq, speaks for it) */
	while (i < t->n || j < n) {
		int c;

		while (j + 1 < n && strcmp(batch[j].name, batch[j + 1].name) == 0)
			j++;
		c = i >= t->n ? 1 : j >= n ? -1 : strcmp(t->r[i].name, batch[j].name);
		if (c < 0) { /* in t only */
			if (full)
				changed++;
			else
				out[k++] = t->r[i];
			i++;
			continue;
		}
		if (c == 0 || batch[j].gone || !batch[j].mine) {
			/* named by the batch: it decides */
			bool keep = !batch[j].gone && batch[j].mine;

			if (keep) {
				out[k] = batch[j];
				changed += c != 0 || !same_row(&t->r[i], &batch[j]);
				k++;
			} else if (c == 0) {
				changed++;
			}
			if (c == 0)
				i++;
			j++;
			continue;
		}
		out[k++] = batch[j++]; /* new */
		changed++;
	}
	free(t->r);
	t->r = out;
	t->n = k;
	t->cap = cap;
	return changed;
}

void
fleet_inv_free(struct fleet_inv *t)
{
	free(t->r);
	*t = (struct fleet_inv){ 0 };
}

bool
fleet_inv_csv(const struct fleet_inv *t, const char *server, struct fleet_str *out)
{
	char line[512];
	int len;

	len = snprintf(line, sizeof(line),
		       "# written by bootstorm from the fleet database (server %s): do not edit\n"
		       "name,mac,ip,profile\n",
		       server);
	fleet_str_add(out, line, (size_t)len);
	for (size_t i = 0; i < t->n; i++) {
		const struct fleet_inv_row *r = &t->r[i];

		bool bmc = r->bmc[0] && !strpbrk(r->bmc, ",\r\n");

		len = snprintf(line, sizeof(line), "%s,%s,%s,%s%s%s\n", r->name, r->mac, r->ip,
			       r->profile, bmc ? ",bmc=" : "", bmc ? r->bmc : "");
		fleet_str_add(out, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
	}
	fleet_str_add(out, "", 1); /* NUL, not counted below */
	if (!out->oom)
		out->len--;
	return !out->oom;
}

static bool
name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

long
fleet_nodeset_expand(const char *expr, struct fleet_arr *out, const char **bad)
{
	const char *p = expr;
	long total = 0;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char tok[200], name[64];
		struct cfgp_nrange r;

		*bad = p;
		if (len == 0 || len >= sizeof(tok))
			return -EINVAL;
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (!strchr(tok, '[')) {
			if (!name_ok(tok, len))
				return -EINVAL;
			fleet_arr_add(out, tok);
			total++;
		} else {
			if (cfgp_node_range(tok, &r) < 0 || r.lo > r.hi ||
			    r.hi - r.lo >= NODESET_MAX - (unsigned long)total)
				return -EINVAL;
			for (uint32_t v = r.lo;; v++) {
				int n = snprintf(name, sizeof(name), "%s%0*u%s", r.prefix, (int)r.width,
						 v, r.suffix);

				if (n < 0 || !name_ok(name, (size_t)n))
					return -EINVAL;
				fleet_arr_add(out, name);
				total++;
				if (v == r.hi)
					break;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*bad = NULL;
	return total;
}
