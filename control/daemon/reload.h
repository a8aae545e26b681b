/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Config publication and reload of a running control process: a config
 * is built into a snapshot, published to the dataplane through the shared
 * region, its generated PXE files written, and then installed as
 * ctl->cfg.  A config that does not load, or does not publish, leaves
 * the current generation in place.  Reloads are triggered by SIGHUP or by
 * a change to one of the config's files (cfg_watch, inotify).
 */
#ifndef BS_CONTROL_RELOAD_H
#define BS_CONTROL_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "control/daemon/ctl.h"

/* Builds and publishes the snapshot of cfg with the next generation, each
 * node's boot fields from its boot state (c->ns); keeps a copy for the
 * republishes below.  0 or -errno (logged).  Serialised by c->pub_mu. */
int ctl_publish(struct ctl *c, const struct cfg *cfg);
/* After a boot-state change of node name (a report) or of any node (an
 * admin's reimage/localboot): republishes the last snapshot with the
 * changed nodes' boot fields patched in, the next generation, the same
 * base_gen (shm/snap.h).  No-op when nothing changed.  0 or -errno. */
int ctl_publish_node(struct ctl *c, const char *name);
/* Builds and publishes the last published config again (fleet failover
 * changed the bucket set: control/fleet/fleet_live.h). */
int ctl_republish(struct ctl *c);
int ctl_publish_states(struct ctl *c);
/* The same for the n nodes named (a batch from the fleet database). */
int ctl_publish_nodes(struct ctl *c, const char *const *names, size_t n);
/* Writes tftp_gen_root/pxelinux.cfg and grub/ for cfg and the node boot
 * states of c (no-op without a gen root); serialised by c->ns.gen_mu. */
void ctl_gen_files(struct ctl *c, const struct cfg *cfg);
/* The same for node n alone (a report changed its state only): a storm of
 * `done` reports rewrites one node's files each, not the inventory's. */
void ctl_gen_node(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n);
/* The same for the n nodes v[] (of cfg) in one batch: a flip's slice. */
void ctl_gen_nodes(struct ctl *c, const struct cfg *cfg, const struct cfg_node *const *v, size_t n);
/* Installs cfg (already published) as the current config: takes ownership,
 * frees the previous one, reopens the root directories. */
void ctl_install_cfg(struct ctl *c, struct cfg *cfg);
/* Frees the current config and closes its directories (at exit). */
void ctl_release_cfg(struct ctl *c);
/* Loads c->cfg_path again; publishes and installs it when it is valid. */
void ctl_reload(struct ctl *c, const char *why);

/* inotify on the directories of the config's files (an editor replaces a
 * file by rename, which a watch on the file itself would miss). */
struct cfg_watch {
	int fd;			/* -1: reload by SIGHUP only */
	char *names[64];	/* basenames of the files the config reads */
	size_t n;
};

void cfg_watch_setup(struct cfg_watch *w, const struct cfg *cfg, const char *path);
/* Drains the pending events: true when one names a config file. */
bool cfg_watch_changed(struct cfg_watch *w);
void cfg_watch_close(struct cfg_watch *w);

#endif
