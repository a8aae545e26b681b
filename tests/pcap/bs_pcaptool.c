/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stand-in for control in the pcap replay tests (no EAL):
 *
 *   bs_pcaptool serve CONFIG [--no-durable] [--ready FILE]
 *       creates the region of CONFIG's instance, publishes its snapshot,
 *       then plays journal until SIGTERM: drains every worker's lease and
 *       boot rings and advances durable_seq to the last lease seq seen (so
 *       held DHCP ACKs are released).  --no-durable never advances it.
 *       On exit prints "leases=N boots=M durable=S" and unlinks the region.
 *   bs_pcaptool counters INSTANCE
 *       prints NAME=VALUE for every counter, summed over workers (gauges
 *       POOL_* are taken from worker 0), plus dp_pid=...
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "conf/cfg.h"
#include "shm/counters.h"
#include "shm/publish.h"
#include "conf/snap_build.h"
#include "util/bs_time.h"

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int
serve(const char *path, bool durable, const char *ready)
{
	struct cfg_errs errs = { 0 };
	struct cfg *c = cfg_load(path, &errs);
	if (c == NULL) {
		cfg_errs_print(&errs, stderr);
		cfg_errs_free(&errs);
		return 1;
	}
	cfg_errs_free(&errs);
	struct snap_hdr *s;
	size_t len;
	int rc = snap_build(c, 1, &s, &len);
	if (rc != 0) {
		fprintf(stderr, "snap_build: %s\n", strerror(-rc));
		return 1;
	}
	struct shm_create_params p = {
		.instance = c->instance,
		.max_workers = 4,
		.ring_size = 1024,
		.lease_cap = c->max_leases ? c->max_leases : 1024,
		.slot_size = len * 2 + 65536,
	};
	struct shm_region r;
	bool reused;
	rc = shm_create(&r, &p, &reused);
	if (rc != 0) {
		fprintf(stderr, "shm_create: %s\n", strerror(-rc));
		return 1;
	}
	rc = shm_publish(&r, s, 1000);
	if (rc != 0) {
		fprintf(stderr, "shm_publish: %s\n", strerror(-rc));
		return 1;
	}
	free(s);
	struct shm_hdr *h = r.hdr;
	atomic_store_explicit(&h->control_pid, getpid(), memory_order_release);
	atomic_store_explicit(&h->journal_ok, 1, memory_order_release);
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (f)
			fclose(f);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	uint64_t leases = 0, boots = 0, last = 0;
	while (!quit) {
		for (unsigned w = 0; w < h->max_workers; w++) {
			struct lease_event ev;
			struct boot_event bev;
			struct rte_ring *lr = shm_lease_ring(&r, w), *br = shm_boot_ring(&r, w);
			while (lr && rte_ring_sc_dequeue_elem(lr, &ev, sizeof(ev)) == 0) {
				leases++;
				if (ev.seq > last)
					last = ev.seq;
			}
			while (br && rte_ring_sc_dequeue_elem(br, &bev, sizeof(bev)) == 0)
				boots++;
		}
		/* release: the dataplane's acquire load of durable_seq then
		 * sees a record that (in real control) is on disk. */
		if (durable)
			atomic_store_explicit(&h->durable_seq, last, memory_order_release);
		atomic_store_explicit(&h->control_heartbeat_ms, bs_mono_ms(), memory_order_relaxed);
		struct timespec ts = { 0, 1000000 }; /* 1 ms: a group-commit window */
		nanosleep(&ts, NULL);
	}
	printf("leases=%" PRIu64 " boots=%" PRIu64 " durable=%" PRIu64 "\n", leases, boots,
	       atomic_load(&h->durable_seq));
	atomic_store_explicit(&h->control_pid, 0, memory_order_release);
	char inst[64];
	snprintf(inst, sizeof(inst), "%s", c->instance ? c->instance : SHM_DEFAULT_INSTANCE);
	shm_detach(&r);
	shm_unlink_instance(inst);
	cfg_free(c);
	return 0;
}

static int
counters(const char *instance)
{
	struct shm_region r;
	int rc = shm_attach(&r, instance);
	if (rc != 0) {
		fprintf(stderr, "shm_attach %s: %s\n", instance, strerror(-rc));
		return 1;
	}
	unsigned nw = r.hdr->max_workers;
	for (unsigned i = 0; i < BS_CTR_MAX; i++) {
		uint64_t sum = 0;
		bool gauge = strncmp(bs_ctr_name[i], "POOL_", 5) == 0;
		for (unsigned w = 0; w < (gauge ? 1 : nw); w++) {
			_Atomic uint64_t *c = shm_worker_counters(&r, w);
			sum += atomic_load_explicit(&c[i], memory_order_relaxed);
		}
		printf("%s=%" PRIu64 "\n", bs_ctr_name[i], sum);
	}
	printf("dp_pid=%d\n", atomic_load(&r.hdr->dp_pid));
	printf("dp_workers=%u\n", atomic_load(&r.hdr->dp_workers));
	printf("durable_seq=%" PRIu64 "\n", atomic_load(&r.hdr->durable_seq));
	shm_detach(&r);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "serve") == 0) {
		bool durable = true;
		const char *ready = NULL;
		for (int i = 3; i < argc; i++) {
			if (strcmp(argv[i], "--no-durable") == 0)
				durable = false;
			else if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
				ready = argv[++i];
			else
				goto usage;
		}
		return serve(argv[2], durable, ready);
	}
	if (argc == 3 && strcmp(argv[1], "counters") == 0)
		return counters(argv[2]);
usage:
	fprintf(stderr, "usage: bs_pcaptool serve CONFIG [--no-durable] [--ready FILE]\n"
			"       bs_pcaptool counters INSTANCE\n");
	return 2;
}
