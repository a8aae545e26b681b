/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: arbitrary bytes as a YAML config.  The loader must return a
 * config or errors, never crash; a config it accepts must flatten into a
 * snapshot that snap_verify accepts and whose indexes find every node.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "conf/snap_build.h"
#include "shm/snap_verify.h"
#include "shm/snap_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("fuzz.yaml", (const char *)data, size, &e);
	if (!c) {
		if (e.n == 0)
			abort(); /* a refusal must say why */
		cfg_errs_free(&e);
		return 0;
	}
	if (e.n != 0)
		abort();
	struct snap_hdr *s = NULL;
	size_t len = 0;
	if (snap_build(c, 1, &s, &len) == 0) {
		if (snap_verify(s, len, NULL) != 0)
			abort();
		for (size_t i = 0; i < c->n_nodes; i++) {
			const struct cfg_node *n = &c->nodes[i];
			const struct snap_node *sn = snap_find_mac(s, n->mac);
			if (!sn || memcmp(sn->mac, n->mac, 6))
				abort();
			if (n->has_ip && !snap_find_ip(s, n->ip))
				abort();
			if (cfg_node_by_name(c, n->name) == NULL)
				abort();
		}
		free(s);
	}
	cfg_free(c);
	cfg_errs_free(&e);
	return 0;
}
