/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Config and snapshot checks: what an accepted config must flatten into,
 * and a walk over everything a verified snapshot lets the dataplane reach
 * (every snap_read.h accessor), so snap_verify's guarantees are tested.
 */
#include <string.h>

#include "conf/cfg.h"
#include "conf/snap_build.h"
#include "shm/snap_read.h"
#include "shm/snap_verify.h"
#include "tests/fuzz/harness/fz.h"

void
fz_conf_check_snap(const struct cfg *c)
{
	struct snap_hdr *s = NULL;
	size_t len = 0;

	if (snap_build(c, 1, &s, &len) != 0)
		return;
	FZ_CHECK(snap_verify(s, len, NULL) == 0);
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct cfg_node *n = &c->nodes[i];
		const struct snap_node *sn = snap_find_mac(s, n->mac);

		FZ_CHECK(sn && memcmp(sn->mac, n->mac, 6) == 0);
		FZ_CHECK(!n->has_ip || snap_find_ip(s, n->ip));
		FZ_CHECK(cfg_node_by_name(c, n->name) != NULL);
	}
	free(s);
}

void
fz_snap_walk(const struct snap_hdr *s)
{
	volatile size_t sink = 0;

	sink += strlen(snap_str(s, s->server_name)) + strlen(snap_str(s, s->tftp_root)) +
		strlen(snap_str(s, s->tftp_gen_root)) + strlen(snap_str(s, s->http_base_url));
	for (uint32_t i = 0; i < s->nodes.count; i++) {
		const struct snap_node *n = snap_node(s, i);

		sink += strlen(snap_str(s, n->name)) + strlen(snap_str(s, n->boot_file));
		sink += snap_find_mac(s, n->mac) != NULL;
		sink += snap_find_ip(s, n->ip) != NULL;
		if (n->profile != SNAP_NONE) {
			const struct snap_profile *p = snap_profile(s, n->profile);

			for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
				sink += strlen(snap_str(s, p->boot_file[a]));
		}
		if (n->subnet != SNAP_NONE)
			sink += snap_subnet(s, n->subnet)->n_pools;
	}
	for (uint32_t i = 0; i < s->subnets.count; i++) {
		const struct snap_subnet *sn = snap_subnet(s, i);

		for (uint32_t k = 0; k < sn->n_pools; k++)
			sink += snap_pool(s, sn->first_pool + k)->hi;
		sink += strlen(snap_str(s, sn->domain));
	}
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x77, 0, 1 };
	sink += snap_find_mac(s, mac) != NULL;
	sink += snap_subnet_of(s, 0x0a4d0001u);
	(void)sink;
}
