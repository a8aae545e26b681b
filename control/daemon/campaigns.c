/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The daemon's campaign host (control/daemon/campaigns.h): glue only; the
 * stages, pacing and deadlines are control/campaign's.
 */
#include "control/daemon/campaigns.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/daemon/api_console.h"
#include "control/daemon/camp_host.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/reload.h"
#include "control/log.h"
#include "control/power/sol.h"
#include "util/bs_time.h"

#define TICK_MS 100u
/* A tick's stage changes are saved at most this often (reports are saved
 * at once, under the host mutex; an outstanding BMC op lost in a crash is
 * started again on resume). */
#define SAVE_EVERY_MS 1000u

/* ---- engine callbacks ------------------------------------------------- */

/* The tick's side effects go to the outbox (camp_out.c): here only what
 * costs no I/O.  The node's state is staged in memory; the outbox saves
 * it, once for every start of a batch, before any BMC op of the batch. */
static int
cb_set_boot(void *ctx, uint32_t i, const char *node, enum camp_boot b)
{
	struct hosted *x = ctx;
	struct ctl *c = x->h->c;
	const char *prof = x->c.profile[0] ? x->c.profile : NULL;
	int rc = ns_stage(&c->ns, node, b == CB_INSTALL ? NS_INSTALL : NS_LOCAL,
			  b == CB_INSTALL ? prof : NULL, NULL, ctl_now_ms(), NULL);

	/* boot files and what DHCP hands out, before its BMC op too */
	if (rc > 0 && camps_out_push(x->h, x, i, node, CW_BOOT, CO_NONE) < 0)
		return -ENOMEM;
	return rc < 0 ? rc : 0;
}

static int
cb_power(void *ctx, uint32_t i, const char *node, enum camp_op op)
{
	struct hosted *x = ctx;

	return camps_out_push(x->h, x, i, node, CW_POWER, op);
}

/* The node's serial console is captured from its first power command to
 * its end (done, failed, cancelled): what a failed node printed is the
 * first thing an admin asks for.  A node without an ipmi:// BMC or
 * credentials simply has no capture.  Started by the outbox, before the
 * node's first BMC op; stopped here. */
static void
console_of(struct hosted *x, uint32_t i, const char *node, enum camp_stage from,
	   enum camp_stage to)
{
	struct ctl *c = x->h->c;

	if (!x->c.p.power)
		return;
	if (to == CS_POWERING && from != CS_POWERING && from != CS_WAIT_DHCP) {
		if (camps_out_push(x->h, x, i, node, CW_CONSOLE, CO_NONE) < 0)
			LOG_DEBUG("campaign", "%s: console of %s: no memory", x->c.id, node);
	} else if (to == CS_DONE || to == CS_FAILED || to == CS_CANCELLED) {
		console_stop(c, node, SOL_OWN_CAMPAIGN);
	}
}

static int
cb_verify(void *ctx, uint32_t i, const char *node)
{
	struct hosted *x = ctx;
	const struct cfg *cfg = x->bmc.cfg; /* camp_tick: cfg_lock held for reading */
	const struct cfg_node *n = cfg ? cfg_node_by_name(cfg, node) : NULL;

	/* no probe configured now (reloaded away), or no address: nothing
	 * can be checked, the report stands */
	if (!n || !n->has_ip || !cfg->power_verify)
		return camp_verify_start(&x->vf, i, NULL, 0);
	return camp_verify_start(&x->vf, i, cfg->power_verify, n->ip);
}

static void
cb_event(void *ctx, uint32_t i, const char *node, enum camp_stage from, enum camp_stage to,
	 const char *reason)
{
	struct hosted *x = ctx;

	x->dirty = true;
	console_of(x, i, node, from, to);
	if (to == CS_FAILED)
		LOG_WARN("campaign", "%s: node %s %s -> failed: %s", x->c.id, node,
			 camp_stage_name(from), reason ? reason : "");
	else
		LOG_INFO("campaign", "%s: node %s %s -> %s", x->c.id, node, camp_stage_name(from),
			 camp_stage_name(to));
}

void
camps_env_of(struct hosted *x, struct camp_env *e)
{
	e->ctx = x;
	e->set_boot = cb_set_boot;
	e->power = cb_power;
	e->verify = cb_verify;
	e->event = cb_event;
}

/* ---- helpers ------------------------------------------------------------ */

static uint64_t
mac64(const uint8_t m[6])
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | m[i];
	return k;
}

static int
mac_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct mac_ix *)a)->mac, y = ((const struct mac_ix *)b)->mac;

	return x < y ? -1 : x > y;
}

/* Rebuilds x's MAC index from cfg (caller: cfg_lock read + host mutex). */
void
camps_index_macs(struct hosted *x, const struct cfg *cfg, uint64_t gen)
{
	struct mac_ix *v = calloc(x->c.n ? x->c.n : 1, sizeof(*v));
	uint32_t k = 0;

	if (!v)
		return; /* keeps the old index; tried again next tick */
	for (uint32_t i = 0; i < x->c.n; i++) {
		const struct cfg_node *n = cfg_node_by_name(cfg, x->c.nodes[i].name);

		if (n)
			v[k++] = (struct mac_ix){ mac64(n->mac), i };
	}
	qsort(v, k, sizeof(*v), mac_cmp);
	free(x->macs);
	x->macs = v;
	x->n_macs = k;
	x->macs_gen = gen;
}

static int64_t
by_mac(const struct hosted *x, uint64_t mac)
{
	struct mac_ix key = { mac, 0 }, *f;

	f = x->n_macs ? bsearch(&key, x->macs, x->n_macs, sizeof(key), mac_cmp) : NULL;
	return f ? (int64_t)f->i : -1;
}

void
camps_save(struct camp_host *h, struct hosted *x)
{
	if (camps_write_ver(h, x, &x->c, ++x->ver) == 0)
		x->dirty = false;
}

void
camps_set_done(struct camp_host *h, struct hosted *x)
{
	if (!x->done && camp_finished(&x->c)) {
		x->done = true;
		atomic_fetch_sub(&h->active, 1);
		LOG_INFO("campaign", "%s finished: %u done, %u failed, %u cancelled", x->c.id,
			 x->c.n_stage[CS_DONE], x->c.n_stage[CS_FAILED], x->c.n_stage[CS_CANCELLED]);
	} else if (x->done && !camp_finished(&x->c)) {
		x->done = false;
		atomic_fetch_add(&h->active, 1);
	}
}

struct hosted *
camps_find(struct camp_host *h, const char *id)
{
	for (uint32_t k = 0; k < h->n; k++)
		if (!strcmp(h->v[k]->c.id, id))
			return h->v[k];
	return NULL;
}

/* Credentials and BMC options (host mutex held).  Read once: BMC threads
 * keep pointers into the credentials. */
void
camps_bmc_init(struct camp_host *h, struct hosted *x, const struct cfg *cfg)
{
	struct pwr_opts o = { cfg->power_timeout_ms, cfg->power_retries, 500,
			      getenv("BOOTSTORM_IPMITOOL"), NULL, cfg->power_ipmi_cipher };
	unsigned bad = 0;
	int rc;

	if (!h->have_creds && cfg->power_cred_file) {
		rc = pwr_creds_load(cfg->power_cred_file, &h->creds, &bad);
		if (rc < 0)
			LOG_ERR("campaign", "power.credentials_file %s: %s", cfg->power_cred_file,
				rc == -EPERM ? "group or others may read it" : strerror(-rc));
		else
			h->have_creds = true;
	}
	if (!h->ca_file && cfg->power_redfish_ca)
		h->ca_file = strdup(cfg->power_redfish_ca);
	o.ca_file = h->ca_file;
	camp_bmc_init(&x->bmc, cfg, &h->creds, &o);
	camp_verify_init(&x->vf);
}

bool
camps_retire_oldest(struct camp_host *h)
{
	char from[4300], to[4310];
	struct hosted *x = NULL;
	uint32_t k;

	for (k = 0; k < h->n && !x; k++)
		if (h->v[k]->done && !h->v[k]->dirty && !h->v[k]->pins)
			x = h->v[k];
	if (!x)
		return false;
	memmove(&h->v[k - 1], &h->v[k], (h->n - k) * sizeof(h->v[0]));
	h->n--;
	snprintf(from, sizeof(from), "%s/%s", h->dir, x->c.id);
	snprintf(to, sizeof(to), "%s.old", from);
	pthread_mutex_lock(&h->save_mu);
	x->retired = true;
	if (rename(from, to) < 0)
		LOG_WARN("campaign", "%s: rename to %s: %s", from, to, strerror(errno));
	pthread_mutex_unlock(&h->save_mu);
	LOG_INFO("campaign", "%s retired to %s (at most %u campaigns kept)", x->c.id, to, MAX_CAMPS);
	camp_bmc_fini(&x->bmc);
	camp_verify_fini(&x->vf);
	camp_free(&x->c);
	free(x->macs);
	x->macs = NULL;
	x->n_macs = 0;
	/* the tick may hold a pointer to it while saving outside the host
	 * mutex: the shell is freed at stop */
	x->next_retired = h->retired;
	h->retired = x;
	return true;
}

static void
hosted_free(struct hosted *x)
{
	camp_bmc_fini(&x->bmc);
	camp_verify_fini(&x->vf);
	camp_free(&x->c);
	free(x->macs);
	free(x);
}

/* ---- resume ------------------------------------------------------------- */

/* A report whose campaign save a crash lost: nodestate has it. */
static void
reconcile(struct ctl *c, struct hosted *x, uint64_t now)
{
	for (uint32_t i = 0; i < x->c.n; i++) {
		struct camp_node *n = &x->c.nodes[i];
		struct ns_rec r;

		if (n->stage != CS_POWERING && n->stage != CS_WAIT_DHCP && n->stage != CS_INSTALLING)
			continue;
		if (!ns_get(&c->ns, n->name, &r) || r.since_ms < n->since_ms)
			continue;
		/* done leaves local, or hold by the profile's after_install */
		if (r.state == NS_LOCAL || r.state == NS_HOLD || r.state == NS_FAILED)
			camp_on_report(&x->c, i, r.state != NS_FAILED, r.reason, now);
	}
}

static void
load_one(struct camp_host *h, const char *name)
{
	struct hosted *x;
	struct camp_env e;
	char path[4300];
	unsigned id;
	int rc;

	if (h->n == MAX_CAMPS || !(x = calloc(1, sizeof(*x))))
		return;
	x->h = h;
	camps_env_of(x, &e);
	snprintf(path, sizeof(path), "%s/%s", h->dir, name);
	rc = camp_load(&x->c, path, &e);
	if (rc < 0) {
		LOG_ERR("campaign", "%s: %s: skipped", path, rc == -EBADMSG ? "malformed" : strerror(-rc));
		free(x);
		return;
	}
	camps_bmc_init(h, x, h->c->cfg);
	camps_index_macs(x, h->c->cfg, atomic_load(&h->c->gen));
	reconcile(h->c, x, ctl_now_ms());
	/* a fleet share waits until the agent re-read its claims (a survivor
	 * may have taken its nodes meanwhile: FLEETCAMP.md, resume rule) */
	x->c.hold = x->c.fleet;
	x->done = camp_finished(&x->c);
	if (!x->done)
		atomic_fetch_add(&h->active, 1);
	if (sscanf(x->c.id, "c%u", &id) == 1 && id >= h->next_id)
		h->next_id = id + 1;
	h->v[h->n++] = x;
	LOG_INFO("campaign", "%s resumed: %u nodes, %u done, %u failed%s", x->c.id, x->c.n,
		 x->c.n_stage[CS_DONE], x->c.n_stage[CS_FAILED], x->done ? " (finished)" : "");
	if (x->dirty)
		camps_save(h, x);
}

static int
name_cmp(const void *a, const void *b)
{
	unsigned x = 0, y = 0;

	sscanf(*(char *const *)a, "c%u", &x);
	sscanf(*(char *const *)b, "c%u", &y);
	return x < y ? -1 : x > y;
}

static void
load_all(struct camp_host *h)
{
	DIR *d = opendir(h->dir);
	struct dirent *de;
	char **names = NULL, **v;
	size_t n = 0, cap = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		/* "<id>.tmp": a save a crash cut; "<id>.old": retired */
		if (strchr(de->d_name, '.'))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(v = realloc(names, cap * sizeof(*v))))
				break;
			names = v;
		}
		if ((names[n] = strdup(de->d_name)))
			n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t k = 0; k < n; k++) {
		if (n - k <= MAX_CAMPS) /* the newest ones */
			load_one(h, names[k]);
		free(names[k]);
	}
	free(names);
}

/* ---- the clock ---------------------------------------------------------- */

/* A copy of x's state to save outside the host mutex (the boot view's hook
 * on the journal thread must not wait for an fsync).  false: no memory. */
static bool
snapshot(struct hosted *x, struct campaign *cp)
{
	*cp = x->c;
	cp->nodes = malloc((x->c.n ? x->c.n : 1) * sizeof(*cp->nodes));
	if (!cp->nodes)
		return false;
	memcpy(cp->nodes, x->c.nodes, x->c.n * sizeof(*cp->nodes));
	return true;
}

/* One tick; returns the time to the next one (ms): the token bucket holds
 * one token by default, so a tick later than the token's arrival loses the
 * difference (measured: 4.4 power-ons/s for power_on_rate 10 with 100 ms
 * ticks and a 1,000-node file saved on each; 7.2/s ticking every 50 ms):
 * while nodes wait for a token, tick when it becomes whole.  No I/O here:
 * saves, boot files, SOL and BMC starts go to the outbox (camp_out.c). */
static uint32_t
tick(struct camp_host *h)
{
	struct ctl *c = h->c;
	uint64_t now = ctl_now_ms(), gen, mono = bs_mono_ms();
	uint32_t k, period = TICK_MS;

	pthread_rwlock_rdlock(&c->cfg_lock);
	gen = atomic_load(&c->gen);
	pthread_mutex_lock(&h->mu);
	for (k = 0; k < h->n; k++) {
		struct hosted *x = h->v[k];
		struct campaign snap;

		if (x->done && !x->dirty)
			continue;
		if (!x->done) {
			x->bmc.cfg = c->cfg; /* the BMC URLs of the current config */
			if (x->macs_gen != gen)
				camps_index_macs(x, c->cfg, gen);
			camp_bmc_drain(&x->bmc, &x->c, now);
			camp_verify_drain(&x->vf, &x->c, now);
			camp_tick(&x->c, now);
			camps_set_done(h, x);
			/* nodes wait for a token: tick when it is whole */
			if (x->c.n_stage[CS_QUEUED] && x->c.in_flight < x->c.p.max_in_flight) {
				uint64_t w = camp_token_wait_ms(&x->c, now);

				if (w < period)
					period = w ? (uint32_t)w : 1;
			}
		}
		if (!x->dirty || (!x->done && mono - x->saved_mono < SAVE_EVERY_MS))
			continue;
		x->saved_mono = mono;
		if (snapshot(x, &snap)) {
			if (camps_out_save(h, x, &snap, x->ver + 1)) {
				x->dirty = false;
				x->ver++;
				continue;
			}
			free(snap.nodes);
		}
		camps_save(h, x); /* no memory for a copy: under the lock */
	}
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
	return period;
}

static void *
camps_main(void *arg)
{
	struct camp_host *h = arg;

	while (!atomic_load_explicit(&h->c->stop, memory_order_acquire)) {
		uint64_t t0 = bs_mono_ms(), spent;
		uint32_t period = TICK_MS;

		if (atomic_load(&h->active))
			period = tick(h);
		spent = bs_mono_ms() - t0;
		usleep((spent < period ? period - spent : 1) * 1000u);
	}
	return NULL;
}

int
camps_start(struct ctl *c)
{
	struct camp_host *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->c = c;
	h->next_id = 1;
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->save_mu, NULL);
	snprintf(h->dir, sizeof(h->dir), "%s/campaigns", c->cfg->state_dir);
	if (mkdir(h->dir, 0700) < 0 && errno != EEXIST) {
		int e = -errno;

		LOG_ERR("campaign", "%s: %s", h->dir, strerror(errno));
		free(h);
		return e;
	}
	c->camps = h;
	if (camps_out_start(h) < 0) /* before anything can push to it */
		return -EAGAIN;
	pthread_rwlock_rdlock(&c->cfg_lock);
	pthread_mutex_lock(&h->mu);
	load_all(h);
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
	c->bv.hook_ctx = h;
	c->bv.hook = camps_on_boot;
	if (pthread_create(&h->thr, NULL, camps_main, h) != 0)
		return -EAGAIN;
	h->thr_live = true;
	return 0;
}

void
camps_stop(struct ctl *c)
{
	struct camp_host *h = c->camps;

	if (!h)
		return;
	atomic_store(&c->stop, true);
	if (h->thr_live)
		pthread_join(h->thr, NULL);
	camps_out_stop(h); /* its unwritten copies are written below */
	c->bv.hook = NULL;
	for (uint32_t k = 0; k < h->n; k++) {
		if (h->v[k]->dirty)
			camps_save(h, h->v[k]);
		hosted_free(h->v[k]);
	}
	while (h->retired) {
		struct hosted *x = h->retired;

		h->retired = x->next_retired;
		free(x);
	}
	pwr_creds_free(&h->creds);
	free(h->ca_file);
	pthread_mutex_destroy(&h->mu);
	pthread_mutex_destroy(&h->save_mu);
	free(h);
	c->camps = NULL;
}

/* ---- inputs ------------------------------------------------------------- */

/* A kernel or initrd by its name (the step a timeout reason names). */
static bool
is_kernel(const char *file)
{
	static const char *const pats[] = { "vmlinuz", "linux", "initrd", "initramfs", "kernel",
					    "bzimage" };

	if (!file)
		return false;
	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++)
		if (strcasestr(file, pats[k]))
			return true;
	return false;
}

void
camps_on_boot(void *ctx, const uint8_t mac[6], uint8_t stage, const char *file)
{
	struct camp_host *h = ctx;
	const char *step = NULL;
	uint64_t m = mac64(mac);

	if (!atomic_load_explicit(&h->active, memory_order_relaxed))
		return;
	switch (stage) {
	case BOOT_STAGE_DHCP_DISCOVER:
		break;
	case BOOT_STAGE_TFTP_START:
	case BOOT_STAGE_TFTP_DONE:
		step = is_kernel(file) ? "kernel" : "tftp";
		break;
	case BOOT_STAGE_HTTP:
		step = is_kernel(file) ? "kernel" : "http";
		break;
	case BOOT_STAGE_INSTALLING:
		step = "kickstart";
		break;
	default:
		return; /* reports come through camps_on_report, with reason */
	}
	pthread_mutex_lock(&h->mu);
	for (uint32_t k = h->n; k-- > 0;) {
		struct hosted *x = h->v[k];
		int64_t i;

		if (x->done || (i = by_mac(x, m)) < 0)
			continue;
		if (step)
			camp_on_progress(&x->c, (uint32_t)i, step);
		else
			camp_on_dhcp(&x->c, (uint32_t)i, ctl_now_ms());
		break; /* the newest unfinished campaign of that node */
	}
	pthread_mutex_unlock(&h->mu);
}

void
camps_on_report(struct ctl *c, const char *node, bool ok, const char *reason)
{
	struct camp_host *h = c->camps;
	struct hosted *who = NULL;
	struct campaign snap;
	uint64_t ver = 0;
	char why[160];

	if (!h || !atomic_load(&h->active))
		return;
	log_sanitize(why, sizeof(why), reason ? reason : ""); /* the client's words */
	reason = why;
	pthread_mutex_lock(&h->mu);
	for (uint32_t k = h->n; k-- > 0;) {
		struct hosted *x = h->v[k];
		int64_t i;

		if (x->done || (i = camp_find(&x->c, node)) < 0)
			continue;
		camp_on_report(&x->c, (uint32_t)i, ok, reason, ctl_now_ms());
		camps_set_done(h, x);
		if (!x->dirty)
			break;
		/* a copy saved outside the host mutex, so the campaign tick
		 * does not wait for this fsync (its power-on tokens would be
		 * lost: 150-280 ms stalls measured by tests/perf/camp_scale.sh) */
		if (snapshot(x, &snap)) {
			x->dirty = false;
			who = x;
			ver = ++x->ver;
		} else {
			camps_save(h, x); /* no memory for a copy: under the lock */
		}
		break;
	}
	pthread_mutex_unlock(&h->mu);
	if (!who)
		return;
	/* acknowledged to the installer when this returns: on disk now */
	if (camps_write_ver(h, who, &snap, ver) < 0) {
		pthread_mutex_lock(&h->mu);
		who->dirty = true;
		pthread_mutex_unlock(&h->mu);
	}
	free(snap.nodes);
}
