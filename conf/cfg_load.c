/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The schema walk: YAML tree (conf/cfg_yaml.c) -> struct cfg.
 *
 * Each section is a table of keys (struct kdef): a type that says how to
 * read the scalar and where to store it, or a function for structured
 * values.  The walk never stops at the first problem: every error is
 * collected with its file:line:col, and a key with a bad value keeps its
 * default so later checks still run on something sensible.
 * Defaults are set by cfg_defaults() and documented in conf/README.md.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/cfg_priv.h"
#include "shm/shm.h"

/* ------------------------------------------------------------------ */
/* Errors */

const char *
cfg_errs_intern(struct cfg_errs *errs, const char *name)
{
	for (size_t i = 0; i < errs->n_files; i++)
		if (!strcmp(errs->files[i], name))
			return errs->files[i];
	char **f = realloc(errs->files, (errs->n_files + 1) * sizeof(*f));
	if (!f)
		return "?";
	errs->files = f;
	if (!(f[errs->n_files] = strdup(name)))
		return "?";
	return f[errs->n_files++];
}

const char *
cfg_intern(struct cfg *c, const char *name)
{
	for (size_t i = 0; i < c->n_files; i++)
		if (!strcmp(c->files[i], name))
			return c->files[i];
	char **f = realloc(c->files, (c->n_files + 1) * sizeof(*f));
	if (!f)
		return "?";
	c->files = f;
	if (!(f[c->n_files] = strdup(name)))
		return "?";
	return f[c->n_files++];
}

static void
err_vadd(struct cfg_errs *errs, const struct cfg_loc *loc, const char *fmt, va_list ap)
{
	if (errs->n >= CFG_MAX_ERRS) {
		errs->dropped++;
		return;
	}
	if (errs->n == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 16;
		struct cfg_err *v = realloc(errs->v, cap * sizeof(*v));
		if (!v) {
			errs->dropped++;
			return;
		}
		errs->v = v;
		errs->cap = cap;
	}
	struct cfg_err *e = &errs->v[errs->n++];
	e->loc = *loc;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void
cfg_err_add(struct cfg_errs *errs, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vadd(errs, loc, fmt, ap);
	va_end(ap);
}

struct cfg_loc
ld_loc(const struct ld *l, const struct ynode *n)
{
	struct cfg_loc loc = { .file = l->file, .line = 1, .col = 1 };
	if (n) {
		loc.line = n->line;
		loc.col = n->col;
	}
	return loc;
}

void
ld_err(struct ld *l, const struct ynode *n, const char *fmt, ...)
{
	struct cfg_loc loc = ld_loc(l, n);
	va_list ap;
	va_start(ap, fmt);
	err_vadd(l->errs, &loc, fmt, ap);
	va_end(ap);
}

void
ld_err_at(struct ld *l, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vadd(l->errs, loc, fmt, ap);
	va_end(ap);
}

void
cfg_errs_print(const struct cfg_errs *errs, FILE *f)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct cfg_err *e = &errs->v[i];
		fprintf(f, "%s:%u:%u: error: %s\n", e->loc.file ? e->loc.file : "?",
			e->loc.line, e->loc.col, e->msg);
	}
	if (errs->dropped)
		fprintf(f, "(%zu more errors not shown)\n", errs->dropped);
}

void
cfg_errs_free(struct cfg_errs *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n_files; i++)
		free(errs->files[i]);
	free(errs->files);
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

/* ------------------------------------------------------------------ */
/* Tree helpers */

const struct ynode *
ygetkey(const struct ynode *map, const char *key)
{
	if (!map || map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->s, key))
			return map->kids[i];
	return NULL;
}

const struct ynode *
yget(const struct ynode *map, const char *key)
{
	if (!map || map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->s, key))
			return map->kids[i + 1];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Key tables */

enum kt {
	KT_STR = 0,	/* char * */
	KT_PATH,	/* char *, made absolute against the config dir */
	KT_U32,		/* uint32_t in [min, max] */
	KT_U16,		/* uint16_t in [min, max] */
	KT_BOOL,	/* bool */
	KT_DUR_S,	/* uint32_t seconds */
	KT_DUR_MS,	/* uint32_t milliseconds */
	KT_IP,		/* uint32_t host order */
	KT_FN,		/* fn(l, value, obj) */
	KT_MAX
};

struct kdef {
	const char *key;
	uint8_t t;
	size_t off;
	uint32_t min, max;
	void (*fn)(struct ld *l, const struct ynode *v, void *obj);
};

#define K(key, t, st, field, min, max) { key, t, offsetof(st, field), min, max, NULL }
#define KF(key, f) { key, KT_FN, 0, 0, 0, f }

static bool
want_scalar(struct ld *l, const char *ctx, const char *key, const struct ynode *v)
{
	if (v->type == Y_SCALAR)
		return true;
	ld_err(l, v, "%s.%s: expected a scalar, got %s", ctx, key, ytype_name(v));
	return false;
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
}

char *
cfg_abs_path(const struct cfg *c, const char *p)
{
	if (p[0] == '/' || !c->base_dir)
		return strdup(p);
	size_t n = strlen(c->base_dir) + strlen(p) + 2;
	char *r = malloc(n);
	if (!r)
		return NULL;
	snprintf(r, n, "%s/%s", c->base_dir, p);
	return r;
}

static void
key_scalar(struct ld *l, const char *ctx, const struct kdef *d, const struct ynode *v,
	   void *obj)
{
	uint8_t *base = obj;
	const char *s = v->s;
	uint64_t ms;
	uint32_t u;
	bool b;

	switch (d->t) {
	case KT_STR:
		set_str((char **)(base + d->off), s);
		return;
	case KT_PATH:
		free(*(char **)(base + d->off));
		*(char **)(base + d->off) = cfg_abs_path(l->c, s);
		return;
	case KT_U32:
	case KT_U16:
		if (cfgp_u32(s, d->min, d->max, &u) < 0) {
			ld_err(l, v, "%s.%s: expected an integer in [%u, %u], got '%s'", ctx,
			       d->key, d->min, d->max, s);
			return;
		}
		if (d->t == KT_U32)
			*(uint32_t *)(base + d->off) = u;
		else
			*(uint16_t *)(base + d->off) = (uint16_t)u;
		return;
	case KT_BOOL:
		if (cfgp_bool(s, &b) < 0) {
			ld_err(l, v, "%s.%s: expected true or false, got '%s'", ctx, d->key, s);
			return;
		}
		*(bool *)(base + d->off) = b;
		return;
	case KT_DUR_S:
	case KT_DUR_MS:
		if (cfgp_duration_ms(s, &ms) < 0) {
			ld_err(l, v,
			       "%s.%s: bad duration '%s' (examples: 30s, 10m, 1h, 1d, 2ms, "
			       "or seconds)",
			       ctx, d->key, s);
			return;
		}
		if (d->t == KT_DUR_S && ms % 1000) {
			ld_err(l, v, "%s.%s: '%s' is not a whole number of seconds", ctx,
			       d->key, s);
			return;
		}
		u = (uint32_t)(d->t == KT_DUR_S ? ms / 1000 : (ms > UINT32_MAX ? 0 : ms));
		if ((d->t == KT_DUR_MS && ms > UINT32_MAX) || u < d->min || u > d->max) {
			ld_err(l, v, "%s.%s: duration '%s' out of range", ctx, d->key, s);
			return;
		}
		*(uint32_t *)(base + d->off) = u;
		return;
	case KT_IP:
		if (cfgp_ip(s, &u) < 0) {
			ld_err(l, v, "%s.%s: bad IPv4 address '%s'", ctx, d->key, s);
			return;
		}
		*(uint32_t *)(base + d->off) = u;
		return;
	default:
		return;
	}
}

/* Walks a mapping against a key table.  Unknown and duplicate keys are
 * errors (a typo like "lease_tme" must not silently keep a default). */
static void
walk_map(struct ld *l, const struct ynode *map, void *obj, const struct kdef *defs,
	 size_t n_defs, const char *ctx)
{
	if (map->type != Y_MAP) {
		ld_err(l, map, "%s: expected a mapping, got %s", ctx, ytype_name(map));
		return;
	}
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *v = map->kids[i + 1];
		const struct kdef *d = NULL;
		for (size_t j = 0; j < n_defs; j++)
			if (!strcmp(defs[j].key, k->s))
				d = &defs[j];
		if (!d) {
			ld_err(l, k, "unknown key '%s' in %s", k->s, ctx);
			continue;
		}
		const struct ynode *first = ygetkey(map, k->s);
		if (first != k) {
			ld_err(l, k, "duplicate key '%s' in %s (first at line %u)", k->s, ctx,
			       first->line);
			continue;
		}
		if (ynode_is_null(v))
			continue; /* "key:" with no value keeps the default */
		if (d->t == KT_FN) {
			d->fn(l, v, obj);
			continue;
		}
		if (want_scalar(l, ctx, d->key, v))
			key_scalar(l, ctx, d, v, obj);
	}
}

#define WALK(l, map, obj, defs, ctx) \
	walk_map(l, map, obj, defs, sizeof(defs) / sizeof(defs[0]), ctx)

/* ------------------------------------------------------------------ */
/* server: */

static void
fn_server_ip(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "server", "ip", v))
		return;
	if (cfgp_cidr(v->s, &c->server_ip, &c->server_prefix) < 0 || c->server_prefix == 0 ||
	    c->server_prefix > 30) {
		c->server_ip = 0;
		l->server_ip_bad = true;
		ld_err(l, v, "server.ip: bad address/prefix '%s' (expected e.g. 10.0.0.1/24)",
		       v->s);
	}
}

static void
fn_server_mac(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "server", "mac", v))
		return;
	if (cfgp_mac(v->s, c->server_mac) < 0)
		ld_err(l, v, "server.mac: bad MAC address '%s'", v->s);
	else
		c->has_server_mac = true;
}

static void
fn_instance(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "server", "instance", v))
		return;
	/* It names /dev/shm/bootstorm-<instance> and shm_hdr.instance[32]. */
	size_t n = strlen(v->s);
	bool ok = n > 0 && n < 32;
	for (size_t i = 0; ok && i < n; i++) {
		char ch = v->s[i];
		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
	}
	if (!ok)
		ld_err(l, v, "server.instance: '%s' must be 1-31 of [A-Za-z0-9_-]", v->s);
	else
		set_str(&c->instance, v->s);
}

static const struct kdef server_keys[] = {
	K("name", KT_STR, struct cfg, name, 0, 0),
	KF("instance", fn_instance),
	K("state_dir", KT_PATH, struct cfg, state_dir, 0, 0),
	KF("ip", fn_server_ip),
	KF("mac", fn_server_mac),
	K("gateway", KT_IP, struct cfg, gateway, 0, 0),
};

/* ------------------------------------------------------------------ */
/* dataplane: */

static void
fn_eal(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "dataplane.eal: expected a list of strings, got %s", ytype_name(v));
		return;
	}
	c->eal_args = calloc(v->n ? v->n : 1, sizeof(char *));
	if (!c->eal_args)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *a = v->kids[i];
		if (a->type != Y_SCALAR) {
			ld_err(l, a, "dataplane.eal[%zu]: expected a string, got %s", i,
			       ytype_name(a));
			continue;
		}
		if ((c->eal_args[c->n_eal_args] = strdup(a->s)))
			c->n_eal_args++;
	}
}

static const struct kdef port_keys[] = {
	K("dev", KT_STR, struct cfg_port, devargs, 0, 0),
	K("rx_queues", KT_U16, struct cfg_port, rx_queues, 0, 64),
};

static void
fn_ports(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "dataplane.ports: expected a list, got %s", ytype_name(v));
		return;
	}
	c->ports = calloc(v->n ? v->n : 1, sizeof(*c->ports));
	if (!c->ports)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i];
		struct cfg_port *p = &c->ports[c->n_ports];
		char ctx[48];
		snprintf(ctx, sizeof(ctx), "dataplane.ports[%zu]", i);
		p->loc = ld_loc(l, m);
		p->loc.file = l->cfile;
		if (m->type == Y_SCALAR && !ynode_is_null(m)) { /* "- dev" shorthand */
			p->devargs = strdup(m->s);
		} else {
			WALK(l, m, p, port_keys, ctx);
			if (m->type == Y_MAP && !p->devargs) {
				ld_err(l, m, "%s: 'dev' is required", ctx);
				continue;
			}
		}
		if (p->devargs)
			c->n_ports++;
	}
}

static const struct kdef dataplane_keys[] = {
	KF("eal", fn_eal),
	KF("ports", fn_ports),
	K("workers", KT_U16, struct cfg, workers, 1, 16),
	K("punt", KT_STR, struct cfg, punt_iface, 0, 0),
	K("vlan", KT_U16, struct cfg, vlan, 0, 4094),
	K("mtu", KT_U32, struct cfg, mtu, 576, 9216),
	K("idle_sleep_us", KT_U32, struct cfg, idle_sleep_us, 0, 1000000),
};

/* ------------------------------------------------------------------ */
/* dhcp: */

static void
fn_unknown(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "dhcp", "unknown_clients", v))
		return;
	if (!strcmp(v->s, "allow"))
		c->unknown_policy = SNAP_UNKNOWN_ALLOW;
	else if (!strcmp(v->s, "deny"))
		c->unknown_policy = SNAP_UNKNOWN_DENY;
	else if (!strcmp(v->s, "pxe-only"))
		c->unknown_policy = SNAP_UNKNOWN_PXE_ONLY;
	else
		ld_err(l, v, "dhcp.unknown_clients: '%s' is not one of allow, deny, pxe-only",
		       v->s);
}

static void
fn_subnet_cidr(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_subnet *s = obj;
	if (!want_scalar(l, "subnet", "subnet", v))
		return;
	if (cfgp_cidr(v->s, &s->net, &s->prefix) < 0) {
		ld_err(l, v, "subnet: bad network '%s' (expected e.g. 10.0.0.0/24)", v->s);
		return;
	}
	s->mask = s->prefix ? ~0u << (32 - s->prefix) : 0;
	if (s->net & ~s->mask)
		ld_err(l, v, "subnet: '%s' has host bits set", v->s);
	s->net &= s->mask;
}

static void
fn_dns(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_subnet *s = obj;
	const struct ynode *one[1] = { v };
	const struct ynode *const *items = one;
	size_t n = 1;
	if (v->type == Y_SEQ) {
		items = (const struct ynode *const *)v->kids;
		n = v->n;
	}
	if (n > 4) {
		ld_err(l, v, "subnet.dns: at most 4 servers, got %zu", n);
		n = 4;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t ip;
		if (items[i]->type != Y_SCALAR || cfgp_ip(items[i]->s, &ip) < 0) {
			ld_err(l, items[i], "subnet.dns: bad IPv4 address '%s'",
			       items[i]->type == Y_SCALAR ? items[i]->s : ytype_name(items[i]));
			continue;
		}
		s->dns[s->n_dns++] = ip;
	}
}

static void
fn_pools(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_subnet *s = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "subnet.pools: expected a list of ranges, got %s", ytype_name(v));
		return;
	}
	s->pools = calloc(v->n ? v->n : 1, sizeof(*s->pools));
	if (!s->pools)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *p = v->kids[i];
		struct cfg_pool *pl = &s->pools[s->n_pools];
		if (p->type != Y_SCALAR || cfgp_ip_range(p->s, &pl->lo, &pl->hi) < 0) {
			ld_err(l, p, "subnet.pools: bad range '%s' (expected a.b.c.d-e.f.g.h)",
			       p->type == Y_SCALAR ? p->s : ytype_name(p));
			continue;
		}
		pl->loc = ld_loc(l, p);
		pl->loc.file = l->cfile;
		if (pl->lo > pl->hi) {
			char a[16], b[16];
			ld_err(l, p, "subnet.pools: range %s-%s is reversed",
			       cfgp_ip_str(pl->lo, a), cfgp_ip_str(pl->hi, b));
			continue;
		}
		s->n_pools++;
	}
}

static const struct kdef subnet_keys[] = {
	KF("subnet", fn_subnet_cidr),
	K("router", KT_IP, struct cfg_subnet, router, 0, 0),
	KF("dns", fn_dns),
	K("ntp", KT_IP, struct cfg_subnet, ntp, 0, 0),
	K("domain", KT_STR, struct cfg_subnet, domain, 0, 0),
	K("lease_time", KT_DUR_S, struct cfg_subnet, lease_s, 10, UINT32_MAX),
	K("renew_time", KT_DUR_S, struct cfg_subnet, renew_s, 1, UINT32_MAX),
	K("rebind_time", KT_DUR_S, struct cfg_subnet, rebind_s, 1, UINT32_MAX),
	KF("pools", fn_pools),
	K("max_dynamic", KT_U32, struct cfg_subnet, max_dynamic, 0, UINT32_MAX),
	K("next_server", KT_IP, struct cfg_subnet, next_server, 0, 0),
	K("mtu", KT_U32, struct cfg_subnet, mtu, 68, 65535),
};

static void
fn_subnets(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "dhcp.subnets: expected a list, got %s", ytype_name(v));
		return;
	}
	c->subnets = calloc(v->n ? v->n : 1, sizeof(*c->subnets));
	l->sub_map = calloc(v->n ? v->n : 1, sizeof(*l->sub_map));
	if (!c->subnets || !l->sub_map)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i];
		struct cfg_subnet *s = &c->subnets[c->n_subnets];
		char ctx[48];
		snprintf(ctx, sizeof(ctx), "dhcp.subnets[%zu]", i);
		if (m->type != Y_MAP) {
			ld_err(l, m, "%s: expected a mapping, got %s", ctx, ytype_name(m));
			continue;
		}
		s->loc = ld_loc(l, m);
		s->loc.file = l->cfile;
		WALK(l, m, s, subnet_keys, ctx);
		if (!yget(m, "subnet") || ynode_is_null(yget(m, "subnet"))) {
			ld_err(l, m, "%s: 'subnet' is required", ctx);
			free(s->pools);
			free(s->domain);
			memset(s, 0, sizeof(*s));
			continue;
		}
		l->sub_map[c->n_subnets++] = m;
	}
}

static const struct kdef dhcp_keys[] = {
	KF("unknown_clients", fn_unknown),
	K("proxy", KT_BOOL, struct cfg, proxy_dhcp, 0, 0),
	K("lease_time", KT_DUR_S, struct cfg, lease_s, 10, UINT32_MAX),
	K("renew_time", KT_DUR_S, struct cfg, renew_s, 1, UINT32_MAX),
	K("rebind_time", KT_DUR_S, struct cfg, rebind_s, 1, UINT32_MAX),
	K("offer_hold", KT_DUR_S, struct cfg, offer_hold_s, 1, 3600),
	K("decline_hold", KT_DUR_S, struct cfg, decline_hold_s, 1, UINT32_MAX),
	K("max_dynamic", KT_U32, struct cfg, max_dynamic, 0, UINT32_MAX),
	K("max_leases", KT_U32, struct cfg, max_leases, 16, 1u << 24),
	KF("subnets", fn_subnets),
};

/* ------------------------------------------------------------------ */
/* boot: (and the per-profile files map) */

const char *
cfg_arch_name(unsigned arch)
{
	static const char *const names[] = {
#define X(n, s) s,
		SNAP_ARCH_LIST(X)
#undef X
	};
	return arch < SNAP_ARCH_MAX ? names[arch] : NULL;
}

static void
arch_files(struct ld *l, const struct ynode *v, char **files, const char *ctx)
{
	if (v->type != Y_MAP) {
		ld_err(l, v, "%s.files: expected a mapping of arch: file, got %s", ctx,
		       ytype_name(v));
		return;
	}
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *f = v->kids[i + 1];
		unsigned a;
		for (a = 0; a < SNAP_ARCH_MAX; a++)
			if (!strcmp(k->s, cfg_arch_name(a)))
				break;
		if (a == SNAP_ARCH_MAX) {
			ld_err(l, k,
			       "%s.files: unknown architecture '%s' (bios, efi-ia32, efi-x64, "
			       "efi-arm32, efi-arm64, http-x64, http-arm64, ipxe)",
			       ctx, k->s);
			continue;
		}
		if (f->type != Y_SCALAR || ynode_is_null(f)) {
			ld_err(l, f, "%s.files.%s: expected a file name or URL, got %s", ctx, k->s,
			       ytype_name(f));
			continue;
		}
		set_str(&files[a], f->s);
	}
}

static void
fn_boot_files(struct ld *l, const struct ynode *v, void *obj)
{
	arch_files(l, v, ((struct cfg *)obj)->boot_file, "boot");
}

static const struct kdef boot_keys[] = {
	K("next_server", KT_IP, struct cfg, next_server, 0, 0),
	K("default_profile", KT_STR, struct cfg, default_profile, 0, 0),
	KF("files", fn_boot_files),
	K("ipxe", KT_STR, struct cfg, ipxe_url, 0, 0),
};

/* ------------------------------------------------------------------ */
/* tftp:, http:, journal: */

static void
fn_tftp_ports(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "tftp", "ports", v))
		return;
	if (cfgp_u32_range(v->s, 1024, 65535, &c->tftp_port_lo, &c->tftp_port_hi) < 0) {
		c->tftp_port_lo = 40000;
		c->tftp_port_hi = 59999;
		ld_err(l, v, "tftp.ports: bad port range '%s' (expected lo-hi within 1024-65535)",
		       v->s);
	}
}

static void
fn_tftp_root(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "tftp", "root", v))
		return;
	free(c->tftp_root);
	c->tftp_root = cfg_abs_path(c, v->s);
	l->tftp_root_set = true;
}

static const struct kdef tftp_keys[] = {
	KF("root", fn_tftp_root),
	K("max_blksize", KT_U32, struct cfg, tftp_max_blksize, 512, 65464),
	K("max_windowsize", KT_U32, struct cfg, tftp_max_windowsize, 1, 65535),
	K("timeout", KT_DUR_MS, struct cfg, tftp_timeout_ms, 10, 255000),
	K("retries", KT_U32, struct cfg, tftp_retries, 0, 100),
	KF("ports", fn_tftp_ports),
	K("max_transfers", KT_U32, struct cfg, tftp_max_transfers, 1, 10000000),
	K("max_per_client", KT_U32, struct cfg, tftp_max_per_client, 1, 1024),
};

static void
fn_listen(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "http", "listen", v))
		return;
	if (cfgp_listen(v->s, &c->http_ip, &c->http_port) < 0)
		ld_err(l, v, "http.listen: bad address '%s' (expected ip:port)", v->s);
}

static void
fn_templates(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "http", "templates", v))
		return;
	free(c->templates);
	c->templates = cfg_abs_path(c, v->s);
	l->templates_set = true;
}

static void
fn_admin_network(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!want_scalar(l, "http", "admin_network", v))
		return;
	if (cfgp_cidr(v->s, &c->admin_net, &c->admin_net_prefix) < 0)
		ld_err(l, v, "http.admin_network: bad network '%s' (expected ip/prefix)", v->s);
	else
		c->has_admin_net = true;
}

static const struct kdef http_keys[] = {
	KF("listen", fn_listen),
	K("base_url", KT_STR, struct cfg, http_base_url, 0, 0),
	K("repo_root", KT_PATH, struct cfg, repo_root, 0, 0),
	KF("templates", fn_templates),
	K("kickstart_token", KT_STR, struct cfg, kickstart_token, 0, 0),
	K("max_connections", KT_U32, struct cfg, http_max_conns, 1, 1000000),
	K("admin_token_file", KT_PATH, struct cfg, admin_token_file, 0, 0),
	K("admin_local", KT_BOOL, struct cfg, admin_local, 0, 0),
	K("metrics_public", KT_BOOL, struct cfg, metrics_public, 0, 0),
	KF("admin_network", fn_admin_network),
	K("kickstart_once", KT_BOOL, struct cfg, kickstart_once, 0, 0),
};

static const struct kdef journal_keys[] = {
	K("commit_interval", KT_DUR_MS, struct cfg, journal_commit_ms, 0, 10000),
};

/* ------------------------------------------------------------------ */
/* profiles: */

static void
fn_prof_files(struct ld *l, const struct ynode *v, void *obj)
{
	arch_files(l, v, ((struct cfg_profile *)obj)->boot_file, "profile");
}

static void
fn_prof_vars(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_profile *p = obj;
	ld_vars(l, v, &p->vars, &p->n_vars);
}

static const struct kdef profile_keys[] = {
	K("name", KT_STR, struct cfg_profile, name, 0, 0),
	K("kernel", KT_STR, struct cfg_profile, kernel, 0, 0),
	K("initrd", KT_STR, struct cfg_profile, initrd, 0, 0),
	K("append", KT_STR, struct cfg_profile, append, 0, 0),
	K("kickstart", KT_STR, struct cfg_profile, kickstart, 0, 0),
	K("repo_url", KT_STR, struct cfg_profile, repo_url, 0, 0),
	KF("files", fn_prof_files),
	K("ipxe", KT_STR, struct cfg_profile, ipxe_url, 0, 0),
	KF("vars", fn_prof_vars),
	K("next_server", KT_IP, struct cfg_profile, next_server, 0, 0),
};

static void
ld_profiles(struct ld *l, const struct ynode *v)
{
	struct cfg *c = l->c;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "profiles: expected a list, got %s", ytype_name(v));
		return;
	}
	c->profiles = calloc(v->n ? v->n : 1, sizeof(*c->profiles));
	l->prof_map = calloc(v->n ? v->n : 1, sizeof(*l->prof_map));
	if (!c->profiles || !l->prof_map)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i];
		struct cfg_profile *p = &c->profiles[c->n_profiles];
		char ctx[48];
		snprintf(ctx, sizeof(ctx), "profiles[%zu]", i);
		if (m->type != Y_MAP) {
			ld_err(l, m, "%s: expected a mapping, got %s", ctx, ytype_name(m));
			continue;
		}
		p->loc = ld_loc(l, m);
		p->loc.file = l->cfile;
		WALK(l, m, p, profile_keys, ctx);
		if (!p->name || !p->name[0])
			ld_err(l, m, "%s: 'name' is required", ctx);
		/* Kept even without a name so the slot is freed with the rest;
		 * the error already fails the load. */
		l->prof_map[c->n_profiles++] = m;
	}
}

/* ------------------------------------------------------------------ */
/* Top level */

static void
fn_sec_server(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, server_keys, "server");
}
static void
fn_sec_dataplane(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, dataplane_keys, "dataplane");
}
static void
fn_sec_dhcp(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, dhcp_keys, "dhcp");
}
static void
fn_sec_boot(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, boot_keys, "boot");
}
static void
fn_sec_tftp(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, tftp_keys, "tftp");
}
static void
fn_sec_http(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, http_keys, "http");
}
static void
fn_sec_journal(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, journal_keys, "journal");
}
static void
fn_sec_profiles(struct ld *l, const struct ynode *v, void *obj)
{
	(void)obj;
	ld_profiles(l, v);
}
static void
fn_sec_nodes(struct ld *l, const struct ynode *v, void *obj)
{
	(void)obj;
	ld_nodes(l, v);
}

/* Sections are walked in file order; nothing here depends on another
 * section (references are checked afterwards by cfg_validate()). */
static const struct kdef top_keys[] = {
	KF("server", fn_sec_server),	 KF("dataplane", fn_sec_dataplane),
	KF("dhcp", fn_sec_dhcp),	 KF("boot", fn_sec_boot),
	KF("tftp", fn_sec_tftp),	 KF("http", fn_sec_http),
	KF("journal", fn_sec_journal),	 KF("profiles", fn_sec_profiles),
	KF("nodes", fn_sec_nodes),
};

/* Every optional setting's default (conf/README.md lists them). */
static int
cfg_defaults(struct cfg *c)
{
	c->name = strdup("bootstorm");
	c->instance = strdup(SHM_DEFAULT_INSTANCE);
	c->state_dir = strdup("/var/lib/bootstorm");
	c->workers = 1;
	c->mtu = 1500;
	c->idle_sleep_us = 50;
	c->unknown_policy = SNAP_UNKNOWN_ALLOW;
	c->lease_s = 3600;
	c->offer_hold_s = 30;
	c->decline_hold_s = 600;
	c->max_dynamic = 10000;
	c->max_leases = 65536;
	c->tftp_root = strdup("/srv/tftp");
	c->tftp_max_blksize = 1468;
	c->tftp_max_windowsize = 16;
	c->tftp_timeout_ms = 1000;
	c->tftp_retries = 5;
	c->tftp_port_lo = 40000;
	c->tftp_port_hi = 59999;
	c->tftp_max_transfers = 100000;
	c->tftp_max_per_client = 4;
	c->http_port = 80;
	c->repo_root = strdup("/srv/repo");
	c->templates = cfg_abs_path(c, "templates");
	c->http_max_conns = 4096;
	c->admin_local = true;
	c->metrics_public = true;
	c->kickstart_once = true;
	c->journal_commit_ms = 2;
	return c->name && c->instance && c->state_dir && c->tftp_root && c->repo_root &&
			       c->templates ?
		       0 :
		       -ENOMEM;
}

/* Fills the values that default from others once the whole file is read. */
static void
cfg_derive(struct cfg *c)
{
	if (!c->renew_s)
		c->renew_s = c->lease_s / 2;
	if (!c->rebind_s)
		c->rebind_s = (uint32_t)((uint64_t)c->lease_s * 7 / 8);
	if (!c->next_server)
		c->next_server = c->server_ip;
	for (size_t i = 0; i < c->n_subnets; i++) {
		struct cfg_subnet *s = &c->subnets[i];
		bool own_lease = s->lease_s != 0;
		if (!s->lease_s)
			s->lease_s = c->lease_s;
		if (!s->renew_s)
			s->renew_s = own_lease ? s->lease_s / 2 : c->renew_s;
		if (!s->rebind_s)
			s->rebind_s = own_lease ? (uint32_t)((uint64_t)s->lease_s * 7 / 8) :
						  c->rebind_s;
		if (!s->next_server)
			s->next_server = c->next_server;
	}
	if (!c->http_base_url && c->server_ip) {
		char ip[16], url[64];
		cfgp_ip_str(c->server_ip, ip);
		if (c->http_port == 80)
			snprintf(url, sizeof(url), "http://%s", ip);
		else
			snprintf(url, sizeof(url), "http://%s:%u", ip, c->http_port);
		c->http_base_url = strdup(url);
	}
	if (c->state_dir) {
		size_t n = strlen(c->state_dir) + sizeof("/tftp-gen");
		if ((c->tftp_gen_root = malloc(n)))
			snprintf(c->tftp_gen_root, n, "%s/tftp-gen", c->state_dir);
	}
}

/* Directory of the config file, absolute.  realpath() when it exists (so
 * snapshots carry canonical paths), else cwd-joined. */
static char *
base_dir_of(const char *name)
{
	char *tmp = strdup(name);
	if (!tmp)
		return NULL;
	char *dir = dirname(tmp);
	char *r = realpath(dir, NULL);
	if (!r) {
		char cwd[PATH_MAX];
		if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd))) {
			r = strdup(dir);
		} else {
			size_t n = strlen(cwd) + strlen(dir) + 2;
			if ((r = malloc(n)))
				snprintf(r, n, "%s/%s", cwd, dir);
		}
	}
	free(tmp);
	return r;
}

/* Position of an interned file name in errs->files: files sort in the
 * order they were first mentioned (the YAML before its CSVs). */
static size_t
file_rank(const struct cfg_errs *errs, const char *f)
{
	for (size_t i = 0; i < errs->n_files; i++)
		if (errs->files[i] == f)
			return i;
	return errs->n_files;
}

struct err_key {
	size_t file, idx;
	uint32_t line, col;
};

static int
cmp_err_key(const void *a, const void *b)
{
	const struct err_key *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Orders the errors added since `from` by file, line, column (stable), as
 * a compiler would list them. */
static void
errs_sort(struct cfg_errs *errs, size_t from)
{
	size_t n = errs->n > from ? errs->n - from : 0;
	if (n < 2)
		return;
	struct err_key *k = malloc(n * sizeof(*k));
	struct cfg_err *tmp = malloc(n * sizeof(*tmp));
	if (!k || !tmp)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct cfg_err *e = &errs->v[from + i];
		k[i] = (struct err_key){ file_rank(errs, e->loc.file), i, e->loc.line,
					 e->loc.col };
	}
	qsort(k, n, sizeof(*k), cmp_err_key);
	for (size_t i = 0; i < n; i++)
		tmp[i] = errs->v[from + k[i].idx];
	memcpy(&errs->v[from], tmp, n * sizeof(*tmp));
out:
	free(k);
	free(tmp);
}

struct cfg *
cfg_load_mem(const char *name, const char *buf, size_t len, struct cfg_errs *errs)
{
	size_t errs0 = errs->n + errs->dropped, n0 = errs->n;
	struct ld l = { .errs = errs };
	struct cfg *c = calloc(1, sizeof(*c));
	struct cfg_loc top = { .file = cfg_errs_intern(errs, name), .line = 1, .col = 1 };
	bool failed;

	l.file = top.file;
	if (!c || !(c->path = strdup(name)) || !(c->base_dir = base_dir_of(name)) ||
	    cfg_defaults(c) < 0) {
		cfg_err_add(errs, &top, "out of memory");
		cfg_free(c);
		return NULL;
	}
	l.c = c;
	l.cfile = cfg_intern(c, name);
	if (len > CFG_MAX_FILE_BYTES) {
		cfg_err_add(errs, &top, "file is larger than %u MiB", CFG_MAX_FILE_BYTES >> 20);
		cfg_free(c);
		return NULL;
	}
	struct ynode *root = ynode_parse(buf, len, l.file, errs, &failed);
	l.root = root;
	if (!failed) {
		if (!root)
			cfg_err_add(errs, &top, "empty configuration (server.ip is required)");
		else if (root->type != Y_MAP)
			ld_err(&l, root, "top level: expected a mapping, got %s",
			       ytype_name(root));
		else
			walk_map(&l, root, c, top_keys, sizeof(top_keys) / sizeof(top_keys[0]),
				 "the top level");
	}
	/* Cross checks run even after schema errors (a bad value kept its
	 * default), so one check-config run lists everything; only a file that
	 * did not parse as YAML stops here. */
	if (root && root->type == Y_MAP) {
		cfg_derive(c);
		if (cfg_build_indexes(c) < 0)
			cfg_err_add(errs, &top, "out of memory");
		else
			cfg_validate(&l);
	}
	errs_sort(errs, n0);
	ynode_free(root);
	free(l.nl);
	free(l.prof_map);
	free(l.sub_map);
	if (errs->n + errs->dropped != errs0) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

int
cfg_read_file(const char *path, char **buf, size_t *len, const char **why)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int rc;

	*buf = NULL;
	if (!f) {
		*why = strerror(errno);
		return -errno;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		rc = -EINVAL;
		goto out;
	}
	if (st.st_size > CFG_MAX_FILE_BYTES) {
		*why = "file is larger than 64 MiB";
		rc = -EFBIG;
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		*why = "out of memory";
		rc = -ENOMEM;
		goto out;
	}
	*len = fread(*buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		*why = "read error";
		rc = -EIO;
		free(*buf);
		*buf = NULL;
		goto out;
	}
	(*buf)[*len] = 0;
	rc = 0;
out:
	fclose(f);
	return rc;
}

struct cfg *
cfg_load(const char *path, struct cfg_errs *errs)
{
	char *buf;
	size_t len;
	const char *why;
	if (cfg_read_file(path, &buf, &len, &why) < 0) {
		struct cfg_loc loc = { .file = cfg_errs_intern(errs, path), .line = 1, .col = 1 };
		cfg_err_add(errs, &loc, "cannot read config: %s", why);
		return NULL;
	}
	struct cfg *c = cfg_load_mem(path, buf, len, errs);
	free(buf);
	return c;
}

/* ------------------------------------------------------------------ */
/* Freeing */

static void
vars_free(struct cfg_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

void
cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->name);
	free(c->instance);
	free(c->state_dir);
	for (size_t i = 0; i < c->n_eal_args; i++)
		free(c->eal_args[i]);
	free(c->eal_args);
	for (size_t i = 0; i < c->n_ports; i++)
		free(c->ports[i].devargs);
	free(c->ports);
	free(c->punt_iface);
	for (size_t i = 0; i < c->n_subnets; i++) {
		free(c->subnets[i].domain);
		free(c->subnets[i].pools);
	}
	free(c->subnets);
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
		free(c->boot_file[a]);
	free(c->ipxe_url);
	free(c->default_profile);
	free(c->tftp_root);
	free(c->http_base_url);
	free(c->repo_root);
	free(c->templates);
	free(c->kickstart_token);
	free(c->admin_token_file);
	for (size_t i = 0; i < c->n_profiles; i++) {
		struct cfg_profile *p = &c->profiles[i];
		free(p->name);
		for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
			free(p->boot_file[a]);
		free(p->ipxe_url);
		free(p->kernel);
		free(p->initrd);
		free(p->append);
		free(p->kickstart);
		free(p->repo_url);
		vars_free(p->vars, p->n_vars);
	}
	free(c->profiles);
	for (size_t i = 0; i < c->n_nodes; i++) {
		struct cfg_node *n = &c->nodes[i];
		free(n->name);
		free(n->profile);
		free(n->boot_file);
		free(n->ipxe_url);
		free(n->client_id);
		vars_free(n->vars, n->n_vars);
	}
	free(c->nodes);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	free(c->base_dir);
	free(c->by_name);
	free(c->by_mac);
	free(c->by_ip);
	free(c->tftp_gen_root);
	free(c);
}
