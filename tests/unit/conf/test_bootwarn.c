/* SPDX-License-Identifier: BSD-3-Clause
 *
 * check-config's UEFI loader warnings (conf/cfg_bootwarn.h) over synthetic
 * PE images: what pe_inspect reads (signature, SBAT kind, GRUB's prefix),
 * that it never reads past a truncated image, and each warning with the
 * profile's file:line:column.
 */
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

#include "conf/cfg.h"
#include "conf/cfg_bootwarn.h"
#include "conf/cfg_pe.h"

/* A PE32+ image: DOS header (e_lfanew 64), COFF, optional header with 16
 * data directories (240 bytes), one section at file offset 512 holding
 * body, the certificate table entry non-zero when signed. */
static size_t
mk_pe(uint8_t *b, size_t cap, const char *sec, const void *body, size_t blen, int signed_)
{
	size_t opt = 64 + 24, st = opt + 240;

	assert_true(cap >= 512 + blen + 8);
	memset(b, 0, 512 + blen + 8);
	b[0] = 'M', b[1] = 'Z', b[0x3c] = 64;
	memcpy(b + 64, "PE\0\0", 4);
	b[64 + 4] = 0x64, b[64 + 5] = 0x86; /* x86-64 */
	b[64 + 6] = 1;			    /* one section */
	b[64 + 20] = 240;		    /* SizeOfOptionalHeader */
	b[opt] = 0x0b, b[opt + 1] = 0x02;   /* PE32+ */
	b[opt + 108] = 16;		    /* NumberOfRvaAndSizes */
	if (signed_) {
		b[opt + 112 + 32] = 0x00, b[opt + 112 + 33] = 0x02; /* offset 512 (unused here) */
		b[opt + 112 + 36] = 8;				    /* size */
	}
	memcpy(b + st, sec, strlen(sec));
	b[st + 16] = (uint8_t)blen, b[st + 17] = (uint8_t)(blen >> 8); /* SizeOfRawData */
	b[st + 21] = 0x02;						/* PointerToRawData 512 */
	memcpy(b + 512, body, blen);
	return 512 + blen;
}

/* grub-mkimage's module area with a prefix object */
static size_t
mk_mods(uint8_t *m, const char *prefix)
{
	size_t plen = (strlen(prefix) + 1 + 7) & ~(size_t)7, total = 24 + 8 + plen;

	memset(m, 0, total);
	memcpy(m, "mimg", 4);
	m[8] = 24;
	m[16] = (uint8_t)total;
	m[24] = 3; /* OBJ_TYPE_PREFIX */
	m[28] = (uint8_t)(8 + plen);
	memcpy(m + 32, prefix, strlen(prefix));
	return total;
}

static const char sbat_shim[] = "sbat,1,SBAT Version,sbat,1,x\nshim,4,UEFI shim,shim,1,x\n";
static const char sbat_grub[] = "sbat,1,SBAT Version,sbat,1,x\ngrub,5,FSF,grub,2.06,x\n";

static void
test_pe_inspect(void **state)
{
	uint8_t b[2048], m[128];
	struct pe_info pi;
	size_t n;

	(void)state;
	assert_int_equal(pe_inspect((const uint8_t *)"\x7f" "ELF", 4, &pi), -EINVAL);
	assert_false(pi.is_pe);
	n = mk_pe(b, sizeof(b), ".sbat", sbat_shim, sizeof(sbat_shim) - 1, 1);
	assert_int_equal(pe_inspect(b, n, &pi), 0);
	assert_true(pi.is_pe);
	assert_true(pi.signed_);
	assert_int_equal(pi.kind, PE_SHIM);
	n = mk_pe(b, sizeof(b), ".sbat", sbat_grub, sizeof(sbat_grub) - 1, 0);
	assert_int_equal(pe_inspect(b, n, &pi), 0);
	assert_false(pi.signed_);
	assert_int_equal(pi.kind, PE_GRUB);
	n = mk_pe(b, sizeof(b), "mods", m, mk_mods(m, "/EFI/debian"), 1);
	assert_int_equal(pe_inspect(b, n, &pi), 0);
	assert_int_equal(pi.kind, PE_GRUB);
	assert_string_equal(pi.prefix, "/EFI/debian");
	/* every truncation: no read past len (ASan/valgrind would see one),
	 * a cut section table or module area reads as absent */
	for (size_t len = 0; len < n; len++) {
		uint8_t *cut = malloc(len ? len : 1);

		memcpy(cut, b, len);
		pe_inspect(cut, len, &pi);
		assert_true(len >= 512 + 24 || pi.prefix[0] == '\0');
		free(cut);
	}
	/* a module size running past the area stops the walk */
	n = mk_pe(b, sizeof(b), "mods", m, mk_mods(m, "/grub"), 0);
	b[512 + 28] = 0xff;
	assert_int_equal(pe_inspect(b, n, &pi), 0);
	assert_string_equal(pi.prefix, "");
}

static char dir[64];
static char warns[8][800];
static size_t n_warns;

static void
collect(void *arg, const struct cfg_loc *loc, const char *msg)
{
	(void)arg;
	if (n_warns < 8)
		snprintf(warns[n_warns++], sizeof(warns[0]), "%u:%u %s", loc->line, loc->col, msg);
}

static void
put(const char *rel, const uint8_t *b, size_t n)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/tftp/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static struct cfg *
load(const char *efi)
{
	struct cfg_errs errs = { 0 };
	char yaml[2048], p[512];
	struct cfg *c;
	FILE *f;

	snprintf(yaml, sizeof(yaml),
		 "server: { name: t, state_dir: %s/state, ip: 10.0.0.1/24 }\n"
		 "dataplane: { ports: [ { dev: net_null0 } ], workers: 1 }\n"
		 "dhcp:\n  subnets:\n    - { subnet: 10.0.0.0/24, pools: [10.0.0.100-10.0.0.199] }\n"
		 "tftp: { root: %s/tftp }\n"
		 "profiles:\n"
		 "  - name: sb\n"
		 "    files: { efi-x64: %s }\n"
		 "    kernel: vmlinuz\n",
		 dir, dir, efi);
	snprintf(p, sizeof(p), "%s/c.yaml", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	c = cfg_load(p, &errs);
	if (!c || errs.n) {
		cfg_errs_print(&errs, stderr);
		fail_msg("test config rejected");
	}
	cfg_errs_free(&errs);
	n_warns = 0;
	cfg_boot_warnings(c, collect, NULL);
	for (size_t i = 0; i < n_warns; i++)
		fprintf(stderr, "warning: %s\n", warns[i]);
	return c;
}

static void
test_warnings(void **state)
{
	uint8_t b[2048], m[128];
	char cmd[256];
	struct cfg *c;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bs-bw-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/tftp/efi %s/state", dir, dir);
	assert_int_equal(system(cmd), 0);
	put("efi/shimx64.efi", b, mk_pe(b, sizeof(b), ".sbat", sbat_shim, sizeof(sbat_shim) - 1, 1));
	put("vmlinuz", b, mk_pe(b, sizeof(b), ".text", "x", 1, 1));

	/* shim alone: no grubx64.efi in its directory */
	c = load("efi/shimx64.efi");
	assert_int_equal(n_warns, 1);
	assert_non_null(strstr(warns[0], "8:5 profile sb: files.efi-x64: shim 'efi/shimx64.efi' loads grubx64.efi"));
	assert_non_null(strstr(warns[0], "no efi/grubx64.efi"));
	cfg_free(c);

	/* the disk GRUB next to shim: its prefix is /EFI/debian, not /grub */
	put("efi/grubx64.efi", b, mk_pe(b, sizeof(b), "mods", m, mk_mods(m, "/EFI/debian"), 1));
	c = load("efi/shimx64.efi");
	assert_int_equal(n_warns, 1);
	assert_non_null(strstr(warns[0], "built-in prefix '/EFI/debian' and tftp.root has no EFI/debian/grub.cfg"));
	cfg_free(c);

	/* the net GRUB (prefix /grub): quiet; then an unsigned kernel */
	put("efi/grubx64.efi", b, mk_pe(b, sizeof(b), "mods", m, mk_mods(m, "(tftp)/grub"), 1));
	c = load("efi/shimx64.efi");
	assert_int_equal(n_warns, 0);
	cfg_free(c);
	put("vmlinuz", b, mk_pe(b, sizeof(b), ".text", "x", 1, 0));
	c = load("efi/shimx64.efi");
	assert_int_equal(n_warns, 1);
	assert_non_null(strstr(warns[0], "profile sb: boots through shim (Secure Boot) but kernel 'vmlinuz' carries no signature"));
	cfg_free(c);
	put("vmlinuz", (const uint8_t *)"\x7f" "ELF....", 8);
	c = load("efi/shimx64.efi");
	assert_int_equal(n_warns, 1);
	assert_non_null(strstr(warns[0], "is no EFI image"));
	cfg_free(c);

	/* GRUB booted directly (no shim): the kernel is not its business;
	 * the admin's grub/grub.cfg without bootstorm's dispatcher is */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/tftp/grub && echo 'menuentry x {}' > %s/tftp/grub/grub.cfg",
		 dir, dir);
	assert_int_equal(system(cmd), 0);
	c = load("efi/grubx64.efi");
	assert_int_equal(n_warns, 1);
	assert_non_null(strstr(warns[0], "does not `source /grub/bootstorm.cfg`"));
	cfg_free(c);
	snprintf(cmd, sizeof(cmd), "echo 'source /grub/bootstorm.cfg' >> %s/tftp/grub/grub.cfg", dir);
	assert_int_equal(system(cmd), 0);
	c = load("efi/grubx64.efi");
	assert_int_equal(n_warns, 0);
	cfg_free(c);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The shipped UEFI/Secure Boot example validates; its placeholders are no
 * PE images, so no warning (a real shim there without grubx64.efi would). */
static void
test_example(void **state)
{
	struct cfg_errs errs = { 0 };
	struct cfg *c = cfg_load(CONF_EXAMPLES "/uefi-secboot.yaml", &errs);
	const struct cfg_profile *p;

	(void)state;
	if (!c)
		cfg_errs_print(&errs, stderr);
	assert_non_null(c);
	assert_int_equal(errs.n, 0);
	p = cfg_profile_by_name(c, "debian12-sb");
	assert_non_null(p);
	assert_string_equal(cfg_node_boot_file(c, cfg_node_by_name(c, "node001"), SNAP_ARCH_EFI_X64),
			    "shimx64.efi");
	n_warns = 0;
	assert_int_equal(cfg_boot_warnings(c, collect, NULL), 0);
	cfg_free(c);
	cfg_errs_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pe_inspect),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
