/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Internals of the config loader shared by conf/cfg_*.c (not installed,
 * not for other rooms).  Who does what, lowest layer first (each file
 * calls only files above it in this list, see the layout check in
 * scripts/include_graph.py):
 *
 *   cfg_parse.c      scalar syntax (public API: conf/cfg_parse.h)
 *   cfg_err.c        diagnostics: collect, sort, print (file:line:col)
 *   cfg_yaml.c       libyaml events -> a small tree (conf/cfg_yaml.h)
 *   cfg_file.c       reading files whole, config-relative paths
 *   cfg_model.c      struct cfg: defaults, derived values, interning, free
 *   cfg_walk.c       table-driven walk of one mapping (conf/cfg_walk.h)
 *   cfg_inv_node.c   one inventory node's fields, vars, the node array
 *   cfg_inv_range.c  range entries: node[001-100] with consecutive MACs/IPs
 *   cfg_inv_csv.c    csv entries: name,mac,ip,profile[,key=value...]
 *   cfg_inventory.c  the nodes: section: which form, keys per form
 *   cfg_index.c      sorted indexes and lookups by name/MAC/IP
 *   cfg_schema.c     the key tables, one per section
 *   cfg_validate.c   cross-field checks (pools, duplicates, files, profiles)
 *   cfg_load.c       orchestration only
 */
#ifndef BS_CONF_CFG_PRIV_H
#define BS_CONF_CFG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "conf/cfg_parse.h"
#include "conf/cfg_yaml.h"

/* Where each node's fields came from (YAML value or CSV column), so that
 * cross checks point at the exact field.  File names are errs-interned. */
struct nloc {
	struct cfg_loc name, mac, ip, profile, boot_file;
};

/* Loader context.  Invariant: nl has nl_cap slots and c->n_nodes <= nl_cap
 * (nl[i] describes c->nodes[i]). */
struct ld {
	struct cfg *c;
	struct cfg_errs *errs;
	const char *file;	/* interned in errs (stable for error locs) */
	const char *cfile;	/* same name interned in c (for element locs) */
	const struct ynode *root;
	struct nloc *nl;	/* parallel to c->nodes */
	size_t nl_cap;
	const struct ynode **prof_map; /* parallel to c->profiles */
	const struct ynode **sub_map;  /* parallel to c->subnets */
	bool tftp_root_set, templates_set;
	bool server_ip_bad;	/* reported already: no "required" error */
	/* cfg_load_enroll: the enrolled CSV's candidate content */
	bool enr_ovr;
	const char *enr_buf;
	size_t enr_len;
};

/* Errors (cfg_err.c). */
/* A location in the current file. */
struct cfg_loc ld_loc(const struct ld *l, const struct ynode *n);
void ld_err(struct ld *l, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Error at an explicit location (file interned in errs by the caller). */
void ld_err_at(struct ld *l, const struct cfg_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Interns name into errs->files (stable until cfg_errs_free). */
const char *cfg_errs_intern(struct cfg_errs *errs, const char *name);
/* Orders the errors added since `from` by file, line, column (stable). */
void cfg_errs_sort(struct cfg_errs *errs, size_t from);

/* Files and paths (cfg_file.c). */
/* Resolves a config-relative path to an absolute one (malloc'd). */
char *cfg_abs_path(const struct cfg *c, const char *p);
/* Reads a whole file (capped at CFG_MAX_FILE_BYTES) into a malloc'd,
 * NUL-terminated buffer.  Returns 0 or -errno; *why names the problem. */
int cfg_read_file(const char *path, char **buf, size_t *len, const char **why);

/* The model (cfg_model.c). */
/* Interns name into c->files. */
const char *cfg_intern(struct cfg *c, const char *name);
/* Replaces *dst with a copy of s (NULL on allocation failure). */
void cfg_set_str(char **dst, const char *s);
/* Every optional setting's default; 0 or -ENOMEM. */
int cfg_defaults(struct cfg *c);
/* Fills the values that default from others once the whole file is read. */
void cfg_derive(struct cfg *c);

/* Inventory (cfg_inventory.c, cfg_inv_*.c). */
void ld_nodes(struct ld *l, const struct ynode *seq);
/* discovery.enrolled: nodes of the CSV `bootstorm enroll` writes (a missing
 * file is an empty inventory); v is the key's value, for messages. */
void inv_enrolled(struct ld *l, const struct ynode *v);
/* The same for any CSV control writes itself (fleet.inventory): path's
 * nodes, a missing file being an empty inventory; watched for reloads. */
void inv_csv_optional(struct ld *l, const struct ynode *v, const char *path, const char *key);
void ld_vars(struct ld *l, const struct ynode *map, struct cfg_var **v, size_t *n);
/* Builds c->by_name/by_mac/by_ip (cfg_index.c); -ENOMEM on failure. */
int cfg_build_indexes(struct cfg *c);

/* The schema walk from the root mapping (cfg_schema.c). */
void cfg_schema_walk(struct ld *l, const struct ynode *root);

/* Cross checks (cfg_validate.c): run after the schema walk. */
void cfg_validate(struct ld *l);

#endif
