/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: template rendering (kickstart, iPXE, pxelinux templates).
 * Input: optional variables, one "key=value" per line, then a line "%%",
 * then the template text (any bytes, NUL included).  Without a "%%" line
 * the whole input is the template and a fixed set of variables applies
 * (some of whose values look like references, to check they are never
 * expanded again).  The oracle is a plain reference renderer
 * (harness/fz_tmpl.c).
 */
#include <string.h>

#include "control/daemon/tmpl.h"
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct tmpl_vars vs = { 0 };
	struct tmpl_err err;
	size_t start = fz_tmpl_vars(in, size, &vs), outlen = 0;
	char *out = NULL;

	memset(&err, 0, sizeof(err));
	int rc = tmpl_render("fuzz.tmpl", in + start, size - start, &vs, &out, &outlen, &err);
	fz_tmpl_compare(in + start, size - start, &vs, rc, out, outlen, err.where, err.msg);
	free(out);
	tmpl_vars_free(&vs);
	return 0;
}
