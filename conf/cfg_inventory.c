/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The inventory: `nodes:` entries in their three forms (one node, a name
 * range, a CSV file), node/profile variables, and the sorted indexes behind
 * cfg_node_by_name/ip/mac (binary search, O(log n), built once at load).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_priv.h"

/* ------------------------------------------------------------------ */
/* Growing the node array */

static struct cfg_node *
node_add(struct ld *l, const struct cfg_loc *where, struct nloc **nl)
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
static bool
name_ok(const char *s)
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

static bool
var_key_ok(const char *s)
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

static int
var_push(struct cfg_var **v, size_t *n, const char *key, size_t klen, const char *val)
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
		if (!var_key_ok(k->s)) {
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
		if (var_push(v, n, k->s, strlen(k->s), ynode_is_null(val) ? "" : val->s) < 0)
			ld_err(l, val, "out of memory");
	}
}

/* ------------------------------------------------------------------ */
/* YAML entries */

enum nform {
	NF_ONE = 0,	/* name: mac: ip: ... */
	NF_RANGE,	/* range: node[001-100] ... */
	NF_CSV,		/* csv: file */
	NF_MAX
};

/* Keys allowed per form, as a bitmask. */
static const struct {
	const char *key;
	uint8_t forms; /* 1 << enum nform */
} node_keys[] = {
	{ "name", 1 << NF_ONE },
	{ "range", 1 << NF_RANGE },
	{ "csv", 1 << NF_CSV },
	{ "mac", 1 << NF_ONE | 1 << NF_RANGE },
	{ "ip", 1 << NF_ONE | 1 << NF_RANGE },
	{ "profile", 1 << NF_ONE | 1 << NF_RANGE },
	{ "vars", 1 << NF_ONE | 1 << NF_RANGE },
	{ "boot_file", 1 << NF_ONE | 1 << NF_RANGE },
	{ "ipxe", 1 << NF_ONE | 1 << NF_RANGE },
	{ "client_id", 1 << NF_ONE },
};

static const char *const nform_name[NF_MAX] = { "a node", "a range entry", "a csv entry" };

/* Checks the keys of an entry: known, allowed in this form, once. */
static bool
entry_keys_ok(struct ld *l, const struct ynode *m, enum nform f, const char *ctx)
{
	bool ok = true;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		size_t j, nk = sizeof(node_keys) / sizeof(node_keys[0]);
		for (j = 0; j < nk; j++)
			if (!strcmp(node_keys[j].key, k->s))
				break;
		if (j == nk) {
			ld_err(l, k, "unknown key '%s' in %s", k->s, ctx);
			ok = false;
		} else if (!(node_keys[j].forms & (1 << f))) {
			ld_err(l, k, "%s: key '%s' is not allowed in %s", ctx, k->s, nform_name[f]);
			ok = false;
		} else if (ygetkey(m, k->s) != k) {
			ld_err(l, k, "duplicate key '%s' in %s (first at line %u)", k->s, ctx,
			       ygetkey(m, k->s)->line);
			ok = false;
		} else if (strcmp(k->s, "vars") && v->type != Y_SCALAR) {
			ld_err(l, v, "%s.%s: expected a scalar, got %s", ctx, k->s,
			       ytype_name(v));
			ok = false;
		}
	}
	return ok;
}

/* Scalar value of key, NULL when absent or null. */
static const struct ynode *
yval(const struct ynode *m, const char *key)
{
	const struct ynode *v = yget(m, key);
	return v && v->type == Y_SCALAR && !ynode_is_null(v) ? v : NULL;
}

/* Fields shared by one-node and range entries (profile, overrides, vars). */
static void
entry_common(struct ld *l, const struct ynode *m, struct cfg_node *n, struct nloc *nl)
{
	const struct ynode *v;
	if ((v = yval(m, "profile"))) {
		n->profile = strdup(v->s);
		nl->profile = ld_loc(l, v);
	}
	if ((v = yval(m, "boot_file"))) {
		n->boot_file = strdup(v->s);
		nl->boot_file = ld_loc(l, v);
	}
	if ((v = yval(m, "ipxe")))
		n->ipxe_url = strdup(v->s);
	if ((v = yget(m, "vars")) && !ynode_is_null(v))
		ld_vars(l, v, &n->vars, &n->n_vars);
}

static void
entry_one(struct ld *l, const struct ynode *m, const char *ctx)
{
	const struct ynode *vn = yval(m, "name"), *vm = yval(m, "mac"), *vi = yval(m, "ip"),
			   *vc = yval(m, "client_id");
	bool ok = true;
	uint8_t mac[6];
	uint32_t ip = 0;

	if (!vn) {
		ld_err(l, m, "%s: 'name' is required", ctx);
		ok = false;
	} else if (!name_ok(vn->s)) {
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
	struct cfg_node *n = node_add(l, &where, &nl);
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
	entry_common(l, m, n, nl);
}

/* "node[002-099]" -> prefix "node", 2..99, width 3, suffix "". */
struct nrange {
	char prefix[64], suffix[64];
	uint32_t lo, hi, width;
};

static int
range_parse(const char *s, struct nrange *r)
{
	const char *ob = strchr(s, '['), *cb = ob ? strchr(ob, ']') : NULL;
	const char *dash = ob && cb ? memchr(ob, '-', (size_t)(cb - ob)) : NULL;
	char a[16], b[16];
	size_t la, lb;

	if (!ob || !cb || !dash)
		return -EINVAL;
	la = (size_t)(dash - ob - 1);
	lb = (size_t)(cb - dash - 1);
	if ((size_t)(ob - s) >= sizeof(r->prefix) || strlen(cb + 1) >= sizeof(r->suffix) ||
	    la == 0 || lb == 0 || la > 9 || lb > 9 || strchr(cb + 1, '['))
		return -EINVAL;
	memcpy(r->prefix, s, (size_t)(ob - s));
	r->prefix[ob - s] = 0;
	strcpy(r->suffix, cb + 1);
	memcpy(a, ob + 1, la);
	a[la] = 0;
	memcpy(b, dash + 1, lb);
	b[lb] = 0;
	if (cfgp_u32(a, 0, 999999999, &r->lo) < 0 || cfgp_u32(b, 0, 999999999, &r->hi) < 0)
		return -EINVAL;
	/* "node[002-099]" pads to the width of the first number. */
	r->width = a[0] == '0' && la > 1 ? (uint32_t)la : 1;
	return 0;
}

static void
mac_add(uint8_t mac[6], uint64_t k)
{
	uint64_t x = 0;
	for (int i = 0; i < 6; i++)
		x = x << 8 | mac[i];
	x += k;
	for (int i = 5; i >= 0; i--, x >>= 8)
		mac[i] = (uint8_t)x;
}

static uint64_t
mac_u64(const uint8_t mac[6])
{
	uint64_t x = 0;
	for (int i = 0; i < 6; i++)
		x = x << 8 | mac[i];
	return x;
}

static void
entry_range(struct ld *l, const struct ynode *m, const char *ctx)
{
	const struct ynode *vr = yval(m, "range"), *vm = yval(m, "mac"), *vi = yval(m, "ip");
	struct nrange r;
	uint8_t mac[6];
	uint32_t ip = 0;
	bool ok = true;

	if (!vr || range_parse(vr->s, &r) < 0) {
		ld_err(l, vr ? vr : m,
		       "%s.range: bad range '%s' (expected e.g. node[001-100])", ctx,
		       vr ? vr->s : "");
		ok = false;
	} else if (r.lo > r.hi) {
		ld_err(l, vr, "%s.range: '%s' is reversed", ctx, vr->s);
		ok = false;
	} else if (r.hi - r.lo >= CFG_MAX_NODES) {
		ld_err(l, vr, "%s.range: '%s' has more than %u nodes", ctx, vr->s,
		       CFG_MAX_NODES);
		ok = false;
	}
	if (!vm) {
		ld_err(l, m, "%s: 'mac' (the first node's MAC) is required", ctx);
		ok = false;
	} else if (cfgp_mac(vm->s, mac) < 0) {
		ld_err(l, vm, "%s.mac: bad MAC address '%s'", ctx, vm->s);
		ok = false;
	}
	if (vi && cfgp_ip(vi->s, &ip) < 0) {
		ld_err(l, vi, "%s.ip: bad IPv4 address '%s'", ctx, vi->s);
		ok = false;
	}
	if (!ok)
		return;
	uint64_t count = (uint64_t)r.hi - r.lo + 1;
	if (mac_u64(mac) + count - 1 > 0xffffffffffffull) {
		ld_err(l, vm, "%s.mac: %" PRIu64 " nodes from %s run past ff:ff:ff:ff:ff:ff",
		       ctx, count, vm->s);
		return;
	}
	if (vi && (uint64_t)ip + count - 1 > UINT32_MAX) {
		ld_err(l, vi, "%s.ip: %" PRIu64 " nodes from %s run past 255.255.255.255", ctx,
		       count, vi->s);
		return;
	}
	char name[160];
	snprintf(name, sizeof(name), "%s%0*u%s", r.prefix, (int)r.width, r.hi, r.suffix);
	if (!name_ok(name)) {
		ld_err(l, vr, "%s.range: names like '%s' must be 1-63 of [A-Za-z0-9._-], "
			      "starting alphanumeric", ctx, name);
		return;
	}
	struct cfg_loc where = ld_loc(l, m);
	for (uint64_t k = 0; k < count; k++) {
		struct nloc *nl;
		struct cfg_node *n = node_add(l, &where, &nl);
		if (!n)
			return;
		snprintf(name, sizeof(name), "%s%0*u%s", r.prefix, (int)r.width,
			 (unsigned)(r.lo + k), r.suffix);
		n->loc = where;
		n->loc.file = l->cfile;
		n->name = strdup(name);
		memcpy(n->mac, mac, 6);
		mac_add(n->mac, k);
		n->has_ip = vi != NULL;
		n->ip = ip + (uint32_t)k;
		nl->name = ld_loc(l, vr);
		nl->mac = ld_loc(l, vm);
		nl->ip = ld_loc(l, vi ? vi : m);
		nl->profile = ld_loc(l, m);
		nl->boot_file = nl->profile;
		/* Errors in shared fields are reported once, for the first. */
		size_t errs0 = l->errs->n;
		entry_common(l, m, n, nl);
		if (l->errs->n != errs0)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* CSV: name,mac,ip,profile[,key=value...]; '#' comments, blank lines, an
 * optional header row starting "name,".  No quoting: none of the columns
 * needs commas, and refusing quotes beats half-supporting them. */

struct csv {
	struct ld *l;
	const char *file;	/* errs-interned */
	const char *cfile;	/* cfg-interned */
	uint32_t line;
	bool header_done;
};

static void
csv_err(struct csv *cv, uint32_t col, const char *fmt, const char *arg)
{
	struct cfg_loc loc = { .file = cv->file, .line = cv->line, .col = col };
	ld_err_at(cv->l, &loc, fmt, arg);
}

/* A field of a line: [b, e) with surrounding blanks trimmed; col 1-based. */
struct field {
	const char *b;
	size_t len;
	uint32_t col;
};

static size_t
csv_split(const char *line, size_t len, struct field *f, size_t max)
{
	size_t n = 0, i = 0;
	for (;;) {
		size_t st = i;
		while (i < len && line[i] != ',')
			i++;
		size_t b = st, e = i;
		while (b < e && (line[b] == ' ' || line[b] == '\t'))
			b++;
		while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t'))
			e--;
		if (n < max)
			f[n] = (struct field){ line + b, e - b, (uint32_t)b + 1 };
		n++;
		if (i >= len)
			break;
		i++; /* the comma */
	}
	return n;
}

/* NUL-terminated copy of a field into buf (truncated fields are refused by
 * the caller through the length check). */
static const char *
fcopy(const struct field *f, char *buf, size_t cap)
{
	size_t n = f->len < cap - 1 ? f->len : cap - 1;
	memcpy(buf, f->b, n);
	buf[n] = 0;
	return buf;
}

#define CSV_MAX_FIELDS 64

static void
csv_row(struct csv *cv, const char *line, size_t len)
{
	struct field f[CSV_MAX_FIELDS];
	char name[128], macs[64], ips[64], prof[128];
	uint8_t mac[6];
	uint32_t ip = 0;
	bool ok = true;
	size_t n = csv_split(line, len, f, CSV_MAX_FIELDS);

	if (memchr(line, '"', len)) {
		csv_err(cv, (uint32_t)((const char *)memchr(line, '"', len) - line) + 1,
			"quoted CSV fields are not supported%s", "");
		return;
	}
	if (!cv->header_done) {
		cv->header_done = true;
		if (f[0].len == 4 && !strncasecmp(f[0].b, "name", 4))
			return; /* header row */
	}
	if (n < 2) {
		csv_err(cv, 1, "expected name,mac,ip,profile[,key=value...]%s", "");
		return;
	}
	if (n > CSV_MAX_FIELDS) {
		csv_err(cv, f[CSV_MAX_FIELDS - 1].col, "more than %s columns", "64");
		return;
	}
	fcopy(&f[0], name, sizeof(name));
	if (f[0].len >= sizeof(name) || !name_ok(name)) {
		csv_err(cv, f[0].col,
			"bad node name '%s' (1-63 of [A-Za-z0-9._-], starting alphanumeric)",
			name);
		ok = false;
	}
	fcopy(&f[1], macs, sizeof(macs));
	if (f[1].len >= sizeof(macs) || cfgp_mac(macs, mac) < 0) {
		csv_err(cv, f[1].col, "bad MAC address '%s'", macs);
		ok = false;
	}
	if (n > 2 && f[2].len) {
		fcopy(&f[2], ips, sizeof(ips));
		if (f[2].len >= sizeof(ips) || cfgp_ip(ips, &ip) < 0) {
			csv_err(cv, f[2].col, "bad IPv4 address '%s'", ips);
			ok = false;
		}
	}
	prof[0] = 0;
	if (n > 3 && f[3].len) {
		fcopy(&f[3], prof, sizeof(prof));
		if (f[3].len >= sizeof(prof)) {
			csv_err(cv, f[3].col, "profile name too long%s", "");
			ok = false;
		}
	}
	for (size_t i = 4; i < n; i++) {
		const char *eq = memchr(f[i].b, '=', f[i].len);
		char kv[128];
		fcopy(&f[i], kv, sizeof(kv));
		if (!eq || eq == f[i].b) {
			csv_err(cv, f[i].col, "expected key=value, got '%s'", kv);
			ok = false;
		} else {
			size_t kl = (size_t)(eq - f[i].b);
			char key[64];
			fcopy(&(struct field){ f[i].b, kl, 0 }, key, sizeof(key));
			if (kl >= sizeof(key) || !var_key_ok(key)) {
				csv_err(cv, f[i].col, "bad variable name '%s' (use [A-Za-z0-9_])",
					key);
				ok = false;
			}
		}
	}
	if (!ok)
		return;

	struct cfg_loc where = { .file = cv->file, .line = cv->line, .col = 1 };
	struct nloc *nl;
	struct cfg_node *nd = node_add(cv->l, &where, &nl);
	if (!nd)
		return;
	nd->loc = (struct cfg_loc){ .file = cv->cfile, .line = cv->line, .col = f[0].col };
	nd->name = strdup(name);
	memcpy(nd->mac, mac, 6);
	nd->has_ip = n > 2 && f[2].len;
	nd->ip = ip;
	if (prof[0])
		nd->profile = strdup(prof);
	nl->name = (struct cfg_loc){ cv->file, cv->line, f[0].col };
	nl->mac = (struct cfg_loc){ cv->file, cv->line, f[1].col };
	nl->ip = (struct cfg_loc){ cv->file, cv->line, n > 2 ? f[2].col : 1 };
	nl->profile = (struct cfg_loc){ cv->file, cv->line, n > 3 ? f[3].col : 1 };
	nl->boot_file = nl->profile;
	for (size_t i = 4; i < n; i++) {
		const char *eq = memchr(f[i].b, '=', f[i].len);
		char val[256];
		size_t kl = (size_t)(eq - f[i].b);
		fcopy(&(struct field){ eq + 1, f[i].len - kl - 1, 0 }, val, sizeof(val));
		if (var_push(&nd->vars, &nd->n_vars, f[i].b, kl, val) < 0)
			csv_err(cv, f[i].col, "out of memory%s", "");
	}
}

static void
csv_parse(struct csv *cv, const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len;
		size_t ll = e - i;
		cv->line++;
		if (ll && buf[i + ll - 1] == '\r')
			ll--;
		const char *line = buf + i;
		size_t lead = 0;
		while (lead < ll && (line[lead] == ' ' || line[lead] == '\t'))
			lead++;
		if (memchr(line, 0, ll)) {
			csv_err(cv, (uint32_t)((const char *)memchr(line, 0, ll) - line) + 1,
				"NUL byte in CSV%s", "");
		} else if (lead < ll && line[lead] != '#') {
			csv_row(cv, line, ll);
		}
		i = e + 1;
		if (cv->l->errs->n >= CFG_MAX_ERRS)
			return; /* a binary file: enough said */
	}
}

static void
entry_csv(struct ld *l, const struct ynode *m, const char *ctx)
{
	const struct ynode *v = yval(m, "csv");
	if (!v) {
		ld_err(l, m, "%s.csv: expected a file name", ctx);
		return;
	}
	char *path = cfg_abs_path(l->c, v->s);
	char *buf = NULL;
	size_t len = 0;
	const char *why = "out of memory";
	if (!path || cfg_read_file(path, &buf, &len, &why) < 0) {
		ld_err(l, v, "%s.csv: cannot read '%s': %s", ctx, v->s, why);
		free(path);
		return;
	}
	/* Locations in the CSV use the name as written, relative to the YAML's
	 * directory when it was relative: that is what the user typed. */
	char *shown = NULL;
	if (v->s[0] != '/') {
		char *d = strdup(l->c->path);
		char *slash = d ? strrchr(d, '/') : NULL;
		if (slash) {
			slash[1] = 0;
			size_t n = strlen(d) + strlen(v->s) + 1;
			if ((shown = malloc(n)))
				snprintf(shown, n, "%s%s", d, v->s);
		}
		free(d);
	}
	struct csv cv = {
		.l = l,
		.file = cfg_errs_intern(l->errs, shown ? shown : v->s),
		.cfile = cfg_intern(l->c, shown ? shown : v->s),
	};
	csv_parse(&cv, buf, len);
	free(shown);
	free(buf);
	free(path);
}

void
ld_nodes(struct ld *l, const struct ynode *seq)
{
	if (seq->type != Y_SEQ) {
		ld_err(l, seq, "nodes: expected a list, got %s", ytype_name(seq));
		return;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i];
		char ctx[32];
		snprintf(ctx, sizeof(ctx), "nodes[%zu]", i);
		if (m->type != Y_MAP) {
			ld_err(l, m, "%s: expected a mapping, got %s", ctx, ytype_name(m));
			continue;
		}
		enum nform f = ygetkey(m, "csv")     ? NF_CSV :
			       ygetkey(m, "range") ? NF_RANGE :
						     NF_ONE;
		if (!entry_keys_ok(l, m, f, ctx))
			continue;
		if (f == NF_CSV)
			entry_csv(l, m, ctx);
		else if (f == NF_RANGE)
			entry_range(l, m, ctx);
		else
			entry_one(l, m, ctx);
		if (l->errs->n >= CFG_MAX_ERRS)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* Indexes: sorted arrays of node indexes, ties broken by index so the
 * first occurrence of a duplicate sorts first (cfg_validate relies on it). */

static int
cmp_name(const void *a, const void *b, void *arg)
{
	const struct cfg *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(c->nodes[x].name, c->nodes[y].name);
	return r ? r : (x > y) - (x < y);
}

static int
cmp_mac(const void *a, const void *b, void *arg)
{
	const struct cfg *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = memcmp(c->nodes[x].mac, c->nodes[y].mac, 6);
	return r ? r : (x > y) - (x < y);
}

static int
cmp_ip(const void *a, const void *b, void *arg)
{
	const struct cfg *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t p = c->nodes[x].ip, q = c->nodes[y].ip;
	if (p != q)
		return p < q ? -1 : 1;
	return (x > y) - (x < y);
}

int
cfg_build_indexes(struct cfg *c)
{
	size_t n = c->n_nodes ? c->n_nodes : 1;
	c->by_name = malloc(n * sizeof(uint32_t));
	c->by_mac = malloc(n * sizeof(uint32_t));
	c->by_ip = malloc(n * sizeof(uint32_t));
	if (!c->by_name || !c->by_mac || !c->by_ip)
		return -ENOMEM;
	c->n_by_ip = 0;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		c->by_name[i] = c->by_mac[i] = i;
		if (c->nodes[i].has_ip)
			c->by_ip[c->n_by_ip++] = i;
	}
	qsort_r(c->by_name, c->n_nodes, sizeof(uint32_t), cmp_name, c);
	qsort_r(c->by_mac, c->n_nodes, sizeof(uint32_t), cmp_mac, c);
	qsort_r(c->by_ip, c->n_by_ip, sizeof(uint32_t), cmp_ip, c);
	return 0;
}

/* Lower bound over an index with a three-way key comparison. */
#define LOWER_BOUND(idx, n, CMP)                  \
	({                                        \
		size_t lo_ = 0, hi_ = (n);        \
		while (lo_ < hi_) {               \
			size_t mid_ = (lo_ + hi_) / 2; \
			uint32_t k_ = (idx)[mid_];   \
			if ((CMP) < 0)            \
				lo_ = mid_ + 1;   \
			else                      \
				hi_ = mid_;       \
		}                                 \
		lo_;                              \
	})

const struct cfg_node *
cfg_node_by_name(const struct cfg *c, const char *name)
{
	if (!c || !name || !c->by_name)
		return NULL;
	size_t i = LOWER_BOUND(c->by_name, c->n_nodes, strcmp(c->nodes[k_].name, name));
	if (i < c->n_nodes && !strcmp(c->nodes[c->by_name[i]].name, name))
		return &c->nodes[c->by_name[i]];
	return NULL;
}

const struct cfg_node *
cfg_node_by_mac(const struct cfg *c, const uint8_t mac[6])
{
	if (!c || !mac || !c->by_mac)
		return NULL;
	size_t i = LOWER_BOUND(c->by_mac, c->n_nodes, memcmp(c->nodes[k_].mac, mac, 6));
	if (i < c->n_nodes && !memcmp(c->nodes[c->by_mac[i]].mac, mac, 6))
		return &c->nodes[c->by_mac[i]];
	return NULL;
}

const struct cfg_node *
cfg_node_by_ip(const struct cfg *c, uint32_t ip)
{
	if (!c || !c->by_ip)
		return NULL;
	size_t i = LOWER_BOUND(c->by_ip, c->n_by_ip,
			       c->nodes[k_].ip < ip ? -1 : (c->nodes[k_].ip > ip));
	if (i < c->n_by_ip && c->nodes[c->by_ip[i]].ip == ip)
		return &c->nodes[c->by_ip[i]];
	return NULL;
}

const struct cfg_profile *
cfg_profile_by_name(const struct cfg *c, const char *name)
{
	/* Profiles are few (tens): linear. */
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_profiles; i++)
		if (c->profiles[i].name && !strcmp(c->profiles[i].name, name))
			return &c->profiles[i];
	return NULL;
}

const struct cfg_profile *
cfg_node_profile(const struct cfg *c, const struct cfg_node *n)
{
	if (!c)
		return NULL;
	if (n && n->profile)
		return cfg_profile_by_name(c, n->profile);
	return c->default_profile ? cfg_profile_by_name(c, c->default_profile) : NULL;
}

const char *
cfg_node_boot_file(const struct cfg *c, const struct cfg_node *n, unsigned arch)
{
	if (!c || arch >= SNAP_ARCH_MAX)
		return NULL;
	if (n && n->boot_file)
		return n->boot_file;
	const struct cfg_profile *p = cfg_node_profile(c, n);
	if (p && p->boot_file[arch])
		return p->boot_file[arch];
	return c->boot_file[arch];
}
