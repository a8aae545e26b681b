/* SPDX-License-Identifier: BSD-3-Clause
 *
 * GRUB boot files of the nodes, under <tftp_gen_root>/grub/ (prefix /grub,
 * which Debian's grubnetx64.efi, signed or not, reads):
 *   grub.cfg-01-<mac with dashes>  per node: the installer of its profile,
 *   grub.cfg-<IPv4, 8 hex digits>  (and this alias for a node with a fixed
 *                                  address, unless tftp.root/grub/ has one:
 *                                  the names GRUB's own net search asks for,
 *                                  grubgen_names)
 *                                  or (state local) chainload the disk's
 *                                  /EFI/BOOT/BOOTX64.EFI (GRUB's `exit`
 *                                  leaves OVMF in its boot menu)
 *   bootstorm.cfg                  dispatcher: configfile of the node's file
 *                                  (grubnetx64's embedded config reads
 *                                  /grub/grub.cfg and never searches per MAC)
 *   grub.cfg                       the dispatcher then a local-disk entry for
 *                                  unknown clients; only when tftp.root has no
 *                                  grub/grub.cfg of its own: an admin with one
 *                                  adds `source /grub/bootstorm.cfg` at its top
 * The IP alias, and any file equal to another of the same batch (every node
 * in state local), is a hard link of that file (pxefile.h).
 */
#ifndef BS_CONTROL_GRUBGEN_H
#define BS_CONTROL_GRUBGEN_H

#include "conf/cfg.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/pxegen.h"

#define GRUBGEN_MAX_NAMES 2
#define GRUBGEN_NAME_MAX  40

extern const char grubgen_node_tmpl[];
extern const char grubgen_local_tmpl[];
extern const char grubgen_dispatch[];

/* Returns 0 or -errno (first failure; the others are still attempted). */
int grubgen_write(const struct cfg *c, struct nodestate *ns, const char *gen_root,
		  struct pxegen_stats *st);

/* The file of node n alone. */
int grubgen_write_node(const struct cfg *c, struct nodestate *ns, const char *gen_root,
		       const struct cfg_node *n, struct pxegen_stats *st);

/* The files of the n nodes v[] in one batch (pxegen_write_nodes). */
int grubgen_write_nodes(const struct cfg *c, struct nodestate *ns, const char *gen_root,
			const struct cfg_node *const *v, size_t n, struct pxegen_stats *st);

/* The names GRUB's net search (grub_net_search_config_file) would find
 * node n under, in its order: grub.cfg-01-<mac>, then grub.cfg-<IP as
 * 8 upper-case hex digits> when n has a fixed address.  Returns how many. */
size_t grubgen_names(const struct cfg_node *n, char names[GRUBGEN_MAX_NAMES][GRUBGEN_NAME_MAX]);

/* Removes grub.cfg-<8 hex> files of no node (or of a node without a boot
 * state, or that the admin's tftp.root/grub/ serves itself). */
void grubgen_remove_stale_ip(const struct cfg *c, struct nodestate *ns, int dir_fd,
			     struct pxegen_stats *st);

#endif
