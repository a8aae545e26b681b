/* SPDX-License-Identifier: BSD-3-Clause
 * ${var} templates: substitution, overrides, escapes, and errors that name
 * file:line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/daemon/tmpl.h"

static struct tmpl_vars vs;

static int
setup(void **state)
{
	(void)state;
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(tmpl_vars_set(&vs, "name", "node001"), 0);
	assert_int_equal(tmpl_vars_set(&vs, "ip", "10.0.0.5"), 0);
	assert_int_equal(tmpl_vars_set(&vs, "role", "compute"), 0);
	assert_int_equal(tmpl_vars_set(&vs, "empty", ""), 0);
	assert_int_equal(tmpl_vars_set(&vs, "tricky", "${ip}"), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpl_vars_free(&vs);
	return 0;
}

static void
render_ok(const char *in, const char *want)
{
	struct tmpl_err err;
	char *out = NULL;
	size_t len = 0;
	int rc = tmpl_render("t.ks", in, strlen(in), &vs, &out, &len, &err);

	if (rc != 0)
		fail_msg("render of '%s' failed: %s: %s", in, err.where, err.msg);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

static void
render_err(const char *in, const char *where, const char *msg_part)
{
	struct tmpl_err err;
	char *out = NULL;
	size_t len;
	int rc = tmpl_render("t.ks", in, strlen(in), &vs, &out, &len, &err);

	assert_int_equal(rc, -EINVAL);
	assert_null(out);
	assert_string_equal(err.where, where);
	if (!strstr(err.msg, msg_part))
		fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
}

static void
test_substitution(void **state)
{
	(void)state;
	render_ok("", "");
	render_ok("plain text\n", "plain text\n");
	render_ok("${name}", "node001");
	render_ok("host ${name} at ${ip}.", "host node001 at 10.0.0.5.");
	render_ok("${name}${ip}", "node00110.0.0.5");
	render_ok("[${empty}]", "[]");
	/* values are not expanded again */
	render_ok("${tricky}", "${ip}");
}

static void
test_override(void **state)
{
	(void)state;
	/* node vars are set after profile vars: the later set wins */
	assert_int_equal(tmpl_vars_set(&vs, "role", "head"), 0);
	render_ok("${role}", "head");
	assert_string_equal(tmpl_vars_get(&vs, "role"), "head");
	assert_null(tmpl_vars_get(&vs, "nope"));
}

static void
test_escapes(void **state)
{
	(void)state;
	render_ok("$${name}", "${name}");	  /* the escape */
	render_ok("cost $5 and $HOME", "cost $5 and $HOME"); /* lone $ is literal */
	render_ok("$$", "$$");
	render_ok("end$", "end$");
	render_ok("a $${x} b ${name}", "a ${x} b node001");
	render_ok("%post\nexport X=$(hostname)\n", "%post\nexport X=$(hostname)\n");
}

static void
test_errors_name_line(void **state)
{
	(void)state;
	render_err("${missing}", "t.ks:1", "undefined variable 'missing'");
	render_err("line1\nline2\nx ${nope} y\n", "t.ks:3", "'nope'");
	render_err("ok\n${name", "t.ks:2", "unterminated");
	render_err("${name\n}", "t.ks:1", "unterminated");
	render_err("${}", "t.ks:1", "empty");
	render_err("${bad name}", "t.ks:1", "bad variable name");
	/* a 65-character name is over the limit */
	render_err("${aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}", "t.ks:1",
		   "bad variable name");
}

static void
test_file(void **state)
{
	char dir[] = "/tmp/bs-tmpl-XXXXXX", path[64];
	struct tmpl_err err;
	char *out = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.ks", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# ks\nnetwork --ip=${ip}\n\nrole=${rolez}\n", f);
	fclose(f);
	assert_int_equal(tmpl_render_file(path, &vs, &out, &len, &err), -EINVAL);
	{
		char want[96];

		snprintf(want, sizeof(want), "%s:4", path);
		assert_string_equal(err.where, want);
	}
	assert_int_equal(tmpl_vars_set(&vs, "rolez", "x"), 0);
	assert_int_equal(tmpl_render_file(path, &vs, &out, &len, &err), 0);
	assert_string_equal(out, "# ks\nnetwork --ip=10.0.0.5\n\nrole=x\n");
	free(out);
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing.ks", dir);
	assert_int_equal(tmpl_render_file(path, &vs, &out, &len, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot read"));
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_substitution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
