/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm serve`: region, journal, config publication and reload, the
 * journal thread, and the main loop.  See control/daemon/ctl.h for the threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shm/counters.h"
#include "conf/snap_build.h"
#include "control/cli/cli.h"
#include "control/daemon/ctl.h"
#include "control/daemon/httpd.h"
#include "control/log.h"
#include "control/daemon/pxegen.h"

#define SHM_RING_SIZE	  16384u
#define SLOT_MIN	  (16ull << 20)
#define BOOT_BURST	  64u
#define PUBLISH_WAIT_MS	  2000u
#define RELOAD_DEBOUNCE_MS 200u

uint64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
ctl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
ctl_counter(const struct ctl *c, unsigned id)
{
	uint64_t sum = 0;

	if (!c->have_region || id >= BS_CTR_MAX)
		return 0;
	for (unsigned w = 0; w < c->region.hdr->max_workers; w++) {
		_Atomic uint64_t *ctr = shm_worker_counters(&c->region, w);

		/* relaxed: each counter has one writer; a value one step old is fine */
		if (ctr)
			sum += atomic_load_explicit(&ctr[id], memory_order_relaxed);
	}
	return sum;
}

void
ctl_http_count(struct ctl *c, unsigned status)
{
	unsigned idx;

	switch (status) {
#define X(code)                      \
	case code:                   \
		idx = HTTP_IDX_##code; \
		break;
		HTTP_CODE_LIST(X)
#undef X
	default:
		idx = HTTP_IDX_OTHER;
	}
	atomic_fetch_add_explicit(&c->http_by_code[idx], 1, memory_order_relaxed);
}

static void
log_cfg_errs(const struct cfg_errs *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		LOG_ERR("config", "%s:%u:%u: %s", errs->v[i].loc.file ? errs->v[i].loc.file : "?",
			errs->v[i].loc.line, errs->v[i].loc.col, errs->v[i].msg);
	if (errs->dropped)
		LOG_ERR("config", "... and %zu more errors", errs->dropped);
}

static int
open_dir(const char *path)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		LOG_WARN("serve", "%s: %s (requests under it will fail with 404)", path, strerror(errno));
	return fd;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Builds and publishes the snapshot of cfg with the next generation. */
static int
publish(struct ctl *c, const struct cfg *cfg)
{
	uint64_t gen = shm_published_gen(&c->region) + 1;
	struct snap_hdr *s = NULL;
	size_t len = 0;
	int rc;

	rc = snap_build(cfg, gen, &s, &len);
	if (rc < 0) {
		LOG_ERR("config", "building the snapshot: %s", strerror(-rc));
		return rc;
	}
	if (len > c->region.hdr->slot_size) {
		LOG_ERR("config", "snapshot of %zu bytes exceeds the region's slot size %llu: restart control to grow it",
			len, (unsigned long long)c->region.hdr->slot_size);
		free(s);
		return -EFBIG;
	}
	rc = shm_publish(&c->region, s, PUBLISH_WAIT_MS);
	free(s);
	if (rc < 0) {
		LOG_ERR("config", "publishing generation %llu: %s", (unsigned long long)gen, strerror(-rc));
		return rc;
	}
	atomic_store(&c->gen, gen);
	LOG_INFO("config", "published generation %llu (%zu bytes)", (unsigned long long)gen, len);
	return 0;
}

static void
gen_files(const struct cfg *cfg)
{
	struct pxegen_stats st;
	int rc;

	if (!cfg->tftp_gen_root)
		return;
	rc = pxegen_write(cfg, cfg->tftp_gen_root, &st);
	LOG_INFO("pxegen", "%s/pxelinux.cfg: %zu written, %zu unchanged, %zu removed, %zu failed%s",
		 cfg->tftp_gen_root, st.written, st.unchanged, st.removed, st.failed,
		 rc < 0 ? " (errors above)" : "");
}

/* Installs cfg (already published) as the current config. */
static void
install_cfg(struct ctl *c, struct cfg *cfg)
{
	struct cfg *old;
	int repo = open_dir(cfg->repo_root), tftp = open_dir(cfg->tftp_root);
	int gen = cfg->tftp_gen_root ? open(cfg->tftp_gen_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	pthread_rwlock_wrlock(&c->cfg_lock);
	old = c->cfg;
	c->cfg = cfg;
	close_fd(&c->repo_fd);
	close_fd(&c->tftp_fd);
	close_fd(&c->gen_fd);
	c->repo_fd = repo;
	c->tftp_fd = tftp;
	c->gen_fd = gen;
	c->commit_ms = cfg->journal_commit_ms;
	pthread_rwlock_unlock(&c->cfg_lock);
	if (old != cfg)
		cfg_free(old);
}

static void
reload(struct ctl *c, const char *why)
{
	struct cfg_errs errs = { 0 };
	struct cfg *cfg;

	LOG_INFO("config", "reloading %s (%s)", c->cfg_path, why);
	cfg = cfg_load(c->cfg_path, &errs);
	if (!cfg || errs.n) {
		log_cfg_errs(&errs);
		LOG_ERR("config", "%s rejected (%zu errors); generation %llu stays published",
			c->cfg_path, errs.n + errs.dropped, (unsigned long long)atomic_load(&c->gen));
		atomic_fetch_add(&c->reload_failures, 1);
		cfg_free(cfg);
		cfg_errs_free(&errs);
		return;
	}
	cfg_errs_free(&errs);
	if (cfg->max_leases != c->cfg->max_leases || cfg->workers != c->cfg->workers ||
	    strcmp(cfg->instance ? cfg->instance : "", c->cfg->instance ? c->cfg->instance : "") ||
	    strcmp(cfg->state_dir, c->cfg->state_dir))
		LOG_WARN("config", "instance, state_dir, workers and max_leases take effect at the next restart");
	if (publish(c, cfg) < 0) {
		atomic_fetch_add(&c->reload_failures, 1);
		cfg_free(cfg);
		return;
	}
	gen_files(cfg);
	install_cfg(c, cfg);
	atomic_fetch_add(&c->reloads, 1);
}

/* ---- journal thread ---------------------------------------------------- */

static void
publish_durable(struct ctl *c)
{
	struct shm_hdr *h = c->region.hdr;
	uint64_t d = c->journal.durable_seq;

	/* release: the dataplane's acquire load of durable_seq must see the
	 * journal state it covers; and it never moves backwards */
	if (d > atomic_load_explicit(&h->durable_seq, memory_order_relaxed))
		atomic_store_explicit(&h->durable_seq, d, memory_order_release);
	atomic_store_explicit(&h->journal_ok, atomic_load(&c->journal.st.ok), memory_order_relaxed);
}

static size_t
drain_boot(struct ctl *c)
{
	struct boot_event evs[BOOT_BURST];
	size_t total = 0;

	for (unsigned w = 0; w < c->region.hdr->max_workers; w++) {
		void *ring = shm_boot_ring(&c->region, w);
		unsigned got;

		if (!ring)
			continue;
		do {
			got = rte_ring_sc_dequeue_burst_elem(ring, evs, sizeof(evs[0]), BOOT_BURST, NULL);
			for (unsigned i = 0; i < got; i++)
				bv_event(&c->bv, &evs[i]);
			total += got;
		} while (got == BOOT_BURST);
	}
	if (total)
		atomic_fetch_add_explicit(&c->boot_events, total, memory_order_relaxed);
	return total;
}

static void *
journal_main(void *arg)
{
	struct ctl *c = arg;
	void *rings[SHM_MAX_WORKERS] = { 0 };
	unsigned nr = c->region.hdr->max_workers;
	uint64_t first_pending = 0, retry_at = 0;

	for (unsigned w = 0; w < nr; w++)
		rings[w] = shm_lease_ring(&c->region, w);
	for (;;) {
		bool stopping = atomic_load_explicit(&c->stop, memory_order_acquire);
		size_t n = journal_drain_rings(&c->journal, rings, nr);
		uint64_t now = ctl_mono_ms();

		n += drain_boot(c);
		if (c->journal.buf_len && !first_pending)
			first_pending = now;
		/* Group commit: one fdatasync covers everything drained within
		 * the window (or sooner when the in-memory queue fills). */
		if (c->journal.buf_len && now >= retry_at &&
		    (stopping || now - first_pending >= c->commit_ms ||
		     c->journal.n_pending >= c->journal.max_pending / 2)) {
			if (journal_commit(&c->journal) == 0) {
				first_pending = 0;
				publish_durable(c);
				journal_maybe_compact(&c->journal);
			} else {
				publish_durable(c); /* journal_ok = 0 */
				retry_at = now + 100;
			}
		} else if (!c->journal.buf_len) {
			journal_maybe_compact(&c->journal);
		}
		if (stopping && (!c->journal.buf_len || now >= retry_at + 2000))
			break;
		if (n == 0)
			usleep(c->journal.buf_len ? 200 : 1000);
	}
	return NULL;
}

/* ---- startup ----------------------------------------------------------- */

static void
rebuild_one(const struct lease_event *ev, void *arg)
{
	struct ctl *c = arg;

	if (lease_apply_event(shm_leases(&c->region), ev) == -ENOSPC)
		LOG_WARN("journal", "shared lease table full while rebuilding");
}

static uint64_t
slot_size_for(const struct cfg *cfg)
{
	struct snap_hdr *s = NULL;
	size_t len = 0;
	uint64_t sz = SLOT_MIN;

	if (snap_build(cfg, 1, &s, &len) == 0)
		while (sz < (uint64_t)len * 4)
			sz <<= 1;
	free(s);
	return sz;
}

static int
open_region(struct ctl *c, const struct cfg *cfg, bool *reused)
{
	struct shm_create_params p = {
		.instance = cfg->instance,
		.max_workers = cfg->workers ? cfg->workers : 1,
		.ring_size = SHM_RING_SIZE,
		.lease_cap = cfg->max_leases,
		.slot_size = slot_size_for(cfg),
	};
	int rc = shm_create(&c->region, &p, reused);

	if (rc < 0) {
		LOG_ERR("serve", "shared region for instance %s: %s",
			cfg->instance ? cfg->instance : SHM_DEFAULT_INSTANCE, strerror(-rc));
		return rc;
	}
	c->have_region = true;
	LOG_INFO("serve", "%s region %s (%llu bytes)", *reused ? "re-attached to" : "created",
		 c->region.name, (unsigned long long)c->region.size);
	return 0;
}

static int
open_journal(struct ctl *c, const struct cfg *cfg, bool reused)
{
	struct journal_params p = {
		.dir = cfg->state_dir,
		.lease_cap = cfg->max_leases,
		.on_replay = reused ? NULL : rebuild_one,
		.arg = c,
	};
	int rc = journal_open(&c->journal, &p);

	if (rc < 0)
		return rc;
	c->have_journal = true;
	if (reused) {
		/* the dataplane kept the table: catch up on what it did while we
		 * were down, including events a killed control had dequeued */
		rc = journal_reconcile(&c->journal, shm_leases(&c->region));
		if (rc < 0)
			LOG_ERR("journal", "reconcile: %s", strerror(-rc));
	} else {
		LOG_INFO("journal", "lease table rebuilt: %u bound", atomic_load(&shm_leases(&c->region)->bound));
	}
	publish_durable(c);
	return 0;
}

/* ---- main loop --------------------------------------------------------- */

struct watch {
	int fd;
	char *names[64];	/* basenames of the files the config reads */
	size_t n;
};

static void
watch_setup(struct watch *w, const struct cfg *cfg, const char *path)
{
	const char *files[65];
	size_t nf = 0;

	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		LOG_WARN("serve", "inotify: %s (reload with SIGHUP only)", strerror(errno));
		return;
	}
	files[nf++] = path;
	for (size_t i = 0; i < cfg->n_files && nf < 64; i++)
		files[nf++] = cfg->files[i];
	for (size_t i = 0; i < nf; i++) {
		char *d = strdup(files[i]), *b = strdup(files[i]);

		/* watch the directory: editors and config management replace
		 * the file by rename, which a watch on the file would miss */
		if (d && b && inotify_add_watch(w->fd, dirname(d), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) >= 0 &&
		    w->n < 64)
			w->names[w->n++] = strdup(basename(b));
		free(d);
		free(b);
	}
}

static bool
watch_changed(struct watch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			for (size_t i = 0; ev->len && i < w->n; i++)
				if (w->names[i] && strcmp(ev->name, w->names[i]) == 0)
					hit = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return hit;
}

static void
scan_leases(struct ctl *c)
{
	const struct lease_table *t = shm_leases(&c->region);
	uint64_t now = ctl_now_ms();
	uint32_t used = atomic_load_explicit(&t->used, memory_order_acquire);

	for (uint32_t i = 0; i < used; i++) {
		struct lease l;

		if (lease_read(t, i, &l) && l.state == LEASE_BOUND)
			bv_bind(&c->bv, l.mac, l.ip, now, true);
	}
}

static void
sample_rates(struct ctl *c, uint64_t *last_ms, uint64_t last[3])
{
	uint64_t now = ctl_mono_ms(), cur[3];
	double dt;

	cur[0] = ctl_counter(c, BS_CTR_DHCP_TX);
	cur[1] = ctl_counter(c, BS_CTR_TFTP_PAYLOAD_BYTES);
	cur[2] = 0;
	for (unsigned i = 0; i < HTTP_IDX_MAX; i++)
		cur[2] += atomic_load_explicit(&c->http_by_code[i], memory_order_relaxed);
	dt = (double)(now - *last_ms) / 1000.0;
	if (*last_ms && dt > 0) {
		pthread_mutex_lock(&c->rate_mu);
		c->rate_dhcp = (double)(cur[0] - last[0]) / dt;
		c->rate_tftp_bytes = (double)(cur[1] - last[1]) / dt;
		c->rate_http = (double)(cur[2] - last[2]) / dt;
		pthread_mutex_unlock(&c->rate_mu);
	}
	memcpy(last, cur, sizeof(cur));
	*last_ms = now;
}

static int
main_loop(struct ctl *c)
{
	struct watch w = { .fd = -1 };
	uint64_t reload_at = 0, next_tick = 0, rate_ms = 0, rate_last[3] = { 0 };
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return -errno;
	watch_setup(&w, c->cfg, c->cfg_path);
	while (!atomic_load(&c->stop)) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN }, { .fd = w.fd, .events = POLLIN } };
		struct signalfd_siginfo si;
		uint64_t now;

		poll(pf, w.fd >= 0 ? 2 : 1, 100);
		now = ctl_mono_ms();
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				reload(c, "SIGHUP");
			} else {
				LOG_INFO("serve", "signal %u: stopping", si.ssi_signo);
				atomic_store(&c->stop, true);
			}
		}
		/* editors write in several steps: reload once it settles */
		if (w.fd >= 0 && watch_changed(&w))
			reload_at = now + RELOAD_DEBOUNCE_MS;
		if (reload_at && now >= reload_at) {
			reload_at = 0;
			reload(c, "file changed");
		}
		/* monotonic: a wall-clock step must not look like a stall */
		atomic_store_explicit(&c->region.hdr->control_heartbeat_ms, now, memory_order_relaxed);
		if (now >= next_tick) {
			next_tick = now + 1000;
			scan_leases(c);
			sample_rates(c, &rate_ms, rate_last);
		}
	}
	close(sfd);
	if (w.fd >= 0)
		close(w.fd);
	for (size_t i = 0; i < w.n; i++)
		free(w.names[i]);
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct ctl ctl; /* one per process; threads reach it by pointer */
	struct ctl *c = &ctl;
	struct cfg_errs errs = { 0 };
	bool foreground = false, reused = false;
	const char *path = NULL;
	sigset_t set;
	int o, rc = EXIT_RUNTIME;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			ctl_log_level = LOG_LVL_DEBUG;
			break;
		case 'h':
			printf("usage: bootstorm serve -c FILE [--foreground] [-v]\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (!path || optind != argc) {
		fprintf(stderr, "usage: bootstorm serve -c FILE [--foreground] [-v]\n");
		return EXIT_USAGE;
	}
	memset(c, 0, sizeof(*c));
	c->repo_fd = c->tftp_fd = c->gen_fd = -1;
	pthread_rwlock_init(&c->cfg_lock, NULL);
	pthread_mutex_init(&c->rate_mu, NULL);
	c->cfg_path = realpath(path, NULL);
	c->cfg = c->cfg_path ? cfg_load(c->cfg_path, &errs) : NULL;
	if (!c->cfg || errs.n) {
		if (!c->cfg_path)
			fprintf(stderr, "bootstorm: %s: %s\n", path, strerror(errno));
		cfg_errs_print(&errs, stderr);
		cfg_errs_free(&errs);
		cfg_free(c->cfg);
		free(c->cfg_path);
		return EXIT_USAGE;
	}
	cfg_errs_free(&errs);
	if (!foreground && daemon(1, 1) < 0) {
		LOG_ERR("serve", "daemon: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	/* signals go to the signalfd of the main loop; threads created below
	 * inherit the mask, so none of them is interrupted */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	c->start_wall_ms = ctl_now_ms();
	c->start_mono_ms = ctl_mono_ms();
	c->commit_ms = c->cfg->journal_commit_ms;
	if (bv_init(&c->bv, (uint32_t)c->cfg->n_nodes + 16384u) < 0)
		goto out;
	if (mkdir(c->cfg->state_dir, 0755) < 0 && errno != EEXIST) {
		LOG_ERR("serve", "state_dir %s: %s", c->cfg->state_dir, strerror(errno));
		goto out;
	}
	if (open_region(c, c->cfg, &reused) < 0)
		goto out;
	if (open_journal(c, c->cfg, reused) < 0)
		goto out;
	if (publish(c, c->cfg) < 0)
		goto out;
	gen_files(c->cfg);
	install_cfg(c, c->cfg);
	for (size_t i = 0; i < c->cfg->n_nodes; i++)
		if (c->cfg->nodes[i].has_ip)
			bv_bind(&c->bv, c->cfg->nodes[i].mac, c->cfg->nodes[i].ip, 0, false);
	atomic_store(&c->region.hdr->control_heartbeat_ms, ctl_mono_ms());
	atomic_store(&c->region.hdr->control_pid, (int32_t)getpid());
	if (pthread_create(&c->jthr, NULL, journal_main, c) != 0)
		goto out;
	c->jthr_live = true;
	if (httpd_start(c) < 0)
		goto out;
	LOG_INFO("serve", "running: pid %d, config %s generation %llu", (int)getpid(), c->cfg_path,
		 (unsigned long long)atomic_load(&c->gen));
	main_loop(c);
	rc = EXIT_OK;
out:
	atomic_store(&c->stop, true);
	httpd_stop(c);
	if (c->jthr_live)
		pthread_join(c->jthr, NULL);
	if (c->have_journal) {
		journal_commit(&c->journal);
		if (c->have_region)
			publish_durable(c);
		journal_close(&c->journal);
	}
	if (c->have_region) {
		atomic_store(&c->region.hdr->control_pid, 0);
		shm_detach(&c->region);
	}
	pthread_rwlock_wrlock(&c->cfg_lock);
	cfg_free(c->cfg);
	c->cfg = NULL;
	close_fd(&c->repo_fd);
	close_fd(&c->tftp_fd);
	close_fd(&c->gen_fd);
	pthread_rwlock_unlock(&c->cfg_lock);
	bv_free(&c->bv);
	free(c->cfg_path);
	LOG_INFO("serve", "stopped (%s)", rc == EXIT_OK ? "clean" : "error");
	return rc;
}
