/* SPDX-License-Identifier: BSD-3-Clause */
#include "shm/counters.h"

const char *const bs_ctr_name[BS_CTR_MAX] = {
#define CTR(name, help) [BS_CTR_##name] = #name,
#define DROP(name, help) [BS_CTR_DROP_##name] = "DROP_" #name,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef DROP
#undef CTR
};

const char *const bs_ctr_help[BS_CTR_MAX] = {
#define CTR(name, help) [BS_CTR_##name] = help,
#define DROP(name, help) [BS_CTR_DROP_##name] = help,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef DROP
#undef CTR
};

const uint16_t bs_drop_ctr[BS_DROP_MAX] = {
#define CTR(name, help)
#define DROP(name, help) [BS_DROP_##name] = BS_CTR_DROP_##name,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef DROP
#undef CTR
};

/* Plain counters stay 0 = BS_DROP_NONE. */
const uint16_t bs_ctr_drop[BS_CTR_MAX] = {
#define CTR(name, help)
#define DROP(name, help) [BS_CTR_DROP_##name] = BS_DROP_##name,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef DROP
#undef CTR
};
