/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm-dp: start-up and shutdown.
 *
 *   bootstorm-dp [EAL args] -- [--instance NAME] [--workers N] [--punt TAP] ...
 *   bootstorm-dp -c FILE [-- options that override the file]
 *
 * With -c the dataplane: section of the YAML gives the EAL arguments (its
 * eal list, plus --vdev for every port whose devargs name a virtual device)
 * and the settings.  Then: attach to the shared region control created
 * (waiting for it), set up ports and workers, run until SIGINT/SIGTERM,
 * and leave the region as a restarted dataplane expects to find it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/dp_log.h"
#include "conf/cfg.h"
#include "shm/counters.h"
#include "shm/publish.h"
#include "dataplane/dp.h"

#define LOG(lvl, ...) DP_LOG(lvl, __VA_ARGS__)

#define MAX_ARGS	 128
#define PUNT_VDEV	 "net_tap_bspunt"
#define ATTACH_LOG_EVERY 5	/* seconds between "waiting for control" lines */


static void
on_signal(int sig)
{
	(void)sig;
	g_dp.quit = true;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: bootstorm-dp [EAL args] -- [options]\n"
		"       bootstorm-dp -c FILE [-- options]\n"
		"options:\n"
		"  --instance NAME      shared region /dev/shm/bootstorm-NAME (default \"default\")\n"
		"  --workers N          worker lcores (default: all lcores)\n"
		"  --punt TAP           kernel tap for everything not answered here\n"
		"  --idle-sleep-us US   sleep after empty polls (default 50, 0 = busy poll)\n"
		"  --hold-ms MS         longest a DHCP ACK waits for the journal (default 2000)\n"
		"  --mtu N              port MTU (default: the PMD's)\n"
		"  --tftp-transfers N   TFTP transfers per worker (default 4096)\n"
		"  --tx-copy            copy TFTP payload instead of chaining external buffers\n"
		"  --no-ra              do not answer IPv6 router solicitations\n"
		"  --no-wait            fail at once when the region does not exist\n");
}

static void
opts_default(struct dp_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->instance, sizeof(o->instance), "%s", SHM_DEFAULT_INSTANCE);
	o->idle_sleep_us = 50;
	o->hold_ms = 2000;
	o->tftp_max_transfers = 4096;
	o->tftp_max_files = 256;
	o->ra = true;
}

static int
parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Options after "--".  Returns 0 or -EINVAL (message printed). */
static int
parse_app_args(struct dp_opts *o, int argc, char **argv)
{
	enum { O_INSTANCE = 256, O_WORKERS, O_PUNT, O_IDLE, O_HOLD, O_MTU, O_XFERS, O_COPY,
	       O_NORA, O_NOWAIT, O_HELP };
	static const struct option lo[] = {
		{ "instance", required_argument, NULL, O_INSTANCE },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "punt", required_argument, NULL, O_PUNT },
		{ "idle-sleep-us", required_argument, NULL, O_IDLE },
		{ "hold-ms", required_argument, NULL, O_HOLD },
		{ "mtu", required_argument, NULL, O_MTU },
		{ "tftp-transfers", required_argument, NULL, O_XFERS },
		{ "tx-copy", no_argument, NULL, O_COPY },
		{ "no-ra", no_argument, NULL, O_NORA },
		{ "no-wait", no_argument, NULL, O_NOWAIT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	int c;
	uint32_t v;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_INSTANCE:
			if (strlen(optarg) >= sizeof(o->instance))
				goto bad;
			snprintf(o->instance, sizeof(o->instance), "%s", optarg);
			break;
		case O_WORKERS:
			if (parse_uint(optarg, SHM_MAX_WORKERS, &v) || v == 0)
				goto bad;
			o->workers = v;
			break;
		case O_PUNT:
			if (strlen(optarg) >= sizeof(o->punt))
				goto bad;
			snprintf(o->punt, sizeof(o->punt), "%s", optarg);
			break;
		case O_IDLE:
			if (parse_uint(optarg, 1000000, &o->idle_sleep_us))
				goto bad;
			break;
		case O_HOLD:
			if (parse_uint(optarg, 600000, &o->hold_ms))
				goto bad;
			break;
		case O_MTU:
			if (parse_uint(optarg, 9600, &o->mtu))
				goto bad;
			break;
		case O_XFERS:
			if (parse_uint(optarg, 1u << 20, &o->tftp_max_transfers) ||
			    o->tftp_max_transfers == 0)
				goto bad;
			break;
		case O_COPY: o->tx_copy = true; break;
		case O_NORA: o->ra = false; break;
		case O_NOWAIT: o->no_wait_shm = true; break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bootstorm-dp: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "bootstorm-dp: bad value '%s' for --%s\n", optarg, lo[c - O_INSTANCE].name);
	return -EINVAL;
}

/* Devargs that name a virtual device go to --vdev; others (PCI addresses)
 * to the allow list. */
static bool
is_vdev(const char *devargs)
{
	return strncmp(devargs, "net_", 4) == 0 || strncmp(devargs, "eth_", 4) == 0;
}

struct argv_buf {
	char *v[MAX_ARGS + 1];
	int n;
	char *own[MAX_ARGS];	/* strings we formatted */
	int n_own;
};

static int
argv_add(struct argv_buf *a, char *s)
{
	if (a->n >= MAX_ARGS)
		return -E2BIG;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

static int
argv_addf(struct argv_buf *a, const char *fmt, const char *s)
{
	char *p;
	if (asprintf(&p, fmt, s) < 0)
		return -ENOMEM;
	a->own[a->n_own++] = p;
	return argv_add(a, p);
}

static void
argv_free(struct argv_buf *a)
{
	for (int i = 0; i < a->n_own; i++)
		free(a->own[i]);
	a->n_own = 0;
}

/* The steering program: next to the binary (build tree: dataplane/xdp/),
 * else the installed copy. */
static const char *
steer_prog_path(const char *argv0, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	(void)argv0;
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			int w = snprintf(buf, len, "%s/xdp/bs_steer.bpf.o", exe);
			if (w > 0 && (size_t)w < len && access(buf, R_OK) == 0)
				return buf;
		}
	}
	return BS_XDP_PROG_INSTALLED;
}

/* AF_XDP split mode (dataplane/afxdp.c): net_af_xdp devargs get our
 * steering program unless they name one; a program of ours left attached
 * by a killed run is removed first (the PMD would not attach over it). */
static int
afxdp_devargs(const char *d, char *argv0, struct argv_buf *eal)
{
	if (strncmp(d, "net_af_xdp", 10) != 0)
		return argv_addf(eal, "%s", d);
	const char *ifp = strstr(d, "iface=");
	if (ifp) {
		char ifn[IF_NAMESIZE];
		size_t l = strcspn(ifp + 6, ",");
		if (l < sizeof(ifn)) {
			memcpy(ifn, ifp + 6, l);
			ifn[l] = 0;
			dp_afxdp_clear_stale(ifn);
		}
	}
	if (strstr(d, "xdp_prog=") != NULL)
		return argv_addf(eal, "%s", d);
	char buf[PATH_MAX], *p;
	if (asprintf(&p, "%s,xdp_prog=%s", d, steer_prog_path(argv0, buf, sizeof(buf))) < 0)
		return -ENOMEM;
	eal->own[eal->n_own++] = p;
	return argv_add(eal, p);
}

/* -c FILE: EAL arguments and settings from the dataplane: section. */
static int
from_config(const char *path, char *argv0, struct argv_buf *eal, struct dp_opts *o)
{
	struct cfg_errs errs = { 0 };
	struct cfg *c = cfg_load(path, &errs);
	if (c == NULL) {
		cfg_errs_print(&errs, stderr);
		cfg_errs_free(&errs);
		return -EINVAL;
	}
	cfg_errs_free(&errs);
	int rc = argv_add(eal, argv0);
	for (size_t i = 0; rc == 0 && i < c->n_eal_args; i++)
		rc = argv_addf(eal, "%s", c->eal_args[i]);
	for (size_t i = 0; rc == 0 && i < c->n_ports; i++) {
		const char *d = c->ports[i].devargs;
		rc = argv_add(eal, is_vdev(d) ? "--vdev" : "-a");
		if (rc == 0)
			rc = afxdp_devargs(d, argv0, eal);
	}
	o->tftp_lo = (uint16_t)c->tftp_port_lo;
	o->tftp_hi = (uint16_t)c->tftp_port_hi;
	o->has_server_mac = c->has_server_mac;
	memcpy(o->server_mac, c->server_mac, 6);
	if (c->instance)
		snprintf(o->instance, sizeof(o->instance), "%s", c->instance);
	if (c->workers)
		o->workers = c->workers;
	if (c->punt_iface)
		snprintf(o->punt, sizeof(o->punt), "%s", c->punt_iface);
	o->idle_sleep_us = c->idle_sleep_us;
	o->mtu = c->mtu;
	if (c->tftp_max_transfers)
		o->tftp_max_transfers = c->tftp_max_transfers;
	cfg_free(c);
	return rc;
}

/* Builds the argv for rte_eal_init and parses our own options.  Forms:
 *   prog -c FILE [-- opts]        config mode
 *   prog [EAL args] [-- opts]     command-line mode */
static int
build_args(int argc, char **argv, struct argv_buf *eal, struct dp_opts *o)
{
	int dd = argc; /* index of "--" */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dd = i;
			break;
		}
	bool cfg_mode = (dd >= 3 && (strcmp(argv[1], "-c") == 0 || strcmp(argv[1], "--config") == 0) &&
			 access(argv[2], R_OK) == 0 && strspn(argv[2], "0123456789abcdefABCDEFx") !=
			 strlen(argv[2]));
	int rc = 0;
	if (cfg_mode) {
		if (dd != 3) {
			fprintf(stderr, "bootstorm-dp: with -c FILE, put options after --\n");
			return -EINVAL;
		}
		o->cfg_path = argv[2];
		rc = from_config(argv[2], argv[0], eal, o);
	} else {
		for (int i = 0; rc == 0 && i < dd; i++)
			rc = argv_add(eal, argv[i]);
	}
	if (rc != 0)
		return rc;
	/* Our options override the file. */
	char *app[MAX_ARGS + 1];
	int na = 0;
	app[na++] = argv[0];
	for (int i = dd + 1; i < argc && na < MAX_ARGS; i++)
		app[na++] = argv[i];
	app[na] = NULL;
	rc = parse_app_args(o, na, app);
	if (rc != 0)
		return rc;
	if (o->punt[0]) {
		char *p;
		if (asprintf(&p, PUNT_VDEV ",iface=%s", o->punt) < 0)
			return -ENOMEM;
		eal->own[eal->n_own++] = p;
		rc = argv_add(eal, "--vdev");
		if (rc == 0)
			rc = argv_add(eal, p);
	}
	return rc;
}

/* Waits for control to have created the region (or fails at once with
 * --no-wait).  Returns 0, or -errno / -EINTR when told to quit. */
static int
attach_region(struct dp *dp)
{
	time_t first = time(NULL), last_log = 0;
	for (;;) {
		int rc = shm_attach(&dp->shm, dp->o.instance);
		if (rc == 0)
			return 0;
		if (rc != -ENOENT || dp->o.no_wait_shm) {
			LOG(ERR, "cannot attach to region /bootstorm-%s: %s\n", dp->o.instance,
			    strerror(-rc));
			return rc;
		}
		time_t now = time(NULL);
		if (now - last_log >= ATTACH_LOG_EVERY) {
			LOG(NOTICE, "waiting for control to create /dev/shm/bootstorm-%s "
				    "(start `bootstorm serve`; %lds so far)\n",
			    dp->o.instance, (long)(now - first));
			last_log = now;
		}
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (dp->quit)
			return -EINTR;
	}
}

static void
install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
main(int argc, char **argv)
{
	struct dp *dp = &g_dp;
	struct argv_buf eal = { 0 };
	opts_default(&dp->o);
	int rc = build_args(argc, argv, &eal, &dp->o);
	if (rc != 0) {
		argv_free(&eal);
		return 2;
	}
	install_signals();
	int consumed = rte_eal_init(eal.n, eal.v);
	if (consumed < 0) {
		fprintf(stderr, "bootstorm-dp: EAL init failed: %s (see DPDK-NOTES: --no-pci "
				"--no-huge -m 256 --file-prefix X -l 0-1)\n",
			rte_strerror(rte_errno));
		argv_free(&eal);
		return 1;
	}
	dp->n_workers = dp->o.workers ? dp->o.workers : rte_lcore_count();
	if (dp->n_workers > SHM_MAX_WORKERS)
		dp->n_workers = SHM_MAX_WORKERS;
	dp->tsc_per_us = (unsigned)(rte_get_tsc_hz() / 1000000u);
	if (dp->tsc_per_us == 0)
		dp->tsc_per_us = 1;
	if ((rc = dp_assign_lcores(dp)) != 0)
		goto out;
	if ((rc = dp_create_pools(dp)) != 0)
		goto out;
	if ((rc = dp_create_rings(dp)) != 0)
		goto out;
	if ((rc = attach_region(dp)) != 0)
		goto out;
	if ((rc = dp_claim_region(dp)) != 0)
		goto out;
	if ((rc = dp_ports_init(dp)) != 0)
		goto out;
	if ((rc = dp_init_workers(dp)) != 0)
		goto out;
	dp_run(dp);
	LOG(INFO, "signal received, stopping\n");
out:
	dp_teardown(dp);
	rte_eal_cleanup();
	argv_free(&eal);
	return rc == 0 || rc == -EINTR ? 0 : 1;
}
