/* SPDX-License-Identifier: BSD-3-Clause
 * The per-node fleet view's pure parts (control/fleet/fleet_node.h): a
 * MAC key told from a node name, BMC references without credentials, the
 * `fleet nodes` filters into SQL parameters, the DHCP answerer of a
 * bucket (checked against snap_lb_assign, the split the servers apply),
 * and the commands' argument checks up to the point where they would
 * connect (an unreachable database: EXIT_RUNTIME tells "parsed" from the
 * usage errors). */
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

#include "conf/snap_build.h"
#include "control/cli/cli.h"
#include "control/exit.h"
#include "control/fleet/fleet_node.h"

static void
test_key_mac(void **state)
{
	char m[18];

	(void)state;
	assert_true(fleet_node_key_mac("52:54:00:AB:cd:0F", m));
	assert_string_equal(m, "52:54:00:ab:cd:0f");
	assert_true(fleet_node_key_mac("52-54-00-ab-cd-0f", m));
	assert_string_equal(m, "52:54:00:ab:cd:0f");
	assert_false(fleet_node_key_mac("n01", m));
	assert_string_equal(m, "");
	assert_false(fleet_node_key_mac("52:54:00:ab:cd:0g", m));
	assert_false(fleet_node_key_mac("52:54:00-ab:cd:0f", m)); /* mixed separators */
	assert_false(fleet_node_key_mac("52:54:00:ab:cd:0f0", m));
	assert_false(fleet_node_key_mac("5254.00ab.cd0f.xx", m));
	assert_false(fleet_node_key_mac("", m));
}

static void
redacts(const char *in, const char *want, bool cut)
{
	char out[256];

	assert_int_equal(fleet_bmc_redact(in, out, sizeof(out)), cut);
	assert_string_equal(out, want);
}

static void
test_bmc_redact(void **state)
{
	char small[8];

	(void)state;
	redacts("ipmi://admin:s3cret@10.0.0.5:623", "ipmi://10.0.0.5:623", true);
	redacts("redfish://root:p%40ss@bmc1.example/redfish/v1/Systems/1",
		"redfish://bmc1.example/redfish/v1/Systems/1", true);
	/* an '@' in the password: userinfo ends at the last one */
	redacts("ipmi://u:a@b@10.0.0.5", "ipmi://10.0.0.5", true);
	redacts("ipmi://10.0.0.5", "ipmi://10.0.0.5", false);
	redacts("https://bmc/redfish/v1?user=root&password=x", "https://bmc/redfish/v1", true);
	redacts("admin:pw@10.0.0.7", "10.0.0.7", true); /* no scheme */
	/* an '@' after the authority is no userinfo */
	redacts("redfish://bmc/path/a@b", "redfish://bmc/path/a@b", false);
	redacts("", "", false);
	redacts(NULL, "", false);
	/* truncated, still terminated, never the password */
	fleet_bmc_redact("ipmi://admin:s3cret@10.0.0.5", small, sizeof(small));
	assert_string_equal(small, "ipmi://");
}

static void
test_filters(void **state)
{
	struct fleet_nodes_q q;
	char err[128], long_name[200];

	(void)state;
	assert_int_equal(fleet_nodes_q_fill(&q, NULL, NULL, NULL, NULL, err, sizeof(err)), 0);
	assert_null(q.v[FNP_SERVER]);
	assert_null(q.v[FNP_STATE]);
	assert_null(q.v[FNP_CAMPAIGN]);
	assert_string_equal(q.v[FNP_LIMIT], "100");
	assert_int_equal(fleet_nodes_q_fill(&q, "rack-x", "failed", "camp-a", "25", err, sizeof(err)),
			 0);
	assert_string_equal(q.v[FNP_SERVER], "rack-x");
	assert_string_equal(q.v[FNP_STATE], "failed");
	assert_string_equal(q.v[FNP_CAMPAIGN], "camp-a");
	assert_string_equal(q.v[FNP_LIMIT], "25");
	/* "" is no filter (an empty ?server= in a URL) */
	assert_int_equal(fleet_nodes_q_fill(&q, "", "", "", "", err, sizeof(err)), 0);
	assert_null(q.v[FNP_SERVER]);
	assert_string_equal(q.v[FNP_LIMIT], "100");
	assert_int_equal(fleet_nodes_q_fill(&q, NULL, NULL, NULL, "0", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--limit wants 1-10000"));
	assert_int_equal(fleet_nodes_q_fill(&q, NULL, NULL, NULL, "10001", err, sizeof(err)), -EINVAL);
	assert_int_equal(fleet_nodes_q_fill(&q, NULL, NULL, NULL, "5x", err, sizeof(err)), -EINVAL);
	assert_int_equal(fleet_nodes_q_fill(&q, NULL, NULL, NULL, "10000", err, sizeof(err)), 0);
	assert_int_equal(fleet_nodes_q_fill(&q, NULL, "fail\ned", NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--state"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(fleet_nodes_q_fill(&q, long_name, NULL, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--server"));
}

/* The answerer agrees with the split each server applies to itself. */
static void
test_answerer(void **state)
{
	(void)state;
	for (uint32_t n = 1; n <= 4; n++) {
		for (uint32_t mask = 0; mask < (1u << n); mask++) {
			bool alive[4];
			uint8_t set[4][SNAP_LB_BUCKETS / 8];

			for (uint32_t i = 0; i < n; i++)
				alive[i] = mask & (1u << i);
			for (uint32_t i = 0; i < n; i++)
				snap_lb_assign(n, alive, i, set[i]);
			for (int b = 0; b < SNAP_LB_BUCKETS; b++) {
				int who = fleet_node_answerer(b, n, alive);

				if (mask == 0) {
					assert_int_equal(who, -1);
					continue;
				}
				assert_true(who >= 0 && (uint32_t)who < n && alive[who]);
				/* exactly that live server has the bucket */
				for (uint32_t i = 0; i < n; i++)
					if (alive[i])
						assert_int_equal(!!(set[i][b >> 3] & (1u << (b & 7))),
								 (int)i == who);
			}
		}
	}
	assert_int_equal(fleet_node_answerer(-1, 2, (bool[]){ true, true }), -1);
	assert_int_equal(fleet_node_answerer(256, 2, (bool[]){ true, true }), -1);
	assert_int_equal(fleet_node_answerer(5, 0, NULL), -1);
	/* bucket 5 of 3: its owner is 2; dead, its survivor is live[(5/3) % 2] = 1 */
	assert_int_equal(fleet_node_answerer(5, 3, (bool[]){ true, true, true }), 2);
	assert_int_equal(fleet_node_answerer(5, 3, (bool[]){ true, true, false }), 1);
}

static char cfgpath[64];

static int
run(const char *const *words)
{
	char *argv[64];
	int argc = 0, rc;

	for (; words[argc]; argc++)
		argv[argc] = strdup(words[argc]);
	argv[argc] = NULL;
	rc = cmd_fleet(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

static int
mkcfg(void **state)
{
	static const char y[] = "server: {ip: 10.1.0.1/16}\nfleet:\n"
				"  database: \"host=/nonexistent-bs-fcnode dbname=x\"\n";
	int fd;
	FILE *f;

	(void)state;
	snprintf(cfgpath, sizeof(cfgpath), "/tmp/bs-fcnode-XXXXXX");
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

#define F(...) run((const char *[]){ "fleet", __VA_ARGS__, NULL })

static void
test_commands(void **state)
{
	const char *c = cfgpath;

	(void)state;
	/* parsed, then the database is unreachable */
	assert_int_equal(F("node", "n01", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("node", "52:54:00:00:00:01", "--json", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("nodes", "-c", c), EXIT_RUNTIME);
	assert_int_equal(F("nodes", "--server", "rack-x", "--state", "failed", "--campaign", "c1",
			   "--limit", "10", "--json", "-c", c), EXIT_RUNTIME);
	/* usage */
	assert_int_equal(F("node", "-c", c), EXIT_USAGE);
	assert_int_equal(F("node", "n01", "n02", "-c", c), EXIT_USAGE);
	assert_int_equal(F("nodes", "x", "-c", c), EXIT_USAGE);
	assert_int_equal(F("nodes", "--limit", "0", "-c", c), EXIT_USAGE);
	assert_int_equal(F("nodes", "--limit", "many", "-c", c), EXIT_USAGE);
	/* the filters are the list's alone */
	assert_int_equal(F("node", "n01", "--state", "failed", "-c", c), EXIT_USAGE);
	assert_int_equal(F("campaigns", "--server", "a", "-c", c), EXIT_USAGE);
	/* and do not stick to the next command */
	assert_int_equal(F("campaigns", "-c", c), EXIT_RUNTIME);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_mac),
		cmocka_unit_test(test_bmc_redact),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_answerer),
		cmocka_unit_test_setup_teardown(test_commands, mkcfg, rmcfg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
