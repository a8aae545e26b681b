/* SPDX-License-Identifier: BSD-3-Clause
 * The client commands' shared option loop (cli_client_parse,
 * control/cli/cli_util.h) and the exit codes of the commands built on it:
 * campaign, discovered, enroll, reimage/localboot, watch.  A URL on
 * loopback port 1 (nothing listens) tells "parsed, then could not reach the
 * server" (EXIT_RUNTIME) apart from the usage errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/cli/cli.h"
#include "control/cli/cli_util.h"
#include "control/exit.h"

#define DEAD "http://127.0.0.1:1"

/* Runs cmd on the words of a NULL-ended list (getopt permutes argv, so a
 * writable copy). */
static int
run(int (*cmd)(int, char **), const char *const *words)
{
	char *argv[32];
	int argc = 0, rc;

	for (; words[argc]; argc++)
		argv[argc] = strdup(words[argc]);
	argv[argc] = NULL;
	rc = cmd(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

struct seen {
	char log[256];
};

static int
record(void *ctx, int key, const char *val)
{
	struct seen *s = ctx;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%c=%s;", key, val ? val : "-");
	return key == 'x' ? 42 : 0;
}

static const struct cli_opt own[] = {
	{ "name", 'n', true, true },
	{ "json", 'j', false, true },
	{ "long-only", 'L', true, false },
	{ "stop", 'x', false, false },
	{ 0 },
};

static int
parse(const char *const *words, struct seen *s, struct cli_args *a, char ***argv_out)
{
	static char *argv[32];
	int argc = 0;

	for (; words[argc]; argc++)
		argv[argc] = (char *)words[argc];
	argv[argc] = NULL;
	memset(s, 0, sizeof(*s));
	*argv_out = argv;
	return cli_client_parse(argc, argv, own, record, s, a);
}

static void
test_parse(void **state)
{
	struct seen s;
	struct cli_args a;
	char **argv;
	(void)state;

	/* options before, between and after positionals; the shared ones too */
	const char *w1[] = { "cmd", "status", "-c", "f.yaml", "ID", "--name", "n1", "-j",
			     "--long-only", "v", "--url", "http://x", NULL };
	assert_int_equal(parse(w1, &s, &a, &argv), 0);
	assert_string_equal(a.cfg, "f.yaml");
	assert_string_equal(a.url, "http://x");
	assert_string_equal(s.log, "n=n1;j=-;L=v;");
	assert_int_equal(a.first, 10);
	assert_string_equal(argv[a.first], "status");
	assert_string_equal(argv[a.first + 1], "ID");

	const char *w2[] = { "cmd", NULL };
	assert_int_equal(parse(w2, &s, &a, &argv), 0);
	assert_null(a.cfg);
	assert_null(a.url);
	assert_int_equal(a.first, 1);

	const char *w3[] = { "cmd", "-n", "a", "--help", "x", NULL };
	assert_int_equal(parse(w3, &s, &a, &argv), CLI_EXIT_HELP);
	const char *w4[] = { "cmd", "--bogus", NULL };
	assert_int_equal(parse(w4, &s, &a, &argv), CLI_EXIT_USAGE_TEXT);
	const char *w5[] = { "cmd", "-L", "v", NULL }; /* long-only has no -L */
	assert_int_equal(parse(w5, &s, &a, &argv), CLI_EXIT_USAGE_TEXT);
	const char *w6[] = { "cmd", "--name", NULL }; /* value missing */
	assert_int_equal(parse(w6, &s, &a, &argv), CLI_EXIT_USAGE_TEXT);
	/* on_opt's verdict ends the parse, options after it unread */
	const char *w7[] = { "cmd", "-j", "--stop", "-n", "z", NULL };
	assert_int_equal(parse(w7, &s, &a, &argv), 42);
	assert_string_equal(s.log, "j=-;x=-;");

	/* the no-positional wrapper */
	char out[256];
	char *b1[] = { "status", "--url", "http://h:1/", NULL };
	assert_int_equal(cli_client_base(3, b1, out, sizeof(out)), 0);
	assert_string_equal(out, "http://h:1");
	char *b2[] = { "status", "--url", "http://h:1", "extra", NULL };
	assert_int_equal(cli_client_base(4, b2, out, sizeof(out)), -EINVAL);
	char *b3[] = { "status", "-h", NULL };
	assert_int_equal(cli_client_base(2, b3, out, sizeof(out)), 1);
}

static void
test_commands(void **state)
{
	(void)state;
	unsetenv("BOOTSTORM_URL");

	/* campaign: action and id checked before the server is asked */
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "list", NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "status", "c1", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "status", NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "list", "x", NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--url", DEAD, "status", "a/b", NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--help", NULL }), CLI_EXIT_HELP);
	assert_int_equal(run(cmd_campaign, (const char *[]){ "campaign", "--json", "list", NULL }),
			 CLI_EXIT_USAGE_TEXT);

	/* discovered: --json / -j, no positional */
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "--json", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "-j", "-u", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "--url", DEAD, "x", NULL }),
			 CLI_EXIT_USAGE_TEXT);
	assert_int_equal(run(cmd_discovered, (const char *[]){ "discovered", "-h", NULL }), CLI_EXIT_HELP);

	/* enroll: MAC and --name required */
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "52:54:00:00:00:01", "--name", "n1",
							   "-p", "centos7", "--ip", "10.0.0.5", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "52:54:00:00:00:01", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "-n", "n1", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_enroll, (const char *[]){ "enroll", "--bogus", NULL }), CLI_EXIT_USAGE_TEXT);

	/* reimage / localboot */
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "node1", "--profile", "p", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "--all", "--rate", "5", "--url", DEAD, NULL }),
			 EXIT_RUNTIME);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "node1", "--rate", "5x", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "--url", DEAD, NULL }), EXIT_USAGE);
	assert_int_equal(run(cmd_reimage, (const char *[]){ "reimage", "--all", "n1", "--url", DEAD, NULL }),
			 EXIT_USAGE);
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "--url", DEAD, NULL }), EXIT_RUNTIME);
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "-p", "x", "--url", DEAD, NULL }),
			 CLI_EXIT_USAGE_TEXT);
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "--power", "--url", DEAD, NULL }),
			 CLI_EXIT_USAGE_TEXT);
	/* a campaign option on localboot: the "whole number" message, as before */
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "--rate", "5", "--url", DEAD, NULL }),
			 EXIT_USAGE);

	/* watch: bad option is its own usage line, exit 2 */
	assert_int_equal(run(cmd_watch, (const char *[]){ "watch", "--bogus", NULL }), EXIT_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
