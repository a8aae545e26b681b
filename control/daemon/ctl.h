/* SPDX-License-Identifier: BSD-3-Clause
 *
 * State of the running control process (`bootstorm serve`), shared by its
 * threads:
 *   main thread     signals, inotify reload, heartbeat, lease-table scan, rates
 *   journal thread  lease rings -> journal -> durable_seq; boot rings -> view
 *   HTTP threads    libmicrohttpd pool: repo, /boot, /ks, /ipxe, API, metrics
 * The config is swapped under cfg_lock (HTTP threads hold it for reading
 * while they render); everything else is atomics or has its own lock.
 */
#ifndef BS_CONTROL_CTL_H
#define BS_CONTROL_CTL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "shm/publish.h"
#include "util/bs_time.h"
#include "control/daemon/bootview.h"
#include "control/daemon/discover.h"
#include "control/daemon/journal.h"
#include "control/daemon/nodestate.h"

struct camp_host;

/* HTTP statuses counted for /metrics (anything else is "other"). */
#define HTTP_CODE_LIST(X) \
	X(200) X(206) X(304) X(400) X(401) X(403) X(404) X(405) X(413) X(416) X(431) X(500) X(503)

enum http_code_idx {
#define X(c) HTTP_IDX_##c,
	HTTP_CODE_LIST(X)
#undef X
	HTTP_IDX_OTHER,
	HTTP_IDX_MAX
};

struct ctl {
	pthread_rwlock_t cfg_lock;
	struct cfg *cfg;		/* current config (under cfg_lock) */
	int repo_fd, tftp_fd, gen_fd;	/* root directories of cfg (under cfg_lock) */
	char *cfg_path;
	_Atomic uint64_t gen;		/* published generation */
	_Atomic uint64_t reloads, reload_failures;

	struct shm_region region;
	bool have_region;
	struct journal journal;
	bool have_journal;
	struct bootview bv;
	struct nodestate ns;		/* node boot states (own locks) */
	struct disc disc;		/* machines not in the inventory (own lock) */
	struct camp_host *camps;	/* reimage campaigns (campaigns.h, own lock) */
	/* The last snapshot built (a private copy; control/daemon/reload.h):
	 * node boot-state changes patch and republish it.  Under pub_mu, as
	 * is snap_cfg, the config it was built from (alive: a config is
	 * freed only after a newer one was published). */
	pthread_mutex_t pub_mu;
	struct snap_hdr *snap_last;
	const struct cfg *snap_cfg;

	uint64_t start_wall_ms, start_mono_ms;
	struct MHD_Daemon *mhd;
	_Atomic uint64_t http_by_code[HTTP_IDX_MAX];
	_Atomic uint64_t http_bytes;	/* body bytes queued */
	_Atomic uint64_t boot_events;

	/* rates, sampled once a second by the main thread */
	pthread_mutex_t rate_mu;
	double rate_dhcp, rate_tftp_bytes, rate_http;
	uint64_t rate_last_ms, rate_last[3];	/* main thread only */

	_Atomic bool stop;
	pthread_t jthr;
	bool jthr_live;
	uint32_t commit_ms;
	struct fleet *fleet;		/* fleet shipper (control/fleet), NULL = off */
	struct fleet_live *live;	/* fleet failover (control/fleet/fleet_live.h), NULL = off */
	struct fleet_camp *fcamp;	/* fleet campaign agent (control/fleet/fleet_camp.h) */
	/* Set by fleet failover before its thread starts, read by every
	 * snapshot build (reload.c): replaces a built snapshot by one with
	 * the live bucket set and adopted leases (fleet_live_decorate). */
	int (*snap_decorate)(struct ctl *c, struct snap_hdr **s, size_t *len);
};

/* The clocks of util/bs_time.h under the names httpd.c and api.c use. */
static inline uint64_t ctl_now_ms(void) { return bs_real_ms(); }	/* wall clock */
static inline uint64_t ctl_mono_ms(void) { return bs_mono_ms(); }

/* Sum over workers of counter id (0 without a region). */
uint64_t ctl_counter(const struct ctl *c, unsigned id);

void ctl_http_count(struct ctl *c, unsigned status);

/* Creates or re-attaches the shared region sized for cfg; *reused tells
 * which.  0 or -errno. */
int ctl_open_region(struct ctl *c, const struct cfg *cfg, bool *reused);
/* Once a second on the main thread: DHCP, TFTP byte and HTTP request rates
 * from the differences of their totals. */
void ctl_sample_rates(struct ctl *c);

#endif
