/* SPDX-License-Identifier: BSD-3-Clause
 * Verifying a snapshot found in shared memory (shm/snap.h). */
#ifndef BS_SHM_SNAP_VERIFY_H
#define BS_SHM_SNAP_VERIFY_H

#include <stddef.h>

#include "shm/snap.h"

/* Checks a snapshot found in memory of `bytes` bytes: magic, ABI, size,
 * crc, and that every table and string offset stays inside it.  Returns 0
 * or -EINVAL (with a reason in *why when why != NULL). */
int snap_verify(const struct snap_hdr *s, size_t bytes, const char **why);

#endif
