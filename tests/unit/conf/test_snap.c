/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Snapshots: build + verify round trip, O(1) lookups over a generated
 * 10,000-node inventory, and snap_verify catching corruption (any flipped
 * byte, and offsets that point outside with a valid crc).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "conf/cfg.h"
#include "shm/shm.h"
#include "conf/snap_build.h"
#include "shm/snap_verify.h"
#include "shm/snap_read.h"

#define N_NODES 10000

static uint8_t
mac_byte(uint32_t i, int k)
{
	return (uint8_t)(i >> (8 * (2 - k)));
}

/* YAML with N_NODES single entries (not a range: the loader's per-entry
 * path at scale) in 10.0.0.0/16; pool 10.0.200.0-10.0.200.255. */
static char *
gen_yaml(size_t *len)
{
	size_t cap = 256 + (size_t)N_NODES * 96;
	char *y = malloc(cap);
	size_t o = (size_t)snprintf(y, cap,
				    "server: {ip: 10.0.0.1/16, instance: snaptest}\n"
				    "dhcp:\n  subnets:\n"
				    "    - subnet: 10.0.0.0/16\n"
				    "      pools: [10.0.200.0-10.0.200.255]\n"
				    "boot: {files: {bios: http://10.0.0.1/x.efi}}\n"
				    "nodes:\n");
	for (uint32_t i = 0; i < N_NODES; i++) {
		uint32_t ip = 0x0a00000au + i; /* 10.0.0.10 .. 10.0.39.35 */
		o += (size_t)snprintf(y + o, cap - o,
				      "  - {name: n%05u, mac: '02:00:00:%02x:%02x:%02x', "
				      "ip: %u.%u.%u.%u}\n",
				      i, mac_byte(i, 0), mac_byte(i, 1), mac_byte(i, 2), ip >> 24,
				      (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	}
	*len = o;
	return y;
}

struct fx {
	struct cfg *c;
	struct snap_hdr *s;
	size_t len;
};

static int
setup_big(void **state)
{
	static struct fx fx;
	size_t len;
	char *y = gen_yaml(&len);
	struct cfg_errs e = { 0 };
	fx.c = cfg_load_mem("gen.yaml", y, len, &e);
	free(y);
	if (!fx.c) {
		cfg_errs_print(&e, stderr);
		return -1;
	}
	cfg_errs_free(&e);
	if (snap_build(fx.c, 7, &fx.s, &fx.len) < 0)
		return -1;
	*state = &fx;
	return 0;
}

static int
teardown_big(void **state)
{
	struct fx *fx = *state;
	cfg_free(fx->c);
	free(fx->s);
	return 0;
}

static void
test_roundtrip_lookups(void **state)
{
	struct fx *fx = *state;
	const struct snap_hdr *s = fx->s;
	const char *why = NULL;
	assert_int_equal(snap_verify(s, fx->len, &why), 0);
	assert_int_equal(s->gen, 7);
	assert_int_equal(s->nodes.count, N_NODES);
	assert_int_equal(s->mac_index.count, 32768); /* pow2 >= 2 * 10000 */
	assert_int_equal(s->ip_index.count, 32768);
	assert_int_equal(s->server_ip, 0x0a000001u);
	assert_int_equal(s->abi, SHM_ABI);
	/* boot.files without profiles: an implicit default profile. */
	assert_int_equal(s->profiles.count, 1);
	assert_int_equal(s->default_profile, 0);
	assert_string_equal(snap_str(s, snap_profile(s, 0)->boot_file[SNAP_ARCH_BIOS]),
			    "http://10.0.0.1/x.efi");

	/* Sorted by name. */
	for (uint32_t i = 1; i < s->nodes.count; i++)
		assert_true(strcmp(snap_str(s, snap_node(s, i - 1)->name),
				   snap_str(s, snap_node(s, i)->name)) < 0);

	for (uint32_t i = 0; i < N_NODES; i++) {
		uint8_t mac[6] = { 2, 0, 0, mac_byte(i, 0), mac_byte(i, 1), mac_byte(i, 2) };
		char name[16];
		snprintf(name, sizeof(name), "n%05u", i);
		const struct snap_node *n = snap_find_mac(s, mac);
		assert_non_null(n);
		assert_string_equal(snap_str(s, n->name), name);
		assert_ptr_equal(snap_find_ip(s, 0x0a00000au + i), n);
		assert_int_equal(n->subnet, 0);
		assert_int_equal(n->profile, SNAP_NONE);
		/* And the control-side indexes agree. */
		const struct cfg_node *cn = cfg_node_by_mac(fx->c, mac);
		assert_non_null(cn);
		assert_string_equal(cn->name, name);
		assert_ptr_equal(cfg_node_by_ip(fx->c, 0x0a00000au + i), cn);
		assert_ptr_equal(cfg_node_by_name(fx->c, name), cn);
	}
	/* Absent keys: other OUI, addresses past the inventory, the pool. */
	for (uint32_t i = 0; i < N_NODES; i++) {
		uint8_t mac[6] = { 4, 0, 0, mac_byte(i, 0), mac_byte(i, 1), mac_byte(i, 2) };
		assert_null(snap_find_mac(s, mac));
		assert_null(cfg_node_by_mac(fx->c, mac));
		assert_null(snap_find_ip(s, 0x0a010000u + i));
		assert_null(cfg_node_by_ip(fx->c, 0x0a010000u + i));
	}
	assert_null(snap_find_ip(s, 0x0a00c800u));
	assert_null(snap_find_ip(s, 0x0a000009u)); /* just below the first */
	assert_null(snap_find_ip(s, 0x0a00000au + N_NODES)); /* just past the last */
	assert_int_equal(snap_subnet_of(s, 0x0a00c805u), 0);
	assert_int_equal(snap_subnet_of(s, 0x0b000001u), SNAP_NONE);
}

/* Every single flipped byte is caught (crc32 detects all 1-byte errors). */
static void
test_flip_bytes(void **state)
{
	struct fx *fx = *state;
	uint8_t *b = malloc(fx->len);
	memcpy(b, fx->s, fx->len);
	size_t caught = 0, tried = 0;
	/* Every byte of the header, then a stride through the tables (each
	 * verify checksums the whole ~700 KB snapshot). */
	for (size_t i = 0; i < fx->len; i += (i < sizeof(struct snap_hdr) ? 1 : 4093)) {
		for (int bit = 0; bit < 8; bit += 3) {
			b[i] ^= (uint8_t)(1u << bit);
			caught += snap_verify((const struct snap_hdr *)b, fx->len, NULL) == -EINVAL;
			tried++;
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(caught, tried);
	assert_int_equal(snap_verify((const struct snap_hdr *)b, fx->len, NULL), 0);
	free(b);
}

/* Structural damage with a recomputed crc: the bounds checks must catch
 * what the checksum cannot (a buggy or malicious writer). */
static void
refix_crc(struct snap_hdr *s)
{
	s->crc = 0;
	s->crc = (uint32_t)crc32(0L, (const Bytef *)s, s->size);
}

enum mut {
	M_NODES_OFF = 0,
	M_NODES_COUNT,
	M_STRINGS_OFF,
	M_NODE_NAME,
	M_NODE_PROFILE,
	M_NODE_SUBNET,
	M_MAC_ENTRY,
	M_MAC_NOT_POW2,
	M_IP_ENTRY,
	M_POOL_SUBNET,
	M_SUBNET_POOLS,
	M_BLOB_END,
	M_BLOB_START,
	M_DEFAULT_PROFILE,
	M_POLICY,
	M_HDR_STRING,
	M_MISALIGNED_TAB,
	M_SIZE_BIG,
	M_SIZE_SMALL,
	M_ABI,
	M_MAGIC,
	M_GEN0,
	M_MAX
};

static void
mutate(struct snap_hdr *s, enum mut m)
{
	uint8_t *b = (uint8_t *)s;
	switch (m) {
	case M_NODES_OFF: s->nodes.off = s->size - 8; break;
	case M_NODES_COUNT: s->nodes.count = UINT32_MAX; break;
	case M_STRINGS_OFF: s->strings.off = s->size; break;
	case M_NODE_NAME:
		((struct snap_node *)(b + s->nodes.off))[5].name = s->strings.count;
		break;
	case M_NODE_PROFILE:
		((struct snap_node *)(b + s->nodes.off))[9].profile = s->profiles.count;
		break;
	case M_NODE_SUBNET:
		((struct snap_node *)(b + s->nodes.off))[0].subnet = 3;
		break;
	case M_MAC_ENTRY: {
		uint32_t *idx = (uint32_t *)(b + s->mac_index.off);
		for (uint32_t i = 0; i < s->mac_index.count; i++)
			if (idx[i] == SNAP_NONE) {
				idx[i] = s->nodes.count; /* one past the end */
				break;
			}
		break;
	}
	case M_MAC_NOT_POW2: s->mac_index.count -= 1; break;
	case M_IP_ENTRY: ((uint32_t *)(b + s->ip_index.off))[0] = 0x7fffffff; break;
	case M_POOL_SUBNET: ((struct snap_pool *)(b + s->pools.off))[0].subnet = 1; break;
	case M_SUBNET_POOLS: ((struct snap_subnet *)(b + s->subnets.off))[0].n_pools = 2; break;
	case M_BLOB_END: b[s->strings.off + s->strings.count - 1] = 'x'; break;
	case M_BLOB_START: b[s->strings.off] = 'x'; break;
	case M_DEFAULT_PROFILE: s->default_profile = 5; break;
	case M_POLICY: s->unknown_policy = SNAP_UNKNOWN_MAX; break;
	case M_HDR_STRING: s->tftp_root = s->strings.count + 100; break;
	case M_MISALIGNED_TAB: s->nodes.off += 1; break;
	case M_SIZE_BIG: s->size += 8; break; /* larger than the buffer */
	case M_SIZE_SMALL: s->size = sizeof(*s) - 1; break;
	case M_ABI: s->abi = SHM_ABI + 1; break;
	case M_MAGIC: s->magic ^= 1; break;
	case M_GEN0: s->gen = 0; break;
	default: break;
	}
}

static void
test_bad_offsets(void **state)
{
	struct fx *fx = *state;
	static const char *const want[M_MAX] = {
		[M_NODES_OFF] = "table out of bounds",
		[M_NODES_COUNT] = "table out of bounds",
		[M_STRINGS_OFF] = "table out of bounds",
		[M_NODE_NAME] = "node string out of bounds",
		[M_NODE_PROFILE] = "node reference out of bounds",
		[M_NODE_SUBNET] = "node reference out of bounds",
		[M_MAC_ENTRY] = "bad mac_index",
		[M_MAC_NOT_POW2] = "bad mac_index",
		[M_IP_ENTRY] = "bad ip_index",
		[M_POOL_SUBNET] = "pool entry out of bounds",
		[M_SUBNET_POOLS] = "subnet entry out of bounds",
		[M_BLOB_END] = "string blob not NUL-terminated",
		[M_BLOB_START] = "string blob not NUL-terminated",
		[M_DEFAULT_PROFILE] = "bad default_profile",
		[M_POLICY] = "bad unknown_policy",
		[M_HDR_STRING] = "header string out of bounds",
		[M_MISALIGNED_TAB] = "table out of bounds",
		[M_SIZE_BIG] = "bad size",
		[M_SIZE_SMALL] = "bad size",
		[M_ABI] = "ABI mismatch",
		[M_MAGIC] = "bad magic",
		[M_GEN0] = "generation 0",
	};
	/* Room for M_SIZE_BIG to stay inside the allocation. */
	struct snap_hdr *s = malloc(fx->len + 64);
	for (int m = 0; m < M_MAX; m++) {
		memcpy(s, fx->s, fx->len);
		mutate(s, (enum mut)m);
		if (m != M_SIZE_BIG && m != M_SIZE_SMALL)
			refix_crc(s);
		const char *why = NULL;
		assert_int_equal(snap_verify(s, fx->len, &why), -EINVAL);
		if (strcmp(why, want[m]))
			fprintf(stderr, "mutation %d: %s\n", m, why);
		assert_string_equal(why, want[m]);
	}
	/* Truncated buffers and a misaligned base. */
	const char *why = NULL;
	assert_int_equal(snap_verify(fx->s, fx->len - 1, &why), -EINVAL);
	assert_string_equal(why, "bad size");
	assert_int_equal(snap_verify(fx->s, sizeof(struct snap_hdr) - 1, &why), -EINVAL);
	assert_string_equal(why, "shorter than a snapshot header");
	uint8_t *raw = malloc(fx->len + 8);
	memcpy(raw + 4, fx->s, fx->len);
	assert_int_equal(snap_verify((const struct snap_hdr *)(raw + 4), fx->len, &why), -EINVAL);
	assert_string_equal(why, "misaligned snapshot");
	assert_int_equal(snap_verify(NULL, 100, NULL), -EINVAL);
	free(raw);
	free(s);
}

/* The lab example: resolved profiles, absolute paths, header fields. */
static void
test_lab_snapshot(void **state)
{
	(void)state;
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load(CONF_EXAMPLES "/lab.yaml", &e);
	assert_non_null(c);
	struct snap_hdr *s;
	size_t len;
	assert_int_equal(snap_build(c, 1, &s, &len), 0);
	assert_int_equal(snap_verify(s, len, NULL), 0);
	assert_int_equal(len, s->size);
	assert_string_equal(snap_str(s, 0), "");
	assert_string_equal(snap_str(s, s->tftp_root), CONF_EXAMPLES "/lab/tftp");
	assert_string_equal(snap_str(s, s->tftp_gen_root), "/tmp/bootstorm-lab/tftp-gen");
	assert_string_equal(snap_str(s, s->http_base_url), "http://10.77.0.1");
	assert_string_equal(snap_str(s, s->server_name), "lab");
	static const uint8_t smac[6] = { 2, 0, 0, 0x77, 0, 1 };
	assert_memory_equal(s->server_mac, smac, 6);
	assert_int_equal(s->tftp_mtu, 1500);
	assert_int_equal(s->unknown_policy, SNAP_UNKNOWN_ALLOW);
	assert_int_equal(s->profiles.count, 2);
	assert_int_equal(s->default_profile, 0);
	const struct snap_profile *p0 = snap_profile(s, 0), *p1 = snap_profile(s, 1);
	assert_string_equal(snap_str(s, p0->name), "centos7");
	/* Inherited from boot.files / boot.ipxe. */
	assert_string_equal(snap_str(s, p0->boot_file[SNAP_ARCH_BIOS]), "pxelinux.0");
	assert_string_equal(snap_str(s, p0->boot_file[SNAP_ARCH_EFI_X64]), "grubx64.efi");
	assert_string_equal(snap_str(s, p0->boot_file[SNAP_ARCH_EFI_ARM64]), "");
	assert_string_equal(snap_str(s, p0->ipxe_url), "http://10.77.0.1/ipxe/boot");
	/* Overridden. */
	assert_string_equal(snap_str(s, p1->boot_file[SNAP_ARCH_BIOS]), "undionly.kpxe");
	assert_string_equal(snap_str(s, p0->kernel), "centos7/vmlinuz");
	const struct snap_subnet *sn = snap_subnet(s, 0);
	assert_int_equal(sn->net, 0x0a4d0000u);
	assert_int_equal(sn->mask, 0xffffff00u);
	assert_int_equal(sn->n_pools, 1);
	assert_int_equal(sn->renew_s, 1800);
	assert_int_equal(sn->rebind_s, 3150);
	assert_string_equal(snap_str(s, sn->domain), "lab.example");
	static const uint8_t m12[6] = { 0x52, 0x54, 0, 0x77, 0, 0x0c };
	const struct snap_node *n = snap_find_mac(s, m12);
	assert_non_null(n);
	assert_string_equal(snap_str(s, n->name), "node012");
	assert_int_equal(n->profile, 1);
	assert_int_equal(n->ip, 0x0a4d0016u);
	static const uint8_t m13[6] = { 0x52, 0x54, 0, 0x77, 0, 0x0d };
	assert_int_equal(snap_find_mac(s, m13)->profile, SNAP_NONE);
	/* gen 0 is refused. */
	struct snap_hdr *z = NULL;
	assert_int_equal(snap_build(c, 0, &z, &len), -EINVAL);
	assert_null(z);
	free(s);
	cfg_free(c);
	cfg_errs_free(&e);
}

/* An empty inventory: zero-length indexes and tables still verify. */
static void
test_empty_inventory(void **state)
{
	(void)state;
	static const char y[] = "server: {ip: 10.0.0.1/24}\n";
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("e.yaml", y, sizeof(y) - 1, &e);
	assert_non_null(c);
	struct snap_hdr *s;
	size_t len;
	assert_int_equal(snap_build(c, 3, &s, &len), 0);
	assert_int_equal(snap_verify(s, len, NULL), 0);
	assert_int_equal(s->nodes.count, 0);
	assert_int_equal(s->mac_index.count, 0);
	assert_int_equal(s->default_profile, SNAP_NONE);
	static const uint8_t m[6] = { 1, 2, 3, 4, 5, 6 };
	assert_null(snap_find_mac(s, m));
	assert_null(snap_find_ip(s, 0x0a000002u));
	free(s);
	cfg_free(c);
	cfg_errs_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_lookups),
		cmocka_unit_test(test_flip_bytes),
		cmocka_unit_test(test_bad_offsets),
	};
	const struct CMUnitTest small[] = {
		cmocka_unit_test(test_lab_snapshot),
		cmocka_unit_test(test_empty_inventory),
	};
	int rc = cmocka_run_group_tests_name("snap_10k", tests, setup_big, teardown_big);
	return rc | cmocka_run_group_tests_name("snap_small", small, NULL, NULL);
}
