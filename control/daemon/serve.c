/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm serve`: startup in order (config, region, journal, first
 * publication, journal thread, HTTP), the main loop (signals, reload
 * triggers, heartbeat, once-a-second lease scan and rates) and teardown.
 * The work itself is in ctl.c, reload.c, jthread.c and httpd.c; see
 * control/daemon/ctl.h for the threads.
 */
#include "control/daemon/serve.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/daemon/campaigns.h"
#include "control/daemon/api_console.h"
#include "control/daemon/ctl.h"
#include "control/daemon/httpd.h"
#include "control/daemon/jthread.h"
#include "control/daemon/reload.h"
#include "control/exit.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_camp.h"
#include "control/fleet/fleet_live.h"
#include "control/log.h"

#define RELOAD_DEBOUNCE_MS 200u

/* ---- main loop --------------------------------------------------------- */

static void
scan_leases(struct ctl *c)
{
	const struct lease_table *t = shm_leases(&c->region);
	uint64_t now = bs_real_ms();
	uint32_t used = atomic_load_explicit(&t->used, memory_order_acquire);

	for (uint32_t i = 0; i < used; i++) {
		struct lease l;

		if (lease_read(t, i, &l) && l.state == LEASE_BOUND)
			bv_bind(&c->bv, l.mac, l.ip, now, true);
	}
}

static int
main_loop(struct ctl *c)
{
	struct cfg_watch w = { .fd = -1 };
	uint64_t reload_at = 0, next_tick = 0;
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return -errno;
	cfg_watch_setup(&w, c->cfg, c->cfg_path);
	while (!atomic_load(&c->stop)) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN }, { .fd = w.fd, .events = POLLIN } };
		struct signalfd_siginfo si;
		uint64_t now;

		poll(pf, w.fd >= 0 ? 2 : 1, 100);
		now = bs_mono_ms();
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				ctl_reload(c, "SIGHUP");
			} else {
				LOG_INFO("serve", "signal %u: stopping", si.ssi_signo);
				atomic_store(&c->stop, true);
			}
		}
		/* editors write in several steps: reload once it settles */
		if (w.fd >= 0 && cfg_watch_changed(&w))
			reload_at = now + RELOAD_DEBOUNCE_MS;
		if (reload_at && now >= reload_at) {
			reload_at = 0;
			ctl_reload(c, "file changed");
		}
		/* monotonic: a wall-clock step must not look like a stall */
		atomic_store_explicit(&c->region.hdr->control_heartbeat_ms, now, memory_order_relaxed);
		if (now >= next_tick) {
			next_tick = now + 1000;
			scan_leases(c);
			console_tick(c);
			ctl_sample_rates(c);
			disc_tick(&c->disc, now);
		}
	}
	close(sfd);
	cfg_watch_close(&w);
	return 0;
}

/* -c FILE [--foreground] [-v]: 0 (go on), else the exit code. */
static int
serve_opts(int argc, char **argv, const char **path, bool *foreground)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			*path = optarg;
			break;
		case 'f':
			*foreground = true;
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
	if (!*path || optind != argc) {
		fprintf(stderr, "usage: bootstorm serve -c FILE [--foreground] [-v]\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* The config named on the command line, errors printed on stderr (the
 * process is not a daemon yet).  0 or EXIT_USAGE. */
static int
first_cfg(struct ctl *c, const char *path)
{
	struct cfg_errs errs = { 0 };

	memset(c, 0, sizeof(*c));
	c->repo_fd = c->tftp_fd = c->gen_fd = -1;
	pthread_rwlock_init(&c->cfg_lock, NULL);
	pthread_mutex_init(&c->rate_mu, NULL);
	pthread_mutex_init(&c->pub_mu, NULL);
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
	return 0;
}

/* Region, journal, first publication, journal thread, HTTP: 0 or -1
 * (logged); stop() undoes whatever was done. */
static int
start(struct ctl *c)
{
	bool reused = false;
	int rc;

	c->start_wall_ms = bs_real_ms();
	c->start_mono_ms = bs_mono_ms();
	c->commit_ms = c->cfg->journal_commit_ms;
	if (bv_init(&c->bv, (uint32_t)c->cfg->n_nodes + 16384u) < 0)
		return -1;
	if (mkdir(c->cfg->state_dir, 0755) < 0 && errno != EEXIST) {
		LOG_ERR("serve", "state_dir %s: %s", c->cfg->state_dir, strerror(errno));
		return -1;
	}
	if ((rc = disc_open(&c->disc, c->cfg)) < 0) {
		LOG_ERR("serve", "discovered table: %s", strerror(-rc));
		return -1;
	}
	if ((rc = ns_open(&c->ns, c->cfg->state_dir)) < 0) {
		LOG_ERR("serve", "%s/nodestate: %s", c->cfg->state_dir, strerror(-rc));
		return -1;
	}
	if (ctl_open_region(c, c->cfg, &reused) < 0 || jthread_open(c, c->cfg, reused) < 0 ||
	    ctl_publish(c, c->cfg) < 0)
		return -1;
	ctl_gen_files(c, c->cfg);
	ctl_install_cfg(c, c->cfg);
	for (size_t i = 0; i < c->cfg->n_nodes; i++)
		if (c->cfg->nodes[i].has_ip)
			bv_bind(&c->bv, c->cfg->nodes[i].mac, c->cfg->nodes[i].ip, 0, false);
	/* before the threads that feed the boot view and the API start */
	if ((rc = camps_start(c)) < 0) {
		LOG_ERR("serve", "campaigns: %s", strerror(-rc));
		return -1;
	}
	atomic_store(&c->region.hdr->control_heartbeat_ms, bs_mono_ms());
	atomic_store(&c->region.hdr->control_pid, (int32_t)getpid());
	if (jthread_start(c) < 0 || httpd_start(c) < 0)
		return -1;
	if ((rc = console_init(c)) < 0) /* consoles are not worth failing a boot server for */
		LOG_WARN("serve", "console capture: %s", strerror(-rc));
	if ((rc = fleet_start(c)) < 0 || (rc = fleet_live_start(c)) < 0 ||
	    (rc = fleet_camp_start(c)) < 0) {
		LOG_ERR("serve", "fleet: %s", strerror(-rc));
		return -1;
	}
	LOG_INFO("serve", "running: pid %d, config %s generation %llu", (int)getpid(), c->cfg_path,
		 (unsigned long long)atomic_load(&c->gen));
	return 0;
}

static void
stop(struct ctl *c)
{
	atomic_store(&c->stop, true);
	console_stop_all(c);
	httpd_stop(c);
	fleet_camp_stop(c);
	fleet_live_stop(c);
	fleet_stop(c);
	jthread_stop(c);
	camps_stop(c);
	if (c->have_region) {
		atomic_store(&c->region.hdr->control_pid, 0);
		shm_detach(&c->region);
	}
	ctl_release_cfg(c);
	bv_free(&c->bv);
	disc_close(&c->disc);
	ns_close(&c->ns);
	free(c->cfg_path);
}

int
cmd_serve(int argc, char **argv)
{
	static struct ctl ctl; /* one per process; threads reach it by pointer */
	struct ctl *c = &ctl;
	bool foreground = false;
	const char *path = NULL;
	sigset_t set;
	int rc = serve_opts(argc, argv, &path, &foreground);

	if (rc >= 0)
		return rc;
	if (first_cfg(c, path) != 0)
		return EXIT_USAGE;
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
	rc = EXIT_RUNTIME;
	if (start(c) == 0) {
		main_loop(c);
		rc = EXIT_OK;
	}
	stop(c);
	LOG_INFO("serve", "stopped (%s)", rc == EXIT_OK ? "clean" : "error");
	return rc;
}
