/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Generated boot files for the TFTP engine, under <state_dir>/tftp-gen/
 * (snap tftp_gen_root, searched before tftp.root):
 *   pxelinux.cfg/01-<mac with dashes>  per inventory node: its profile's
 *                                      kernel, initrd and rendered append
 *                                      (install), or LOCALBOOT 0 (state local:
 *                                      control/daemon/nodestate.h)
 *   pxelinux.cfg/default               menu: local boot, one entry per profile;
 *                                      only with a pxelinux-default.cfg template
 *                                      or when tftp.root has no default of its
 *                                      own (the admin's menu is never shadowed)
 *   grub/...                           grubgen.h (written next to these)
 * Templates: <templates>/pxelinux-node.cfg and pxelinux-default.cfg when
 * present, else the built-in ones below.  Every file is written to a temp
 * name and renamed, so the TFTP engine never serves a half-written one, and
 * only when its content changed; within one batch, files with equal
 * content are hard links of one inode (pxefile.h: every node in state
 * local shares one).  Files of nodes no longer in the
 * inventory are removed.
 */
#ifndef BS_CONTROL_PXEGEN_H
#define BS_CONTROL_PXEGEN_H

#include <stddef.h>

#include "conf/cfg.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/pxefile.h"

/* written counts every file changed, linked those of them that became a
 * hard link to an equal file of the batch (pxefile.h). */
struct pxegen_stats {
	size_t written, unchanged, removed, failed, linked;
};

extern const char pxegen_node_tmpl[];
extern const char pxegen_default_tmpl[];
extern const char ipxe_node_tmpl[];
extern const char pxegen_local_tmpl[];
extern const char ipxe_local_tmpl[];

/* Writes every node's files from its boot state (ns NULL: the YAML alone).
 * Returns 0 or -errno (first failure; the others are still attempted). */
/* Counts one boot-file write's result (pxefile.h: PXEFILE_UNCHANGED,
 * written, linked, or -errno logged as dir/name) into st; grubgen too. */
void pxegen_count(struct pxegen_stats *st, int rc, const char *dir, const char *name);
int pxegen_write(const struct cfg *c, struct nodestate *ns, const char *gen_root,
		 struct pxegen_stats *st);

/* The files of node n alone (after a change of its state only). */
int pxegen_write_node(const struct cfg *c, struct nodestate *ns, const char *gen_root,
		      const struct cfg_node *n, struct pxegen_stats *st);

/* The files of the n nodes v[] (a batch of state changes) in one batch:
 * O(n), equal files linked (pxefile.h).  v holds nodes of c. */
int pxegen_write_nodes(const struct cfg *c, struct nodestate *ns, const char *gen_root,
		       const struct cfg_node *const *v, size_t n, struct pxegen_stats *st);

/* A kernel command line is public on the LAN: pxelinux.cfg files go out
 * over TFTP to anyone, /boot/ and /ipxe/ over HTTP.  Returns the word of
 * append that looks like a secret (password, token, key...: matched
 * case-insensitively, "ks=...?token=" included), or NULL.  pxegen_write
 * logs a warning per such profile, check-config prints one; secrets
 * belong in the per-node kickstart, which is authorised (kickstart.h). */
const char *pxegen_append_secret(const char *append);


/* Unlinks each entry of dir_fd for which stale(name, arg) holds, counted
 * in st->removed: the one walk over a directory of generated files. */
void pxegen_unlink_if(int dir_fd, bool (*stale)(const char *name, void *arg), void *arg,
		      struct pxegen_stats *st);

/* Whether name is a <prefix>01-<mac> file that no node of c wants any more
 * (no such node, or one without a boot state); other names: false. */
bool pxegen_mac_file_stale(const struct cfg *c, struct nodestate *ns, const char *name,
			   const char *prefix);

/* Removes <prefix>01-<mac> files in dir_fd that no node of c wants any
 * more (pxelinux: prefix "", GRUB: "grub.cfg-"); other names are left. */
void pxegen_remove_stale(const struct cfg *c, struct nodestate *ns, int dir_fd, const char *prefix,
			 struct pxegen_stats *st);

#endif
