/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Every counter the dataplane keeps, one enum for the index into
 * struct shm_counters and one string table for names (metrics, CLI).
 * Each module owns its .def file:
 *   shm/ctr_net.def   dataplane L2/L3/UDP, punt, rings      (dataplane/)
 *   shm/ctr_dhcp.def  DHCP engine                          (dataplane/dhcp/)
 *   shm/ctr_tftp.def  TFTP engine and file cache           (dataplane/tftp/)
 * A .def line is CTR(NAME, "help text").  Drop reasons are named DROP_*, so
 * metrics can export them as one family with a reason label.
 */
#ifndef BS_CONF_COUNTERS_H
#define BS_CONF_COUNTERS_H

#include <stdint.h>

enum bs_ctr {
#define CTR(name, help) BS_CTR_##name,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef CTR
	BS_CTR_MAX
};

_Static_assert(BS_CTR_MAX <= 512, "struct shm_counters holds 512 counters");

extern const char *const bs_ctr_name[BS_CTR_MAX];
extern const char *const bs_ctr_help[BS_CTR_MAX];

/* Single-writer increment: the owning worker is the only writer, so a
 * relaxed load + relaxed store is enough (no locked RMW on the fast path);
 * readers may see a value one step old, never a torn one. */
static inline void
bs_ctr_add(_Atomic uint64_t *ctr, enum bs_ctr id, uint64_t n)
{
	uint64_t v = __atomic_load_n((uint64_t *)&ctr[id], __ATOMIC_RELAXED);
	__atomic_store_n((uint64_t *)&ctr[id], v + n, __ATOMIC_RELAXED);
}

static inline void
bs_ctr_inc(_Atomic uint64_t *ctr, enum bs_ctr id)
{
	bs_ctr_add(ctr, id, 1);
}

#endif
