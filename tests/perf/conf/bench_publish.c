/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Benchmark (not a test): config publication and lookups for a generated
 * inventory (default 10,000 nodes).
 *
 *   build-x/tests/perf/conf/bench_publish [nodes] [lookups]
 *
 * Prints: YAML load+validate time, snapshot build time, publish time
 * (copy into a slot + release), build+publish together, and lookup rates
 * of snap_find_mac / snap_find_ip (the dataplane's O(1) path, hits and
 * misses) and cfg_node_by_mac (control's binary search).  Each timing is
 * the median of several runs.  Snapshot areas: a publication that opens a
 * new area (the snapshot outgrew the slots) against one into an area that
 * has a free slot, and a reader's first take of a new area against a take
 * in a mapped one, each pair measured in the same run and given as a ratio.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/cfg.h"
#include "shm/publish.h"
#include "conf/snap_build.h"
#include "shm/snap_read.h"
#include "util/bs_time.h"

#define RUNS 9

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static void
node_mac(uint32_t i, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

static char *
gen_yaml(uint32_t n, size_t *len)
{
	size_t cap = 512 + (size_t)n * 100;
	char *y = malloc(cap);
	if (!y)
		return NULL;
	size_t o = (size_t)snprintf(y, cap,
				    "server: {ip: 10.0.0.1/8, instance: bench}\n"
				    "dhcp:\n  subnets:\n    - subnet: 10.0.0.0/8\n"
				    "      pools: [10.200.0.0-10.200.255.255]\n"
				    "boot: {files: {bios: http://10.0.0.1/ipxe.efi}}\n"
				    "nodes:\n");
	for (uint32_t i = 0; i < n; i++) {
		uint8_t m[6];
		uint32_t ip = 0x0a010000u + i;
		node_mac(i, m);
		o += (size_t)snprintf(y + o, cap - o,
				      "  - {name: node%06u, mac: '%02x:%02x:%02x:%02x:%02x:%02x', "
				      "ip: %u.%u.%u.%u}\n",
				      i, m[0], m[1], m[2], m[3], m[4], m[5], ip >> 24,
				      (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	}
	*len = o;
	return y;
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A copy of s with generation gen (>= its base_gen; crc resealed); free() it. */
static struct snap_hdr *
with_gen(const struct snap_hdr *s, uint64_t gen)
{
	struct snap_hdr *o = malloc(s->size);
	if (!o)
		return NULL;
	memcpy(o, s, s->size);
	snap_seal(o, gen);
	return o;
}

/* Per run, a fresh region with 64 KiB slots: a first generation opens area 1
 * (grow), the next one goes into its next slot (steady); a reader of its
 * own attach takes each (first take maps the area). */
static int
bench_areas(const struct snap_hdr *s)
{
	double grow[RUNS], steady[RUNS], map[RUNS], take[RUNS];
	struct snap_hdr *g1 = with_gen(s, s->gen + 1), *g2 = with_gen(s, s->gen + 2);
	char inst[32];
	int rc = 0;

	snprintf(inst, sizeof(inst), "bencha-%d", (int)getpid());
	struct shm_create_params p = {
		.instance = inst, .max_workers = 1, .ring_size = 64,
		.lease_cap = 64, .slot_size = 64 * 1024,
	};
	for (int r = 0; r < RUNS && rc == 0 && g1 && g2; r++) {
		struct shm_region reg, dp;
		struct shm_reader_state st;
		bool reused;
		shm_unlink_instance(inst);
		if ((rc = shm_create(&reg, &p, &reused)) < 0)
			break;
		double a = bs_mono_sec();
		rc = shm_publish(&reg, g1, 1000);
		double b = bs_mono_sec();
		if (rc == 0 && (rc = shm_attach(&dp, inst)) == 0) {
			shm_reader_online(&st, &dp, 0);
			double c = bs_mono_sec();
			rc = shm_publish(&reg, g2, 1000);
			double d = bs_mono_sec();
			const struct snap_hdr *x = shm_reader_poll(&st);
			double e = bs_mono_sec();
			if (rc == 0 && (!x || st.gen != s->gen + 2 || st.area != 1))
				rc = -EPROTO;
			grow[r] = b - a;
			steady[r] = d - c;
			map[r] = c - b;
			take[r] = e - d;
			shm_reader_offline(&st);
			shm_detach(&dp);
		}
		shm_detach(&reg);
		shm_unlink_instance(inst);
	}
	free(g1);
	free(g2);
	if (rc < 0 || !g1 || !g2) {
		fprintf(stderr, "snapshot areas: %s\n", strerror(rc < 0 ? -rc : ENOMEM));
		return -1;
	}
	double mg = median(grow, RUNS), ms = median(steady, RUNS);
	double mm = median(map, RUNS), mt = median(take, RUNS);
	printf("publish into a new area:      %8.2f ms (%.2fx a publish into a free slot, %.2f ms)\n",
	       mg * 1e3, mg / ms, ms * 1e3);
	printf("reader online (maps area):    %8.2f ms (%.2fx a take in a mapped area, %.2f ms)\n",
	       mm * 1e3, mm / mt, mt * 1e3);
	return 0;
}

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 10000;
	uint64_t lookups = argc > 2 ? strtoull(argv[2], NULL, 0) : 20000000;
	double t[RUNS], t2[RUNS], t3[RUNS];
	size_t len;
	char *y = gen_yaml(n, &len);
	struct cfg *c = NULL;
	if (!y)
		return 1;

	for (int r = 0; r < RUNS; r++) {
		struct cfg_errs e = { 0 };
		double a = bs_mono_sec();
		struct cfg *cc = cfg_load_mem("bench.yaml", y, len, &e);
		t[r] = bs_mono_sec() - a;
		if (!cc) {
			cfg_errs_print(&e, stderr);
			return 1;
		}
		cfg_errs_free(&e);
		if (c)
			cfg_free(c);
		c = cc;
	}
	printf("inventory: %u nodes, YAML %zu bytes\n", n, len);
	printf("load+validate (cfg_load_mem): %8.2f ms\n", median(t, RUNS) * 1e3);

	char inst[32];
	snprintf(inst, sizeof(inst), "bench-%d", (int)getpid());
	struct shm_create_params p = {
		.instance = inst, .max_workers = 2, .ring_size = 1024,
		.lease_cap = 1024, .slot_size = 64u << 20,
	};
	struct shm_region reg;
	bool reused;
	int rc = shm_create(&reg, &p, &reused);
	if (rc < 0) {
		fprintf(stderr, "shm_create: %s\n", strerror(-rc));
		return 1;
	}
	struct snap_hdr *s = NULL;
	for (int r = 0; r < RUNS; r++) {
		free(s);
		double a = bs_mono_sec();
		if (snap_build(c, (uint64_t)r + 1, &s, &len) < 0)
			return 1;
		double b = bs_mono_sec();
		if ((rc = shm_publish(&reg, s, 1000)) < 0) {
			fprintf(stderr, "shm_publish: %s\n", strerror(-rc));
			return 1;
		}
		double d = bs_mono_sec();
		t[r] = b - a;
		t2[r] = d - b;
		t3[r] = d - a;
		if (getenv("BENCH_VERBOSE"))
			printf("run %d: build %.2f ms publish %.2f ms\n", r, t[r] * 1e3,
			       t2[r] * 1e3);
	}
	printf("snapshot: %zu bytes\n", len);
	printf("snap_build:                   %8.2f ms\n", median(t, RUNS) * 1e3);
	printf("shm_publish (verify+copy):    %8.2f ms\n", median(t2, RUNS) * 1e3);
	printf("build + publish:              %8.2f ms\n", median(t3, RUNS) * 1e3);

	/* Lookups on the published copy, as a worker sees it. */
	struct shm_reader_state st;
	shm_reader_online(&st, &reg, 0);
	const struct snap_hdr *ps = st.snap;
	uint64_t x = 88172645463325252ull, found = 0;
	double a = bs_mono_sec();
	for (uint64_t i = 0; i < lookups; i++) {
		uint8_t m[6];
		node_mac((uint32_t)(xorshift(&x) % n), m);
		found += snap_find_mac(ps, m) != NULL;
	}
	double mac_hit = bs_mono_sec() - a;
	if (found != lookups)
		fprintf(stderr, "BUG: %llu of %llu MACs found\n", (unsigned long long)found,
			(unsigned long long)lookups);
	found = 0;
	a = bs_mono_sec();
	for (uint64_t i = 0; i < lookups; i++) {
		uint8_t m[6];
		node_mac((uint32_t)(xorshift(&x) % n) + n, m); /* never in the inventory */
		found += snap_find_mac(ps, m) != NULL;
	}
	double mac_miss = bs_mono_sec() - a;
	if (found)
		fprintf(stderr, "BUG: %llu absent MACs found\n", (unsigned long long)found);
	found = 0;
	a = bs_mono_sec();
	for (uint64_t i = 0; i < lookups; i++)
		found += snap_find_ip(ps, 0x0a010000u + (uint32_t)(xorshift(&x) % n)) != NULL;
	double ip_hit = bs_mono_sec() - a;
	if (found != lookups) /* also keeps the loop from being optimised away */
		fprintf(stderr, "BUG: %llu of %llu IPs found\n", (unsigned long long)found,
			(unsigned long long)lookups);
	/* The same MAC lookups on the malloc'd copy (4 KiB pages of the shm
	 * mapping vs the heap's). */
	found = 0;
	a = bs_mono_sec();
	for (uint64_t i = 0; i < lookups; i++) {
		uint8_t m[6];
		node_mac((uint32_t)(xorshift(&x) % n), m);
		found += snap_find_mac(s, m) != NULL;
	}
	double mac_heap = bs_mono_sec() - a;
	if (found != lookups)
		fprintf(stderr, "BUG: heap copy\n");
	uint64_t clk = lookups / 10;
	a = bs_mono_sec();
	for (uint64_t i = 0; i < clk; i++) {
		uint8_t m[6];
		node_mac((uint32_t)(xorshift(&x) % n), m);
		found += cfg_node_by_mac(c, m) != NULL;
	}
	double cfg_mac = bs_mono_sec() - a;
	printf("snap_find_mac hit:            %8.1f M lookups/s (%.1f ns)\n",
	       (double)lookups / mac_hit / 1e6, mac_hit / (double)lookups * 1e9);
	printf("snap_find_mac miss:           %8.1f M lookups/s (%.1f ns)\n",
	       (double)lookups / mac_miss / 1e6, mac_miss / (double)lookups * 1e9);
	printf("snap_find_mac hit, heap copy: %8.1f M lookups/s (%.1f ns)\n",
	       (double)lookups / mac_heap / 1e6, mac_heap / (double)lookups * 1e9);
	printf("snap_find_ip hit:             %8.1f M lookups/s (%.1f ns)\n",
	       (double)lookups / ip_hit / 1e6, ip_hit / (double)lookups * 1e9);
	printf("cfg_node_by_mac (bsearch):    %8.1f M lookups/s (%.1f ns)\n",
	       (double)clk / cfg_mac / 1e6, cfg_mac / (double)clk * 1e9);
	shm_reader_offline(&st);
	shm_detach(&reg);
	shm_unlink_instance(inst);
	if (bench_areas(s) < 0)
		return 1;
	free(s);
	cfg_free(c);
	free(y);
	return 0;
}
