/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Benchmark (not a test): what a node boot-state change costs to reach the
 * dataplane's DHCP answer, for a generated inventory (default 10,000
 * nodes, every one with a state record).
 *
 *   build-x/tests/perf/control/bench_bootstate [nodes]
 *
 * Measured in the same run (medians), through control's own functions
 * (control/daemon/reload.c) against a real shared region:
 *   peer     a full reload: YAML load+validate, snapshot build with every
 *            node's state, publish (ctl_publish after cfg_load_mem)
 *   rebuild  ctl_publish alone (no YAML parse): build + publish
 *   patch    ctl_publish_node: one node's fields patched into the last
 *            snapshot, sealed (crc) and published
 *   bulk     ctl_publish_states: every node looked at, 1% changed
 * and the ratios peer/patch and rebuild/patch.  The state change itself
 * (ns_set: a durable whole-file rewrite + fsync of the node-state file)
 * is printed apart: it is paid by the report whatever publishes it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/cfg.h"
#include "control/daemon/ctl.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/reload.h"
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

static char *
gen_yaml(uint32_t n, const char *inst, size_t *len)
{
	size_t cap = 1024 + (size_t)n * 100;
	char *y = malloc(cap);
	if (!y)
		return NULL;
	size_t o = (size_t)snprintf(y, cap,
				    "server: {ip: 10.0.0.1/8, instance: %s}\n"
				    "dhcp:\n  subnets:\n    - subnet: 10.0.0.0/8\n"
				    "      pools: [10.200.0.0-10.200.255.255]\n"
				    "boot: {default_profile: os}\n"
				    "profiles:\n"
				    "  - {name: os, files: {bios: http://10.0.0.1/undionly.kpxe},"
				    " http_boot: 'http://10.0.0.1/boot/ipxe.efi'}\n"
				    "nodes:\n", inst);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ip = 0x0a010000u + i;
		o += (size_t)snprintf(y + o, cap - o,
				      "  - {name: node%06u, mac: '52:54:%02x:%02x:%02x:%02x', "
				      "ip: %u.%u.%u.%u}\n",
				      i, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255,
				      ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	}
	*len = o;
	return y;
}

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 10000;
	double peer[RUNS], rebuild[RUNS], patch[RUNS], bulk[RUNS], set[RUNS];
	char inst[32], sdir[] = "/tmp/bs-bench-ns-XXXXXX", name[32];
	static struct ctl ctl;
	struct ctl *c = &ctl;
	struct cfg_errs e = { 0 };
	size_t len;
	bool reused;
	int rc;

	snprintf(inst, sizeof(inst), "benchns-%d", (int)getpid());
	char *y = gen_yaml(n, inst, &len);
	if (!y || !mkdtemp(sdir))
		return 1;
	c->cfg = cfg_load_mem("bench.yaml", y, len, &e);
	if (!c->cfg) {
		cfg_errs_print(&e, stderr);
		return 1;
	}
	cfg_errs_free(&e);
	pthread_rwlock_init(&c->cfg_lock, NULL);
	pthread_mutex_init(&c->pub_mu, NULL);
	c->cfg->max_leases = 1024;
	if ((rc = ctl_open_region(c, c->cfg, &reused)) < 0 || ns_open(&c->ns, NULL) < 0) {
		fprintf(stderr, "region: %s\n", strerror(-rc));
		return 1;
	}
	/* every node has a record: the lookups a build makes are real */
	for (uint32_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "node%06u", i);
		ns_set(&c->ns, name, NS_INSTALL, NULL, NULL, 1);
	}
	if (ctl_publish(c, c->cfg) < 0)
		return 1;

	for (int r = 0; r < RUNS; r++) {
		double a = bs_mono_sec();
		struct cfg *cc = cfg_load_mem("bench.yaml", y, len, &e);
		if (!cc || ctl_publish(c, cc) < 0)
			return 1;
		peer[r] = bs_mono_sec() - a;
		ctl_install_cfg(c, cc);
		a = bs_mono_sec();
		if (ctl_publish(c, c->cfg) < 0)
			return 1;
		rebuild[r] = bs_mono_sec() - a;
	}
	for (int r = 0; r < RUNS; r++) {
		snprintf(name, sizeof(name), "node%06u", (unsigned)(r * 997) % n);
		ns_set(&c->ns, name, NS_LOCAL, NULL, NULL, 2); /* was install */
		uint64_t g = atomic_load(&c->gen);
		double a = bs_mono_sec();
		if (ctl_publish_node(c, name) < 0 || atomic_load(&c->gen) != g + 1)
			return 1;
		patch[r] = bs_mono_sec() - a;
	}
	for (int r = 0; r < RUNS; r++) {
		for (uint32_t i = 0; i < n / 100; i++) {
			snprintf(name, sizeof(name), "node%06u", i);
			ns_set(&c->ns, name, r & 1 ? NS_INSTALL : NS_LOCAL, NULL, NULL, 3);
		}
		double a = bs_mono_sec();
		if (ctl_publish_states(c) < 0)
			return 1;
		bulk[r] = bs_mono_sec() - a;
	}
	/* the durable change itself, with a file of n records */
	struct nodestate dns;
	if (ns_open(&dns, sdir) < 0)
		return 1;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "node%06u", i);
		if (i + 1 < n) { /* fill in memory, save once at the end */
			char keep[sizeof(dns.path)];
			memcpy(keep, dns.path, sizeof(keep));
			dns.path[0] = 0;
			ns_set(&dns, name, NS_INSTALL, NULL, NULL, 1);
			memcpy(dns.path, keep, sizeof(keep));
		}
	}
	for (int r = 0; r < RUNS; r++) {
		double a = bs_mono_sec();
		ns_set(&dns, "node000000", r & 1 ? NS_INSTALL : NS_LOCAL, NULL, NULL, 4);
		set[r] = bs_mono_sec() - a;
	}

	double mp = median(peer, RUNS), mr = median(rebuild, RUNS), mt = median(patch, RUNS);
	printf("inventory: %u nodes with a state record, snapshot %u bytes\n", n, c->snap_last->size);
	printf("peer    YAML reload + build + publish : %9.3f ms\n", mp * 1e3);
	printf("rebuild build + publish (no YAML)     : %9.3f ms\n", mr * 1e3);
	printf("patch   one node, seal, publish       : %9.3f ms\n", mt * 1e3);
	printf("bulk    %u of %u nodes changed      : %9.3f ms\n", n / 100, n, median(bulk, RUNS) * 1e3);
	printf("ratio   peer/patch %.0fx, rebuild/patch %.0fx\n", mp / mt, mr / mt);
	printf("ns_set  durable rewrite of %u records : %9.3f ms (paid by the report either way)\n", n,
	       median(set, RUNS) * 1e3);
	ns_close(&dns);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", sdir);
	ctl_release_cfg(c);
	shm_unlink_instance(inst);
	return 0;
}
