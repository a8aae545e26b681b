/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Cross checks run once the schema walk found no error: references
 * (profiles), address plans (pools inside subnets, no overlaps, no
 * reservation inside a dynamic pool), inventory duplicates, and files the
 * servers will be asked for (boot files under tftp.root, templates).
 * Every check reports and carries on, so one run lists every problem.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/cfg_priv.h"

/* A location stored in struct cfg (file interned there) re-interned in errs,
 * so the error outlives the config. */
static struct cfg_loc
eloc(struct ld *l, const struct cfg_loc *loc)
{
	struct cfg_loc r = *loc;
	r.file = cfg_errs_intern(l->errs, loc->file ? loc->file : l->file);
	return r;
}

static const char *
loc_str(const struct cfg_loc *loc, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s:%u:%u", loc->file, loc->line, loc->col);
	return buf;
}

static bool
is_dir(const char *p)
{
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
file_in(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ------------------------------------------------------------------ */
/* Server, lease times */

static void
check_times(struct ld *l, const struct ynode *at, const char *ctx, uint32_t lease,
	    uint32_t renew, uint32_t rebind)
{
	/* RFC 2131 4.4.5: T1 < T2 < lease, or clients renew after expiry. */
	if (!(renew < rebind && rebind < lease))
		ld_err(l, at,
		       "%s: need renew_time (%us) < rebind_time (%us) < lease_time (%us)", ctx,
		       renew, rebind, lease);
}

static void
check_server(struct ld *l)
{
	const struct cfg *c = l->c;
	const struct ynode *srv = ygetkey(l->root, "server");
	if (!c->server_ip && !l->server_ip_bad)
		ld_err(l, srv, "server.ip is required (e.g. ip: 10.0.0.1/24)");
	check_times(l, ygetkey(l->root, "dhcp"), "dhcp", c->lease_s, c->renew_s, c->rebind_s);
}

/* ------------------------------------------------------------------ */
/* Subnets and pools */

struct pref {
	const struct cfg_pool *p;
	const struct cfg_subnet *s;
};

static int
cmp_pool(const void *a, const void *b)
{
	const struct pref *x = a, *y = b;
	if (x->p->lo != y->p->lo)
		return x->p->lo < y->p->lo ? -1 : 1;
	return x->p->loc.line < y->p->loc.line ? -1 : (x->p->loc.line > y->p->loc.line);
}

static void
check_pool(struct ld *l, const struct cfg_subnet *s, const struct cfg_pool *p)
{
	const struct cfg *c = l->c;
	struct cfg_loc at = eloc(l, &p->loc);
	char lo[16], hi[16], net[16];
	cfgp_ip_str(p->lo, lo);
	cfgp_ip_str(p->hi, hi);
	cfgp_ip_str(s->net, net);
	if ((p->lo & s->mask) != s->net || (p->hi & s->mask) != s->net) {
		ld_err_at(l, &at, "pool %s-%s is outside subnet %s/%u", lo, hi, net, s->prefix);
		return;
	}
	if (s->prefix <= 30 && (p->lo == s->net || p->hi == (s->net | ~s->mask)))
		ld_err_at(l, &at,
			  "pool %s-%s includes the network or broadcast address of %s/%u", lo,
			  hi, net, s->prefix);
	if (c->server_ip >= p->lo && c->server_ip <= p->hi)
		ld_err_at(l, &at, "pool %s-%s includes the server address", lo, hi);
}

static void
check_subnets(struct ld *l, struct pref **pools_out, size_t *n_out)
{
	const struct cfg *c = l->c;
	size_t np = 0;
	for (size_t i = 0; i < c->n_subnets; i++)
		np += c->subnets[i].n_pools;
	struct pref *pv = calloc(np ? np : 1, sizeof(*pv));
	if (!pv)
		return;
	np = 0;
	for (size_t i = 0; i < c->n_subnets; i++) {
		const struct cfg_subnet *s = &c->subnets[i];
		char ctx[40], a[16], b[16];
		snprintf(ctx, sizeof(ctx), "dhcp.subnets[%zu]", i);
		/* Only a subnet that sets its own times; inherited ones were
		 * checked (and reported) under dhcp:. */
		if (yget(l->sub_map[i], "lease_time") || yget(l->sub_map[i], "renew_time") ||
		    yget(l->sub_map[i], "rebind_time"))
			check_times(l, l->sub_map[i], ctx, s->lease_s, s->renew_s, s->rebind_s);
		for (size_t j = 0; j < i; j++) {
			const struct cfg_subnet *t = &c->subnets[j];
			uint32_t m = s->mask & t->mask; /* the wider of the two */
			if ((s->net & m) == (t->net & m)) {
				struct cfg_loc at = eloc(l, &s->loc);
				ld_err_at(l, &at, "subnet %s/%u overlaps subnet %s/%u (line %u)",
					  cfgp_ip_str(s->net, a), s->prefix,
					  cfgp_ip_str(t->net, b), t->prefix, t->loc.line);
			}
		}
		for (size_t k = 0; k < s->n_pools; k++) {
			check_pool(l, s, &s->pools[k]);
			pv[np++] = (struct pref){ &s->pools[k], s };
		}
	}
	qsort(pv, np, sizeof(*pv), cmp_pool);
	/* Sorted by start: a pool overlaps a previous one iff it starts at or
	 * before the highest end seen so far. */
	uint32_t max_hi = 0;
	const struct cfg_pool *max_p = NULL;
	for (size_t i = 0; i < np; i++) {
		const struct cfg_pool *p = pv[i].p;
		if (max_p && p->lo <= max_hi) {
			char a[16], b[16], x[16], y[16];
			struct cfg_loc at = eloc(l, &p->loc);
			ld_err_at(l, &at, "pool %s-%s overlaps pool %s-%s (line %u)",
				  cfgp_ip_str(p->lo, a), cfgp_ip_str(p->hi, b),
				  cfgp_ip_str(max_p->lo, x), cfgp_ip_str(max_p->hi, y),
				  max_p->loc.line);
		}
		if (!max_p || p->hi > max_hi) {
			max_hi = p->hi;
			max_p = p;
		}
	}
	*pools_out = pv;
	*n_out = np;
}

/* ------------------------------------------------------------------ */
/* Files and paths */

/* A boot file: URLs are served elsewhere; plain names must stay under the
 * TFTP root and exist there (a missing pxelinux.0 is the classic "PXE-T01
 * File not found" that otherwise shows only when a machine boots). */
static void
check_boot_file(struct ld *l, const struct cfg_loc *at, const char *ctx, const char *f,
		bool root_ok)
{
	const struct cfg *c = l->c;
	if (cfgp_is_url(f))
		return;
	if (!cfgp_path_inside(f)) {
		ld_err_at(l, at, "%s: path '%s' is outside its root (tftp.root)", ctx, f);
		return;
	}
	if (root_ok && !file_in(c->tftp_root, f))
		ld_err_at(l, at, "%s: boot file '%s' not found under tftp root %s", ctx, f,
			  c->tftp_root);
}

static bool
any_plain_boot_file(const struct cfg *c)
{
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
		if (c->boot_file[a] && !cfgp_is_url(c->boot_file[a]))
			return true;
	for (size_t i = 0; i < c->n_profiles; i++)
		for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
			if (c->profiles[i].boot_file[a] &&
			    !cfgp_is_url(c->profiles[i].boot_file[a]))
				return true;
	return false;
}

static bool
check_tftp_root(struct ld *l)
{
	const struct cfg *c = l->c;
	if (!l->tftp_root_set && !any_plain_boot_file(c))
		return false;
	if (is_dir(c->tftp_root))
		return true;
	const struct ynode *v = yget(yget(l->root, "tftp"), "root");
	ld_err(l, v ? v : ygetkey(l->root, "tftp"), "tftp.root: '%s' is not a directory",
	       c->tftp_root);
	return false;
}

static void
check_files_map(struct ld *l, const struct ynode *files, char *const *bf, const char *ctx,
		bool root_ok)
{
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++) {
		if (!bf[a])
			continue;
		char kctx[64];
		struct cfg_loc at = ld_loc(l, yget(files, cfg_arch_name(a)));
		snprintf(kctx, sizeof(kctx), "%s.files.%s", ctx, cfg_arch_name(a));
		check_boot_file(l, &at, kctx, bf[a], root_ok);
	}
}

/* A root-relative path in a profile (kernel, initrd: under tftp root or the
 * repo; kickstart: under http.templates) must not climb out of it. */
static void
check_rel(struct ld *l, const struct ynode *m, const char *key, const char *ctx,
	  const char *val)
{
	if (!val || cfgp_is_url(val) || cfgp_path_inside(val))
		return;
	ld_err(l, yget(m, key), "%s.%s: path '%s' is outside its root", ctx, key, val);
}

/* profiles[].http_boot: a URL, or a file control serves under /boot/
 * (the TFTP root), and not a second name for files.http-x64. */
static void
check_http_boot(struct ld *l, const struct ynode *m, const struct cfg_profile *p,
		const char *ctx, bool root_ok)
{
	char kctx[64];
	struct cfg_loc at;

	if (!p->http_boot)
		return;
	at = ld_loc(l, yget(m, "http_boot"));
	snprintf(kctx, sizeof(kctx), "%s.http_boot", ctx);
	if (p->boot_file[SNAP_ARCH_HTTP_X64])
		ld_err_at(l, &at, "%s: files.http-x64 already names the HTTP boot loader", kctx);
	else
		check_boot_file(l, &at, kctx, p->http_boot, root_ok);
}

static void
check_profiles(struct ld *l, bool root_ok)
{
	const struct cfg *c = l->c;
	bool tpl_ok = is_dir(c->templates);
	bool tpl_reported = false;
	for (size_t i = 0; i < c->n_profiles; i++) {
		const struct cfg_profile *p = &c->profiles[i];
		const struct ynode *m = l->prof_map[i];
		char ctx[40];
		snprintf(ctx, sizeof(ctx), "profiles[%zu]", i);
		if (!p->name)
			continue; /* reported by the schema walk */
		for (size_t j = 0; j < i; j++)
			if (c->profiles[j].name && !strcmp(c->profiles[j].name, p->name))
				ld_err(l, yget(m, "name"), "duplicate profile '%s' (line %u)",
				       p->name, c->profiles[j].loc.line);
		check_rel(l, m, "kernel", ctx, p->kernel);
		check_rel(l, m, "initrd", ctx, p->initrd);
		check_files_map(l, yget(m, "files"), p->boot_file, ctx, root_ok);
		check_http_boot(l, m, p, ctx, root_ok);
		if (!p->kickstart)
			continue;
		if (!cfgp_path_inside(p->kickstart)) {
			check_rel(l, m, "kickstart", ctx, p->kickstart);
		} else if (!tpl_ok) {
			if (!tpl_reported)
				ld_err(l, yget(m, "kickstart"),
				       "%s.kickstart: templates directory %s does not exist",
				       ctx, c->templates);
			tpl_reported = true;
		} else if (!file_in(c->templates, p->kickstart)) {
			ld_err(l, yget(m, "kickstart"),
			       "%s.kickstart: template '%s' not found in %s", ctx, p->kickstart,
			       c->templates);
		}
	}
}

static void
check_boot(struct ld *l, bool root_ok)
{
	const struct cfg *c = l->c;
	const struct ynode *boot = yget(l->root, "boot");
	check_files_map(l, yget(boot, "files"), c->boot_file, "boot", root_ok);
	if (c->default_profile && !cfg_profile_by_name(c, c->default_profile))
		ld_err(l, yget(boot, "default_profile"),
		       "boot.default_profile: profile '%s' not found", c->default_profile);
}

/* ------------------------------------------------------------------ */
/* Inventory */

static const struct cfg_pool *
pool_of(const struct pref *pv, size_t np, uint32_t ip)
{
	/* Pools are sorted by lo and (once checked) disjoint: binary search
	 * for the last pool starting at or below ip. */
	size_t lo = 0, hi = np;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pv[mid].p->lo <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct cfg_pool *p = pv[lo - 1].p;
	return ip <= p->hi ? p : NULL;
}

/* Indexes are sorted by key, then by node order: a run of equal keys
 * starts with the first occurrence, which every later one names. */
static void
check_dups(struct ld *l)
{
	const struct cfg *c = l->c;
	char where[300], a[18];
	uint32_t fn = 0, fm = 0, fi = 0; /* first of the current run */
	for (size_t i = 1; i < c->n_nodes; i++) {
		uint32_t x = c->by_name[i - 1], y = c->by_name[i];
		if (strcmp(c->nodes[x].name, c->nodes[y].name))
			fn = (uint32_t)i;
		else
			ld_err_at(l, &l->nl[y].name, "duplicate node name '%s' (first at %s)",
				  c->nodes[y].name,
				  loc_str(&l->nl[c->by_name[fn]].name, where, sizeof(where)));
		x = c->by_mac[i - 1];
		y = c->by_mac[i];
		if (memcmp(c->nodes[x].mac, c->nodes[y].mac, 6)) {
			fm = (uint32_t)i;
		} else {
			uint32_t f = c->by_mac[fm];
			ld_err_at(l, &l->nl[y].mac,
				  "duplicate MAC %s: node '%s' and node '%s' (first at %s)",
				  cfgp_mac_str(c->nodes[y].mac, a), c->nodes[y].name,
				  c->nodes[f].name, loc_str(&l->nl[f].mac, where, sizeof(where)));
		}
	}
	for (size_t i = 1; i < c->n_by_ip; i++) {
		uint32_t x = c->by_ip[i - 1], y = c->by_ip[i];
		if (c->nodes[x].ip != c->nodes[y].ip) {
			fi = (uint32_t)i;
		} else {
			uint32_t f = c->by_ip[fi];
			ld_err_at(l, &l->nl[y].ip,
				  "duplicate IP %s: node '%s' and node '%s' (first at %s)",
				  cfgp_ip_str(c->nodes[y].ip, a), c->nodes[y].name,
				  c->nodes[f].name, loc_str(&l->nl[f].ip, where, sizeof(where)));
		}
	}
}

static bool
in_some_subnet(const struct cfg *c, uint32_t ip)
{
	for (size_t i = 0; i < c->n_subnets; i++)
		if ((ip & c->subnets[i].mask) == c->subnets[i].net)
			return true;
	return false;
}

static void
check_nodes(struct ld *l, const struct pref *pv, size_t np, bool root_ok)
{
	const struct cfg *c = l->c;
	const char *last_missing = NULL;
	check_dups(l);
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct cfg_node *n = &c->nodes[i];
		const struct nloc *nl = &l->nl[i];
		char a[16], b[16], d[16];
		/* A range shares one profile: report a missing one once. */
		if (n->profile && !cfg_profile_by_name(c, n->profile) &&
		    !(last_missing && !strcmp(last_missing, n->profile) && i &&
		      l->nl[i - 1].profile.line == nl->profile.line &&
		      l->nl[i - 1].profile.file == nl->profile.file)) {
			ld_err_at(l, &nl->profile, "node '%s': profile '%s' not found", n->name,
				  n->profile);
			last_missing = n->profile;
		}
		if (n->boot_file && (i == 0 || l->nl[i - 1].boot_file.line != nl->boot_file.line ||
				     l->nl[i - 1].boot_file.file != nl->boot_file.file)) {
			char ctx[96];
			snprintf(ctx, sizeof(ctx), "node '%s' boot_file", n->name);
			check_boot_file(l, &nl->boot_file, ctx, n->boot_file, root_ok);
		}
		if (!n->has_ip)
			continue;
		const struct cfg_pool *p = pool_of(pv, np, n->ip);
		if (p)
			ld_err_at(l, &nl->ip,
				  "node '%s': reserved address %s is inside dynamic pool %s-%s",
				  n->name, cfgp_ip_str(n->ip, a), cfgp_ip_str(p->lo, b),
				  cfgp_ip_str(p->hi, d));
		else if (c->n_subnets && !c->proxy_dhcp && !in_some_subnet(c, n->ip))
			ld_err_at(l, &nl->ip, "node '%s': address %s is in no dhcp subnet",
				  n->name, cfgp_ip_str(n->ip, a));
	}
}

void
cfg_validate(struct ld *l)
{
	struct pref *pv = NULL;
	size_t np = 0;
	check_server(l);
	check_subnets(l, &pv, &np);
	bool root_ok = check_tftp_root(l);
	check_boot(l, root_ok);
	check_profiles(l, root_ok);
	check_nodes(l, pv, np, root_ok);
	free(pv);
}
