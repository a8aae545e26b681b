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

#include "control/daemon/camp_json.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/reload.h"
#include "control/log.h"
#include "control/power/camp_bmc.h"

#define TICK_MS	 100u
#define MAX_CAMPS 256u

struct mac_ix {
	uint64_t mac;
	uint32_t i;
};

/* One hosted campaign.  Invariant: macs covers every node of c that the
 * config generation macs_gen knows, sorted by mac. */
struct hosted {
	struct campaign c;
	struct camp_bmc bmc;
	struct camp_host *h;
	struct mac_ix *macs;
	uint32_t n_macs;
	uint64_t macs_gen;
	bool dirty;	/* a stage changed since the last save */
	bool done;	/* finished: no tick, no inputs */
};

struct camp_host {
	struct ctl *c;
	pthread_mutex_t mu;
	struct hosted *v[MAX_CAMPS];
	uint32_t n;
	uint32_t next_id;
	_Atomic uint32_t active;	/* unfinished campaigns: the hook's fast exit */
	char dir[4200];
	struct pwr_creds creds;
	bool have_creds;
	char *ca_file;
	pthread_t thr;
	bool thr_live;
	bool gen_all;	/* set_boot changed a node: boot files to write */
};

/* ---- engine callbacks ------------------------------------------------- */

static int
cb_set_boot(void *ctx, uint32_t i, const char *node, enum camp_boot b)
{
	struct hosted *x = ctx;
	struct ctl *c = x->h->c;
	const char *prof = x->c.profile[0] ? x->c.profile : NULL;
	int rc = ns_set(&c->ns, node, b == CB_INSTALL ? NS_INSTALL : NS_LOCAL,
			b == CB_INSTALL ? prof : NULL, NULL, ctl_now_ms());

	(void)i;
	if (rc > 0)
		x->h->gen_all = true;
	/* not saved: the node fails with its reason rather than install on
	 * a state a crash could lose */
	return rc < 0 ? rc : 0;
}

static int
cb_power(void *ctx, uint32_t i, const char *node, enum camp_op op)
{
	struct hosted *x = ctx;

	return camp_bmc_power(&x->bmc, i, node, op);
}

static void
cb_event(void *ctx, uint32_t i, const char *node, enum camp_stage from, enum camp_stage to,
	 const char *reason)
{
	struct hosted *x = ctx;

	(void)i;
	x->dirty = true;
	if (to == CS_FAILED)
		LOG_WARN("campaign", "%s: node %s %s -> failed: %s", x->c.id, node,
			 camp_stage_name(from), reason ? reason : "");
	else
		LOG_INFO("campaign", "%s: node %s %s -> %s", x->c.id, node, camp_stage_name(from),
			 camp_stage_name(to));
}

static void
env_of(struct hosted *x, struct camp_env *e)
{
	e->ctx = x;
	e->set_boot = cb_set_boot;
	e->power = cb_power;
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
static void
index_macs(struct hosted *x, const struct cfg *cfg, uint64_t gen)
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

static void
save(struct camp_host *h, struct hosted *x)
{
	char path[4300];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", h->dir, x->c.id);
	rc = camp_save(&x->c, path);
	if (rc < 0)
		LOG_ERR("campaign", "%s: save %s: %s (kept in memory, tried again)", x->c.id, path,
			strerror(-rc));
	else
		x->dirty = false;
}

static void
set_done(struct camp_host *h, struct hosted *x)
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

static struct hosted *
find(struct camp_host *h, const char *id)
{
	for (uint32_t k = 0; k < h->n; k++)
		if (!strcmp(h->v[k]->c.id, id))
			return h->v[k];
	return NULL;
}

/* Credentials and BMC options (host mutex held).  Read once: BMC threads
 * keep pointers into the credentials. */
static void
bmc_init(struct camp_host *h, struct hosted *x, const struct cfg *cfg)
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
}

static void
hosted_free(struct hosted *x)
{
	camp_bmc_fini(&x->bmc);
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
		if (r.state == NS_LOCAL || r.state == NS_FAILED)
			camp_on_report(&x->c, i, r.state == NS_LOCAL, r.reason, now);
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
	env_of(x, &e);
	snprintf(path, sizeof(path), "%s/%s", h->dir, name);
	rc = camp_load(&x->c, path, &e);
	if (rc < 0) {
		LOG_ERR("campaign", "%s: %s: skipped", path, rc == -EBADMSG ? "malformed" : strerror(-rc));
		free(x);
		return;
	}
	bmc_init(h, x, h->c->cfg);
	index_macs(x, h->c->cfg, atomic_load(&h->c->gen));
	reconcile(h->c, x, ctl_now_ms());
	x->done = camp_finished(&x->c);
	if (!x->done)
		atomic_fetch_add(&h->active, 1);
	if (sscanf(x->c.id, "c%u", &id) == 1 && id >= h->next_id)
		h->next_id = id + 1;
	h->v[h->n++] = x;
	LOG_INFO("campaign", "%s resumed: %u nodes, %u done, %u failed%s", x->c.id, x->c.n,
		 x->c.n_stage[CS_DONE], x->c.n_stage[CS_FAILED], x->done ? " (finished)" : "");
	if (x->dirty)
		save(h, x);
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
	char *names[MAX_CAMPS];
	size_t n = 0;

	if (!d)
		return;
	while ((de = readdir(d)) && n < MAX_CAMPS) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || (l > 4 && !strcmp(de->d_name + l - 4, ".tmp")))
			continue;
		if ((names[n] = strdup(de->d_name)))
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t k = 0; k < n; k++) {
		load_one(h, names[k]);
		free(names[k]);
	}
}

/* ---- the clock ---------------------------------------------------------- */

static void
tick(struct camp_host *h)
{
	struct ctl *c = h->c;
	uint64_t now = ctl_now_ms(), gen;

	pthread_rwlock_rdlock(&c->cfg_lock);
	gen = atomic_load(&c->gen);
	pthread_mutex_lock(&h->mu);
	for (uint32_t k = 0; k < h->n; k++) {
		struct hosted *x = h->v[k];

		if (x->done)
			continue;
		x->bmc.cfg = c->cfg; /* the BMC URLs of the current config */
		if (x->macs_gen != gen)
			index_macs(x, c->cfg, gen);
		camp_bmc_drain(&x->bmc, &x->c, now);
		camp_tick(&x->c, now);
		set_done(h, x);
	}
	if (h->gen_all) {
		h->gen_all = false;
		ctl_gen_files(c, c->cfg);
	}
	for (uint32_t k = 0; k < h->n; k++)
		if (h->v[k]->dirty)
			save(h, h->v[k]);
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
}

static void *
camps_main(void *arg)
{
	struct camp_host *h = arg;

	while (!atomic_load_explicit(&h->c->stop, memory_order_acquire)) {
		if (atomic_load(&h->active))
			tick(h);
		usleep(TICK_MS * 1000u);
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
	snprintf(h->dir, sizeof(h->dir), "%s/campaigns", c->cfg->state_dir);
	if (mkdir(h->dir, 0700) < 0 && errno != EEXIST) {
		int e = -errno;

		LOG_ERR("campaign", "%s: %s", h->dir, strerror(errno));
		free(h);
		return e;
	}
	pthread_rwlock_rdlock(&c->cfg_lock);
	pthread_mutex_lock(&h->mu);
	load_all(h);
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
	c->camps = h;
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
	c->bv.hook = NULL;
	for (uint32_t k = 0; k < h->n; k++) {
		if (h->v[k]->dirty)
			save(h, h->v[k]);
		hosted_free(h->v[k]);
	}
	pwr_creds_free(&h->creds);
	free(h->ca_file);
	pthread_mutex_destroy(&h->mu);
	free(h);
	c->camps = NULL;
}

/* ---- inputs ------------------------------------------------------------- */

void
camps_on_boot(void *ctx, const uint8_t mac[6], uint8_t stage)
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
		step = "tftp";
		break;
	case BOOT_STAGE_HTTP:
		step = "http";
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
		set_done(h, x);
		if (x->dirty)
			save(h, x); /* acknowledged to the installer: on disk now */
		break;
	}
	pthread_mutex_unlock(&h->mu);
}

/* ---- admin operations --------------------------------------------------- */

struct pick {
	struct camp_host *h;
	const char **names;
	uint32_t n, cap;
	char busy[64];
};

static int
pick_one(const struct cfg_node *n, void *arg)
{
	struct pick *p = arg;

	for (uint32_t k = 0; k < p->h->n; k++) {
		struct hosted *x = p->h->v[k];
		int64_t i = x->done ? -1 : camp_find(&x->c, n->name);

		if (i >= 0 && x->c.nodes[i].stage != CS_DONE && x->c.nodes[i].stage != CS_FAILED &&
		    x->c.nodes[i].stage != CS_CANCELLED) {
			snprintf(p->busy, sizeof(p->busy), "%s (in %s)", n->name, x->c.id);
			return -EBUSY;
		}
	}
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 64;
		const char **v = realloc(p->names, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->names = v;
		p->cap = cap;
	}
	p->names[p->n++] = n->name;
	return 0;
}

static int
create_locked(struct camp_host *h, const char *expr, const char *profile,
	      const struct camp_params *prm, char *id, size_t id_cap, char *msg, size_t cap)
{
	const struct cfg *cfg = h->c->cfg;
	struct pick p = { .h = h };
	struct hosted *x;
	struct camp_env e;
	char bad[200] = "", cid[32];
	int n, rc;

	if (profile && *profile && !cfg_profile_by_name(cfg, profile))
		return snprintf(msg, cap, "no such profile: %s", profile), 400;
	if (h->n == MAX_CAMPS)
		return snprintf(msg, cap, "%u campaigns kept already", MAX_CAMPS), 409;
	n = ns_select(cfg, expr, pick_one, &p, bad, sizeof(bad));
	if (n <= 0) {
		free(p.names);
		if (p.busy[0])
			return snprintf(msg, cap, "node %s already in a running campaign", p.busy), 409;
		snprintf(msg, cap, "%s: %s", n == -ENOENT ? "no such node" : "bad node set",
			 n == 0 ? expr : bad);
		return n == -ENOENT ? 404 : 400;
	}
	if (!(x = calloc(1, sizeof(*x)))) {
		free(p.names);
		return snprintf(msg, cap, "out of memory"), 500;
	}
	x->h = h;
	env_of(x, &e);
	snprintf(cid, sizeof(cid), "c%u", h->next_id);
	rc = camp_init(&x->c, cid, prm, &e, p.names, p.n, ctl_now_ms());
	free(p.names);
	if (rc < 0) {
		free(x);
		return snprintf(msg, cap, "bad campaign parameters: %s", strerror(-rc)), 400;
	}
	snprintf(x->c.profile, sizeof(x->c.profile), "%s", profile ? profile : "");
	char path[4300];

	snprintf(path, sizeof(path), "%s/%s", h->dir, cid);
	if ((rc = camp_save(&x->c, path)) < 0) {
		camp_free(&x->c);
		free(x);
		return snprintf(msg, cap, "cannot save %s: %s", path, strerror(-rc)), 500;
	}
	bmc_init(h, x, cfg);
	index_macs(x, cfg, atomic_load(&h->c->gen));
	h->next_id++;
	h->v[h->n++] = x;
	atomic_fetch_add(&h->active, 1);
	snprintf(id, id_cap, "%s", cid);
	LOG_INFO("campaign", "%s created: %u nodes (%s), profile %s, power %s, max_in_flight %u, "
		 "%.3g/s", cid, x->c.n, expr, profile && *profile ? profile : "(yaml)",
		 prm->power ? "yes" : "no (by hand)", prm->max_in_flight, prm->power_on_rate);
	return 0;
}

int
camps_create(struct ctl *c, const char *expr, const char *profile, const struct camp_params *p,
	     char *id, size_t id_cap, char *msg, size_t msg_cap)
{
	struct camp_host *h = c->camps;
	int rc;

	if (!h)
		return snprintf(msg, msg_cap, "campaigns unavailable"), 500;
	pthread_rwlock_rdlock(&c->cfg_lock);
	pthread_mutex_lock(&h->mu);
	rc = create_locked(h, expr, profile, p, id, id_cap, msg, msg_cap);
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
	return rc;
}

static int
admin_op(struct ctl *c, const char *id, bool retry, uint32_t *n)
{
	struct camp_host *h = c->camps;
	struct hosted *x;
	uint32_t k = 0;

	if (!h)
		return 404;
	pthread_mutex_lock(&h->mu);
	x = find(h, id);
	if (x) {
		if (retry)
			k = camp_retry_failed(&x->c, ctl_now_ms());
		else
			camp_cancel(&x->c, ctl_now_ms());
		set_done(h, x);
		if (x->dirty)
			save(h, x);
		LOG_INFO("campaign", "%s: %s%s", id, retry ? "retry-failed" : "cancelled",
			 retry ? (k ? "" : " (no failed node)") : "");
	}
	pthread_mutex_unlock(&h->mu);
	if (n)
		*n = k;
	return x ? 0 : 404;
}

int
camps_cancel(struct ctl *c, const char *id)
{
	return admin_op(c, id, false, NULL);
}

int
camps_retry(struct ctl *c, const char *id, uint32_t *n)
{
	return admin_op(c, id, true, n);
}

/* ---- views -------------------------------------------------------------- */

json_t *
camps_list_json(struct ctl *c)
{
	struct camp_host *h = c->camps;
	json_t *arr = json_array(), *o = json_object();

	if (h) {
		pthread_mutex_lock(&h->mu);
		for (uint32_t k = 0; k < h->n; k++)
			json_array_append_new(arr, camp_json(&h->v[k]->c, false));
		pthread_mutex_unlock(&h->mu);
	}
	json_object_set_new(o, "campaigns", arr);
	return o;
}

json_t *
camps_one_json(struct ctl *c, const char *id)
{
	struct camp_host *h = c->camps;
	struct hosted *x;
	json_t *o = NULL;

	if (!h)
		return NULL;
	pthread_mutex_lock(&h->mu);
	if ((x = find(h, id)))
		o = camp_json(&x->c, true);
	pthread_mutex_unlock(&h->mu);
	return o;
}

void
camps_default_params(const struct cfg *cfg, struct camp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_in_flight = cfg->power_max_in_flight;
	p->power_on_rate = cfg->power_on_rate;
	p->burst = 1;
	p->dhcp_deadline_ms = cfg->power_dhcp_deadline_ms;
	p->max_repower = cfg->power_max_repower;
	p->install_deadline_ms = cfg->power_install_deadline_ms;
	p->power = true;
}
