/* SPDX-License-Identifier: BSD-3-Clause
 * Kickstart authorisation rule and the per-node template variables. */
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

#include "control/daemon/kickstart.h"
#include "control/daemon/pxegen.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static void
test_authorize_table(void **state)
{
	struct cfg_node reserved = { .name = "n1", .has_ip = true, .ip = IP(10, 0, 0, 11) };
	struct cfg_node dynamic = { .name = "n2", .has_ip = false };
	static const char tok[] = "s3cret";
	const struct {
		const struct cfg_node *n;
		uint32_t peer, leased;
		const char *cfg_tok, *req_tok;
		enum ks_auth want;
	} t[] = {
		/* reserved address */
		{ &reserved, IP(10, 0, 0, 11), 0, NULL, NULL, KS_ALLOW_RESERVED },
		{ &reserved, IP(10, 0, 0, 12), 0, NULL, NULL, KS_DENY },   /* neighbour: refused */
		{ &reserved, IP(10, 0, 0, 12), IP(10, 0, 0, 12), NULL, NULL, KS_ALLOW_LEASED },
		/* leased address only */
		{ &dynamic, IP(10, 0, 0, 150), IP(10, 0, 0, 150), NULL, NULL, KS_ALLOW_LEASED },
		{ &dynamic, IP(10, 0, 0, 151), IP(10, 0, 0, 150), NULL, NULL, KS_DENY },
		{ &dynamic, 0, 0, NULL, NULL, KS_DENY },		    /* no lease: 0 never matches */
		/* token */
		{ &dynamic, IP(192, 168, 1, 1), 0, tok, "s3cret", KS_ALLOW_TOKEN },
		{ &dynamic, IP(192, 168, 1, 1), 0, tok, "s3cre", KS_DENY },  /* prefix */
		{ &dynamic, IP(192, 168, 1, 1), 0, tok, "s3cret!", KS_DENY }, /* longer */
		{ &dynamic, IP(192, 168, 1, 1), 0, tok, "S3CRET", KS_DENY },
		{ &dynamic, IP(192, 168, 1, 1), 0, tok, "", KS_DENY },
		{ &dynamic, IP(192, 168, 1, 1), 0, tok, NULL, KS_DENY },
		{ &dynamic, IP(192, 168, 1, 1), 0, "", "", KS_DENY },	    /* token access off */
		{ &dynamic, IP(192, 168, 1, 1), 0, NULL, "s3cret", KS_DENY },
		/* unknown node: only nothing */
		{ NULL, IP(10, 0, 0, 11), 0, tok, NULL, KS_DENY },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ks_auth a = ks_authorize(t[i].n, t[i].peer, t[i].leased, t[i].cfg_tok, t[i].req_tok);

		if (a != t[i].want)
			fail_msg("case %zu: got %s want %s", i, ks_auth_name(a), ks_auth_name(t[i].want));
	}
}

static char dir[64];
static struct cfg *cfg;

static int
setup_cfg(void **state)
{
	char p[512], yaml[4096];
	struct cfg_errs errs = { 0 };
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bs-ks-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "mkdir -p %s/tftp %s/state %s/tmpl && touch %s/tftp/pxelinux.0 %s/tmpl/p1.ks", dir, dir, dir,
		 dir, dir);
	assert_int_equal(system(p), 0);
	snprintf(yaml, sizeof(yaml),
		 "server: { name: t, instance: kstest, state_dir: %s/state, ip: 10.0.0.1/24 }\n"
		 "dataplane: { ports: [ { dev: net_null0 } ], workers: 1 }\n"
		 "dhcp:\n  subnets:\n    - { subnet: 10.0.0.0/24, pools: [10.0.0.100-10.0.0.199] }\n"
		 "boot: { default_profile: p1, files: { bios: pxelinux.0 } }\n"
		 "tftp: { root: %s/tftp }\n"
		 "http: { listen: 10.0.0.1:8080, repo_root: %s, templates: %s/tmpl, kickstart_token: tk }\n"
		 "profiles:\n"
		 "  - name: p1\n    kernel: k/vmlinuz\n    initrd: k/initrd\n"
		 "    append: \"ks=${base_url}/ks/${name} role=${role} tz=${timezone}\"\n"
		 "    kickstart: p1.ks\n    repo_url: http://10.0.0.1:8080/repo/x\n"
		 "    vars: { timezone: UTC, role: default-role }\n"
		 "nodes:\n"
		 "  - { name: n1, mac: 52:54:00:00:00:01, ip: 10.0.0.11, profile: p1, vars: { role: head } }\n"
		 "  - { name: n2, mac: 52:54:00:00:00:02, profile: p1 }\n",
		 dir, dir, dir, dir);
	snprintf(p, sizeof(p), "%s/c.yaml", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	cfg = cfg_load(p, &errs);
	if (!cfg || errs.n) {
		cfg_errs_print(&errs, stderr);
		fail_msg("test config rejected");
	}
	cfg_errs_free(&errs);
	return 0;
}

static int
teardown_cfg(void **state)
{
	char cmd[128];

	(void)state;
	cfg_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_node_vars(void **state)
{
	struct tmpl_vars vs = { 0 };
	struct tmpl_err err;
	const struct cfg_node *n1 = cfg_node_by_name(cfg, "n1"), *n2 = cfg_node_by_name(cfg, "n2");

	(void)state;
	assert_non_null(n1);
	assert_int_equal(ks_node_vars(cfg, n1, 0, &vs, &err), 0);
	assert_string_equal(tmpl_vars_get(&vs, "name"), "n1");
	assert_string_equal(tmpl_vars_get(&vs, "hostname"), "n1");
	assert_string_equal(tmpl_vars_get(&vs, "ip"), "10.0.0.11");
	assert_string_equal(tmpl_vars_get(&vs, "mac"), "52:54:00:00:00:01");
	assert_string_equal(tmpl_vars_get(&vs, "profile"), "p1");
	assert_string_equal(tmpl_vars_get(&vs, "kernel"), "k/vmlinuz");
	assert_string_equal(tmpl_vars_get(&vs, "initrd"), "k/initrd");
	assert_string_equal(tmpl_vars_get(&vs, "server_ip"), "10.0.0.1");
	assert_string_equal(tmpl_vars_get(&vs, "base_url"), "http://10.0.0.1:8080");
	assert_string_equal(tmpl_vars_get(&vs, "repo_url"), "http://10.0.0.1:8080/repo/x");
	assert_string_equal(tmpl_vars_get(&vs, "timezone"), "UTC");
	assert_string_equal(tmpl_vars_get(&vs, "role"), "head"); /* node wins over profile */
	assert_string_equal(tmpl_vars_get(&vs, "append"), "ks=http://10.0.0.1:8080/ks/n1 role=head tz=UTC");
	tmpl_vars_free(&vs);
	/* n2: no reservation; the leased address is passed in */
	assert_int_equal(ks_node_vars(cfg, n2, IP(10, 0, 0, 150), &vs, &err), 0);
	assert_string_equal(tmpl_vars_get(&vs, "ip"), "10.0.0.150");
	assert_string_equal(tmpl_vars_get(&vs, "role"), "default-role");
	tmpl_vars_free(&vs);
}

static void
test_pxegen(void **state)
{
	struct pxegen_stats st;
	char p[512], buf[1024];
	FILE *f;
	size_t n;

	(void)state;
	snprintf(p, sizeof(p), "%s/gen", dir);
	assert_int_equal(pxegen_write(cfg, NULL, p, &st), 0);
	assert_int_equal(st.written, 3); /* two nodes + default */
	assert_int_equal(st.failed, 0);
	snprintf(p, sizeof(p), "%s/gen/pxelinux.cfg/01-52-54-00-00-00-01", dir);
	f = fopen(p, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "KERNEL k/vmlinuz\n"));
	assert_non_null(strstr(buf, "APPEND initrd=k/initrd ks=http://10.0.0.1:8080/ks/n1 role=head tz=UTC\n"));
	/* unchanged content is not rewritten */
	snprintf(p, sizeof(p), "%s/gen", dir);
	assert_int_equal(pxegen_write(cfg, NULL, p, &st), 0);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.unchanged, 3);
	/* a stale node file is removed, foreign files are kept */
	snprintf(p, sizeof(p), "touch %s/gen/pxelinux.cfg/01-52-54-00-00-00-09 %s/gen/pxelinux.cfg/C0A8", dir, dir);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/gen", dir);
	assert_int_equal(pxegen_write(cfg, NULL, p, &st), 0);
	assert_int_equal(st.removed, 1);
	snprintf(p, sizeof(p), "%s/gen/pxelinux.cfg/C0A8", dir);
	assert_int_equal(access(p, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authorize_table),
		cmocka_unit_test(test_node_vars),
		cmocka_unit_test(test_pxegen),
	};
	return cmocka_run_group_tests(tests, setup_cfg, teardown_cfg);
}
