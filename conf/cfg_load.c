/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The loader: only orchestrates.  File -> YAML tree (cfg_yaml.c) -> schema
 * walk (cfg_schema.c over cfg_walk.c) -> derived values (cfg_model.c) ->
 * indexes (cfg_index.c) -> cross checks (cfg_validate.c) -> errors sorted
 * by position (cfg_err.c).
 *
 * The walk never stops at the first problem: every error is collected with
 * its file:line:col, and a key with a bad value keeps its default so later
 * checks still run on something sensible.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/cfg_priv.h"

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

static struct cfg *
load_mem(const char *name, const char *buf, size_t len, struct cfg_errs *errs,
	 const struct ld *ovr)
{
	size_t errs0 = errs->n + errs->dropped, n0 = errs->n;
	struct ld l = { .errs = errs };
	if (ovr) {
		l.enr_ovr = true;
		l.enr_buf = ovr->enr_buf;
		l.enr_len = ovr->enr_len;
	}
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
			cfg_schema_walk(&l, root);
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
	cfg_errs_sort(errs, n0);
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

struct cfg *
cfg_load_mem(const char *name, const char *buf, size_t len, struct cfg_errs *errs)
{
	return load_mem(name, buf, len, errs, NULL);
}

static struct cfg *
load_file(const char *path, struct cfg_errs *errs, const struct ld *ovr)
{
	char *buf;
	size_t len;
	const char *why;
	if (cfg_read_file(path, &buf, &len, &why) < 0) {
		struct cfg_loc loc = { .file = cfg_errs_intern(errs, path), .line = 1, .col = 1 };
		cfg_err_add(errs, &loc, "cannot read config: %s", why);
		return NULL;
	}
	struct cfg *c = load_mem(path, buf, len, errs, ovr);
	free(buf);
	return c;
}

struct cfg *
cfg_load(const char *path, struct cfg_errs *errs)
{
	return load_file(path, errs, NULL);
}

struct cfg *
cfg_load_enroll(const char *path, const char *csv, size_t csv_len, struct cfg_errs *errs)
{
	struct ld ovr = { .enr_ovr = true, .enr_buf = csv, .enr_len = csv_len };
	return load_file(path, errs, &ovr);
}

struct cfg *
cfg_load_report(const char *path, FILE *f)
{
	struct cfg_errs errs = { 0 };
	struct cfg *c = cfg_load(path, &errs);

	if (!c || errs.n) {
		cfg_errs_print(&errs, f);
		cfg_free(c);
		c = NULL;
	}
	cfg_errs_free(&errs);
	return c;
}
