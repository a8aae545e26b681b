/* SPDX-License-Identifier: BSD-3-Clause
 * Flattening a validated struct cfg into a snapshot (shm/snap.h). */
#ifndef BS_CONF_SNAP_BUILD_H
#define BS_CONF_SNAP_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "shm/snap.h"

/* Builds the snapshot of c with generation gen into a malloc'd buffer
 * (*out, *len).  Returns 0 or -errno. */
int snap_build(const struct cfg *c, uint64_t gen, struct snap_hdr **out, size_t *len);

#endif
