/* SPDX-License-Identifier: BSD-3-Clause
 * The control unit tests' scratch config (ctl_testcfg.h). */
#include "tests/unit/control/ctl_testcfg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

void
tcfg_dir(char *dir, size_t cap, const char *tag)
{
	char cmd[512];

	snprintf(dir, cap, "/tmp/bs-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/tftp' '%s/state' '%s/tmpl' && touch '%s/tftp/pxelinux.0'",
		 dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
}

struct cfg *
tcfg_load(const char *dir, const char *yaml)
{
	struct cfg_errs errs = { 0 };
	struct cfg *cfg;
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/c.yaml", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(yaml, f);
	assert_int_equal(fclose(f), 0);
	cfg = cfg_load(p, &errs);
	if (!cfg || errs.n) {
		cfg_errs_print(&errs, stderr);
		fail_msg("test config rejected");
	}
	cfg_errs_free(&errs);
	return cfg;
}

int
tcfg_rmdir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}
