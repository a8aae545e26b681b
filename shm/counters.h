/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Every counter the dataplane keeps, one enum for the index into
 * struct shm_counters and one string table for names (metrics, CLI).
 * Each module owns its .def file:
 *   shm/ctr_net.def   dataplane L2/L3/UDP, punt, rings      (dataplane/)
 *   shm/ctr_dhcp.def  DHCP engine                          (dataplane/dhcp/)
 *   shm/ctr_tftp.def  TFTP engine and file cache           (dataplane/tftp/)
 * A .def row is one of
 *   CTR(NAME, "help")    a plain counter: BS_CTR_NAME, exported as NAME
 *   DROP(NAME, "help")   a drop reason: BS_DROP_NAME, counted in
 *                        BS_CTR_DROP_NAME, exported as DROP_NAME (metrics
 *                        put every drop in one family with a reason label)
 * Whether a counter is a drop comes from the row's kind (bs_ctr_is_drop),
 * never from its name.  Code names counters by enum only: a renamed row
 * fails to compile wherever it is used.
 */
#ifndef BS_CONF_COUNTERS_H
#define BS_CONF_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

enum bs_ctr {
#define CTR(name, help) BS_CTR_##name,
#define DROP(name, help) BS_CTR_DROP_##name,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef DROP
#undef CTR
	BS_CTR_MAX
};

/* What a packet-path function returns: 0 = not dropped (the packet was
 * used or answered), else why it was dropped. */
enum bs_drop {
	BS_DROP_NONE = 0,
#define CTR(name, help)
#define DROP(name, help) BS_DROP_##name,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef DROP
#undef CTR
	BS_DROP_MAX
};

_Static_assert(BS_CTR_MAX <= 512, "struct shm_counters holds 512 counters");

extern const char *const bs_ctr_name[BS_CTR_MAX];
extern const char *const bs_ctr_help[BS_CTR_MAX];
/* drop reason -> its counter ([BS_DROP_NONE] is unused) */
extern const uint16_t bs_drop_ctr[BS_DROP_MAX];
/* counter -> its drop reason, BS_DROP_NONE for a plain counter */
extern const uint16_t bs_ctr_drop[BS_CTR_MAX];

static inline bool
bs_ctr_is_drop(enum bs_ctr id)
{
	return bs_ctr_drop[id] != BS_DROP_NONE;
}

/* The drop reason a drop counter stands for (BS_DROP_NONE if id is a plain
 * counter): the engines count by counter internally and report this. */
static inline enum bs_drop
bs_drop_of(enum bs_ctr id)
{
	return (enum bs_drop)bs_ctr_drop[id];
}

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

/* Counts one drop of reason why (not BS_DROP_NONE). */
static inline void
bs_drop_inc(_Atomic uint64_t *ctr, enum bs_drop why)
{
	bs_ctr_inc(ctr, (enum bs_ctr)bs_drop_ctr[why]);
}

#endif
