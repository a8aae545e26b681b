/* SPDX-License-Identifier: BSD-3-Clause
 *
 * One inventory node: the node array (grown together with the parallel
 * locations in struct ld), name/variable/client-id syntax, variables, and
 * the `name: mac: ip:` entry form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_bmc.h"
#include "conf/cfg_inv.h"
#include "util/bs_assert.h"

/* ------------------------------------------------------------------ */
/* Growing the node array */

struct cfg_node *
inv_node_add(struct ld *l, const struct cfg_loc *where, struct nloc **nl)
{
	struct cfg *c = l->c;
	if (c->n_nodes >= CFG_MAX_NODES) {
		ld_err_at(l, where, "inventory larger than %u nodes", CFG_MAX_NODES);
		return NULL;
	}
	if (c->n_nodes == l->nl_cap) {
		size_t cap = l->nl_cap ? l->nl_cap * 2 : 64;
		struct cfg_node *v = realloc(c->nodes, cap * sizeof(*v));
		if (!v)
			goto oom;
		c->nodes = v;
		struct nloc *w = realloc(l->nl, cap * sizeof(*w));
		if (!w)
			goto oom;
		l->nl = w;
		l->nl_cap = cap;
	}
	/* struct ld: nl has nl_cap slots, parallel to c->nodes. */
	BS_ASSERT(c->n_nodes < l->nl_cap);
	struct cfg_node *n = &c->nodes[c->n_nodes];
	memset(n, 0, sizeof(*n));
	*nl = &l->nl[c->n_nodes];
	memset(*nl, 0, sizeof(**nl));
	c->n_nodes++;
	return n;
oom:
	ld_err_at(l, where, "out of memory");
	return NULL;
}

/* Names end up in URLs (/ks/<name>) and file names: keep them boring. */
bool
inv_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '-' && ch != '_' && ch != '.')))
			return false;
	}
	return true;
}

bool
inv_var_key_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool
hex_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n % 2 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

int
inv_var_push(struct cfg_var **v, size_t *n, const char *key, size_t klen, const char *val)
{
	struct cfg_var *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].key = strndup(key, klen);
	nv[*n].value = strdup(val);
	if (!nv[*n].key || !nv[*n].value) {
		free(nv[*n].key);
		free(nv[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

void
ld_vars(struct ld *l, const struct ynode *map, struct cfg_var **v, size_t *n)
{
	if (map->type != Y_MAP) {
		ld_err(l, map, "vars: expected a mapping of name: value, got %s",
		       ytype_name(map));
		return;
	}
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *val = map->kids[i + 1];
		if (!inv_var_key_ok(k->s)) {
			ld_err(l, k, "vars: bad variable name '%s' (use [A-Za-z0-9_])", k->s);
			continue;
		}
		if (ygetkey(map, k->s) != k) {
			ld_err(l, k, "vars: duplicate variable '%s'", k->s);
			continue;
		}
		if (val->type != Y_SCALAR) {
			ld_err(l, val, "vars.%s: expected a scalar value, got %s", k->s,
			       ytype_name(val));
			continue;
		}
		if (inv_var_push(v, n, k->s, strlen(k->s), ynode_is_null(val) ? "" : val->s) < 0)
			ld_err(l, val, "out of memory");
	}
}

/* Scalar value of key, NULL when absent or null. */
const struct ynode *
inv_yval(const struct ynode *m, const char *key)
{
	const struct ynode *v = yget(m, key);
	return v && v->type == Y_SCALAR && !ynode_is_null(v) ? v : NULL;
}

/* bmc: a URL, "{name}" replaced by the node's name (one row serves a
 * range: "ipmi://{name}-bmc").  Checked here, so check-config refuses a
 * bad one at its line and column. */
static void
inv_bmc(struct ld *l, const struct ynode *v, struct cfg_node *n)
{
	char url[512];
	const char *t = strstr(v->s, "{name}");
	if (t)
		snprintf(url, sizeof(url), "%.*s%s%s", (int)(t - v->s), v->s, n->name, t + 6);
	else
		snprintf(url, sizeof(url), "%s", v->s);
	struct bmc_addr a;
	const char *why = NULL;
	if (cfgp_bmc_url(url, &a, &why) < 0) {
		ld_err(l, v, "bmc: bad BMC URL '%s': %s", url, why);
		return;
	}
	n->bmc = strdup(url);
}

/* Fields shared by one-node and range entries (profile, overrides, vars). */
void
inv_entry_common(struct ld *l, const struct ynode *m, struct cfg_node *n, struct nloc *nl)
{
	const struct ynode *v;
	if ((v = inv_yval(m, "profile"))) {
		n->profile = strdup(v->s);
		nl->profile = ld_loc(l, v);
	}
	if ((v = inv_yval(m, "boot_file"))) {
		n->boot_file = strdup(v->s);
		nl->boot_file = ld_loc(l, v);
	}
	if ((v = inv_yval(m, "ipxe")))
		n->ipxe_url = strdup(v->s);
	if ((v = inv_yval(m, "bmc")))
		inv_bmc(l, v, n);
	if ((v = yget(m, "vars")) && !ynode_is_null(v))
		ld_vars(l, v, &n->vars, &n->n_vars);
}

void
inv_entry_one(struct ld *l, const struct ynode *m, const char *ctx)
{
	const struct ynode *vn = inv_yval(m, "name"), *vm = inv_yval(m, "mac"), *vi = inv_yval(m, "ip"),
			   *vc = inv_yval(m, "client_id");
	bool ok = true;
	uint8_t mac[6];
	uint32_t ip = 0;

	if (!vn) {
		ld_err(l, m, "%s: 'name' is required", ctx);
		ok = false;
	} else if (!inv_name_ok(vn->s)) {
		ld_err(l, vn, "%s.name: '%s' must be 1-63 of [A-Za-z0-9._-], starting "
			      "alphanumeric", ctx, vn->s);
		ok = false;
	}
	if (!vm) {
		ld_err(l, m, "%s: 'mac' is required", ctx);
		ok = false;
	} else if (cfgp_mac(vm->s, mac) < 0) {
		ld_err(l, vm, "%s.mac: bad MAC address '%s'", ctx, vm->s);
		ok = false;
	}
	if (vi && cfgp_ip(vi->s, &ip) < 0) {
		ld_err(l, vi, "%s.ip: bad IPv4 address '%s'", ctx, vi->s);
		ok = false;
	}
	if (vc && !hex_ok(vc->s)) {
		ld_err(l, vc, "%s.client_id: '%s' must be 2-64 hex digits", ctx, vc->s);
		ok = false;
	}
	if (!ok)
		return;
	struct cfg_loc where = ld_loc(l, m);
	struct nloc *nl;
	struct cfg_node *n = inv_node_add(l, &where, &nl);
	if (!n)
		return;
	n->loc = where;
	n->loc.file = l->cfile;
	n->name = strdup(vn->s);
	memcpy(n->mac, mac, 6);
	n->has_ip = vi != NULL;
	n->ip = ip;
	if (vc)
		n->client_id = strdup(vc->s);
	nl->name = ld_loc(l, vn);
	nl->mac = ld_loc(l, vm);
	nl->ip = ld_loc(l, vi ? vi : m);
	nl->profile = ld_loc(l, m);
	nl->boot_file = nl->profile;
	inv_entry_common(l, m, n, nl);
}
