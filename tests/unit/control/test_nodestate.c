/* SPDX-License-Identifier: BSD-3-Clause
 * Node boot states: durability across a reopen, node sets, the resolved
 * next boot, and the boot files generated from it (pxelinux, GRUB), with
 * the admin's own defaults in tftp.root left alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "control/daemon/grubgen.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/pxegen.h"
#include "tests/unit/control/ctl_testcfg.h"

static char dir[64];
static struct cfg *cfg;

static int
setup_cfg(void **state)
{
	char p[512], yaml[4096];

	(void)state;
	tcfg_dir(dir, sizeof(dir), "ns");
	snprintf(p, sizeof(p), "mkdir -p %s/tftp/pxelinux.cfg", dir);
	assert_int_equal(system(p), 0);
	snprintf(yaml, sizeof(yaml),
		 "server: { name: t, instance: nstest, state_dir: %s/state, ip: 10.0.0.1/24 }\n"
		 "dataplane: { ports: [ { dev: net_null0 } ], workers: 1 }\n"
		 "dhcp:\n  subnets:\n    - { subnet: 10.0.0.0/24, pools: [10.0.0.100-10.0.0.199] }\n"
		 "boot: { files: { bios: pxelinux.0 } }\n"
		 "tftp: { root: %s/tftp }\n"
		 "http: { listen: 10.0.0.1:8080, repo_root: %s, templates: %s/tmpl }\n"
		 "profiles:\n"
		 "  - { name: p1, kernel: k/vmlinuz, initrd: k/initrd, append: \"ks=${base_url}/ks/${name}\" }\n"
		 "  - { name: p2, kernel: k2/vmlinuz, initrd: k2/initrd, append: \"two\" }\n"
		 "nodes:\n"
		 "  - { range: \"node[01-04]\", mac: 52:54:00:00:00:01, ip: 10.0.0.11, profile: p1 }\n"
		 "  - { name: bare, mac: 52:54:00:00:00:99 }\n",
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

static char *
slurp(const char *rel)
{
	static char buf[8192];
	char p[512];
	size_t n;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
collect(const struct cfg_node *n, void *arg)
{
	char *out = arg;

	strcat(out, n->name);
	strcat(out, " ");
	return 0;
}

static void
test_select(void **state)
{
	char got[512] = "", bad[64];

	(void)state;
	assert_int_equal(ns_select(cfg, "node[02-03],bare", collect, got, bad, sizeof(bad)), 3);
	assert_string_equal(got, "node02 node03 bare ");
	got[0] = '\0';
	assert_int_equal(ns_select(cfg, "*", collect, got, bad, sizeof(bad)), 5);
	/* one unknown member: an error, and nothing was called */
	got[0] = '\0';
	assert_int_equal(ns_select(cfg, "node01,node[03-05]", collect, got, bad, sizeof(bad)), -ENOENT);
	assert_string_equal(bad, "node05");
	assert_string_equal(got, "");
	assert_int_equal(ns_select(cfg, "node[3-", collect, got, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(ns_select(cfg, "", collect, got, bad, sizeof(bad)), -EINVAL);
}

static void
test_durable(void **state)
{
	struct nodestate ns;
	struct ns_rec r;
	struct ns_boot b;
	char p[512];

	(void)state;
	snprintf(p, sizeof(p), "%s/state", dir);
	assert_int_equal(ns_open(&ns, p), 0);
	/* never set: the YAML decides */
	ns_boot_of(&ns, cfg, cfg_node_by_name(cfg, "node01"), &b);
	assert_int_equal(b.state, NS_INSTALL);
	assert_string_equal(b.p->name, "p1");
	ns_boot_of(&ns, cfg, cfg_node_by_name(cfg, "bare"), &b);
	assert_int_equal(b.state, NS_NONE);
	assert_int_equal(ns_set(&ns, "node01", NS_LOCAL, NULL, NULL, 1000), 1);
	assert_int_equal(ns_set(&ns, "node01", NS_LOCAL, NULL, NULL, 2000), 0); /* same: no write */
	assert_int_equal(ns_set(&ns, "node02", NS_INSTALL, "p2", NULL, 1001), 1);
	assert_int_equal(ns_set(&ns, "node03", NS_FAILED, NULL, "disk\nnot found", 1002), 1);
	assert_int_equal(ns_set(&ns, "node04", NS_INSTALL, "gone", NULL, 1003), 1);
	ns_close(&ns);
	/* a restart reads them back */
	assert_int_equal(ns_open(&ns, p), 0);
	assert_true(ns_get(&ns, "node01", &r));
	assert_int_equal(r.state, NS_LOCAL);
	assert_int_equal(r.since_ms, 1000);
	assert_true(ns_get(&ns, "node03", &r));
	assert_int_equal(r.state, NS_FAILED);
	assert_string_equal(r.reason, "disk?not found"); /* one line, printable */
	ns_boot_of(&ns, cfg, cfg_node_by_name(cfg, "node02"), &b);
	assert_int_equal(b.state, NS_INSTALL);
	assert_string_equal(b.p->name, "p2"); /* reimage --profile wins */
	ns_boot_of(&ns, cfg, cfg_node_by_name(cfg, "node04"), &b);
	assert_string_equal(b.p->name, "p1"); /* a profile the YAML lost: the node's own */
	ns_boot_of(&ns, cfg, cfg_node_by_name(cfg, "node01"), &b);
	assert_int_equal(b.state, NS_LOCAL);
	assert_false(ns_get(&ns, "bare", &r));
	assert_int_equal(ns_set(&ns, "bare", NS_NONE, NULL, NULL, 1), -EINVAL);
	ns_close(&ns);
}

static void
test_generated(void **state)
{
	struct pxegen_stats st, gst;
	struct nodestate ns;
	char p[512];
	const char *s;

	(void)state;
	assert_int_equal(ns_open(&ns, NULL), 0);
	assert_int_equal(ns_set(&ns, "node01", NS_LOCAL, NULL, NULL, 1), 1);
	assert_int_equal(ns_set(&ns, "node02", NS_INSTALL, "p2", NULL, 1), 1);
	assert_int_equal(ns_set(&ns, "bare", NS_LOCAL, NULL, NULL, 1), 1);
	snprintf(p, sizeof(p), "%s/gen", dir);
	assert_int_equal(pxegen_write(cfg, &ns, p, &st), 0);
	assert_int_equal(grubgen_write(cfg, &ns, p, &gst), 0);
	assert_int_equal(st.failed + gst.failed, 0);
	/* local: pxelinux LOCALBOOT 0, GRUB chainloads the disk's loader */
	s = slurp("gen/pxelinux.cfg/01-52-54-00-00-00-01");
	assert_non_null(s);
	assert_non_null(strstr(s, "LOCALBOOT 0\n"));
	assert_null(strstr(s, "KERNEL"));
	s = slurp("gen/grub/grub.cfg-01-52-54-00-00-00-01");
	assert_non_null(s);
	assert_non_null(strstr(s, "chainloader /EFI/BOOT/BOOTX64.EFI\n"));
	/* a profile-less node set local gets its file too */
	assert_non_null(strstr(slurp("gen/pxelinux.cfg/01-52-54-00-00-00-99"), "LOCALBOOT 0\n"));
	/* install with the reimage profile */
	s = slurp("gen/pxelinux.cfg/01-52-54-00-00-00-02");
	assert_non_null(strstr(s, "KERNEL k2/vmlinuz\n"));
	s = slurp("gen/grub/grub.cfg-01-52-54-00-00-00-02");
	assert_non_null(strstr(s, "linux /k2/vmlinuz two\n"));
	assert_non_null(strstr(s, "initrd /k2/initrd\n"));
	s = slurp("gen/grub/grub.cfg-01-52-54-00-00-00-03");
	assert_non_null(strstr(s, "linux /k/vmlinuz ks=http://10.0.0.1:8080/ks/node03\n"));
	/* GRUB's IP alias (10.0.0.11 = 0A00000B) says the same as the MAC file */
	assert_non_null(strstr(slurp("gen/grub/grub.cfg-0A00000B"), "chainloader /EFI/BOOT/BOOTX64.EFI\n"));
	assert_non_null(strstr(slurp("gen/grub/grub.cfg-0A00000C"), "linux /k2/vmlinuz two\n"));
	assert_null(slurp("gen/grub/grub.cfg-0A00000")); /* cut names cover other clients */
	/* the dispatcher: grubnetx64 reads /grub/grub.cfg only */
	s = slurp("gen/grub/grub.cfg");
	assert_non_null(s);
	assert_non_null(strstr(s, "$net_default_mac"));
	assert_non_null(strstr(s, "configfile \"/grub/grub.cfg-01-$bs_m1-$bs_m2-$bs_m3-$bs_m4-$bs_m5-$bs_m6\"\n"));
	assert_null(strstr(s, "[ -f")); /* GRUB cannot stat over TFTP */
	/* tftp.root had no default: ours is there */
	assert_non_null(slurp("gen/pxelinux.cfg/default"));
	/* node01 back to install: its file follows; bare's state dropped to
	 * install-without-profile = no file */
	assert_int_equal(ns_set(&ns, "node01", NS_INSTALL, NULL, NULL, 2), 1);
	assert_int_equal(ns_set(&ns, "bare", NS_INSTALL, NULL, NULL, 2), 1);
	assert_int_equal(pxegen_write(cfg, &ns, p, &st), 0);
	assert_int_equal(grubgen_write(cfg, &ns, p, &gst), 0);
	assert_non_null(strstr(slurp("gen/pxelinux.cfg/01-52-54-00-00-00-01"), "KERNEL k/vmlinuz\n"));
	assert_null(slurp("gen/pxelinux.cfg/01-52-54-00-00-00-99"));
	assert_null(slurp("gen/grub/grub.cfg-01-52-54-00-00-00-99"));
	/* one node's report: its files alone follow */
	assert_int_equal(ns_set(&ns, "node03", NS_LOCAL, NULL, NULL, 3), 1);
	assert_int_equal(pxegen_write_node(cfg, &ns, p, cfg_node_by_name(cfg, "node03"), &st), 0);
	assert_int_equal(grubgen_write_node(cfg, &ns, p, cfg_node_by_name(cfg, "node03"), &gst), 0);
	assert_int_equal(st.written, 1);
	assert_int_equal(gst.written, 2); /* 01-<mac> and the IP alias */
	assert_non_null(strstr(slurp("gen/pxelinux.cfg/01-52-54-00-00-00-03"), "LOCALBOOT 0\n"));
	assert_non_null(strstr(slurp("gen/grub/grub.cfg-01-52-54-00-00-00-03"), "chainloader"));
	assert_non_null(strstr(slurp("gen/grub/grub.cfg-0A00000D"), "chainloader"));
	assert_non_null(strstr(slurp("gen/pxelinux.cfg/01-52-54-00-00-00-01"), "KERNEL k/vmlinuz\n"));
	ns_close(&ns);
}

/* Fails on the old pxegen: it wrote pxelinux.cfg/default (LOCALBOOT)
 * into the gen root, which the TFTP engine searches before tftp.root, so
 * the admin's own menu was never served. */
static void
test_admin_defaults_kept(void **state)
{
	struct pxegen_stats st, gst;
	char p[512];

	(void)state;
	snprintf(p, sizeof(p), "mkdir -p %s/tftp/grub && echo admin-menu > %s/tftp/pxelinux.cfg/default && "
		 "echo admin-grub > %s/tftp/grub/grub.cfg", dir, dir, dir);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/gen2", dir);
	assert_int_equal(pxegen_write(cfg, NULL, p, &st), 0);
	assert_int_equal(grubgen_write(cfg, NULL, p, &gst), 0);
	assert_null(slurp("gen2/pxelinux.cfg/default"));
	assert_null(slurp("gen2/grub/grub.cfg"));
	assert_non_null(slurp("gen2/grub/bootstorm.cfg")); /* for the admin to `source` */
	assert_non_null(slurp("gen2/pxelinux.cfg/01-52-54-00-00-00-01"));
	/* a default we wrote before the admin's appeared is removed */
	assert_non_null(slurp("gen/pxelinux.cfg/default"));
	snprintf(p, sizeof(p), "%s/gen", dir);
	assert_int_equal(pxegen_write(cfg, NULL, p, &st), 0);
	assert_int_equal(grubgen_write(cfg, NULL, p, &gst), 0);
	assert_null(slurp("gen/pxelinux.cfg/default"));
	assert_null(slurp("gen/grub/grub.cfg"));
	/* the admin's own files are untouched */
	assert_string_equal(slurp("tftp/pxelinux.cfg/default"), "admin-menu\n");
	/* a pxelinux-default.cfg template is the admin asking for ours */
	snprintf(p, sizeof(p), "echo 'DEFAULT mine' > %s/tmpl/pxelinux-default.cfg", dir);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/gen", dir);
	assert_int_equal(pxegen_write(cfg, NULL, p, &st), 0);
	assert_non_null(strstr(slurp("gen/pxelinux.cfg/default"), "DEFAULT mine\n"));
}

/* Stale node files go, for both loaders' name forms; nothing else does. */
static void
test_remove_stale(void **state)
{
	static const char *const mk[] = {
		"01-52-54-00-00-00-01",		 /* node01: wanted */
		"01-52-54-00-00-00-99",		 /* bare: no boot state */
		"01-de-ad-be-ef-00-01",		 /* no such node */
		"default",			 /* the admin's */
		"grub.cfg-01-52-54-00-00-00-02", /* node02: wanted */
		"grub.cfg-01-de-ad-be-ef-00-02", /* no such node */
		"grub.cfg",			 /* the admin's */
	};
	static const bool kept[] = { true, false, false, true, true, false, true };
	struct pxegen_stats st = { 0 };
	struct nodestate ns;
	char p[512];
	int dfd;

	(void)state;
	snprintf(p, sizeof(p), "%s/stale-state", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(ns_open(&ns, p), 0);
	snprintf(p, sizeof(p), "%s/stale", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	dfd = open(p, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	for (size_t i = 0; i < sizeof(mk) / sizeof(mk[0]); i++) {
		int fd = openat(dfd, mk[i], O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	pxegen_remove_stale(cfg, &ns, dfd, "", &st);
	assert_int_equal(st.removed, 2);
	pxegen_remove_stale(cfg, &ns, dfd, "grub.cfg-", &st);
	assert_int_equal(st.removed, 3);
	for (size_t i = 0; i < sizeof(mk) / sizeof(mk[0]); i++)
		assert_int_equal(faccessat(dfd, mk[i], F_OK, 0) == 0, kept[i]);
	close(dfd);
	ns_close(&ns);
}

/* The names GRUB 2.06's net search asks for, in its order; a node without
 * a fixed address has its MAC name only. */
static void
test_grub_names(void **state)
{
	char names[GRUBGEN_MAX_NAMES][GRUBGEN_NAME_MAX];
	struct cfg_node n = { .mac = { 0x52, 0x54, 0x00, 0xAB, 0x0c, 0xff } };

	(void)state;
	assert_int_equal(grubgen_names(&n, names), 1);
	assert_string_equal(names[0], "grub.cfg-01-52-54-00-ab-0c-ff"); /* lower-case, dashes */
	n.has_ip = true;
	n.ip = 0xC0A80A0B; /* 192.168.10.11 */
	assert_int_equal(grubgen_names(&n, names), 2);
	assert_string_equal(names[1], "grub.cfg-C0A80A0B"); /* upper-case, 8 digits */
	n.ip = 0x0A00000B; /* leading zero kept */
	grubgen_names(&n, names);
	assert_string_equal(names[1], "grub.cfg-0A00000B");
}

/* IP aliases: stale ones go (no node, a node without state, or one the
 * admin serves), and one the admin has in tftp.root/grub/ is not written. */
static void
test_grub_ip_alias(void **state)
{
	static const char *const mk[] = {
		"grub.cfg-0A00000B", /* node01: wanted */
		"grub.cfg-0A0000FE", /* no such node */
		"grub.cfg-0A00000",  /* not an alias we write: left */
		"grub.cfg-0a00000c", /* lower-case: not ours */
		"grub.cfg-0A00000E", /* node04: the admin serves it */
	};
	static const bool kept[] = { true, false, true, true, false };
	struct pxegen_stats st = { 0 };
	struct nodestate ns;
	char p[512];
	int dfd;

	(void)state;
	snprintf(p, sizeof(p), "mkdir -p %s/tftp/grub %s/alias %s/gen3 && echo admin > %s/tftp/grub/grub.cfg-0A00000E",
		 dir, dir, dir, dir);
	assert_int_equal(system(p), 0);
	assert_int_equal(ns_open(&ns, NULL), 0);
	snprintf(p, sizeof(p), "%s/alias", dir);
	dfd = open(p, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	for (size_t i = 0; i < sizeof(mk) / sizeof(mk[0]); i++) {
		int fd = openat(dfd, mk[i], O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	grubgen_remove_stale_ip(cfg, &ns, dfd, &st);
	assert_int_equal(st.removed, 2);
	for (size_t i = 0; i < sizeof(mk) / sizeof(mk[0]); i++)
		assert_int_equal(faccessat(dfd, mk[i], F_OK, 0) == 0, kept[i]);
	close(dfd);
	snprintf(p, sizeof(p), "%s/gen3", dir);
	assert_int_equal(grubgen_write(cfg, &ns, p, &st), 0);
	assert_non_null(slurp("gen3/grub/grub.cfg-0A00000D"));
	assert_non_null(slurp("gen3/grub/grub.cfg-01-52-54-00-00-00-04"));
	assert_null(slurp("gen3/grub/grub.cfg-0A00000E")); /* the admin's is served */
	snprintf(p, sizeof(p), "rm -f %s/tftp/grub/grub.cfg-0A00000E", dir);
	assert_int_equal(system(p), 0);
	ns_close(&ns);
}

/* A flip's batch (pxegen/grubgen_write_nodes): the listed nodes' files
 * only, and every node in state local shares one inode per loader (GRUB's
 * IP alias too) instead of a new file each (the inode allocation was what
 * a 10,000-node flip spent its time in).  Fails on the old writers: one
 * file per name, the node's name in each. */
static void
test_batch_shared(void **state)
{
	const struct cfg_node *v[3];
	struct pxegen_stats st, gst;
	struct nodestate ns;
	struct stat a, b;
	char p[512], q[512];

	(void)state;
	assert_int_equal(ns_open(&ns, NULL), 0);
	snprintf(p, sizeof(p), "%s/gen4", dir);
	assert_int_equal(pxegen_write(cfg, &ns, p, &st), 0);
	assert_int_equal(grubgen_write(cfg, &ns, p, &gst), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(q, sizeof(q), "node0%d", i + 1);
		assert_int_equal(ns_set(&ns, q, NS_LOCAL, NULL, NULL, 1), 1);
		v[i] = cfg_node_by_name(cfg, q);
	}
	assert_int_equal(ns_set(&ns, "node04", NS_LOCAL, NULL, NULL, 1), 1); /* not listed */
	assert_int_equal(pxegen_write_nodes(cfg, &ns, p, v, 3, &st), 0);
	assert_int_equal(grubgen_write_nodes(cfg, &ns, p, v, 3, &gst), 0);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.linked, 2);
	assert_int_equal(gst.written, 6); /* 3 MAC names, 3 IP aliases */
	assert_int_equal(gst.linked, 5);
	snprintf(q, sizeof(q), "%s/gen4/pxelinux.cfg/01-52-54-00-00-00-01", dir);
	assert_int_equal(stat(q, &a), 0);
	assert_int_equal(a.st_nlink, 3);
	snprintf(q, sizeof(q), "%s/gen4/pxelinux.cfg/01-52-54-00-00-00-03", dir);
	assert_int_equal(stat(q, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_null(strstr(slurp("gen4/pxelinux.cfg/01-52-54-00-00-00-03"), "node0"));
	snprintf(q, sizeof(q), "%s/gen4/grub/grub.cfg-01-52-54-00-00-00-02", dir);
	assert_int_equal(stat(q, &a), 0);
	snprintf(q, sizeof(q), "%s/gen4/grub/grub.cfg-0A00000B", dir);
	assert_int_equal(stat(q, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_nlink, 6);
	assert_non_null(strstr(slurp("gen4/grub/grub.cfg-0A00000D"), "chainloader"));
	/* node04 was not in the batch: its install file stays */
	assert_non_null(strstr(slurp("gen4/pxelinux.cfg/01-52-54-00-00-00-04"), "ks=http://10.0.0.1:8080/ks/node04"));
	/* one node back to install: its own file again, the others keep
	 * the shared one untouched */
	assert_int_equal(ns_set(&ns, "node02", NS_INSTALL, NULL, NULL, 2), 1);
	assert_int_equal(pxegen_write_nodes(cfg, &ns, p, &v[1], 1, &st), 0);
	assert_non_null(strstr(slurp("gen4/pxelinux.cfg/01-52-54-00-00-00-02"), "/ks/node02"));
	assert_non_null(strstr(slurp("gen4/pxelinux.cfg/01-52-54-00-00-00-01"), "LOCALBOOT 0\n"));
	snprintf(q, sizeof(q), "%s/gen4/pxelinux.cfg/01-52-54-00-00-00-01", dir);
	assert_int_equal(stat(q, &a), 0);
	assert_int_equal(a.st_nlink, 2);
	ns_close(&ns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_durable),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_admin_defaults_kept),
		cmocka_unit_test(test_remove_stale),
		cmocka_unit_test(test_grub_names),
		cmocka_unit_test(test_grub_ip_alias),
		cmocka_unit_test(test_batch_shared),
	};
	return cmocka_run_group_tests(tests, setup_cfg, teardown_cfg);
}
