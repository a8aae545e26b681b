/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The durable boot state of each inventory node: what its next netboot does.
 *
 *   install     the next netboot runs the installer of its profile
 *   installing  the installer fetched its kickstart (a netboot now
 *               installs again: the install did not finish)
 *   local       the next netboot goes to the local disk (set by the
 *               installer's `done`, or `bootstorm localboot`)
 *   failed      the installer reported failure (reason kept); the next
 *               netboot installs again, until `localboot` or `reimage`
 *   hold        the installer reported done and its profile says
 *               `after_install: hold`: no route hands the node boot info
 *               (DHCP answers it without a boot file, every generated
 *               file boots the disk) until `reimage` or `localboot`
 *
 * The installer's `done` sets the state its profile's after_install names
 * (ns_after_install): local (default), install (install-again) or hold.
 *
 * A node with no record follows the YAML: install with its profile when it
 * has one, else the admin's default menu.  Records are keyed by node name
 * (the stable identity across YAML edits; the MAC may change).  A reload
 * keeps every record; a record of a node no longer in the YAML is kept but
 * unused (it applies again if the node comes back); a reimage profile that
 * the YAML no longer has falls back to the node's YAML profile.
 *
 * Storage: <state_dir>/nodestate, one line per record, rewritten whole on
 * each change to a temp file, fsync'd, renamed over, directory fsync'd.
 * Changes are rare (admin commands, one `done` per install), the table
 * small, and a whole-file rewrite needs no compaction or replay logic; the
 * lease journal's group commit is for thousands of events a second.  A
 * campaign starts nodes at power_on_rate: it stages each change in memory
 * (ns_stage, no I/O) and one ns_sync saves all changes staged so far, off
 * its clock thread and before the BMC is asked to power any of them (a
 * 1,000-node file fsync'd per start stalled the campaign tick 0.1-1 s).
 *
 * Thread safety: every function takes the store's mutex.
 */
#ifndef BS_CONTROL_NODESTATE_H
#define BS_CONTROL_NODESTATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"

enum ns_state {
	NS_NONE = 0,	/* no record: the YAML decides */
	NS_INSTALL,
	NS_INSTALLING,
	NS_LOCAL,
	NS_FAILED,
	NS_HOLD,
	NS_MAX
};

struct ns_rec {
	char name[64];
	uint8_t state;		/* enum ns_state, never NS_NONE in the table */
	char profile[64];	/* "" = the node's YAML profile */
	char reason[128];	/* failed: what the installer said */
	uint64_t since_ms;	/* wall clock of the last change */
};

struct nodestate {
	pthread_mutex_t mu;
	pthread_mutex_t gen_mu;	/* serialises boot-file generation */
	struct ns_rec *r;
	size_t n, cap;
	uint32_t *idx;		/* open addressing by name hash: index into r,
				   UINT32_MAX = empty; idx_cap a power of 2 >= 2n */
	size_t idx_cap;
	char path[4096];	/* "" = in memory only (unit tests) */
	uint64_t seq;		/* changes so far (under mu) */
	pthread_mutex_t save_mu;	/* one save at a time; before mu when both */
	uint64_t saved_seq;	/* changes on disk (under save_mu) */
};

/* What a node's next netboot does, state and profile resolved. */
struct ns_boot {
	enum ns_state state;	/* NS_NONE only for a node without any profile;
				   never NS_HOLD: a held node is NS_LOCAL to
				   the boot routes, with held set */
	const struct cfg_profile *p;	/* install/installing/failed: the profile */
	bool explicit_rec;	/* a record decided (else the YAML) */
	bool held;		/* the record says hold */
};

/* Opens the store of state_dir (NULL: memory only) and loads it; bad lines
 * are skipped with a warning.  0 or -errno. */
int ns_open(struct nodestate *ns, const char *state_dir);
void ns_close(struct nodestate *ns);

/* Sets name's record and saves the store.  profile/reason may be NULL.
 * Returns 1 changed and saved, 0 already so, -errno (memory keeps the
 * change; the file is rewritten at the next successful save). */
int ns_set(struct nodestate *ns, const char *name, enum ns_state st, const char *profile,
	   const char *reason, uint64_t now_ms);
/* A batch of records from elsewhere (the fleet database, control/fleet):
 * each one whose since_ms is newer than the store's record of that node
 * (or that has none) and that says something different is taken as it is,
 * since_ms included; the store is saved once.  applied[i] (may be NULL)
 * tells which.  Returns how many changed, or -errno (memory keeps them). */
int ns_set_many(struct nodestate *ns, const struct ns_rec *recs, size_t n, bool *applied);
/* Sets name's record in memory only (no I/O): 1 changed, 0 already so,
 * -errno.  *seq (may be NULL): what ns_sync must reach for this record to
 * be on disk. */
int ns_stage(struct nodestate *ns, const char *name, enum ns_state st, const char *profile,
	     const char *reason, uint64_t now_ms, uint64_t *seq);
/* Saves the store unless every change up to seq is on disk already (one
 * write covers every change staged before it: group commit).  0 or -errno
 * (the changes stay in memory; a later ns_sync writes them). */
int ns_sync(struct nodestate *ns, uint64_t seq);
/* Changes staged so far (the seq that makes all of them durable). */
uint64_t ns_seq(struct nodestate *ns);
/* name's record; false when it has none. */
bool ns_get(struct nodestate *ns, const char *name, struct ns_rec *out);

/* The next netboot of n under cfg. */
void ns_boot_of(struct nodestate *ns, const struct cfg *cfg, const struct cfg_node *n,
		struct ns_boot *b);

/* The state a `done` report leaves a node in, by the after_install of
 * the profile it installed (p NULL: local). */
enum ns_state ns_after_install(const struct cfg_profile *p);

const char *ns_state_name(enum ns_state s);
/* "install" ... -> enum, -1 unknown. */
int ns_state_parse(const char *s);

/* Node set expression -> calls fn for each inventory node it names.
 * Forms, comma-separated: a name, "prefix[lo-hi]suffix" (conf's node-range
 * syntax), or "*" for every node.  A name or range member not in the
 * inventory is an error (-ENOENT, *bad set to it); nothing is called then.
 * Returns the number of nodes, or -errno. */
int ns_select(const struct cfg *cfg, const char *expr,
	      int (*fn)(const struct cfg_node *n, void *arg), void *arg, char *bad, size_t bad_cap);

#endif
