/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The config loader: scalar syntax tables, the shipped examples, and every
 * broken file in tests/data/conf/ with its exact messages and positions.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "conf/cfg_priv.h"

#ifndef CONF_DATA
#error "CONF_DATA (tests/data/conf) must be defined by meson"
#endif
#ifndef CONF_EXAMPLES
#error "CONF_EXAMPLES (conf/examples) must be defined by meson"
#endif

/* ------------------------------------------------------------------ */
/* Scalar syntax (boundary tables) */

static void
test_duration(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int ok;
		uint64_t ms;
	} t[] = {
		{ "30s", 1, 30000 },	   { "10m", 1, 600000 },   { "1h", 1, 3600000 },
		{ "1d", 1, 86400000 },	   { "2ms", 1, 2 },	   { "52m30s", 1, 3150000 },
		{ "90", 1, 90000 },	   { "0", 1, 0 },	   { "1h1ms", 1, 3600001 },
		{ "4294967295", 1, 4294967295000ull },
		{ "4294967296", 0, 0 },	   /* plain seconds beyond u32 */
		{ "", 0, 0 },		   { "s", 0, 0 },	   { "5x", 0, 0 },
		{ "1h-", 0, 0 },	   { "-1", 0, 0 },	   { "1.5s", 0, 0 },
		{ "ms", 0, 0 },		   { "1s2", 0, 0 },	   { " 1s", 0, 0 },
		{ "1s ", 0, 0 },	   { "1hour", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t ms = 12345;
		int rc = cfgp_duration_ms(t[i].s, &ms);
		if (t[i].ok) {
			assert_int_equal(rc, 0);
			assert_int_equal(ms, t[i].ms);
		} else {
			assert_int_equal(rc, -EINVAL);
		}
	}
}

static void
test_ip_cidr_mac(void **state)
{
	(void)state;
	uint32_t ip;
	uint8_t pfx, mac[6];
	assert_int_equal(cfgp_ip("0.0.0.0", &ip), 0);
	assert_int_equal(ip, 0);
	assert_int_equal(cfgp_ip("255.255.255.255", &ip), 0);
	assert_int_equal(ip, 0xffffffffu);
	assert_int_equal(cfgp_ip("10.77.0.1", &ip), 0);
	assert_int_equal(ip, 0x0a4d0001u);
	static const char *const bad_ip[] = { "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4",
					      "1.2.3.4 ", " 1.2.3.4", "", "1..2.3",
					      "1.2.3.4/24", "1.2.3.1000" };
	for (size_t i = 0; i < sizeof(bad_ip) / sizeof(bad_ip[0]); i++)
		assert_int_equal(cfgp_ip(bad_ip[i], &ip), -EINVAL);

	assert_int_equal(cfgp_cidr("10.0.0.0/0", &ip, &pfx), 0);
	assert_int_equal(pfx, 0);
	assert_int_equal(cfgp_cidr("10.0.0.1/32", &ip, &pfx), 0);
	assert_int_equal(pfx, 32);
	assert_int_equal(cfgp_cidr("10.0.0.1/33", &ip, &pfx), -EINVAL);
	assert_int_equal(cfgp_cidr("/24", &ip, &pfx), -EINVAL);
	assert_int_equal(cfgp_cidr("10.0.0.1/", &ip, &pfx), -EINVAL);
	assert_int_equal(cfgp_cidr("10.0.0.1", &ip, &pfx), -EINVAL);

	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xCD, 0xef };
	assert_int_equal(cfgp_mac("52:54:00:ab:cd:ef", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(cfgp_mac("52-54-00-AB-CD-EF", mac), 0);
	assert_memory_equal(mac, want, 6);
	static const char *const bad_mac[] = { "52:54-00:ab:cd:ef", "52:54:00:ab:cd",
					       "52:54:00:ab:cd:ef:", "52:54:00:ab:cd:eg",
					       "5254.00ab.cdef", "", "52:54:00:ab:cd:e" };
	for (size_t i = 0; i < sizeof(bad_mac) / sizeof(bad_mac[0]); i++)
		assert_int_equal(cfgp_mac(bad_mac[i], mac), -EINVAL);
}

static void
test_ints_ranges_paths(void **state)
{
	(void)state;
	uint32_t v, lo, hi;
	uint16_t port;
	/* n-1, n, n+1 around both bounds of [1, 16]. */
	assert_int_equal(cfgp_u32("0", 1, 16, &v), -EINVAL);
	assert_int_equal(cfgp_u32("1", 1, 16, &v), 0);
	assert_int_equal(cfgp_u32("16", 1, 16, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(cfgp_u32("17", 1, 16, &v), -EINVAL);
	assert_int_equal(cfgp_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(cfgp_u32("4294967296", 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(cfgp_u32("99999999999999999999999", 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(cfgp_u32("+1", 0, 9, &v), -EINVAL);
	assert_int_equal(cfgp_u32("1 ", 0, 9, &v), -EINVAL);

	assert_int_equal(cfgp_ip_range("10.0.0.1-10.0.0.9", &lo, &hi), 0);
	assert_int_equal(hi - lo, 8);
	assert_int_equal(cfgp_ip_range("10.0.0.7", &lo, &hi), 0);
	assert_int_equal(lo, hi);
	assert_int_equal(cfgp_ip_range("10.0.0.1-", &lo, &hi), -EINVAL);
	assert_int_equal(cfgp_ip_range("10.0.0.1..10.0.0.9", &lo, &hi), -EINVAL);

	assert_int_equal(cfgp_u32_range("40000-59999", 1024, 65535, &lo, &hi), 0);
	assert_int_equal(cfgp_u32_range("1023-2000", 1024, 65535, &lo, &hi), -EINVAL);
	assert_int_equal(cfgp_u32_range("2000-1024", 1024, 65535, &lo, &hi), -EINVAL);

	assert_int_equal(cfgp_listen("0.0.0.0:80", &v, &port), 0);
	assert_int_equal(port, 80);
	assert_int_equal(cfgp_listen(":8080", &v, &port), 0);
	assert_int_equal(port, 8080);
	assert_int_equal(cfgp_listen("10.0.0.1:0", &v, &port), -EINVAL);
	assert_int_equal(cfgp_listen("10.0.0.1:65536", &v, &port), -EINVAL);

	assert_true(cfgp_path_inside("a/b"));
	assert_true(cfgp_path_inside("./x"));
	assert_true(cfgp_path_inside("a/../b"));
	assert_false(cfgp_path_inside("../x"));
	assert_false(cfgp_path_inside("a/../../x"));
	assert_false(cfgp_path_inside("../../etc/passwd"));
	assert_false(cfgp_path_inside("/etc/passwd"));
	assert_false(cfgp_path_inside(""));
}

/* The public parse API's node ranges and lenient forms (conf/cfg_parse.h). */
static void
test_node_range_lenient(void **state)
{
	(void)state;
	struct cfgp_nrange r;
	uint32_t ip;
	uint8_t mac[6];

	assert_int_equal(cfgp_node_range("node[002-099]x", &r), 0);
	assert_string_equal(r.prefix, "node");
	assert_string_equal(r.suffix, "x");
	assert_int_equal(r.lo, 2);
	assert_int_equal(r.hi, 99);
	assert_int_equal(r.width, 3);
	assert_int_equal(cfgp_node_range("n[1-5]", &r), 0);
	assert_int_equal(r.width, 1);
	/* 9 digits is the most a bound may have, 10 is refused. */
	assert_int_equal(cfgp_node_range("n[1-999999999]", &r), 0);
	assert_int_equal(cfgp_node_range("n[1-1000000000]", &r), -EINVAL);
	static const char *const bad_range[] = { "node", "n[1]", "n[-5]", "n[1-]", "n[1-2]y[3-4]",
						 "n[a-b]" };
	for (size_t i = 0; i < sizeof(bad_range) / sizeof(bad_range[0]); i++)
		assert_int_equal(cfgp_node_range(bad_range[i], &r), -EINVAL);

	/* Leading zeros: refused by the config, read as decimal for dhcpd. */
	assert_int_equal(cfgp_ip("010.0.0.1", &ip), -EINVAL);
	assert_int_equal(cfgp_ip_ex("010.0.0.1", CFGP_IP_LEADING_ZEROS, &ip), 0);
	assert_int_equal(ip, 0x0a000001);
	assert_int_equal(cfgp_ip_ex("0010.0.0.1", CFGP_IP_LEADING_ZEROS, &ip), -EINVAL);
	assert_int_equal(cfgp_ip_ex("256.0.0.1", CFGP_IP_LEADING_ZEROS, &ip), -EINVAL);
	/* One-digit octets and mixed separators only with the flag. */
	assert_int_equal(cfgp_mac("0:1b:2:3:4:5", mac), -EINVAL);
	assert_int_equal(cfgp_mac_ex("0:1b:2-3:4:F", CFGP_MAC_SHORT_OCTETS, mac), 0);
	assert_int_equal(mac[1], 0x1b);
	assert_int_equal(mac[5], 0x0f);
	assert_int_equal(cfgp_mac_ex("0:1b:2:3:4", CFGP_MAC_SHORT_OCTETS, mac), -EINVAL);
	assert_int_equal(cfgp_mac_ex("0:1b:2:3:4:5:6", CFGP_MAC_SHORT_OCTETS, mac), -EINVAL);
	assert_int_equal(cfgp_mac_ex("0:1b:2:3:4:123", CFGP_MAC_SHORT_OCTETS, mac), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Good files */

static void
test_lab_example(void **state)
{
	(void)state;
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load(CONF_EXAMPLES "/lab.yaml", &e);
	if (!c)
		cfg_errs_print(&e, stderr);
	assert_non_null(c);
	assert_int_equal(e.n, 0);

	assert_string_equal(c->instance, "lab");
	assert_int_equal(c->server_ip, 0x0a4d0001u);
	assert_int_equal(c->server_prefix, 24);
	assert_true(c->has_server_mac);
	assert_int_equal(c->n_ports, 1);
	assert_string_equal(c->ports[0].devargs, "net_af_packet0,iface=bs-dp0");
	assert_string_equal(c->punt_iface, "bs-punt0");
	assert_int_equal(c->n_eal_args, 8);
	assert_int_equal(c->lease_s, 3600);
	assert_int_equal(c->renew_s, 1800);	  /* default lease/2 */
	assert_int_equal(c->rebind_s, 3150);	  /* default lease*7/8 */
	assert_int_equal(c->tftp_timeout_ms, 1000);
	assert_int_equal(c->journal_commit_ms, 2);
	assert_int_equal(c->n_subnets, 1);
	assert_int_equal(c->subnets[0].n_pools, 1);
	assert_int_equal(c->subnets[0].pools[0].lo, 0x0a4d0064u);
	assert_int_equal(c->subnets[0].pools[0].hi, 0x0a4d00c7u);
	assert_int_equal(c->subnets[0].lease_s, 3600); /* inherited */
	assert_string_equal(c->tftp_root, CONF_EXAMPLES "/lab/tftp");
	assert_string_equal(c->templates, CONF_EXAMPLES "/lab/templates");
	assert_string_equal(c->tftp_gen_root, "/tmp/bootstorm-lab/tftp-gen");
	assert_string_equal(c->http_base_url, "http://10.77.0.1");

	/* 1 single + 9 from the range + 3 from the CSV. */
	assert_int_equal(c->n_nodes, 13);
	const struct cfg_node *n = cfg_node_by_name(c, "node010");
	assert_non_null(n);
	static const uint8_t m10[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x0a };
	assert_memory_equal(n->mac, m10, 6);
	assert_true(n->has_ip);
	assert_int_equal(n->ip, 0x0a4d0014u); /* 10.77.0.20 */
	assert_ptr_equal(cfg_node_by_mac(c, m10), n);
	assert_ptr_equal(cfg_node_by_ip(c, 0x0a4d0014u), n);

	static const uint8_t m12[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x0c };
	n = cfg_node_by_mac(c, m12);
	assert_non_null(n);
	assert_string_equal(n->name, "node012");
	assert_string_equal(cfg_node_profile(c, n)->name, "ipxe-centos7");
	assert_string_equal(cfg_node_boot_file(c, n, SNAP_ARCH_BIOS), "undionly.kpxe");
	assert_string_equal(cfg_node_boot_file(c, n, SNAP_ARCH_EFI_X64), "grubx64.efi");
	assert_int_equal(n->n_vars, 2);
	assert_string_equal(n->vars[1].key, "rack");
	assert_string_equal(n->vars[1].value, "r1");
	assert_true(strstr(n->loc.file, "lab/inventory.csv") != NULL);
	assert_int_equal(n->loc.line, 4);

	n = cfg_node_by_name(c, "node013"); /* empty profile column: default */
	assert_non_null(n);
	assert_null(n->profile);
	assert_string_equal(cfg_node_profile(c, n)->name, "centos7");
	assert_string_equal(cfg_node_boot_file(c, n, SNAP_ARCH_BIOS), "pxelinux.0");

	assert_null(cfg_node_by_name(c, "node014"));
	assert_null(cfg_node_by_name(c, ""));
	assert_null(cfg_node_by_ip(c, 0x0a4d0064u));
	static const uint8_t absent[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x0e };
	assert_null(cfg_node_by_mac(c, absent));
	assert_null(cfg_profile_by_name(c, "rhel9"));
	cfg_free(c);
	cfg_errs_free(&e);
}

static void
test_centos7_example(void **state)
{
	(void)state;
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load(CONF_EXAMPLES "/centos7-pxe.yaml", &e);
	if (!c)
		cfg_errs_print(&e, stderr);
	assert_non_null(c);
	assert_int_equal(c->n_nodes, 18);
	assert_int_equal(c->unknown_policy, SNAP_UNKNOWN_PXE_ONLY);
	assert_int_equal(c->subnets[0].n_dns, 2);
	assert_int_equal(c->subnets[0].lease_s, 12 * 3600);
	const struct cfg_node *n = cfg_node_by_name(c, "compute16");
	assert_non_null(n);
	assert_int_equal(n->ip, (192u << 24 | 168u << 16 | 1u << 8 | 46u));
	assert_int_equal(n->mac[5], 0x10);
	assert_string_equal(cfg_node_profile(c, n)->append,
			    "inst.repo=http://192.168.1.10/repo/centos7 "
			    "ks=http://192.168.1.10/ks/${name}");
	cfg_free(c);
	cfg_errs_free(&e);
}

/* A minimal config that relies on every default. */
static void
test_defaults(void **state)
{
	(void)state;
	static const char y[] = "server: {ip: 10.1.0.1/16}\n";
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("/nonexistent/dir/min.yaml", y, sizeof(y) - 1, &e);
	assert_non_null(c);
	assert_string_equal(c->instance, "default");
	assert_string_equal(c->state_dir, "/var/lib/bootstorm");
	assert_string_equal(c->tftp_gen_root, "/var/lib/bootstorm/tftp-gen");
	assert_string_equal(c->tftp_root, "/srv/tftp");
	assert_string_equal(c->templates, "/nonexistent/dir/templates");
	assert_int_equal(c->workers, 1);
	assert_int_equal(c->mtu, 1500);
	assert_int_equal(c->idle_sleep_us, 50);
	assert_int_equal(c->unknown_policy, SNAP_UNKNOWN_ALLOW);
	assert_int_equal(c->lease_s, 3600);
	assert_int_equal(c->offer_hold_s, 30);
	assert_int_equal(c->decline_hold_s, 600);
	assert_int_equal(c->max_leases, 65536);
	assert_int_equal(c->tftp_max_blksize, 1468);
	assert_int_equal(c->tftp_max_windowsize, 16);
	assert_int_equal(c->tftp_retries, 5);
	assert_int_equal(c->tftp_port_lo, 40000);
	assert_int_equal(c->tftp_port_hi, 59999);
	assert_int_equal(c->http_port, 80);
	assert_int_equal(c->http_max_conns, 4096);
	assert_int_equal(c->next_server, 0x0a010001u);
	assert_string_equal(c->http_base_url, "http://10.1.0.1");
	cfg_free(c);
	cfg_errs_free(&e);
}

/* ------------------------------------------------------------------ */
/* Broken files: exact messages and positions */

struct want {
	const char *file; /* basename */
	uint32_t line, col;
	const char *msg;  /* '@' stands for the data directory */
};

static void
expand(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (; *in && o + 1 < cap; in++) {
		if (*in == '@') {
			o += (size_t)snprintf(out + o, cap - o, "%s", CONF_DATA);
			if (o >= cap)
				o = cap - 1;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = 0;
}

static void
expect_errors(const char *file, const struct want *w, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", CONF_DATA, file);
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load(path, &e);
	assert_null(c);
	if (e.n != n)
		cfg_errs_print(&e, stderr);
	assert_int_equal(e.n, n);
	for (size_t i = 0; i < n; i++) {
		char msg[512], wfile[512];
		expand(w[i].msg, msg, sizeof(msg));
		snprintf(wfile, sizeof(wfile), "%s/%s", CONF_DATA, w[i].file);
		if (strcmp(e.v[i].msg, msg) || strcmp(e.v[i].loc.file, wfile) ||
		    e.v[i].loc.line != w[i].line || e.v[i].loc.col != w[i].col)
			fprintf(stderr, "error %zu: got %s:%u:%u: %s\n", i, e.v[i].loc.file,
				e.v[i].loc.line, e.v[i].loc.col, e.v[i].msg);
		assert_string_equal(e.v[i].loc.file, wfile);
		assert_int_equal(e.v[i].loc.line, w[i].line);
		assert_int_equal(e.v[i].loc.col, w[i].col);
		assert_string_equal(e.v[i].msg, msg);
	}
	cfg_errs_free(&e);
}

#define EXPECT(file, tab) expect_errors(file, tab, sizeof(tab) / sizeof(tab[0]))

static void
test_bad_keys(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ "bad_keys.yaml", 4, 3, "unknown key 'hostname' in server" },
		{ "bad_keys.yaml", 6, 12, "dataplane.workers: expected an integer in [1, 16], got '17'" },
		{ "bad_keys.yaml", 8, 3, "duplicate key 'mtu' in dataplane (first at line 7)" },
		{ "bad_keys.yaml", 9, 8, "dataplane.eal: expected a list of strings, got a scalar" },
		{ "bad_keys.yaml", 11, 10, "dhcp.proxy: expected true or false, got 'maybe'" },
		{ "bad_keys.yaml", 13, 5, "dhcp.subnets: expected a list, got a mapping" },
		{ "bad_keys.yaml", 15, 16, "tftp.max_blksize: expected a scalar, got a list" },
		{ "bad_keys.yaml", 16, 1, "unknown key 'colour' in the top level" },
	};
	EXPECT("bad_keys.yaml", w);
}

static void
test_bad_values(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ "bad_values.yaml", 4, 8, "server.mac: bad MAC address '02:00:00:zz:00:01'" },
		{ "bad_values.yaml", 5, 12, "server.gateway: bad IPv4 address '10.9.0.256'" },
		{ "bad_values.yaml", 7, 20,
		  "dhcp.unknown_clients: 'maybe' is not one of allow, deny, pxe-only" },
		{ "bad_values.yaml", 8, 15,
		  "dhcp.lease_time: bad duration '1hour' (examples: 30s, 10m, 1h, 1d, 2ms, or "
		  "seconds)" },
		{ "bad_values.yaml", 9, 15, "dhcp.offer_hold: '1500ms' is not a whole number of seconds" },
		{ "bad_values.yaml", 11, 15,
		  "subnet: bad network '10.9.0.0/33' (expected e.g. 10.0.0.0/24)" },
		{ "bad_values.yaml", 13, 10,
		  "tftp.ports: bad port range '60000-50000' (expected lo-hi within 1024-65535)" },
		{ "bad_values.yaml", 14, 12,
		  "tftp.timeout: bad duration '2x' (examples: 30s, 10m, 1h, 1d, 2ms, or seconds)" },
		{ "bad_values.yaml", 16, 11, "http.listen: bad address 'localhost' (expected ip:port)" },
	};
	EXPECT("bad_values.yaml", w);
}

static void
test_bad_pools(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ "bad_pools.yaml", 4, 1,
		  "dhcp: need renew_time (7200s) < rebind_time (3150s) < lease_time (3600s)" },
		{ "bad_pools.yaml", 8, 15, "subnet: '10.9.0.5/24' has host bits set" },
		{ "bad_pools.yaml", 11, 11,
		  "pool 10.9.0.150-10.9.0.160 overlaps pool 10.9.0.100-10.9.0.199 (line 10)" },
		{ "bad_pools.yaml", 12, 11, "pool 10.9.1.10-10.9.1.20 is outside subnet 10.9.0.0/24" },
		{ "bad_pools.yaml", 13, 11, "subnet.pools: range 10.9.0.90-10.9.0.80 is reversed" },
		{ "bad_pools.yaml", 17, 9,
		  "node 'n1': reserved address 10.9.0.120 is inside dynamic pool "
		  "10.9.0.100-10.9.0.199" },
		{ "bad_pools.yaml", 20, 9, "node 'n2': address 192.168.1.2 is in no dhcp subnet" },
	};
	EXPECT("bad_pools.yaml", w);
}

static void
test_bad_inventory(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ "bad_inventory.yaml", 14, 11,
		  "duplicate node name 'n1' (first at @/bad_inventory.yaml:11:11)" },
		{ "bad_inventory.yaml", 15, 10,
		  "duplicate MAC 52:54:00:09:00:01: node 'n1' and node 'n1' (first at "
		  "@/bad_inventory.yaml:12:10)" },
		{ "bad_inventory.yaml", 16, 9,
		  "duplicate IP 10.9.0.11: node 'n1' and node 'n1' (first at "
		  "@/bad_inventory.yaml:13:9)" },
		{ "bad_inventory.yaml", 17, 14, "node 'n1': profile 'rhel9' not found" },
		{ "bad_inventory.yaml", 18, 12,
		  "nodes[2].range: bad range 'rack[01-0x]' (expected e.g. node[001-100])" },
		{ "bad_inventory.yaml", 22, 5, "unknown key 'color' in nodes[3]" },
		{ "bad_inventory.yaml", 23, 5, "nodes[4]: 'mac' is required" },
		/* The CSV's own positions. */
		{ "bad_inventory.csv", 4, 4, "bad MAC address '52:54:00:09:03:zz'" },
		{ "bad_inventory.csv", 5, 1, "expected name,mac,ip,profile[,key=value...]" },
		{ "bad_inventory.csv", 6, 24, "bad IPv4 address '10.9.0.999'" },
		{ "bad_inventory.csv", 6, 43, "expected key=value, got 'role'" },
		{ "bad_inventory.csv", 7, 4,
		  "duplicate MAC 52:54:00:09:00:01: node 'c5' and node 'n1' (first at "
		  "@/bad_inventory.yaml:12:10)" },
		{ "bad_inventory.csv", 7, 22,
		  "duplicate IP 10.9.0.31: node 'c5' and node 'c1' (first at "
		  "@/bad_inventory.csv:3:22)" },
	};
	EXPECT("bad_inventory.yaml", w);
}

static void
test_bad_paths(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ "bad_paths.yaml", 5, 20, "boot.default_profile: profile 'centos8' not found" },
		{ "bad_paths.yaml", 8, 14,
		  "boot.files.efi-x64: boot file 'grubx64.efi' not found under tftp root @/tftp" },
		{ "bad_paths.yaml", 9, 16,
		  "boot.files.efi-arm64: path '../../boot/grubaa64.efi' is outside its root "
		  "(tftp.root)" },
		{ "bad_paths.yaml", 11, 5,
		  "boot.files: unknown architecture 'mips' (bios, efi-ia32, efi-x64, efi-arm32, "
		  "efi-arm64, http-x64, http-arm64, ipxe)" },
		{ "bad_paths.yaml", 18, 13, "profiles[0].kernel: path '../../etc/passwd' is outside its root" },
		{ "bad_paths.yaml", 20, 16,
		  "profiles[0].kickstart: template 'missing.ks' not found in @/templates" },
		{ "bad_paths.yaml", 21, 11, "duplicate profile 'centos7' (line 17)" },
	};
	EXPECT("bad_paths.yaml", w);
}

static void
test_bad_yaml(void **state)
{
	(void)state;
	static const struct want syn[] = {
		{ "bad_syntax.yaml", 5, 5,
		  "invalid YAML: did not find expected ',' or ']' while parsing a flow sequence "
		  "(started at line 4, column 12)" },
	};
	EXPECT("bad_syntax.yaml", syn);
	static const struct want bomb[] = {
		{ "alias_bomb.yaml", 3, 8, "YAML aliases (*a) are not supported" },
	};
	EXPECT("alias_bomb.yaml", bomb);
	static const struct want deep[] = {
		{ "deep.yaml", 1, 72, "nesting deeper than 64 levels" },
	};
	EXPECT("deep.yaml", deep);
}

/* check-config prints every error, not only the first. */
static void
test_print_all(void **state)
{
	(void)state;
	struct cfg_errs e = { 0 };
	char *buf = NULL;
	size_t len = 0;
	assert_null(cfg_load(CONF_DATA "/bad_values.yaml", &e));
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	cfg_errs_print(&e, f);
	fclose(f);
	size_t lines = 0;
	for (char *p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 9);
	assert_int_equal(e.n, 9);
	assert_non_null(strstr(buf, CONF_DATA "/bad_values.yaml:4:8: error: server.mac: bad MAC "
					      "address '02:00:00:zz:00:01'\n"));
	assert_non_null(strstr(buf, CONF_DATA "/bad_values.yaml:16:11: error: http.listen: bad "
					      "address 'localhost' (expected ip:port)\n"));
	free(buf);
	cfg_errs_free(&e);
}

/* Errors keep their file names after the failed config is gone, and a
 * caller can accumulate several loads into one list. */
static void
test_errs_outlive_cfg(void **state)
{
	(void)state;
	struct cfg_errs e = { 0 };
	static const char a[] = "server: {ip: 1.2.3.4/24, bogus: 1}\n";
	static const char b[] = "server: {ip: 1.2.3.4/40}\n";
	assert_null(cfg_load_mem("first.yaml", a, sizeof(a) - 1, &e));
	assert_null(cfg_load_mem("second.yaml", b, sizeof(b) - 1, &e));
	assert_int_equal(e.n, 2);
	assert_string_equal(e.v[0].loc.file, "first.yaml");
	assert_string_equal(e.v[1].loc.file, "second.yaml");
	assert_string_equal(e.v[1].msg,
			    "server.ip: bad address/prefix '1.2.3.4/40' (expected e.g. 10.0.0.1/24)");
	cfg_errs_free(&e);
}

/* Garbage in, errors out, never a crash (ASan build runs this too). */
static void
test_garbage(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char buf[2048];
	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)(round * 7 % (int)sizeof(buf));
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* Half the rounds: printable YAML-ish soup. */
			buf[i] = round % 2 ? (char)x : ":-[]{}, \n#&*!|>'\"abc019"[x % 24];
		}
		struct cfg_errs e = { 0 };
		struct cfg *c = cfg_load_mem("garbage.yaml", buf, len, &e);
		assert_true(c == NULL ? e.n > 0 : e.n == 0);
		cfg_free(c);
		cfg_errs_free(&e);
	}
}

static void
test_too_big(void **state)
{
	(void)state;
	struct cfg_errs e = { 0 };
	static const char small[] = "server: {}";
	/* The size is checked before the buffer is read. */
	assert_null(cfg_load_mem("big.yaml", small, CFG_MAX_FILE_BYTES + 1u, &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].msg, "file is larger than 64 MiB");
	cfg_errs_free(&e);

	char path[] = "/tmp/bs-conf-big-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CFG_MAX_FILE_BYTES + 1), 0); /* sparse */
	close(fd);
	assert_null(cfg_load(path, &e));
	unlink(path);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].msg, "cannot read config: file is larger than 64 MiB");
	cfg_errs_free(&e);
}

/* A CSV column and a YAML range that collide: the range is reported once
 * per colliding node, and a huge range is refused before allocation. */
static void
test_range_limits(void **state)
{
	(void)state;
	static const char y[] = "server: {ip: 10.0.0.1/8}\n"
				"nodes:\n"
				"  - range: n[0-2000000]\n"
				"    mac: 02:00:00:00:00:00\n"
				"  - range: m[1-3]\n"
				"    mac: ff:ff:ff:ff:ff:fe\n"
				"  - range: k[1-3]\n"
				"    mac: 02:00:00:00:01:00\n"
				"    ip: 255.255.255.254\n";
	struct cfg_errs e = { 0 };
	assert_null(cfg_load_mem("r.yaml", y, sizeof(y) - 1, &e));
	assert_int_equal(e.n, 3);
	assert_string_equal(e.v[0].msg, "nodes[0].range: 'n[0-2000000]' has more than 1048576 nodes");
	assert_string_equal(e.v[1].msg,
			    "nodes[1].mac: 3 nodes from ff:ff:ff:ff:ff:fe run past ff:ff:ff:ff:ff:ff");
	assert_int_equal(e.v[1].loc.line, 6);
	assert_string_equal(e.v[2].msg,
			    "nodes[2].ip: 3 nodes from 255.255.255.254 run past 255.255.255.255");
	cfg_errs_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_ip_cidr_mac),
		cmocka_unit_test(test_ints_ranges_paths),
		cmocka_unit_test(test_node_range_lenient),
		cmocka_unit_test(test_lab_example),
		cmocka_unit_test(test_centos7_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_pools),
		cmocka_unit_test(test_bad_inventory),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_bad_yaml),
		cmocka_unit_test(test_print_all),
		cmocka_unit_test(test_errs_outlive_cfg),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_range_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
