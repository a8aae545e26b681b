/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/nodestate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/cfg_parse.h"
#include "control/log.h"
#include "util/bs_file.h"

#define NS_FILE "nodestate"
#define NS_MAGIC "# bootstorm nodestate v1: name state since_ms profile|- reason"

static const char *const ns_names[NS_MAX] = {
	[NS_NONE] = "yaml",
	[NS_INSTALL] = "install",
	[NS_INSTALLING] = "installing",
	[NS_LOCAL] = "local",
	[NS_FAILED] = "failed",
	[NS_HOLD] = "hold",
};

const char *
ns_state_name(enum ns_state s)
{
	return (unsigned)s < NS_MAX ? ns_names[s] : "?";
}

int
ns_state_parse(const char *s)
{
	for (int i = NS_INSTALL; i < NS_MAX; i++)
		if (strcmp(s, ns_names[i]) == 0)
			return i;
	return -1;
}

/* FNV-1a: names of a rack share long prefixes, every byte counts. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* O(1) by name: a snapshot build asks once per node (10,000 nodes with
 * records made a linear search cost ~0.3 s per build). */
static struct ns_rec *
find(struct nodestate *ns, const char *name)
{
	if (!ns->idx_cap)
		return NULL;
	for (size_t h = name_hash(name) & (ns->idx_cap - 1);; h = (h + 1) & (ns->idx_cap - 1)) {
		uint32_t k = ns->idx[h];

		if (k == UINT32_MAX)
			return NULL;
		if (strcmp(ns->r[k].name, name) == 0)
			return &ns->r[k];
	}
}

static void
idx_put(uint32_t *idx, size_t cap, const char *name, uint32_t k)
{
	size_t h = name_hash(name) & (cap - 1);

	while (idx[h] != UINT32_MAX)
		h = (h + 1) & (cap - 1);
	idx[h] = k;
}

/* Room for one more record in the index (kept at most half full). */
static int
idx_reserve(struct nodestate *ns)
{
	size_t cap = ns->idx_cap ? ns->idx_cap : 128;
	uint32_t *idx;

	if (2 * (ns->n + 1) <= ns->idx_cap)
		return 0;
	while (2 * (ns->n + 1) > cap)
		cap *= 2;
	idx = malloc(cap * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	memset(idx, 0xff, cap * sizeof(*idx));
	for (size_t i = 0; i < ns->n; i++)
		idx_put(idx, cap, ns->r[i].name, (uint32_t)i);
	free(ns->idx);
	ns->idx = idx;
	ns->idx_cap = cap;
	return 0;
}

static struct ns_rec *
add(struct nodestate *ns, const char *name)
{
	struct ns_rec *r;

	if (idx_reserve(ns) < 0)
		return NULL;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 64;
		struct ns_rec *nr = realloc(ns->r, cap * sizeof(*nr));

		if (!nr)
			return NULL;
		ns->r = nr;
		ns->cap = cap;
	}
	r = &ns->r[ns->n];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	idx_put(ns->idx, ns->idx_cap, r->name, (uint32_t)ns->n++);
	return r;
}

/* Keeps a string to one token-safe line: the reason comes from a client. */
static void
clean_copy(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < cap; src++)
		dst[i++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[i] = '\0';
}

static int
parse_line(struct nodestate *ns, char *line)
{
	char *save = NULL, *name, *st, *since, *prof, *reason;
	struct ns_rec *r;
	int s;

	name = strtok_r(line, " ", &save);
	st = strtok_r(NULL, " ", &save);
	since = strtok_r(NULL, " ", &save);
	prof = strtok_r(NULL, " \n", &save);
	reason = strtok_r(NULL, "\n", &save);
	if (!name || !st || !since || !prof || strlen(name) >= sizeof(r->name) ||
	    (s = ns_state_parse(st)) < 0)
		return -EINVAL;
	r = find(ns, name);
	if (!r && !(r = add(ns, name)))
		return -ENOMEM;
	r->state = (uint8_t)s;
	r->since_ms = strtoull(since, NULL, 10);
	clean_copy(r->profile, sizeof(r->profile), strcmp(prof, "-") == 0 ? "" : prof);
	clean_copy(r->reason, sizeof(r->reason), reason);
	return 0;
}

static int
load(struct nodestate *ns)
{
	char line[512];
	unsigned lineno = 0;
	FILE *f = fopen(ns->path, "re");

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (parse_line(ns, line) < 0)
			LOG_WARN("nodestate", "%s:%u: bad record skipped", ns->path, lineno);
	}
	fclose(f);
	LOG_INFO("nodestate", "%s: %zu node records", ns->path, ns->n);
	return 0;
}

int
ns_open(struct nodestate *ns, const char *state_dir)
{
	memset(ns, 0, sizeof(*ns));
	pthread_mutex_init(&ns->mu, NULL);
	pthread_mutex_init(&ns->gen_mu, NULL);
	pthread_mutex_init(&ns->save_mu, NULL);
	if (!state_dir)
		return 0;
	snprintf(ns->path, sizeof(ns->path), "%s/%s", state_dir, NS_FILE);
	return load(ns);
}

void
ns_close(struct nodestate *ns)
{
	free(ns->r);
	free(ns->idx);
	ns->r = NULL;
	ns->idx = NULL;
	ns->n = ns->cap = ns->idx_cap = 0;
	pthread_mutex_destroy(&ns->mu);
	pthread_mutex_destroy(&ns->gen_mu);
	pthread_mutex_destroy(&ns->save_mu);
}

/* The file's text (under mu): *text malloc'd.  0 or -ENOMEM. */
static int
render(struct nodestate *ns, char **text, size_t *len)
{
	char line[400];
	FILE *f;

	*text = NULL;
	f = open_memstream(text, len);
	if (!f)
		return -ENOMEM;
	fputs(NS_MAGIC "\n", f);
	for (size_t i = 0; i < ns->n; i++) {
		const struct ns_rec *r = &ns->r[i];
		int n = snprintf(line, sizeof(line), "%s %s %llu %s %s\n", r->name,
				 ns_state_name(r->state), (unsigned long long)r->since_ms,
				 r->profile[0] ? r->profile : "-", r->reason);

		fwrite(line, 1, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, f);
	}
	if (fclose(f) != 0) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Whole-file rewrite: temp, fsync, rename, fsync of the directory, so a
 * crash leaves either the old file or the new one, never a mix.  The text
 * is taken under mu, written outside it (readers, e.g. a snapshot build,
 * never wait for the fsync); save_mu keeps the writes in order. */
int
ns_sync(struct nodestate *ns, uint64_t seq)
{
	char *text;
	size_t len;
	uint64_t upto;
	int rc = 0;

	pthread_mutex_lock(&ns->save_mu);
	if (ns->saved_seq >= seq)
		goto out;
	pthread_mutex_lock(&ns->mu);
	upto = ns->seq;
	rc = ns->path[0] ? render(ns, &text, &len) : 0;
	pthread_mutex_unlock(&ns->mu);
	if (rc == 0 && ns->path[0]) {
		rc = bs_file_replace(ns->path, text, len, 0644);
		free(text);
	}
	if (rc == 0)
		ns->saved_seq = upto;
	else
		LOG_ERR("nodestate", "saving %s: %s (the change holds until restart)", ns->path,
			strerror(-rc));
out:
	pthread_mutex_unlock(&ns->save_mu);
	return rc;
}

uint64_t
ns_seq(struct nodestate *ns)
{
	uint64_t s;

	pthread_mutex_lock(&ns->mu);
	s = ns->seq;
	pthread_mutex_unlock(&ns->mu);
	return s;
}

int
ns_stage(struct nodestate *ns, const char *name, enum ns_state st, const char *profile,
	 const char *reason, uint64_t now_ms, uint64_t *seq)
{
	char p[64], why[128];
	struct ns_rec *r;
	int rc = 1;

	if (st <= NS_NONE || st >= NS_MAX || strlen(name) >= sizeof(r->name))
		return -EINVAL;
	clean_copy(p, sizeof(p), profile ? profile : "");
	clean_copy(why, sizeof(why), reason ? reason : "");
	for (char *c = p; *c; c++)
		if (*c == ' ')
			*c = '_';
	pthread_mutex_lock(&ns->mu);
	r = find(ns, name);
	if (r && r->state == st && strcmp(r->profile, p) == 0 && strcmp(r->reason, why) == 0) {
		rc = 0; /* already so; maybe staged, not yet saved: seq covers it */
	} else if (!r && !(r = add(ns, name))) {
		rc = -ENOMEM;
	} else {
		r->state = (uint8_t)st;
		memcpy(r->profile, p, sizeof(p));
		memcpy(r->reason, why, sizeof(why));
		r->since_ms = now_ms;
		ns->seq++;
	}
	if (seq)
		*seq = ns->seq;
	pthread_mutex_unlock(&ns->mu);
	return rc;
}

int
ns_set(struct nodestate *ns, const char *name, enum ns_state st, const char *profile,
       const char *reason, uint64_t now_ms)
{
	uint64_t seq;
	int rc = ns_stage(ns, name, st, profile, reason, now_ms, &seq);

	if (rc < 0)
		return rc;
	/* "already so" may be a change a campaign staged: on disk either way */
	int s = ns_sync(ns, seq);

	return s < 0 ? s : rc;
}

int
ns_set_many(struct nodestate *ns, const struct ns_rec *recs, size_t n, bool *applied)
{
	size_t changed = 0;
	int rc = 0;

	pthread_mutex_lock(&ns->mu);
	for (size_t i = 0; i < n; i++) {
		const struct ns_rec *in = &recs[i];
		struct ns_rec *r;
		bool take = false;

		if (in->state > NS_NONE && in->state < NS_MAX && memchr(in->name, 0, sizeof(in->name)) &&
		    in->name[0]) {
			r = find(ns, in->name);
			take = !r || (r->since_ms < in->since_ms &&
				      (r->state != in->state || strcmp(r->profile, in->profile) ||
				       strcmp(r->reason, in->reason)));
			if (take && !r && !(r = add(ns, in->name)))
				take = false, rc = -ENOMEM;
			if (take) {
				r->state = in->state;
				clean_copy(r->profile, sizeof(r->profile), in->profile);
				clean_copy(r->reason, sizeof(r->reason), in->reason);
				for (char *c = r->profile; *c; c++)
					if (*c == ' ')
						*c = '_';
				r->since_ms = in->since_ms;
				changed++;
			}
		}
		if (applied)
			applied[i] = take;
	}
	if (changed)
		ns->seq++;
	uint64_t seq = ns->seq;
	pthread_mutex_unlock(&ns->mu);
	/* one save for the batch (ns_sync logs a failure; memory keeps them) */
	if (changed) {
		int s = ns_sync(ns, seq);

		rc = s < 0 ? s : rc;
	}
	return rc < 0 ? rc : (int)changed;
}

bool
ns_get(struct nodestate *ns, const char *name, struct ns_rec *out)
{
	const struct ns_rec *r;

	pthread_mutex_lock(&ns->mu);
	r = find(ns, name);
	if (r)
		*out = *r;
	pthread_mutex_unlock(&ns->mu);
	return r != NULL;
}

void
ns_boot_of(struct nodestate *ns, const struct cfg *cfg, const struct cfg_node *n,
	   struct ns_boot *b)
{
	struct ns_rec r;
	const struct cfg_profile *yp = cfg_node_profile(cfg, n), *rp = NULL;

	memset(b, 0, sizeof(*b));
	if (!ns || !ns_get(ns, n->name, &r)) {
		b->state = yp ? NS_INSTALL : NS_NONE;
		b->p = yp;
		return;
	}
	b->explicit_rec = true;
	if (r.profile[0])
		rp = cfg_profile_by_name(cfg, r.profile);
	b->p = rp ? rp : yp;
	b->state = (enum ns_state)r.state;
	if (b->state == NS_HOLD) {
		/* every generated file boots the disk; DHCP withholds boot
		 * info (snapshot node boot SNAP_BOOT_HOLD) */
		b->state = NS_LOCAL;
		b->held = true;
	}
	/* install with no profile at all: nothing to install, the default menu */
	if (b->state != NS_LOCAL && !b->p)
		b->state = NS_NONE;
}

enum ns_state
ns_after_install(const struct cfg_profile *p)
{
	switch (p ? p->after_install : CFG_AFTER_LOCAL) {
	case CFG_AFTER_INSTALL_AGAIN:
		return NS_INSTALL;
	case CFG_AFTER_HOLD:
		return NS_HOLD;
	default:
		return NS_LOCAL;
	}
}

static int
each_in_token(const struct cfg *cfg, const char *tok,
	      int (*fn)(const struct cfg_node *n, void *arg), void *arg, char *bad, size_t bad_cap)
{
	struct cfgp_nrange nr;
	char name[200];
	int count = 0, rc;

	if (strcmp(tok, "*") == 0) {
		for (size_t i = 0; i < cfg->n_nodes; i++)
			if (fn && (rc = fn(&cfg->nodes[i], arg)) < 0)
				return rc;
		return (int)cfg->n_nodes;
	}
	if (!strchr(tok, '[')) {
		const struct cfg_node *n = cfg_node_by_name(cfg, tok);

		if (!n) {
			snprintf(bad, bad_cap, "%s", tok);
			return -ENOENT;
		}
		return fn ? ((rc = fn(n, arg)) < 0 ? rc : 1) : 1;
	}
	if (cfgp_node_range(tok, &nr) < 0 || nr.lo > nr.hi || nr.hi - nr.lo > 1000000) {
		snprintf(bad, bad_cap, "%s", tok);
		return -EINVAL;
	}
	for (uint64_t i = nr.lo; i <= nr.hi; i++) {
		const struct cfg_node *n;

		snprintf(name, sizeof(name), "%s%0*llu%s", nr.prefix, (int)nr.width,
			 (unsigned long long)i, nr.suffix);
		n = cfg_node_by_name(cfg, name);
		if (!n) {
			snprintf(bad, bad_cap, "%s", name);
			return -ENOENT;
		}
		if (fn && (rc = fn(n, arg)) < 0)
			return rc;
		count++;
	}
	return count;
}

int
ns_select(const struct cfg *cfg, const char *expr,
	  int (*fn)(const struct cfg_node *n, void *arg), void *arg, char *bad, size_t bad_cap)
{
	char *copy, *save = NULL, *tok;
	int total = 0, rc = 0;

	if (!expr || !*expr)
		return -EINVAL;
	/* two passes: validate every token first so a typo changes nothing */
	for (int pass = 0; pass < 2 && rc >= 0; pass++) {
		copy = strdup(expr);
		if (!copy)
			return -ENOMEM;
		total = 0;
		for (tok = strtok_r(copy, ",", &save); tok && rc >= 0; tok = strtok_r(NULL, ",", &save)) {
			rc = each_in_token(cfg, tok, pass ? fn : NULL, arg, bad, bad_cap);
			if (rc > 0)
				total += rc;
		}
		free(copy);
	}
	return rc < 0 ? rc : total;
}
