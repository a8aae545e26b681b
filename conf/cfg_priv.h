/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Internals of the config loader shared by conf/cfg_*.c (not installed,
 * not for other rooms).
 *
 *   cfg_yaml.c       libyaml events -> a small tree (struct ynode) with marks
 *   cfg_parse.c      scalar syntax: integers, durations, IPv4, CIDR, MAC
 *   cfg_load.c       schema walk: tree -> struct cfg, defaults
 *   cfg_inventory.c  nodes: entries, name ranges, CSV files; lookup indexes
 *   cfg_validate.c   cross-field checks (pools, duplicates, files, profiles)
 */
#ifndef BS_CONF_CFG_PRIV_H
#define BS_CONF_CFG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"

enum ytype {
	Y_SCALAR = 0,
	Y_SEQ,
	Y_MAP,
	Y_TYPE_MAX
};

/* One YAML node.  A mapping keeps keys and values interleaved in kids
 * (key at 2i, value at 2i+1); keys are always scalars (the builder refuses
 * others).  Scalars are NUL terminated; embedded NULs are refused. */
struct ynode {
	uint8_t type;		/* enum ytype */
	bool plain;		/* scalar written without quotes */
	uint32_t line, col;	/* 1-based */
	char *s;		/* scalar text */
	size_t len;
	struct ynode **kids;
	size_t n, cap;
};

/* Parses one YAML document.  Returns its root (NULL for an empty document
 * or on error; errors go to errs at file).  Aliases are refused (no
 * expansion bombs), nesting is capped at CFG_MAX_DEPTH. */
struct ynode *ynode_parse(const char *buf, size_t len, const char *file,
			  struct cfg_errs *errs, bool *failed);
void ynode_free(struct ynode *n);
/* Plain "", "~", "null", "Null", "NULL": an explicitly empty value. */
bool ynode_is_null(const struct ynode *n);
const char *ytype_name(const struct ynode *n);

/* Where each node's fields came from (YAML value or CSV column), so that
 * cross checks point at the exact field.  File names are errs-interned. */
struct nloc {
	struct cfg_loc name, mac, ip, profile, boot_file;
};

/* Loader context. */
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
};

/* Value of key in a mapping node, or NULL. */
const struct ynode *yget(const struct ynode *map, const char *key);
/* Key node of key in a mapping (for "unknown/missing" locations). */
const struct ynode *ygetkey(const struct ynode *map, const char *key);

/* A location in the current file. */
struct cfg_loc ld_loc(const struct ld *l, const struct ynode *n);
void ld_err(struct ld *l, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Interns name into errs->files (stable until cfg_errs_free). */
const char *cfg_errs_intern(struct cfg_errs *errs, const char *name);
/* Interns name into c->files. */
const char *cfg_intern(struct cfg *c, const char *name);
/* Resolves a config-relative path to an absolute one (malloc'd). */
char *cfg_abs_path(const struct cfg *c, const char *p);

/* Scalar syntax (cfg_parse.c).  All return 0 or -EINVAL. */
int cfgp_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int cfgp_bool(const char *s, bool *out);
/* "30s", "10m", "1h", "1d", "2ms", "52m30s" or a plain integer (seconds). */
int cfgp_duration_ms(const char *s, uint64_t *out);
int cfgp_ip(const char *s, uint32_t *out);
int cfgp_cidr(const char *s, uint32_t *ip, uint8_t *prefix);
/* aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff. */
int cfgp_mac(const char *s, uint8_t mac[6]);
/* "a.b.c.d-e.f.g.h" (or one address). */
int cfgp_ip_range(const char *s, uint32_t *lo, uint32_t *hi);
/* "lo-hi" integers. */
int cfgp_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *lo, uint32_t *hi);
/* "ip:port" ("0.0.0.0:80", ":80"). */
int cfgp_listen(const char *s, uint32_t *ip, uint16_t *port);
/* Is the path relative and free of ".." components that climb out of its
 * root? (lexical check: "a/../b" is fine, "../x" and "a/../../x" are not). */
bool cfgp_path_inside(const char *p);
bool cfgp_is_url(const char *s);
/* Formats a MAC as aa:bb:cc:dd:ee:ff into buf[18]. */
const char *cfgp_mac_str(const uint8_t mac[6], char buf[18]);
const char *cfgp_ip_str(uint32_t ip, char buf[16]);

/* Inventory (cfg_inventory.c). */
void ld_nodes(struct ld *l, const struct ynode *seq);
void ld_vars(struct ld *l, const struct ynode *map, struct cfg_var **v, size_t *n);
/* Builds c->by_name/by_mac/by_ip; -ENOMEM on failure. */
int cfg_build_indexes(struct cfg *c);

/* Cross checks (cfg_validate.c): run after a successful schema walk. */
void cfg_validate(struct ld *l);
/* Error at an explicit location (file interned in errs by the caller). */
void ld_err_at(struct ld *l, const struct cfg_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads a whole file (capped at CFG_MAX_FILE_BYTES) into a malloc'd,
 * NUL-terminated buffer.  Returns 0 or -errno; *why names the problem. */
int cfg_read_file(const char *path, char **buf, size_t *len, const char **why);

#endif
