/* SPDX-License-Identifier: BSD-3-Clause */
#include "conf/counters.h"

const char *const bs_ctr_name[BS_CTR_MAX] = {
#define CTR(name, help) [BS_CTR_##name] = #name,
#include "conf/ctr_net.def"
#include "conf/ctr_dhcp.def"
#include "conf/ctr_tftp.def"
#undef CTR
};

const char *const bs_ctr_help[BS_CTR_MAX] = {
#define CTR(name, help) [BS_CTR_##name] = help,
#include "conf/ctr_net.def"
#include "conf/ctr_dhcp.def"
#include "conf/ctr_tftp.def"
#undef CTR
};
