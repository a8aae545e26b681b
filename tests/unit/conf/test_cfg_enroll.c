/* SPDX-License-Identifier: BSD-3-Clause
 * discovery.enrolled (the CSV `bootstorm enroll` writes): a missing file is an
 * empty inventory, its rows are nodes with locations in it, cfg_load_enroll
 * checks a candidate content without reading or writing the file (a duplicate
 * is reported at the candidate's line:column), and discovery.max_clients is
 * range-checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/cfg.h"

static char dir[64], yaml_path[128], csv_path[128];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
write_yaml(const char *discovery)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml),
		 "server: { name: t, instance: entest, state_dir: %s/state, ip: 10.0.0.1/24 }\n"
		 "dataplane: { ports: [ { dev: net_null0 } ], workers: 1 }\n"
		 "dhcp:\n  subnets:\n    - { subnet: 10.0.0.0/24, pools: [10.0.0.100-10.0.0.199] }\n"
		 "boot: { files: { bios: pxelinux.0 } }\n"
		 "tftp: { root: %s/tftp }\n"
		 "http: { listen: 10.0.0.1:8080, repo_root: %s }\n"
		 "profiles:\n  - { name: p1, kernel: k/vmlinuz, initrd: k/initrd }\n"
		 "nodes:\n  - { name: yamlnode, mac: 52:54:00:00:00:01, ip: 10.0.0.11 }\n"
		 "%s",
		 dir, dir, dir, discovery);
	write_file(yaml_path, yaml);
}

static int
setup(void **state)
{
	char cmd[256];
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bs-enr-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/tftp %s/state && touch %s/tftp/pxelinux.0", dir, dir,
		 dir);
	assert_int_equal(system(cmd), 0);
	snprintf(yaml_path, sizeof(yaml_path), "%s/c.yaml", dir);
	snprintf(csv_path, sizeof(csv_path), "%s/enrolled.csv", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct cfg *
load_ok(const char *csv, size_t csv_len, bool candidate)
{
	struct cfg_errs errs = { 0 };
	struct cfg *c = candidate ? cfg_load_enroll(yaml_path, csv, csv_len, &errs) :
				    cfg_load(yaml_path, &errs);
	if (!c || errs.n) {
		cfg_errs_print(&errs, stderr);
		fail_msg("config rejected");
	}
	cfg_errs_free(&errs);
	return c;
}

static void
test_missing_is_empty(void **state)
{
	(void)state;
	write_yaml("discovery: { enrolled: enrolled.csv, max_clients: 100 }\n");
	unlink(csv_path);
	struct cfg *c = load_ok(NULL, 0, false);
	assert_int_equal(c->n_nodes, 1);
	assert_int_equal(c->disc_max, 100);
	assert_string_equal(c->disc_enrolled, csv_path); /* relative to the YAML */
	cfg_free(c);

	/* without the section: enrollment off, the default cap */
	write_yaml("");
	c = load_ok(NULL, 0, false);
	assert_null(c->disc_enrolled);
	assert_int_equal(c->disc_max, 4096);
	cfg_free(c);
}

static void
test_rows_are_nodes(void **state)
{
	(void)state;
	write_yaml("discovery: { enrolled: enrolled.csv }\n");
	write_file(csv_path, "# bootstorm enroll writes this file\nen01,52:54:00:00:00:aa,10.0.0.50,p1\n");
	struct cfg *c = load_ok(NULL, 0, false);
	assert_int_equal(c->n_nodes, 2);
	const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 0xaa };
	const struct cfg_node *n = cfg_node_by_mac(c, mac);
	assert_non_null(n);
	assert_string_equal(n->name, "en01");
	assert_int_equal(n->loc.line, 2);
	assert_non_null(strstr(n->loc.file, "enrolled.csv"));
	cfg_free(c);
}

static void
test_candidate_checked(void **state)
{
	(void)state;
	write_yaml("discovery: { enrolled: enrolled.csv }\n");
	write_file(csv_path, "en01,52:54:00:00:00:aa,10.0.0.50,p1\n");
	/* the candidate replaces the file's content, which stays as it was */
	const char *cand = "en01,52:54:00:00:00:aa,10.0.0.50,p1\nen02,52:54:00:00:00:bb,,p1\n";
	struct cfg *c = load_ok(cand, strlen(cand), true);
	assert_int_equal(c->n_nodes, 3);
	cfg_free(c);

	/* a duplicate MAC of the YAML's node, at the candidate's row 2 */
	struct cfg_errs errs = { 0 };
	const char *dup = "en01,52:54:00:00:00:aa,10.0.0.50,p1\nen03,52:54:00:00:00:01,,\n";
	c = cfg_load_enroll(yaml_path, dup, strlen(dup), &errs);
	assert_null(c);
	assert_true(errs.n >= 1);
	bool found = false;
	for (size_t i = 0; i < errs.n; i++)
		if (strstr(errs.v[i].loc.file, "enrolled.csv") && errs.v[i].loc.line == 2 &&
		    strstr(errs.v[i].msg, "duplicate MAC"))
			found = true;
	if (!found)
		cfg_errs_print(&errs, stderr);
	assert_true(found);
	cfg_errs_free(&errs);

	/* the file itself still loads with one enrolled node */
	c = load_ok(NULL, 0, false);
	assert_int_equal(c->n_nodes, 2);
	cfg_free(c);
}

static void
test_bad_keys(void **state)
{
	(void)state;
	struct cfg_errs errs = { 0 };
	write_yaml("discovery: { max_clients: 5 }\n");
	assert_null(cfg_load(yaml_path, &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0].msg, "discovery.max_clients"));
	cfg_errs_free(&errs);
	write_yaml("discovery: { enrolled: [a, b] }\n");
	assert_null(cfg_load(yaml_path, &errs));
	assert_non_null(strstr(errs.v[0].msg, "discovery.enrolled"));
	cfg_errs_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_is_empty),
		cmocka_unit_test(test_rows_are_nodes),
		cmocka_unit_test(test_candidate_checked),
		cmocka_unit_test(test_bad_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
