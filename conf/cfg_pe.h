/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Just enough of a PE/COFF image (UEFI loaders, EFI-stub kernels) for
 * check-config's Secure Boot warnings: whether it carries an Authenticode
 * signature, what its SBAT section says it is (shim, GRUB), and GRUB's
 * built-in prefix.  Pure: reads a caller's buffer, never past len.
 */
#ifndef BS_CONF_CFG_PE_H
#define BS_CONF_CFG_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pe_kind {
	PE_OTHER = 0,	/* a PE image we do not recognise */
	PE_SHIM,	/* SBAT component "shim" */
	PE_GRUB,	/* SBAT component "grub", or a GRUB module area ("mimg") */
	PE_KIND_MAX
};

struct pe_info {
	bool is_pe;		/* MZ, PE\0\0, a PE32/PE32+ optional header */
	bool signed_;		/* a certificate table (data directory 4) of non-zero size */
	enum pe_kind kind;
	char prefix[128];	/* GRUB: its built-in prefix ("/grub"), "" if none */
};

/* Fills *out from the image in p[0..len).  Returns 0, or -EINVAL when it is
 * not a PE image (out->is_pe false); truncated tables are treated as absent. */
int pe_inspect(const uint8_t *p, size_t len, struct pe_info *out);

#endif
