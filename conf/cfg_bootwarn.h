/* SPDX-License-Identifier: BSD-3-Clause
 *
 * check-config's warnings about UEFI loaders (not errors: the config is
 * valid, the boot chain it names would fail on a real machine).  For each
 * UEFI loader a profile boots (its own files, else boot.files), read from
 * tftp.root (cfg_pe.h):
 *   - shim with no grub<arch>.efi next to it: shim loads that name from the
 *     TFTP directory of the BOOTP file it came from, nothing else;
 *   - GRUB (direct, or the one next to shim) whose built-in prefix is not
 *     bootstorm's /grub and whose <prefix>/grub.cfg tftp.root lacks, or whose
 *     config there does not source /grub/bootstorm.cfg: the node never sees
 *     its per-node file (grubgen.h);
 *   - a shim-booted (Secure Boot) profile whose kernel has no Authenticode
 *     signature or is no EFI image: shim's verifier refuses it.
 * Located at the profile (file:line:column); boot.files has no location of
 * its own and names the config file only.
 */
#ifndef BS_CONF_CFG_BOOTWARN_H
#define BS_CONF_CFG_BOOTWARN_H

#include <stddef.h>

#include "conf/cfg.h"

typedef void (*cfg_warn_fn)(void *arg, const struct cfg_loc *loc, const char *msg);

/* Calls fn once per warning; returns how many. */
size_t cfg_boot_warnings(const struct cfg *c, cfg_warn_fn fn, void *arg);

#endif
