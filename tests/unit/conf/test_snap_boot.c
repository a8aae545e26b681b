/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Node boot fields in the snapshot (shm/snap.h snap_node.boot/profile,
 * snap_profile.local_boot) and the keys behind them: profiles[].http_boot
 * (a URL, or a path served under /boot/), local_boot (profile, else
 * boot:), after_install; snap_build_nodes asking control per node; the
 * cheap republish (snap_node_set_boot + snap_seal) verifying like a full
 * build; the verifier refusing out-of-range boot fields.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/cfg.h"
#include "conf/snap_build.h"
#include "shm/snap_read.h"
#include "shm/snap_verify.h"

static const char yaml[] =
	"server: {ip: 10.0.0.1/24}\n"
	"boot: {local_boot: no-boot-file, default_profile: a}\n"
	"profiles:\n"
	"  - {name: a, files: {bios: http://10.0.0.1/x.0}, http_boot: efi/loader.efi}\n"
	"  - {name: b, files: {bios: http://10.0.0.1/y.0}, local_boot: boot-file,\n"
	"     http_boot: 'http://10.0.0.9/b.efi', after_install: hold}\n"
	"  - {name: c, files: {bios: http://10.0.0.1/z.0}, after_install: install-again}\n"
	"nodes:\n"
	"  - {name: n3, mac: '02:00:00:00:00:03', ip: 10.0.0.13, profile: b}\n"
	"  - {name: n1, mac: '02:00:00:00:00:01', ip: 10.0.0.11}\n"
	"  - {name: n2, mac: '02:00:00:00:00:02', ip: 10.0.0.12, profile: c}\n";

static struct cfg *
load(const char *y, struct cfg_errs *e)
{
	return cfg_load_mem("t.yaml", y, strlen(y), e);
}

static void
test_keys(void **st)
{
	(void)st;
	struct cfg_errs e = { 0 };
	struct cfg *c = load(yaml, &e);
	if (!c || e.n)
		cfg_errs_print(&e, stderr);
	assert_non_null(c);
	assert_int_equal(c->local_boot, SNAP_LOCAL_NO_FILE);
	assert_int_equal(c->profiles[0].local_boot, 0); /* inherits */
	assert_int_equal(c->profiles[1].local_boot, SNAP_LOCAL_BOOT_FILE + 1);
	assert_int_equal(c->profiles[0].after_install, CFG_AFTER_LOCAL);
	assert_int_equal(c->profiles[1].after_install, CFG_AFTER_HOLD);
	assert_int_equal(c->profiles[2].after_install, CFG_AFTER_INSTALL_AGAIN);

	struct snap_hdr *s;
	size_t len;
	assert_int_equal(snap_build(c, 4, &s, &len), 0);
	assert_int_equal(snap_verify(s, len, NULL), 0);
	assert_int_equal(s->base_gen, 4);
	const struct snap_profile *a = snap_profile(s, 0), *b = snap_profile(s, 1);
	/* A path: the same file over control's HTTP (/boot/ serves the TFTP root). */
	assert_string_equal(snap_str(s, a->boot_file[SNAP_ARCH_HTTP_X64]),
			    "http://10.0.0.1/boot/efi/loader.efi");
	assert_string_equal(snap_str(s, b->boot_file[SNAP_ARCH_HTTP_X64]), "http://10.0.0.9/b.efi");
	assert_int_equal(a->local_boot, SNAP_LOCAL_NO_FILE);
	assert_int_equal(b->local_boot, SNAP_LOCAL_BOOT_FILE);
	/* No state from control: every node boots as configured. */
	for (uint32_t i = 0; i < s->nodes.count; i++)
		assert_int_equal(snap_node(s, i)->boot, SNAP_BOOT_NET);
	free(s);
	cfg_free(c);
	cfg_errs_free(&e);
}

/* control's per-node answer: n1 local, n2 reimaged with profile b. */
static void
node_boot(void *arg, const struct cfg_node *n, struct snap_node_boot *b)
{
	int *calls = arg;
	(*calls)++;
	b->boot = strcmp(n->name, "n1") == 0 ? SNAP_BOOT_LOCAL : SNAP_BOOT_NET;
	b->profile = strcmp(n->name, "n2") == 0 ? "b" : n->profile ? n->profile : "a";
}

static void
test_build_and_patch(void **st)
{
	(void)st;
	struct cfg_errs e = { 0 };
	struct cfg *c = load(yaml, &e);
	struct snap_hdr *s, *full;
	size_t len, flen;
	int calls = 0;
	static const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 },
			     m3[6] = { 2, 0, 0, 0, 0, 3 };

	assert_non_null(c);
	assert_int_equal(snap_build_nodes(c, 9, node_boot, &calls, &s, &len), 0);
	assert_int_equal(calls, 3);
	assert_int_equal(snap_verify(s, len, NULL), 0);
	assert_int_equal(snap_find_mac(s, m1)->boot, SNAP_BOOT_LOCAL);
	assert_int_equal(snap_find_mac(s, m1)->profile, 0);
	assert_int_equal(snap_find_mac(s, m2)->profile, 1); /* the reimage's, not the YAML's c */

	/* The cheap republish: n3 held, n1 back to install with profile c. */
	struct snap_node_boot h = { SNAP_BOOT_HOLD, "b" }, i = { SNAP_BOOT_NET, "c" };
	assert_int_equal(snap_node_set_boot(s, "n3", &h), 1);
	assert_int_equal(snap_node_set_boot(s, "n3", &h), 0); /* already so */
	assert_int_equal(snap_node_set_boot(s, "n1", &i), 1);
	struct snap_node_boot nope = { SNAP_BOOT_NET, "zz" };
	assert_int_equal(snap_node_set_boot(s, "n1", &nope), -ENOENT);
	assert_int_equal(snap_node_set_boot(s, "n0", &i), -ENOENT);
	assert_int_equal(snap_node_set_boot(s, "n4", &i), -ENOENT);
	assert_int_equal(snap_verify(s, len, NULL), -EINVAL); /* crc: not sealed yet */
	snap_seal(s, 10);
	assert_int_equal(snap_verify(s, len, NULL), 0);
	assert_int_equal(s->gen, 10);
	assert_int_equal(s->base_gen, 9); /* same tables */
	assert_int_equal(snap_find_mac(s, m3)->boot, SNAP_BOOT_HOLD);
	assert_int_equal(snap_find_mac(s, m1)->boot, SNAP_BOOT_NET);
	assert_int_equal(snap_find_mac(s, m1)->profile, 2);

	/* Patched equals built: the same state through a full build gives
	 * the same bytes but for gen, base_gen and crc. */
	assert_int_equal(snap_build_nodes(c, 10, node_boot, &calls, &full, &flen), 0);
	assert_int_equal(flen, len);
	snap_node_set_boot(full, "n3", &h);
	snap_node_set_boot(full, "n1", &i);
	full->base_gen = 9;
	snap_seal(full, 10);
	assert_memory_equal(full, s, len);
	free(full);

	/* The verifier refuses what snap_read.h would misread. */
	s->nodes.count ? (void)0 : fail();
	((struct snap_node *)((uint8_t *)s + s->nodes.off))[0].boot = SNAP_BOOT_MAX;
	snap_seal(s, 11);
	const char *why = NULL;
	assert_int_equal(snap_verify(s, len, &why), -EINVAL);
	assert_string_equal(why, "bad node boot state");
	((struct snap_node *)((uint8_t *)s + s->nodes.off))[0].boot = 0;
	((struct snap_profile *)((uint8_t *)s + s->profiles.off))[0].local_boot = SNAP_LOCAL_MAX;
	snap_seal(s, 12);
	assert_int_equal(snap_verify(s, len, &why), -EINVAL);
	assert_string_equal(why, "bad profile local_boot");
	free(s);
	cfg_free(c);
	cfg_errs_free(&e);
}

/* Bad values: rejected with file:line:column, as every other key. */
static void
test_bad_values(void **st)
{
	(void)st;
	static const struct {
		const char *y, *want;
	} bad[] = {
		{ "server: {ip: 10.0.0.1/24}\nboot: {local_boot: disk}\n",
		  "t.yaml:2:20: error: boot.local_boot: 'disk' is not one of boot-file, no-boot-file" },
		{ "server: {ip: 10.0.0.1/24}\nprofiles:\n  - {name: a, after_install: reboot}\n",
		  "t.yaml:3:30: error: profile.after_install: 'reboot' is not one of local, install-again, hold" },
		{ "server: {ip: 10.0.0.1/24}\nprofiles:\n  - {name: a, local_boot: [x]}\n", "t.yaml:3:27: error: profile.local_boot: expected a scalar" },
		{ "server: {ip: 10.0.0.1/24}\nprofiles:\n  - {name: a, http_boot: ../../etc/x,\n"
		  "     files: {bios: http://x/y}}\n",
		  "t.yaml:3:26: error: profiles[0].http_boot: path '../../etc/x' is outside its root" },
		{ "server: {ip: 10.0.0.1/24}\nprofiles:\n  - {name: a, http_boot: http://x/a.efi,\n"
		  "     files: {http-x64: http://x/b.efi}}\n",
		  "t.yaml:3:26: error: profiles[0].http_boot: files.http-x64 already names the HTTP boot loader" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct cfg_errs e = { 0 };
		struct cfg *c = load(bad[k].y, &e);
		char buf[4096] = "";
		FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
		cfg_errs_print(&e, f);
		fclose(f);
		if (c && e.n == 0)
			fail_msg("case %zu accepted", k);
		if (!strstr(buf, bad[k].want))
			fail_msg("case %zu: got '%s', want '%s'", k, buf, bad[k].want);
		cfg_free(c);
		cfg_errs_free(&e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_build_and_patch),
		cmocka_unit_test(test_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
