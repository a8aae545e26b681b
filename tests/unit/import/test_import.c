/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Importers: the YAML they write for realistic dnsmasq / dhcpd set-ups
 * (tests/data/import) and for tables of small cases, and the report lines
 * for what they cannot translate.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/cfg.h"
#include "control/import/bs_import.h"

#ifndef IMPORT_DATA
#error IMPORT_DATA must name tests/data/import
#endif

typedef int (*import_fn)(const char *, FILE *, FILE *);

struct out {
	char *yaml, *report;
	size_t ylen, rlen;
	int rc;
};

static void
run_path(import_fn fn, const char *path, struct out *o)
{
	memset(o, 0, sizeof(*o));
	FILE *y = open_memstream(&o->yaml, &o->ylen);
	FILE *r = open_memstream(&o->report, &o->rlen);
	assert_non_null(y);
	assert_non_null(r);
	o->rc = fn(path, y, r);
	assert_int_equal(fclose(y), 0);
	assert_int_equal(fclose(r), 0);
}

/* Runs the importer on text written to a temporary file; its name in the
 * report is replaced by "T" so cases can spell expected lines. */
static void
run_text(import_fn fn, const char *text, struct out *o)
{
	char path[] = "/tmp/bs-import-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	run_path(fn, path, o);
	unlink(path);
	/* rewrite "path:" as "T:" in the report */
	size_t pl = strlen(path);
	char *w = o->report;
	for (const char *p = o->report; *p;) {
		if (!strncmp(p, path, pl)) {
			*w++ = 'T';
			p += pl;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
}

static void
out_free(struct out *o)
{
	free(o->yaml);
	free(o->report);
}

static unsigned
count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define assert_has(hay, needle)                                                       \
	do {                                                                          \
		if (!strstr((hay), (needle)))                                         \
			fail_msg("missing <%s> in:\n%s", (needle), (hay));            \
	} while (0)
#define assert_lacks(hay, needle)                                                     \
	do {                                                                          \
		if (strstr((hay), (needle)))                                          \
			fail_msg("unexpected <%s> in:\n%s", (needle), (hay));         \
	} while (0)

/* ---- fixtures ---------------------------------------------------------- */

static void
test_dnsmasq_fixture(void **state)
{
	(void)state;
	struct out o;
	run_path(bs_import_dnsmasq, IMPORT_DATA "/dnsmasq-pxe.conf", &o);
	assert_int_equal(o.rc, 0);
	const char *y = o.yaml;

	assert_has(y, "  ip: 10.77.0.1/24\n");	/* from dhcp-boot's server address */
	assert_has(y, "    - dev: \"net_af_packet0,iface=enp3s0\"\n");
	assert_has(y, "  unknown_clients: allow\n");
	assert_has(y, "  max_leases: 2000\n");
	/* two ranges with the same set: tag fold into one subnet */
	assert_has(y, "    - subnet: 10.77.0.0/24\n      router: 10.77.0.254\n"
		      "      dns: [10.77.0.1, 10.77.0.2]\n      ntp: 10.77.0.1\n"
		      "      domain: \"lab.example\"\n      lease_time: 12h\n"
		      "      pools: [10.77.0.100-10.77.0.199, 10.77.0.220-10.77.0.239]\n");
	/* tag:mgmt options land on the mgmt range's subnet only */
	assert_has(y, "    - subnet: 10.78.0.0/24\n      router: 10.78.0.254\n");
	assert_has(y, "      domain: \"mgmt.lab.example\"\n      lease_time: 1h\n"
		      "      pools: [10.78.0.50-10.78.0.99]\n");
	/* arch matching: dhcp-match client-arch 7,9 -> efi-x64, 11 -> arm64 */
	assert_has(y, "boot:\n  next_server: 10.77.0.1\n  files:\n"
		      "    bios: \"pxelinux.0\"\n    efi-x64: \"grubx64.efi\"\n"
		      "    efi-arm64: \"grubaa64.efi\"\n"
		      "  ipxe: \"http://10.77.0.1/ipxe/boot\"\n");
	assert_has(y, "tftp:\n  root: \"/srv/tftp\"\n");
	assert_int_equal(count(y, "  - name: "), 4);
	assert_has(y, "  - name: \"node002\"\n    mac: 52:54:00:00:00:02\n    ip: 10.77.0.12\n");
	assert_lacks(y, "dup-of-node001");
	assert_lacks(y, "printer");

	const char *r = o.report;
#define F IMPORT_DATA "/dnsmasq-pxe.conf:"
	assert_has(r, F "7: log-dhcp: not supported by the importer\n");
	assert_has(r, F "22: dhcp-option vendor:PXEClient: option not translated");
	assert_has(r, F "37: pxe-prompt: not supported");
	assert_has(r, F "39: pxe-service: boot service type 0 (local boot) not supported\n");
	assert_has(r, F "46: dhcp-host: per-host lease time infinite not supported");
	assert_has(r, F "48: dhcp-host: client identifier id:01:52:54:00:00:00:04 not translated");
	assert_has(r, F "49: dhcp-host: no MAC address");
	assert_has(r, F "50: dhcp-host: \"ignore\" hosts are not supported");
	assert_has(r, F "51: host dup-of-node001: MAC already reserved for node001 (line 45)");
	assert_has(r, F "53: conf-file=/etc/dnsmasq.d/extra-hosts.conf: included files are "
		      "not followed");
	assert_has(r, F "54: no-resolv: DNS option: bootstorm serves no DNS\n");
	assert_has(r, F "55: frobnicate-widgets: not supported by the importer\n");
	assert_has(r, F "36: boot file \"undionly.kpxe\" for clients of no matched architecture");
	/* lines that were translated are not in the report */
	assert_lacks(r, F "10:");
	assert_lacks(r, F "26:");
	assert_lacks(r, F "33:");
#undef F
	out_free(&o);
}

static void
test_dhcpd_fixture(void **state)
{
	(void)state;
	struct out o;
	run_path(bs_import_dhcpd, IMPORT_DATA "/dhcpd-cluster.conf", &o);
	assert_int_equal(o.rc, 0);
	const char *y = o.yaml;

	assert_has(y, "  ip: 172.16.0.1/22\n"); /* server-identifier, prefix of its subnet */
	assert_has(y, "dhcp:\n  unknown_clients: deny\n  lease_time: 1h\n");
	assert_has(y, "    - subnet: 172.16.0.0/22\n      router: 172.16.0.254\n"
		      "      dns: [172.16.0.1, 172.16.0.2]\n      ntp: 172.16.0.1\n"
		      "      domain: \"hydra.cluster\"\n      lease_time: 12h\n"
		      "      pools: [172.16.2.10-172.16.2.250, 172.16.3.10-172.16.3.50]\n");
	assert_has(y, "    - subnet: 172.16.8.0/24\n      router: 172.16.8.254\n"
		      "      dns: [172.16.0.1, 172.16.0.2]\n"
		      "      domain: \"ipmi.hydra.cluster\"\n");
	assert_has(y, "boot:\n  next_server: 172.16.0.1\n  files:\n"
		      "    bios: \"bios/pxelinux.0\"\n    efi-x64: \"efi/grubx64.efi\"\n"
		      "    efi-arm64: \"efi/grubaa64.efi\"\n"
		      "  ipxe: \"http://172.16.0.1/ipxe/boot.ipxe\"\n");
	/* 50 compute nodes in a group + login1 (its address is a DNS name) */
	assert_int_equal(count(y, "  - name: "), 51);
	assert_has(y, "  - name: \"hydra001\"\n    mac: 0c:c4:7a:10:00:01\n    ip: 172.16.1.11\n");
	assert_has(y, "  - name: \"hydra007-gpu\"\n    mac: 0c:c4:7a:10:00:07\n");
	assert_has(y, "  - name: \"hydra050\"\n    mac: 0c:c4:7a:10:00:32\n    ip: 172.16.1.60\n");
	assert_has(y, "  - name: \"login1\"\n    mac: 0c:c4:7a:20:00:01\n");
	assert_lacks(y, "bmc-switch");

	const char *r = o.report;
#define F IMPORT_DATA "/dhcpd-cluster.conf:"
	assert_has(r, F "4: authoritative: not supported by the importer\n");
	assert_has(r, F "7: max-lease-time: bootstorm grants exactly lease_time");
	assert_has(r, F "16: option space pxelinux: option not translated");
	assert_has(r, F "17: option pxelinux.magic code 208: option definitions other than");
	assert_has(r, F "39: include /etc/dhcp/dhcpd.local.conf: included files are not followed");
	assert_has(r, F "107: host hydra013: per-host filename \"bios/memtest86.0\" not translated");
	assert_has(r, F "260: fixed-address login1.hydra.cluster: not an IPv4 address");
	assert_has(r, F "262: host bmc-switch: no hardware ethernet");
	assert_has(r, F "273: failover peer \"dhcp-failover\" { }: declaration not supported");
	assert_int_equal(count(r, "\n"), 11);
#undef F
	out_free(&o);
}

/* ---- the config loader accepts what we write ------------------------- */

static void
touch(const char *dir, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	mkdir(p, 0755);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("boot loader\n", f);
	fclose(f);
}

static void
rm_tree(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Loads yaml with cfg_load_mem after pointing tftp.root at a temporary
 * directory holding the boot files (the validator checks they exist: on
 * the old server they do, here they must be made). */
static struct cfg *
load_imported(const char *yaml, const char *const *files, char *dir, struct cfg_errs *errs)
{
	assert_non_null(mkdtemp(dir));
	for (const char *const *f = files; *f; f++)
		touch(dir, *f);
	char *doc = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&doc, &len);
	assert_non_null(m);
	const char *root = strstr(yaml, "tftp:\n  root: ");
	if (root) {
		fwrite(yaml, 1, (size_t)(root - yaml), m);
		fprintf(m, "tftp:\n  root: \"%s\"\n", dir);
		fputs(strchr(root + 14, '\n') + 1, m);
	} else {
		fprintf(m, "%stftp:\n  root: \"%s\"\n", yaml, dir);
	}
	assert_int_equal(fclose(m), 0);
	char name[600];
	snprintf(name, sizeof(name), "%s/imported.yaml", dir);
	struct cfg *c = cfg_load_mem(name, doc, len, errs);
	if (!c)
		cfg_errs_print(errs, stderr);
	free(doc);
	return c;
}

static void
test_loader_accepts_dnsmasq(void **state)
{
	(void)state;
	static const char *const files[] = { "pxelinux.0", "grubx64.efi", "grubaa64.efi", NULL };
	char dir[] = "/tmp/bs-import-cfg-XXXXXX";
	struct out o;
	struct cfg_errs errs = { 0 };

	run_path(bs_import_dnsmasq, IMPORT_DATA "/dnsmasq-pxe.conf", &o);
	assert_int_equal(o.rc, 0);
	struct cfg *c = load_imported(o.yaml, files, dir, &errs);
	assert_non_null(c);
	assert_int_equal(errs.n, 0);
	assert_int_equal(c->n_subnets, 2);
	assert_int_equal(c->subnets[0].n_pools, 2);
	assert_int_equal(c->subnets[0].lease_s, 12 * 3600);
	assert_int_equal(c->subnets[1].router, 0x0a4e00feu); /* 10.78.0.254 */
	assert_int_equal(c->unknown_policy, SNAP_UNKNOWN_ALLOW);
	assert_string_equal(c->boot_file[SNAP_ARCH_BIOS], "pxelinux.0");
	assert_string_equal(c->boot_file[SNAP_ARCH_EFI_X64], "grubx64.efi");
	assert_string_equal(c->boot_file[SNAP_ARCH_EFI_ARM64], "grubaa64.efi");
	assert_string_equal(c->ipxe_url, "http://10.77.0.1/ipxe/boot");
	assert_int_equal(c->n_nodes, 4);
	const struct cfg_node *n = cfg_node_by_name(c, "node003");
	assert_non_null(n);
	assert_true(n->has_ip);
	assert_int_equal(n->ip, 0x0a4d000du); /* 10.77.0.13 */
	cfg_free(c);
	cfg_errs_free(&errs);
	rm_tree(dir);
	out_free(&o);
}

static void
test_loader_accepts_dhcpd(void **state)
{
	(void)state;
	static const char *const files[] = { "bios/pxelinux.0", "efi/grubx64.efi",
					     "efi/grubaa64.efi", NULL };
	char dir[] = "/tmp/bs-import-cfg-XXXXXX";
	struct out o;
	struct cfg_errs errs = { 0 };

	run_path(bs_import_dhcpd, IMPORT_DATA "/dhcpd-cluster.conf", &o);
	assert_int_equal(o.rc, 0);
	struct cfg *c = load_imported(o.yaml, files, dir, &errs);
	assert_non_null(c);
	assert_int_equal(errs.n, 0);
	assert_int_equal(c->server_ip, 0xac100001u); /* 172.16.0.1 */
	assert_int_equal(c->server_prefix, 22);
	assert_int_equal(c->unknown_policy, SNAP_UNKNOWN_DENY);
	assert_int_equal(c->lease_s, 3600);
	assert_int_equal(c->n_subnets, 2);
	assert_int_equal(c->subnets[0].prefix, 22);
	assert_int_equal(c->subnets[0].n_dns, 2);
	assert_int_equal(c->subnets[0].n_pools, 2);
	assert_int_equal(c->n_nodes, 51);
	const struct cfg_node *n = cfg_node_by_name(c, "hydra007-gpu");
	assert_non_null(n);
	assert_int_equal(n->ip, 0xac100111u); /* 172.16.1.17 */
	n = cfg_node_by_name(c, "login1");
	assert_non_null(n);
	assert_false(n->has_ip);
	assert_string_equal(c->boot_file[SNAP_ARCH_EFI_X64], "efi/grubx64.efi");
	cfg_free(c);
	cfg_errs_free(&errs);
	rm_tree(dir);
	out_free(&o);
}

/* ---- dnsmasq tables ------------------------------------------------------ */

struct dm_case {
	const char *in;
	const char *yaml_has;	/* NULL = no check */
	const char *yaml_lacks;
	const char *report_has;	/* NULL = no "T:1:" or "T:2:" line in the report */
};

static const struct dm_case dm_cases[] = {
	/* dhcp-range forms (dnsmasq(8) --dhcp-range) */
	{ "dhcp-range=192.168.1.10,192.168.1.20,255.255.255.0,1h\n",
	  "    - subnet: 192.168.1.0/24\n      lease_time: 1h\n      pools: [192.168.1.10-192.168.1.20]\n",
	  NULL, NULL },
	{ "dhcp-range=10.0.0.5,10.0.0.9,255.255.0.0,30m\n",
	  "    - subnet: 10.0.0.0/16\n      lease_time: 30m\n", NULL, NULL },
	{ "dhcp-range=10.0.0.5,10.0.0.9,90\n", "      lease_time: 90s\n", NULL,
	  "T:1: note: dhcp-range has no netmask: /24 assumed" },
	{ "dhcp-range=192.168.0.0,proxy,255.255.255.0\n", "  proxy: true\n", "pools:", NULL },
	{ "dhcp-range=10.1.0.0,static,255.255.255.0\n", "    - subnet: 10.1.0.0/24\n",
	  "pools:", NULL },
	{ "dhcp-range=10.0.0.9,10.0.0.5,255.255.255.0\n", NULL, "subnets:",
	  "T:1: dhcp-range: end is before start or in another subnet" },
	{ "dhcp-range=10.0.0.9,10.0.1.5,255.255.255.0\n", NULL, "subnets:",
	  "T:1: dhcp-range: end is before start or in another subnet" },
	{ "dhcp-range=::1,::400,constructor:eth0\n", NULL, "subnets:",
	  "T:1: dhcp-range: \"::1\" is not an IPv4 range" },
	{ "dhcp-range=10.0.0.5,10.0.0.9,255.0.255.0\n", NULL, "subnets:",
	  "T:1: dhcp-range: netmask not contiguous" },
	{ "dhcp-range=10.0.0.5,10.0.0.9,255.255.255.0,infinite\n", "pools:", "lease_time",
	  "T:1: dhcp-range: infinite leases are not supported" },
	/* boot files */
	{ "dhcp-boot=pxelinux.0\n", "    bios: \"pxelinux.0\"\n", NULL, NULL },
	{ "dhcp-boot=ipxe.efi\n", "    efi-x64: \"ipxe.efi\"\n", "bios:", NULL },
	{ "dhcp-match=set:e,93,7\ndhcp-boot=tag:e,a.efi\n", "    efi-x64: \"a.efi\"\n",
	  "bios:", NULL },
	{ "dhcp-match=set:e,option:client-arch,6\ndhcp-boot=tag:e,ia32.efi\n",
	  "    efi-ia32: \"ia32.efi\"\n", NULL, NULL },
	{ "dhcp-match=set:h,option:client-arch,16\ndhcp-boot=tag:h,http://x/b.efi\n",
	  "    http-x64: \"http://x/b.efi\"\n", NULL, NULL },
	{ "dhcp-match=set:p,option:client-arch,14\n", NULL, "files:",
	  "T:1: dhcp-match: client-arch 14 has no boot file slot in bootstorm" },
	{ "dhcp-match=ipxe,175\ndhcp-boot=net:ipxe,boot.ipxe\n", "  ipxe: \"boot.ipxe\"\n",
	  NULL, NULL },
	{ "dhcp-boot=tag:weird,x.0\n", NULL, "files:",
	  "T:1: dhcp-boot: tag weird is not an architecture or iPXE match" },
	{ "dhcp-boot=tag:!ipxe,undionly.kpxe,,192.168.5.5\n",
	  "  next_server: 192.168.5.5\n  files:\n    bios: \"undionly.kpxe\"\n", NULL, NULL },
	{ "pxe-service=x86PC,\"Linux\",pxelinux\n", "    bios: \"pxelinux.0\"\n", NULL, NULL },
	{ "pxe-service=X86-64_EFI,\"UEFI\",boot/bootx64.efi\n",
	  "    efi-x64: \"boot/bootx64.efi\"\n", NULL, NULL },
	{ "pxe-service=x86PC,\"A\",a\npxe-service=x86PC,\"B\",b\n", "    bios: \"a.0\"\n", "b.0",
	  "T:2: pxe-service: menu entry \"B\" for x86PC" },
	{ "pxe-service=IA64_EFI,\"I\",x\n", NULL, "files:",
	  "T:1: pxe-service: client system IA64_EFI has no boot file slot" },
	/* hosts */
	{ "dhcp-host=aa-bb-cc-dd-ee-ff,h1,10.0.0.7\n",
	  "  - name: \"h1\"\n    mac: aa:bb:cc:dd:ee:ff\n    ip: 10.0.0.7\n", NULL, NULL },
	{ "dhcp-host=00:11:22:33:44:55\n", "  - name: \"host-001122334455\"\n", "    ip:", NULL },
	{ "dhcp-host=00:11:22:33:44:*,x\n", NULL, "nodes:", "T:1: dhcp-host: \"00:11:22:33:44:*\"" },
	{ "dhcp-host=00:11:22:33:44:55,00:11:22:33:44:56,x\n", "  - name: \"x\"\n", NULL,
	  "T:1: dhcp-host: extra MAC 00:11:22:33:44:56" },
	{ "dhcp-host=00:11:22:33:44:55,\"we\\\"ird\",10.0.0.2\n", "  - name: \"we\\\"ird\"\n",
	  NULL, NULL },
	/* options */
	{ "dhcp-range=10.0.0.5,10.0.0.9,255.255.255.0\ndhcp-option=3,10.0.0.1,10.0.0.2\n",
	  "      router: 10.0.0.1\n", "10.0.0.2",
	  "T:2: dhcp-option: bootstorm sends one router; 1 more dropped" },
	{ "dhcp-range=10.0.0.5,10.0.0.9,255.255.255.0\ndhcp-option=option:mtu,9000\n",
	  "      mtu: 9000\n", NULL, NULL },
	{ "dhcp-option=66,1.2.3.4\n", NULL, NULL,
	  "T:1: dhcp-option 66: option not translated" },
	{ "dhcp-option=tag:nope,3,1.2.3.4\n", NULL, "router",
	  "T:1: dhcp-option 3: tag:nope is not a dhcp-range tag" },
	{ "dhcp-option=6,dns.example\n", NULL, "dns:",
	  "T:1: dhcp-option: \"dns.example\" is not an IPv4 address" },
	/* policy, comments, misc */
	{ "dhcp-ignore=tag:!known\n", "  unknown_clients: deny\n", NULL, NULL },
	{ "# comment\n   \n  tftp-root=/tftp # trailing\n", "  root: \"/tftp\"\n", NULL, NULL },
	{ "tftp-root=/a#b\n", "  root: \"/a#b\"\n", NULL, NULL },
	{ "--interface=br0\n", "iface=br0\"", NULL, NULL },
	{ "listen-address=10.9.9.9\n", "  ip: 10.9.9.9/24\n", NULL, NULL },
	{ "conf-dir=/etc/dnsmasq.d,*.conf\n", NULL, NULL,
	  "T:1: conf-dir=/etc/dnsmasq.d: included files are not followed" },
	{ "dhcp-range=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
	  "26,27,28,29,30,31,32,33\n", NULL, NULL, "T:1: dhcp-range: more than 32 values" },
};

/* Runs every case of a table through fn: what the YAML must and must not
 * hold, and the report line it must give (else no "T:1:"/"T:2:" line). */
static void
run_cases(import_fn fn, const struct dm_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct dm_case *c = &cases[i];
		struct out o;
		run_text(fn, c->in, &o);
		if (o.rc)
			fail_msg("case %zu: rc %d", i, o.rc);
		if (c->yaml_has && !strstr(o.yaml, c->yaml_has))
			fail_msg("case %zu (%s): yaml lacks <%s>:\n%s", i, c->in, c->yaml_has, o.yaml);
		if (c->yaml_lacks && strstr(o.yaml, c->yaml_lacks))
			fail_msg("case %zu (%s): yaml has <%s>:\n%s", i, c->in, c->yaml_lacks, o.yaml);
		if (c->report_has && !strstr(o.report, c->report_has))
			fail_msg("case %zu (%s): report lacks <%s>:\n%s", i, c->in, c->report_has,
				 o.report);
		if (!c->report_has && (strstr(o.report, "T:1:") || strstr(o.report, "T:2:")))
			fail_msg("case %zu (%s): unexpected report:\n%s", i, c->in, o.report);
		out_free(&o);
	}
}

static void
test_dnsmasq_cases(void **state)
{
	(void)state;
	run_cases(bs_import_dnsmasq, dm_cases, sizeof(dm_cases) / sizeof(dm_cases[0]));
}

/* ---- dhcpd tables -------------------------------------------------------- */

static const struct dm_case dh_cases[] = {
	/* tokenizer: strings keep '#', ';', braces; comments end at newline */
	{ "filename \"a#b;c{}\"; # comment { ;\n", "    bios: \"a#b;c{}\"\n", NULL, NULL },
	{ "filename \"x\\\"y\";\n", "    bios: \"x\\\"y\"\n", NULL, NULL },
	{ "filename \"open;\n", NULL, NULL, "T:1: syntax: unterminated string" },
	{ "}\nfilename \"p.0\";\n", "    bios: \"p.0\"\n", NULL, "T:1: syntax: '}' without '{'" },
	{ "subnet 10.0.0.0 netmask 255.255.255.0 {\n range 10.0.0.5 10.0.0.6;\n",
	  "      pools: [10.0.0.5-10.0.0.6]\n", NULL, "T:1: syntax: '{' not closed at end of file" },
	{ "filename \"p.0\"", "    bios: \"p.0\"\n", NULL,
	  "T:1: syntax: statement not ended by ';' at end of file" },
	{ "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.9 10.0.0.5 }\n",
	  "      pools: [10.0.0.5-10.0.0.9]\n", NULL,
	  "T:1: syntax: statement not ended by ';' before '}'" },
	/* subnets */
	{ "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.1.5 10.0.1.6; }\n", NULL, "pools",
	  "T:1: range: not inside its subnet" },
	{ "range 10.0.0.5 10.0.0.6;\n", NULL, "pools", "T:1: range outside a subnet" },
	{ "subnet 10.0.0.0 netmask 255.0.255.0 { }\n", NULL, "subnets:",
	  "T:1: subnet 10.0.0.0 netmask 255.0.255.0: expected" },
	{ "subnet 10.0.0.0 netmask 255.255.255.0 { option subnet-mask 255.255.0.0; }\n", NULL,
	  NULL, "T:1: option subnet-mask 255.255.0.0: differs from the subnet's" },
	{ "subnet 10.0.0.0 netmask 255.255.255.0 { next-server 10.0.0.3; option interface-mtu 9000; }\n",
	  "      next_server: 10.0.0.3\n      mtu: 9000\n", NULL, NULL },
	/* arch conditions: hex, decimal, or-lists, else = default */
	{ "option arch code 93 = unsigned integer 16;\n"
	  "if option arch = 00:07 or option arch = 00:09 { filename \"x64.efi\"; }\n"
	  "elsif option arch = 11 { filename \"aa64.efi\"; }\n"
	  "else { filename \"pxelinux.0\"; }\n",
	  "  files:\n    bios: \"pxelinux.0\"\n    efi-x64: \"x64.efi\"\n    efi-arm64: \"aa64.efi\"\n",
	  NULL, NULL },
	{ "option pxe-system-type code 93 = unsigned integer 16;\n"
	  "if option pxe-system-type = 00:06 { filename \"ia32.efi\"; } else if option pxe-system-type = 00:10 { filename \"http://h/x.efi\"; }\n",
	  "    efi-ia32: \"ia32.efi\"\n    http-x64: \"http://h/x.efi\"\n", NULL, NULL },
	/* an undeclared option is not an arch test */
	{ "if option arch = 00:07 { filename \"x64.efi\"; } else { filename \"p.0\"; }\n", NULL,
	  "x64.efi", "T:1: if option arch = 00:07: condition not understood" },
	{ "if option vendor-class-identifier = \"foo\" { filename \"a\"; }\n", NULL, "files",
	  "T:1: if option vendor-class-identifier = \"foo\": condition not understood" },
	{ "if not exists user-class { filename \"a\"; }\n", NULL, "files",
	  "condition not understood" },
	{ "if exists user-class and option user-class = \"iPXE\" { filename \"http://s/b\"; }\n"
	  "else { filename \"undionly.kpxe\"; }\n",
	  "    bios: \"undionly.kpxe\"\n  ipxe: \"http://s/b\"\n", NULL, NULL },
	{ "class \"pxe\" { match if substring (option vendor-class-identifier, 0, 9) = \"PXEClient\"; filename \"p.0\"; }\n",
	  "    bios: \"p.0\"\n", NULL, NULL },
	{ "class \"c\" { match option vendor-class-identifier; }\n", NULL, NULL,
	  "T:1: class \"c\": only classes with \"match if\" are translated" },
	{ "else { filename \"a\"; }\n", NULL, "files", "T:1: else without if" },
	/* hosts */
	{ "host n1 { hardware ethernet 0:1b:2:3:4:5; fixed-address 10.0.0.2; }\n",
	  "  - name: \"n1\"\n    mac: 00:1b:02:03:04:05\n    ip: 10.0.0.2\n", NULL, NULL },
	{ "host n1 { hardware token-ring 00:01:02:03:04:05; }\n", NULL, "nodes:",
	  "T:1: hardware token-ring 00:01:02:03:04:05: only \"hardware ethernet MAC\"" },
	{ "host \"odd name\" { hardware ethernet 00:01:02:03:04:05; }\n",
	  "  - name: \"odd-name\"\n", NULL, "T:1: note: host name changed to \"odd-name\"" },
	{ "host a { hardware ethernet 00:01:02:03:04:05; option routers 1.2.3.4; }\n",
	  "  - name: \"a\"\n", "router", "T:1: host a: \"option routers 1.2.3.4\" not translated" },
	{ "group { next-server 10.1.1.1; host a { hardware ethernet 00:01:02:03:04:05; } }\n",
	  "  next_server: 10.1.1.1\n", NULL, NULL },
	{ "host a { hardware ethernet 00:01:02:03:04:05; fixed-address 10.0.0.2, 10.0.0.3; }\n",
	  "    ip: 10.0.0.2\n", "10.0.0.3", "T:1: fixed-address: bootstorm reserves one address" },
	/* policy */
	{ "ignore unknown-clients;\n", "  unknown_clients: deny\n", NULL, NULL },
	{ "allow booting; allow unknown-clients;\n", "  unknown_clients: allow\n", NULL, NULL },
	{ "key \"k\" { algorithm hmac-md5; secret \"x\"; }\n", NULL, NULL,
	  "T:1: key \"k\" { }: declaration not supported by the importer" },
};

static void
test_dhcpd_cases(void **state)
{
	(void)state;
	run_cases(bs_import_dhcpd, dh_cases, sizeof(dh_cases) / sizeof(dh_cases[0]));
}

/* ---- robustness and errors -------------------------------------------- */

static void
test_nesting_and_garbage(void **state)
{
	(void)state;
	/* 200 nested groups: capped, reported, no crash */
	size_t n = 200;
	char *buf = malloc(n * 8 + 64);
	assert_non_null(buf);
	char *p = buf;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "group {");
	for (size_t i = 0; i < n; i++)
		*p++ = '}';
	strcpy(p, "\n");
	struct out o;
	run_text(bs_import_dhcpd, buf, &o);
	assert_int_equal(o.rc, 0);
	assert_has(o.report, "declarations nested too deep");
	out_free(&o);
	free(buf);

	/* bytes that are neither: both importers still write YAML */
	static const char junk[] = "\x01\x02{{;;\"\xff\xfe=,,,()\n=\n==\ndhcp-range=,,,,\n";
	run_text(bs_import_dhcpd, junk, &o);
	assert_int_equal(o.rc, 0);
	assert_has(o.yaml, "server:\n");
	out_free(&o);
	run_text(bs_import_dnsmasq, junk, &o);
	assert_int_equal(o.rc, 0);
	assert_has(o.yaml, "server:\n");
	out_free(&o);
}

static void
test_io_errors(void **state)
{
	(void)state;
	struct out o;
	run_path(bs_import_dnsmasq, "/nonexistent/dnsmasq.conf", &o);
	assert_int_equal(o.rc, -ENOENT);
	out_free(&o);
	run_path(bs_import_dhcpd, "/nonexistent/dhcpd.conf", &o);
	assert_int_equal(o.rc, -ENOENT);
	out_free(&o);

	/* a YAML stream that cannot be written: -EIO, not 0 */
	FILE *full = fopen("/dev/full", "w");
	if (!full)
		skip();
	assert_int_equal(bs_import_dhcpd(IMPORT_DATA "/dhcpd-cluster.conf", full, NULL), -EIO);
	fclose(full);
	full = fopen("/dev/full", "w");
	assert_non_null(full);
	assert_int_equal(bs_import_dnsmasq(IMPORT_DATA "/dnsmasq-pxe.conf", full, NULL), -EIO);
	fclose(full);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsmasq_fixture),
		cmocka_unit_test(test_dhcpd_fixture),
		cmocka_unit_test(test_loader_accepts_dnsmasq),
		cmocka_unit_test(test_loader_accepts_dhcpd),
		cmocka_unit_test(test_dnsmasq_cases),
		cmocka_unit_test(test_dhcpd_cases),
		cmocka_unit_test(test_nesting_and_garbage),
		cmocka_unit_test(test_io_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
