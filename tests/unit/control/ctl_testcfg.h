/* SPDX-License-Identifier: BSD-3-Clause
 * The control unit tests' scratch config: a directory under /tmp with the
 * roots a config names, the YAML written into it and loaded (every error
 * printed, then the test failed), and its removal. */
#ifndef BS_TEST_CTL_TESTCFG_H
#define BS_TEST_CTL_TESTCFG_H

#include <stddef.h>

#include "conf/cfg.h"

/* Makes /tmp/bs-<tag>-XXXXXX (its path in dir) holding tftp/pxelinux.0,
 * state/ and tmpl/; fails the test when it cannot. */
void tcfg_dir(char *dir, size_t cap, const char *tag);
/* Writes yaml to <dir>/c.yaml and loads it; a config with any error fails
 * the test (after printing the errors). */
struct cfg *tcfg_load(const char *dir, const char *yaml);
/* rm -rf dir: 0, or -1 when that failed. */
int tcfg_rmdir(const char *dir);

#endif
