/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: arbitrary bytes as a YAML config.  The loader must return a
 * config or errors (a refusal says why), never crash; a config it accepts
 * must flatten into a snapshot that snap_verify accepts and whose indexes
 * find every node (fz_conf_check_snap).
 */
#include "conf/cfg.h"
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("fuzz.yaml", (const char *)data, size, &e);

	FZ_CHECK(c ? e.n == 0 : e.n != 0);
	if (c)
		fz_conf_check_snap(c);
	cfg_free(c);
	cfg_errs_free(&e);
	return 0;
}
