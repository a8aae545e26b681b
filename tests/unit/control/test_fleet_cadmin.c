/* SPDX-License-Identifier: BSD-3-Clause
 * Fleet-wide campaigns, the creator's pure parts (control/fleet/
 * fleet_cadmin.h): the flags of `bootstorm reimage --fleet` into the values
 * of the campaigns row (defaults from the config, every column), campaign
 * names, the per-server count line; and the commands' argument checks
 * (reimage --fleet, fleet campaigns / campaign NAME [cancel|retry-failed])
 * up to the point where they would connect (a database that cannot be
 * reached: EXIT_RUNTIME tells "parsed" from the usage errors). */
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

#include "control/cli/cli.h"
#include "control/exit.h"
#include "control/fleet/fleet_cadmin.h"

static const struct camp_params def = {
	.max_in_flight = 50,
	.power_on_rate = 5,
	.burst = 1,
	.dhcp_deadline_ms = 300000,
	.max_repower = 2,
	.install_deadline_ms = 3600000,
	.power = true,
	.verify_deadline_ms = 0,
};

static void
test_row_defaults(void **state)
{
	struct fleet_camp_opts o = { 0 };
	struct fleet_camp_row row;
	const char *v[FCC_MAX];
	char err[200];

	(void)state;
	assert_int_equal(fleet_camp_row_fill(&def, &o, &row, err, sizeof(err)), 0);
	fleet_camp_row_values(&row, v);
	assert_string_equal(v[FCC_NAME], "");	/* the database names it fleet-<id> */
	assert_null(v[FCC_PROFILE]);		/* each node's own */
	assert_string_equal(v[FCC_POWER_ON_RATE], "5");
	assert_string_equal(v[FCC_BURST], "1");
	assert_string_equal(v[FCC_MAX_IN_FLIGHT], "50");
	assert_null(v[FCC_SERVER_RATE]);	/* no per-server cap */
	assert_null(v[FCC_SERVER_IN_FLIGHT]);
	assert_string_equal(v[FCC_DHCP_DEADLINE_MS], "300000");
	assert_string_equal(v[FCC_MAX_REPOWER], "2");
	assert_string_equal(v[FCC_INSTALL_DEADLINE_MS], "3600000");
	assert_string_equal(v[FCC_VERIFY_DEADLINE_MS], "0");
	assert_string_equal(v[FCC_POWER], "true");
	/* the column list names as many columns as the row has values */
	size_t commas = 0;
	for (const char *p = FLEET_CAMP_COLS; *p; p++)
		commas += *p == ',';
	assert_int_equal(commas + 1, FCC_MAX);
}

static void
test_row_flags(void **state)
{
	struct fleet_camp_opts o = {
		.name = "rack7-refresh", .profile = "rocky9", .rate = "0.5", .max_in_flight = "8",
		.server_rate = "1.25", .server_in_flight = "3", .dhcp_deadline = "40",
		.install_deadline = "600", .max_repower = "0", .no_power = true,
	};
	struct camp_params d2 = def;
	struct fleet_camp_row row;
	const char *v[FCC_MAX];
	char err[200];

	(void)state;
	d2.verify_deadline_ms = 10000;
	assert_int_equal(fleet_camp_row_fill(&d2, &o, &row, err, sizeof(err)), 0);
	fleet_camp_row_values(&row, v);
	assert_string_equal(v[FCC_NAME], "rack7-refresh");
	assert_string_equal(v[FCC_PROFILE], "rocky9");
	assert_string_equal(v[FCC_POWER_ON_RATE], "0.5");
	assert_string_equal(v[FCC_MAX_IN_FLIGHT], "8");
	assert_string_equal(v[FCC_SERVER_RATE], "1.25");
	assert_string_equal(v[FCC_SERVER_IN_FLIGHT], "3");
	assert_string_equal(v[FCC_DHCP_DEADLINE_MS], "40000");
	assert_string_equal(v[FCC_INSTALL_DEADLINE_MS], "600000");
	assert_string_equal(v[FCC_MAX_REPOWER], "0");
	assert_string_equal(v[FCC_VERIFY_DEADLINE_MS], "10000");
	assert_string_equal(v[FCC_POWER], "false");
	assert_false(row.p.power);
	assert_true(row.p.power_on_rate == 0.5);
}

/* One bad flag: -EINVAL, and the message names the flag. */
static void
bad(struct fleet_camp_opts o, const char *flag)
{
	struct fleet_camp_row row;
	char err[200] = "";

	assert_int_equal(fleet_camp_row_fill(&def, &o, &row, err, sizeof(err)), -EINVAL);
	if (!strstr(err, flag))
		fail_msg("'%s' does not name %s", err, flag);
}

static void
test_row_refusals(void **state)
{
	(void)state;
	bad((struct fleet_camp_opts){ .rate = "0" }, "--rate");
	bad((struct fleet_camp_opts){ .rate = "1e3" }, "--rate");
	bad((struct fleet_camp_opts){ .rate = "10001" }, "--rate");
	bad((struct fleet_camp_opts){ .rate = "" }, "--rate");
	bad((struct fleet_camp_opts){ .max_in_flight = "0" }, "--max-in-flight");
	bad((struct fleet_camp_opts){ .max_in_flight = "1.5" }, "--max-in-flight");
	bad((struct fleet_camp_opts){ .max_in_flight = "100001" }, "--max-in-flight");
	bad((struct fleet_camp_opts){ .server_rate = "-1" }, "--server-rate");
	bad((struct fleet_camp_opts){ .server_in_flight = "0" }, "--server-in-flight");
	bad((struct fleet_camp_opts){ .dhcp_deadline = "0" }, "--dhcp-deadline");
	bad((struct fleet_camp_opts){ .install_deadline = "604801" }, "--install-deadline");
	bad((struct fleet_camp_opts){ .max_repower = "101" }, "--max-repower");
	bad((struct fleet_camp_opts){ .name = "fleet-12" }, "--name");
	bad((struct fleet_camp_opts){ .name = "a b" }, "--name");
	bad((struct fleet_camp_opts){ .profile = "x;DROP" }, "--profile");
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(fleet_camp_name_ok("camp-a"));
	assert_true(fleet_camp_name_ok("rack_7.refresh"));
	assert_true(fleet_camp_name_ok("fleet-x1"));
	assert_true(fleet_camp_name_ok("0123456789012345678901234567890")); /* 31 */
	assert_false(fleet_camp_name_ok("01234567890123456789012345678901")); /* 32 */
	assert_false(fleet_camp_name_ok(""));
	assert_false(fleet_camp_name_ok(NULL));
	assert_false(fleet_camp_name_ok("-x"));
	assert_false(fleet_camp_name_ok(".x"));
	assert_false(fleet_camp_name_ok("a/b"));
	assert_false(fleet_camp_name_ok("fleet-7")); /* what the database names */
}

static void
test_counts_line(void **state)
{
	const char *names[] = { "srv-a", NULL, "srv-b", NULL };
	long counts[] = { 3, 1, 2, 4 };
	char buf[64], tiny[12];

	(void)state;
	/* the unowned ones summed and listed last */
	assert_int_equal(fleet_camp_counts_line(names, counts, 4, buf, sizeof(buf)),
			 strlen("srv-a 3, srv-b 2, unowned 5"));
	assert_string_equal(buf, "srv-a 3, srv-b 2, unowned 5");
	fleet_camp_counts_line(names, counts, 1, buf, sizeof(buf));
	assert_string_equal(buf, "srv-a 3");
	fleet_camp_counts_line(names + 1, counts + 1, 1, buf, sizeof(buf));
	assert_string_equal(buf, "unowned 1");
	fleet_camp_counts_line(names, counts, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	fleet_camp_counts_line(names, counts, 4, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_string_equal(tiny + sizeof(tiny) - 4, "...");
}

static void
test_final(void **state)
{
	(void)state;
	assert_true(fleet_camp_stage_final("done"));
	assert_true(fleet_camp_stage_final("failed"));
	assert_true(fleet_camp_stage_final("cancelled"));
	assert_false(fleet_camp_stage_final("queued"));
	assert_false(fleet_camp_stage_final("waiting-dhcp"));
	assert_false(fleet_camp_stage_final("installing"));
}

/* ---- the commands' arguments ---- */

static char cfgpath[64];

static int
run(int (*cmd)(int, char **), const char *const *words)
{
	char *argv[64];
	int argc = 0, rc;

	for (; words[argc]; argc++)
		argv[argc] = strdup(words[argc]);
	argv[argc] = NULL;
	rc = cmd(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

static int
mkcfg(void **state)
{
	/* a database that cannot be reached: parsed commands fail at runtime */
	static const char y[] = "server: {ip: 10.1.0.1/16}\nfleet:\n"
				"  database: \"host=/nonexistent-bs-fcadmin dbname=x\"\n";
	int fd;
	FILE *f;

	(void)state;
	snprintf(cfgpath, sizeof(cfgpath), "/tmp/bs-fcadmin-XXXXXX");
	fd = mkstemp(cfgpath);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -1;
	fputs(y, f);
	fclose(f);
	return 0;
}

static int
rmcfg(void **state)
{
	(void)state;
	unlink(cfgpath);
	return 0;
}

#define R(...) run(cmd_reimage, (const char *[]){ "reimage", __VA_ARGS__, NULL })
#define F(...) run(cmd_fleet, (const char *[]){ "fleet", __VA_ARGS__, NULL })

static void
test_commands(void **state)
{
	const char *c = cfgpath;

	(void)state;
	/* parsed, then the database is unreachable */
	assert_int_equal(R("n[1-4]", "--fleet", "-c", c), EXIT_RUNTIME);
	assert_int_equal(R("--all", "--fleet", "--rate", "0.5", "--server-rate", "0.2",
			   "--server-in-flight", "2", "--max-in-flight", "9", "--name", "x1",
			   "--no-power", "-c", c),
			 EXIT_RUNTIME);
	assert_int_equal(R("n1", "--fleet", "--power", "-c", c), EXIT_RUNTIME); /* the default */
	/* usage errors, before any connection */
	assert_int_equal(R("n1", "--fleet", "--rate", "0", "-c", c), EXIT_USAGE);
	assert_int_equal(R("n1", "--fleet", "--name", "fleet-3", "-c", c), EXIT_USAGE);
	assert_int_equal(R("n1", "--fleet", "--profile", "nosuch", "-c", c), EXIT_USAGE);
	assert_int_equal(R("n1", "--fleet", "--power", "--no-power", "-c", c), EXIT_USAGE);
	assert_int_equal(R("n1", "--fleet", "--url", "http://127.0.0.1:1", "-c", c), EXIT_USAGE);
	assert_int_equal(R("n[1-", "--fleet", "-c", c), EXIT_USAGE);
	assert_int_equal(R("--fleet", "-c", c), EXIT_USAGE);
	assert_int_equal(R("n1", "--fleet", "-c", "/nonexistent/bs.yaml"), EXIT_USAGE);
	/* the --fleet flags without --fleet; a fraction of a local rate */
	assert_int_equal(R("n1", "--server-rate", "2", "--url", "http://127.0.0.1:1"), EXIT_USAGE);
	assert_int_equal(R("n1", "--no-power", "--url", "http://127.0.0.1:1"), EXIT_USAGE);
	assert_int_equal(R("n1", "--name", "x", "--url", "http://127.0.0.1:1"), EXIT_USAGE);
	assert_int_equal(R("n1", "--rate", "0.5", "--url", "http://127.0.0.1:1"), EXIT_USAGE);
	assert_int_equal(run(cmd_localboot, (const char *[]){ "localboot", "n1", "--fleet", NULL }),
			 CLI_EXIT_USAGE_TEXT);
	/* fleet campaigns / campaign NAME [cancel|retry-failed] */
	assert_int_equal(F("campaigns", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("campaigns", "--json", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("campaign", "x1", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("campaign", "x1", "cancel", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("campaign", "x1", "retry-failed", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("campaign", "x1", "explode", "-c", c), EXIT_USAGE);
	assert_int_equal(F("campaign", "-c", c), EXIT_USAGE);
	assert_int_equal(F("campaigns", "x1", "-c", c), EXIT_USAGE);
	assert_int_equal(F("campaign", "x1", "cancel", "--json", "-c", c), EXIT_USAGE);
	assert_int_equal(F("campaign", "x1", "cancel", "now", "-c", c), EXIT_USAGE);
	assert_int_equal(F("bogus", "-c", c), EXIT_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_defaults),
		cmocka_unit_test(test_row_flags),
		cmocka_unit_test(test_row_refusals),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_counts_line),
		cmocka_unit_test(test_final),
		cmocka_unit_test_setup_teardown(test_commands, mkcfg, rmcfg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
