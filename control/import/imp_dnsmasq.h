/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Shared by the dnsmasq importer's files: imp_dnsmasq.c (lines, tags,
 * ranges, hosts, boot files) and imp_dnsmasq_opt.c (dhcp-option, domain).
 * Internal to control/import/.
 */
#ifndef BS_IMPORT_IMP_DNSMASQ_H
#define BS_IMPORT_IMP_DNSMASQ_H

#include <stdbool.h>
#include <stdint.h>

#include "control/import/imp.h"

#define DM_MAX_FIELDS 32u
#define DM_MAX_TAGS   64u

/* What a tag name stands for once dhcp-match / dhcp-userclass defined it. */
struct dm_tag {
	char name[64];
	uint32_t archs;		/* bit per SNAP_ARCH_* */
	bool ipxe;
	bool neutral;		/* true for every PXE client (vendor class "PXEClient") */
};

struct dm {
	struct imp *m;
	unsigned line;
	struct dm_tag tags[DM_MAX_TAGS];
	unsigned n_tags;
	bool tftp_enabled, saw_boot;
	bool pxe_service_seen[SNAP_ARCH_MAX];
};

/* One parsed line: tags split off, the rest as fields. */
struct dm_args {
	char *tag[8];		/* "tag:"/"net:" names; '!' kept for negation */
	unsigned n_tag;
	char *set;		/* "set:" name */
	char *f[DM_MAX_FIELDS];
	unsigned n;
};

/* dhcp-option=[tag:X,]code,value... and dhcp-option-force; opt is the
 * directive name (for messages). */
void dm_opt_dhcp_option(struct dm *d, struct dm_args *a, const char *opt);
/* domain=name[,range|subnet] */
void dm_opt_domain(struct dm *d, struct dm_args *a);

#endif
