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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/daemon/bootview.h"
#include "control/daemon/kickstart.h"
#include "control/daemon/pxegen.h"
#include "tests/unit/control/ctl_testcfg.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

#define NOW 1700000000000ull

static const uint8_t mac_n1[6] = { 0x52, 0x54, 0, 0, 0, 1 }, mac_n2[6] = { 0x52, 0x54, 0, 0, 0, 2 },
		     mac_n3[6] = { 0x52, 0x54, 0, 0, 0, 3 }, mac_n4[6] = { 0x52, 0x54, 0, 0, 0, 4 },
		     mac_evil[6] = { 0x02, 0xba, 0xd0, 0, 0, 1 };

/* A real lease table (the dataplane's writer API) holding:
 *   10.0.0.12  BOUND   n1 (which also has the reservation .11)
 *   10.0.0.150 BOUND   n2
 *   10.0.0.160 BOUND   n3, expired
 *   10.0.0.170 OFFERED n4 (not yet the client's: RFC 2131 4.3.2)
 *   10.0.0.180 BOUND   someone else */
static struct lease_table *
fake_leases(void)
{
	size_t sz = lease_table_size(64);
	struct lease_table *t = calloc(1, sz);
	const struct { uint32_t ip; const uint8_t *mac; uint8_t st; uint64_t exp; } l[] = {
		{ IP(10, 0, 0, 12), mac_n1, LEASE_BOUND, NOW + 60000 },
		{ IP(10, 0, 0, 150), mac_n2, LEASE_BOUND, NOW + 60000 },
		{ IP(10, 0, 0, 160), mac_n3, LEASE_BOUND, NOW - 1 },
		{ IP(10, 0, 0, 170), mac_n4, LEASE_OFFERED, NOW + 60000 },
		{ IP(10, 0, 0, 180), mac_evil, LEASE_BOUND, NOW + 60000 },
	};

	assert_non_null(t);
	assert_int_equal(lease_table_init(t, 64), 0);
	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		struct lease *s = lease_get_or_add(t, l[i].ip);

		assert_non_null(s);
		lease_update(t, s, l[i].st, l[i].mac, l[i].exp, NOW - 1000);
	}
	return t;
}

static void
test_authorize_table(void **state)
{
	struct cfg_node reserved = { .name = "n1", .has_ip = true, .ip = IP(10, 0, 0, 11) };
	struct cfg_node dynamic = { .name = "n2", .has_ip = false };
	struct cfg_node expired = { .name = "n3" }, offered = { .name = "n4" };
	struct lease_table *lt = fake_leases();
	static const char tok[] = "s3cret";
	const struct {
		const struct cfg_node *n;
		uint32_t peer;
		const char *cfg_tok, *req_tok;
		enum ks_auth want;
	} t[] = {
		/* reserved address */
		{ &reserved, IP(10, 0, 0, 11), NULL, NULL, KS_ALLOW_RESERVED },
		{ &reserved, IP(10, 0, 0, 13), NULL, NULL, KS_DENY },   /* neighbour: refused */
		{ &reserved, IP(10, 0, 0, 12), NULL, NULL, KS_ALLOW_LEASED },
		/* leased address only */
		{ &dynamic, IP(10, 0, 0, 150), NULL, NULL, KS_ALLOW_LEASED },
		{ &dynamic, IP(10, 0, 0, 151), NULL, NULL, KS_DENY },
		{ &dynamic, IP(10, 0, 0, 180), NULL, NULL, KS_DENY },	     /* someone else's lease */
		{ &dynamic, 0, NULL, NULL, KS_DENY },			     /* 0 never matches */
		{ &expired, IP(10, 0, 0, 160), NULL, NULL, KS_DENY },	     /* lease expired */
		{ &offered, IP(10, 0, 0, 170), NULL, NULL, KS_DENY },	     /* only offered */
		/* token */
		{ &dynamic, IP(192, 168, 1, 1), tok, "s3cret", KS_ALLOW_TOKEN },
		{ &dynamic, IP(192, 168, 1, 1), tok, "s3cre", KS_DENY },  /* prefix */
		{ &dynamic, IP(192, 168, 1, 1), tok, "s3cret!", KS_DENY }, /* longer */
		{ &dynamic, IP(192, 168, 1, 1), tok, "S3CRET", KS_DENY },
		{ &dynamic, IP(192, 168, 1, 1), tok, "", KS_DENY },
		{ &dynamic, IP(192, 168, 1, 1), tok, NULL, KS_DENY },
		{ &dynamic, IP(192, 168, 1, 1), "", "", KS_DENY },	    /* token access off */
		{ &dynamic, IP(192, 168, 1, 1), NULL, "s3cret", KS_DENY },
		/* unknown node: only nothing */
		{ NULL, IP(10, 0, 0, 11), tok, NULL, KS_DENY },
		{ NULL, IP(10, 0, 0, 11), tok, "s3cret", KS_DENY },
	};

	(void)state;
	memcpy(reserved.mac, mac_n1, 6);
	memcpy(dynamic.mac, mac_n2, 6);
	memcpy(expired.mac, mac_n3, 6);
	memcpy(offered.mac, mac_n4, 6);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ks_auth a = ks_authorize(t[i].n, t[i].peer, lt, NOW, t[i].cfg_tok, t[i].req_tok);

		if (a != t[i].want)
			fail_msg("case %zu: got %s want %s", i, ks_auth_name(a), ks_auth_name(t[i].want));
	}
	/* no region: the reservation alone */
	assert_int_equal(ks_assigned(&reserved, IP(10, 0, 0, 11), NULL, NOW), KS_ALLOW_RESERVED);
	assert_int_equal(ks_assigned(&dynamic, IP(10, 0, 0, 150), NULL, NOW), KS_DENY);
	free(lt);
}

/* Issue 15 item 1: one TFTP RRQ sent with n2's MAC as Ethernet source from
 * 10.0.0.66 makes the boot view say n2 is at 10.0.0.66.  The view is not
 * an authorisation source: /ks/n2 from .66 stays refused, and /ks (node
 * by address) finds no node there. */
static void
test_spoofed_rrq_is_not_authority(void **state)
{
	struct cfg_node n2 = { .name = "n2", .has_ip = false };
	struct lease_table *lt = fake_leases();
	struct boot_event ev = { .ts_ms = NOW, .ip = IP(10, 0, 0, 66), .stage = BOOT_STAGE_TFTP_PROGRESS,
				 .arch = 0xff, .file = "pxelinux.0" };
	struct bootview bv;
	struct bv_node seen;

	(void)state;
	memcpy(n2.mac, mac_n2, 6);
	memcpy(ev.mac, mac_n2, 6);
	assert_int_equal(bv_init(&bv, 16), 0);
	bv_event(&bv, &ev);
	assert_true(bv_get_mac(&bv, mac_n2, &seen));
	assert_int_equal(seen.ip, IP(10, 0, 0, 66)); /* the view believed it (display only) */
	assert_int_equal(ks_authorize(&n2, IP(10, 0, 0, 66), lt, NOW, "tk", NULL), KS_DENY);
	assert_int_equal(ks_authorize(&n2, IP(10, 0, 0, 150), lt, NOW, "tk", NULL), KS_ALLOW_LEASED);
	bv_free(&bv);
	free(lt);
}

static char dir[64];
static struct cfg *cfg;

static int
setup_cfg(void **state)
{
	char p[512], yaml[4096];

	(void)state;
	tcfg_dir(dir, sizeof(dir), "ks");
	snprintf(p, sizeof(p), "touch %s/tmpl/p1.ks", dir);
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
	cfg = tcfg_load(dir, yaml);
	return 0;
}

static int
teardown_cfg(void **state)
{
	(void)state;
	cfg_free(cfg);
	return tcfg_rmdir(dir);
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

static void
test_node_at(void **state)
{
	struct lease_table *lt = fake_leases();
	const struct cfg_node *n;

	(void)state;
	n = ks_node_at(cfg, IP(10, 0, 0, 11), lt, NOW); /* n1's reservation */
	assert_non_null(n);
	assert_string_equal(n->name, "n1");
	n = ks_node_at(cfg, IP(10, 0, 0, 150), lt, NOW); /* n2's bound lease */
	assert_non_null(n);
	assert_string_equal(n->name, "n2");
	assert_null(ks_node_at(cfg, IP(10, 0, 0, 150), lt, NOW + 120000)); /* expired by then */
	assert_null(ks_node_at(cfg, IP(10, 0, 0, 180), lt, NOW));	  /* not in the inventory */
	assert_null(ks_node_at(cfg, IP(10, 0, 0, 66), lt, NOW));
	assert_null(ks_node_at(cfg, IP(10, 0, 0, 150), NULL, NOW));
	/* ${ip} of a node without a reservation: its live lease */
	assert_int_equal(ks_lease_of(n, lt, NOW), IP(10, 0, 0, 150));
	assert_int_equal(ks_lease_of(n, lt, NOW + 120000), 0);
	assert_int_equal(ks_lease_of(n, NULL, NOW), 0);
	free(lt);
}

static void
test_node_secret(void **state)
{
	uint8_t k1[32] = { 1 }, k2[32] = { 2 };
	char a[KS_SECRET_HEX + 1], b[KS_SECRET_HEX + 1], c[KS_SECRET_HEX + 1];

	(void)state;
	ks_node_secret(k1, "n1", a);
	ks_node_secret(k1, "n1", b);
	assert_string_equal(a, b); /* derived, not stored: stable */
	assert_int_equal(strlen(a), KS_SECRET_HEX);
	assert_int_equal(strspn(a, "0123456789abcdef"), KS_SECRET_HEX);
	ks_node_secret(k1, "n2", c);
	assert_string_not_equal(a, c); /* per node */
	ks_node_secret(k2, "n1", c);
	assert_string_not_equal(a, c); /* per server key */
	assert_true(ks_token_equal(a, b));
	assert_false(ks_token_equal("", b));
	assert_false(ks_token_equal(a, ""));
}

static void
test_secret_file(void **state)
{
	char p[512], buf[64];
	FILE *f;

	(void)state;
	snprintf(p, sizeof(p), "%s/admin.token", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("  adm1n-t0ken \nsecond line\n", f);
	fclose(f);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(ks_read_secret_file(p, buf, sizeof(buf)), -EPERM); /* world-readable */
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(ks_read_secret_file(p, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "adm1n-t0ken");
	f = fopen(p, "w");
	fclose(f);
	assert_int_equal(ks_read_secret_file(p, buf, sizeof(buf)), -ENODATA);
	snprintf(p, sizeof(p), "%s/none", dir);
	assert_int_equal(ks_read_secret_file(p, buf, sizeof(buf)), -ENOENT);
}

/* "Also" of issue 15: secrets in a public kernel command line are named. */
static void
test_append_secret(void **state)
{
	const struct { const char *append, *want; } t[] = {
		{ "inst.repo=http://10.0.0.1/repo ks=http://10.0.0.1/ks/${name}", NULL },
		{ "console=ttyS0 keymap=us quiet", NULL },
		{ "ks=http://10.0.0.1/ks/n1?token=abc", "token" },
		{ "rd.root.Password=x", "passw" },
		{ "inst.rootpw=$6$x", "rootpw" },
		{ "site_SECRET=${site_secret}", "secret" },
		{ "cloud-init api_key=1", "api_key" },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *w = pxegen_append_secret(t[i].append);

		if (t[i].want ? !w || strcmp(w, t[i].want) != 0 : w != NULL)
			fail_msg("case %zu (%s): got %s", i, t[i].append, w ? w : "NULL");
	}
	assert_null(pxegen_append_secret(NULL));
}

/* First fetch wins; a second address alarms until done/failed or the TTL. */
static void
test_once(void **state)
{
	uint8_t m1[6] = { 0x52, 0x54, 0, 0, 0, 1 }, m2[6] = { 0x52, 0x54, 0, 0, 0, 2 };
	uint32_t first = 0;

	(void)state;
	ks_once_clear();
	assert_int_equal(ks_once_check(m1, IP(10, 0, 0, 11), NOW, &first), KS_ONCE_FIRST);
	assert_int_equal(ks_once_check(m1, IP(10, 0, 0, 11), NOW + 5, &first), KS_ONCE_SAME); /* retry */
	assert_int_equal(ks_once_check(m1, IP(10, 0, 0, 66), NOW + 6, &first), KS_ONCE_OTHER);
	assert_int_equal(first, IP(10, 0, 0, 11));
	assert_int_equal(ks_once_check(m2, IP(10, 0, 0, 66), NOW + 7, &first), KS_ONCE_FIRST); /* per node */
	/* done/failed ends the install */
	ks_once_reset(m1);
	assert_int_equal(ks_once_check(m1, IP(10, 0, 0, 66), NOW + 8, &first), KS_ONCE_FIRST);
	/* the TTL ends it too: n-1, n */
	assert_int_equal(ks_once_check(m1, IP(10, 0, 0, 11), NOW + 8 + KS_ONCE_TTL_MS - 1, &first), KS_ONCE_OTHER);
	assert_int_equal(ks_once_check(m1, IP(10, 0, 0, 11), NOW + 8 + KS_ONCE_TTL_MS, &first), KS_ONCE_FIRST);
	/* 40,000 nodes in a 16,384-slot table: bounded, the newest are kept */
	for (uint32_t i = 0; i < 40000; i++) {
		uint8_t m[6] = { 0x02, 0, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };

		assert_int_not_equal(ks_once_check(m, i + 1, NOW + 10 + i, &first), KS_ONCE_OTHER);
	}
	uint8_t last[6] = { 0x02, 0, 0, 0, (uint8_t)(39999 >> 8), (uint8_t)39999 };
	assert_int_equal(ks_once_check(last, 40000, NOW + 50000, &first), KS_ONCE_SAME);
	ks_once_clear();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authorize_table),
		cmocka_unit_test(test_spoofed_rrq_is_not_authority),
		cmocka_unit_test(test_node_at),
		cmocka_unit_test(test_node_secret),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_append_secret),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_node_vars),
		cmocka_unit_test(test_pxegen),
	};
	return cmocka_run_group_tests(tests, setup_cfg, teardown_cfg);
}
