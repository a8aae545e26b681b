/* SPDX-License-Identifier: BSD-3-Clause
 * Flattening a validated struct cfg into a snapshot (conf/snap.h). */
#ifndef BS_CONF_SNAP_BUILD_H
#define BS_CONF_SNAP_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "conf/snap.h"

/* Builds the snapshot of c with generation gen into a malloc'd buffer
 * (*out, *len).  Returns 0 or -errno. */
int snap_build(const struct cfg *c, uint64_t gen, struct snap_hdr **out, size_t *len);

/* Checks a snapshot found in memory of `bytes` bytes: magic, ABI, size,
 * crc, and that every table and string offset stays inside it.  Returns 0
 * or -EINVAL (with a reason in *why when why != NULL). */
int snap_verify(const struct snap_hdr *s, size_t bytes, const char **why);

#endif
