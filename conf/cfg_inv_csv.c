/* SPDX-License-Identifier: BSD-3-Clause
 *
 * CSV entries: `csv: file` with one node per row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "conf/cfg_bmc.h"
#include "conf/cfg_inv.h"

/* ------------------------------------------------------------------ */
/* CSV: name,mac,ip,profile[,key=value...]; '#' comments, blank lines, an
 * optional header row starting "name,".  The key "bmc" is the node's BMC
 * URL (conf/cfg_bmc.h), not a variable: fleet.inventory carries the
 * database's nodes.bmc that way (control/fleet/fleet_inv.c).  No quoting: none of the columns
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
	if (f[0].len >= sizeof(name) || !inv_name_ok(name)) {
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
			if (kl >= sizeof(key) || !inv_var_key_ok(key)) {
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
	struct cfg_node *nd = inv_node_add(cv->l, &where, &nl);
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
		if (kl == 3 && memcmp(f[i].b, "bmc", 3) == 0) {
			struct bmc_addr a;
			const char *why = NULL;
			if (cfgp_bmc_url(val, &a, &why) < 0) {
				csv_err(cv, f[i].col, "bad BMC URL: %s", why);
			} else {
				free(nd->bmc);
				nd->bmc = strdup(val);
			}
			continue;
		}
		if (inv_var_push(&nd->vars, &nd->n_vars, f[i].b, kl, val) < 0)
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

/* Parses buf as inventory CSV, locations naming `shown`. */
static void
csv_nodes(struct ld *l, const char *shown, const char *buf, size_t len)
{
	struct csv cv = {
		.l = l,
		.file = cfg_errs_intern(l->errs, shown),
		.cfile = cfg_intern(l->c, shown),
	};
	csv_parse(&cv, buf, len);
}

/* discovery.enrolled: the file bootstorm writes itself (control/daemon/
 * api_disc.c), so it may not exist yet: no file, no nodes.  During
 * cfg_load_enroll the candidate content stands in for it. */
void
inv_csv_optional(struct ld *l, const struct ynode *v, const char *path, const char *key)
{
	char *buf = NULL;
	size_t len = 0;
	const char *why = "out of memory";

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		cfg_intern(l->c, path); /* watched: its creation reloads */
		return;
	}
	if (cfg_read_file(path, &buf, &len, &why) < 0) {
		ld_err(l, v, "%s: cannot read '%s': %s", key, path, why);
		return;
	}
	/* Registered like a csv: entry's file, so that an edit reloads. */
	cfg_intern(l->c, path);
	csv_nodes(l, path, buf, len);
	free(buf);
}

void
inv_enrolled(struct ld *l, const struct ynode *v)
{
	const char *path = l->c->disc_enrolled;

	if (l->enr_ovr) {
		csv_nodes(l, path, l->enr_buf, l->enr_len);
		return;
	}
	inv_csv_optional(l, v, path, "discovery.enrolled");
}

void
inv_entry_csv(struct ld *l, const struct ynode *m, const char *ctx)
{
	const struct ynode *v = inv_yval(m, "csv");
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
