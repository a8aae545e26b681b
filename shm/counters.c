/* SPDX-License-Identifier: BSD-3-Clause */
#include "shm/counters.h"

const char *const bs_ctr_name[BS_CTR_MAX] = {
#define CTR(name, help) [BS_CTR_##name] = #name,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef CTR
};

const char *const bs_ctr_help[BS_CTR_MAX] = {
#define CTR(name, help) [BS_CTR_##name] = help,
#include "shm/ctr_net.def"
#include "shm/ctr_dhcp.def"
#include "shm/ctr_tftp.def"
#undef CTR
};
