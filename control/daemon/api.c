/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/api.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shm/counters.h"
#include "shm/leases.h"
#include "control/daemon/api_disc.h"
#include "control/daemon/api_camp.h"
#include "control/daemon/api_console.h"
#include "control/daemon/bootroutes.h"
#include "control/daemon/kickstart.h"
#include "control/daemon/storm.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_camp.h"
#include "control/fleet/fleet_live.h"
#include "control/log.h"


const struct cfg_node *
api_find_node(const struct cfg *cfg, const char *key)
{
	unsigned m[6], a, b, cc, d;
	char tail;

	if (sscanf(key, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &tail) == 6 ||
	    sscanf(key, "%2x-%2x-%2x-%2x-%2x-%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &tail) == 6) {
		uint8_t mac[6];

		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)m[i];
		return cfg_node_by_mac(cfg, mac);
	}
	if (sscanf(key, "%u.%u.%u.%u%c", &a, &b, &cc, &d, &tail) == 4 && a < 256 && b < 256 &&
	    cc < 256 && d < 256)
		return cfg_node_by_ip(cfg, a << 24 | b << 16 | cc << 8 | d);
	return cfg_node_by_name(cfg, key);
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	/* json_string rejects invalid UTF-8: names come from YAML/CSV files and
	 * from clients (hostnames), so fall back to a lossy copy */
	json_t *s = json_string(v ? v : "");

	if (!s) {
		char clean[256];

		log_sanitize(clean, sizeof(clean), v);
		s = json_string(clean);
	}
	json_object_set_new(o, k, s ? s : json_null());
}

static void
set_ip(json_t *o, const char *k, uint32_t ip)
{
	char b[16];

	if (!ip) {
		json_object_set_new(o, k, json_null());
		return;
	}
	ks_fmt_ip(ip, b);
	set_str(o, k, b);
}

static void
set_mac(json_t *o, const char *k, const uint8_t mac[6])
{
	static const uint8_t z[6];
	char b[18];

	if (memcmp(mac, z, 6) == 0) {
		json_object_set_new(o, k, json_null());
		return;
	}
	ks_fmt_mac(mac, b);
	set_str(o, k, b);
}

static json_t *
node_json(const struct cfg *cfg, const struct cfg_node *n, const struct bv_node *v, bool have_v)
{
	json_t *o = json_object();
	const struct cfg_profile *p = n ? cfg_node_profile(cfg, n) : NULL;
	uint32_t ip = have_v && v->ip ? v->ip : n && n->has_ip ? n->ip : 0;

	if (n)
		set_str(o, "name", n->name);
	else
		json_object_set_new(o, "name", json_null());
	set_mac(o, "mac", n ? n->mac : v->mac);
	set_ip(o, "ip", ip);
	if (p)
		set_str(o, "profile", p->name);
	else
		json_object_set_new(o, "profile", json_null());
	set_str(o, "stage", boot_stage_name(have_v ? v->stage : BOOT_STAGE_NONE));
	if (have_v) {
		char file[sizeof(v->file) + 1];

		memcpy(file, v->file, sizeof(v->file));
		file[sizeof(v->file)] = '\0';
		set_str(o, "file", file);
		json_object_set_new(o, "bytes", json_integer((json_int_t)v->bytes));
		json_object_set_new(o, "total", json_integer((json_int_t)v->total));
		json_object_set_new(o, "progress",
				    v->total ? json_real(100.0 * (double)v->bytes / (double)v->total) : json_null());
		json_object_set_new(o, "first_seen_ms", json_integer((json_int_t)v->first_seen_ms));
		json_object_set_new(o, "last_seen_ms", json_integer((json_int_t)v->last_seen_ms));
		json_object_set_new(o, "stage_since_ms", json_integer((json_int_t)v->stage_ms));
		json_object_set_new(o, "tftp_files", json_integer((json_int_t)v->tftp_files));
		json_object_set_new(o, "tftp_failures", json_integer((json_int_t)v->tftp_failures));
		json_object_set_new(o, "http_files", json_integer((json_int_t)v->http_files));
		json_object_set_new(o, "arch", v->arch == 0xff ? json_null() : json_integer(v->arch));
	} else {
		json_object_set_new(o, "file", json_null());
		json_object_set_new(o, "progress", json_null());
		json_object_set_new(o, "last_seen_ms", json_integer(0));
	}
	return o;
}

static bool
api_nodes(struct ctl *c, struct api_resp *r)
{
	json_t *j = json_object(), *arr = json_array();
	struct bv_node *all;
	uint32_t n_all;
	bool *listed;

	all = bv_copy(&c->bv, &n_all);
	listed = calloc(n_all + 1, sizeof(*listed));
	pthread_rwlock_rdlock(&c->cfg_lock);
	for (size_t i = 0; i < c->cfg->n_nodes; i++) {
		const struct cfg_node *n = &c->cfg->nodes[i];
		struct bv_node v;
		bool have = bv_get_mac(&c->bv, n->mac, &v);

		json_t *o = node_json(c->cfg, n, &v, have);

		bootroutes_node_json(c, c->cfg, n, o);
		json_array_append_new(arr, o);
	}
	/* clients seen but not in the inventory */
	for (uint32_t i = 0; i < n_all; i++) {
		static const uint8_t z[6];

		if (memcmp(all[i].mac, z, 6) != 0 && cfg_node_by_mac(c->cfg, all[i].mac))
			continue;
		json_array_append_new(arr, node_json(c->cfg, NULL, &all[i], true));
	}
	pthread_rwlock_unlock(&c->cfg_lock);
	free(all);
	free(listed);
	json_object_set_new(j, "nodes", arr);
	return api_reply_json(r, 200, j);
}

/* May a non-admin caller report the stage of node n?  From the address the
 * server assigned to n, or with n's own secret (rendered into its
 * kickstart).  cfg_lock held. */
static enum ks_auth
may_report(struct ctl *c, const struct cfg_node *n, const struct api_caller *who)
{
	enum ks_auth a;
	uint8_t key[32];
	char want[KS_SECRET_HEX + 1];

	a = ks_assigned(n, who->peer, c->have_region ? shm_leases(&c->region) : NULL, ctl_now_ms());
	if (a != KS_DENY)
		return a;
	if (who->bearer && ks_server_key(c->cfg, key) == 0) {
		ks_node_secret(key, n->name, want);
		if (ks_token_equal(who->bearer, want))
			return KS_ALLOW_SECRET;
	}
	return KS_DENY;
}

static bool
api_node(struct ctl *c, const char *method, const char *rest, const struct api_caller *who,
	 struct api_resp *r)
{
	const char *slash = strchr(rest, '/');
	char key[128], ip[16];
	const struct cfg_node *n;
	enum ks_auth auth = KS_ALLOW_ADMIN;
	struct bv_node v;
	uint8_t stage = 0;
	bool have;
	json_t *o;

	if ((size_t)(slash ? slash - rest : (ptrdiff_t)strlen(rest)) >= sizeof(key))
		return api_reply_error(r, 404, "no such node");
	snprintf(key, sizeof(key), "%.*s", (int)(slash ? slash - rest : (ptrdiff_t)strlen(rest)), rest);
	if (slash) {
		if (strcmp(slash, "/done") == 0)
			stage = BOOT_STAGE_DONE;
		else if (strcmp(slash, "/failed") == 0)
			stage = BOOT_STAGE_FAILED;
		else
			return api_reply_error(r, 404, "no such node action (done, failed)");
		/* RFC 9110 9.2.1: GET is safe; a link in a page must not flip a node */
		if (strcmp(method, "POST") != 0)
			return api_reply_error(r, 405, "POST only to /api/nodes/<node>/done or /failed");
	} else if (strcmp(method, "POST") == 0) {
		return api_reply_error(r, 405, "POST only to /api/nodes/<node>/done or /failed");
	} else if (!who->admin) {
		return api_reply_error(r, 401, "admin token required");
	}
	pthread_rwlock_rdlock(&c->cfg_lock);
	n = api_find_node(c->cfg, key);
	if (stage && !who->admin && (!n || (auth = may_report(c, n, who)) == KS_DENY)) {
		char k[160];

		pthread_rwlock_unlock(&c->cfg_lock);
		ks_fmt_ip(who->peer, ip);
		log_sanitize(k, sizeof(k), key);
		LOG_WARN("api", "report %s for node %s from %s refused: neither its assigned address, its secret nor admin",
			 boot_stage_name(stage), k, ip);
		return api_reply_error(r, 403, "not this node's address or secret");
	}
	if (!n) {
		pthread_rwlock_unlock(&c->cfg_lock);
		return api_reply_error(r, 404, "no such node");
	}
	if (stage) {
		ks_fmt_ip(who->peer, ip);
		ks_once_reset(n->mac); /* the install is over: the next one may come from anywhere */
		bv_set_stage(&c->bv, n->mac, 0, stage, NULL, ctl_now_ms());
		LOG_INFO("api", "node %s reported %s (from %s, %s)", n->name, boot_stage_name(stage), ip,
			 ks_auth_name(auth));
		bootroutes_report(c, n, stage == BOOT_STAGE_DONE, r->q_reason);
	}
	have = bv_get_mac(&c->bv, n->mac, &v);
	o = node_json(c->cfg, n, &v, have);
	bootroutes_node_json(c, c->cfg, n, o);
	pthread_rwlock_unlock(&c->cfg_lock);
	return api_reply_json(r, 200, o);
}

static const char *
node_name_by_mac(const struct cfg *cfg, const uint8_t mac[6])
{
	const struct cfg_node *n = cfg_node_by_mac(cfg, mac);

	return n ? n->name : NULL;
}

static bool
api_leases(struct ctl *c, struct api_resp *r)
{
	const struct lease_table *t = shm_leases(&c->region);
	json_t *j = json_object(), *arr = json_array();
	uint32_t used = atomic_load_explicit(&t->used, memory_order_acquire);

	pthread_rwlock_rdlock(&c->cfg_lock);
	for (uint32_t i = 0; i < used; i++) {
		struct lease l;
		json_t *o;
		char host[sizeof(l.hostname) + 1];
		const char *name;

		if (!lease_read(t, i, &l) || l.state == LEASE_FREE)
			continue;
		o = json_object();
		set_ip(o, "ip", l.ip);
		set_mac(o, "mac", l.mac);
		set_str(o, "state", lease_state_name(l.state));
		json_object_set_new(o, "expires_ms", json_integer((json_int_t)l.expires_ms));
		json_object_set_new(o, "updated_ms", json_integer((json_int_t)l.updated_ms));
		json_object_set_new(o, "seq", json_integer((json_int_t)l.journal_seq));
		memcpy(host, l.hostname, sizeof(l.hostname));
		host[sizeof(l.hostname)] = '\0';
		set_str(o, "hostname", host);
		name = node_name_by_mac(c->cfg, l.mac);
		if (name)
			set_str(o, "node", name);
		else
			json_object_set_new(o, "node", json_null());
		json_array_append_new(arr, o);
	}
	pthread_rwlock_unlock(&c->cfg_lock);
	json_object_set_new(j, "cap", json_integer(t->cap));
	json_object_set_new(j, "bound", json_integer(atomic_load(&t->bound)));
	json_object_set_new(j, "leases", arr);
	return api_reply_json(r, 200, j);
}

static bool
api_counters(struct ctl *c, struct api_resp *r)
{
	json_t *j = json_object(), *cs = json_object();

	for (unsigned i = 0; i < BS_CTR_MAX; i++)
		json_object_set_new(cs, bs_ctr_name[i], json_integer((json_int_t)ctl_counter(c, i)));
	json_object_set_new(j, "workers", json_integer(c->region.hdr->max_workers));
	json_object_set_new(j, "counters", cs);
	return api_reply_json(r, 200, j);
}

static void
stage_counts(struct ctl *c, uint64_t counts[BOOT_STAGE_MAX], uint64_t *total)
{
	struct bv_node *all;
	uint32_t n;

	memset(counts, 0, sizeof(uint64_t) * BOOT_STAGE_MAX);
	all = bv_copy(&c->bv, &n);
	for (uint32_t i = 0; i < n; i++)
		counts[all[i].stage < BOOT_STAGE_MAX ? all[i].stage : 0]++;
	free(all);
	pthread_rwlock_rdlock(&c->cfg_lock);
	/* inventory nodes never seen count as "none" */
	*total = c->cfg->n_nodes > n ? c->cfg->n_nodes : n;
	counts[BOOT_STAGE_NONE] += *total - n;
	pthread_rwlock_unlock(&c->cfg_lock);
}

static bool
dp_alive(const struct ctl *c)
{
	const struct shm_hdr *h = c->region.hdr;
	int32_t pid = atomic_load(&h->dp_pid);
	uint64_t hb = atomic_load(&h->dp_heartbeat_ms);

	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) && ctl_mono_ms() - hb < 5000;
}

static uint64_t
drops_total(struct ctl *c)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < BS_CTR_MAX; i++)
		if (bs_ctr_is_drop((enum bs_ctr)i))
			s += ctl_counter(c, i);
	return s;
}

static bool
api_status(struct ctl *c, struct api_resp *r)
{
	const struct shm_hdr *h = c->region.hdr;
	const struct journal_stats *st = &c->journal.st;
	const struct lease_table *t = shm_leases(&c->region);
	json_t *j = json_object(), *dp = json_object(), *jr = json_object(), *le = json_object();
	json_t *nodes = json_object(), *bys = json_object(), *rates = json_object(), *ctr = json_object();
	json_t *http = json_object();
	uint64_t counts[BOOT_STAGE_MAX], total, fs = atomic_load(&st->fsyncs);
	static const enum bs_ctr sum_ids[] = { BS_CTR_DHCP_RX, BS_CTR_DHCP_TX, BS_CTR_TFTP_RX,
					       BS_CTR_TFTP_TX, BS_CTR_TFTP_XFER_DONE,
					       BS_CTR_TFTP_XFER_FAILED, BS_CTR_RX_PKTS, BS_CTR_TX_PKTS };

	pthread_rwlock_rdlock(&c->cfg_lock);
	set_str(j, "name", c->cfg->name ? c->cfg->name : "");
	set_str(j, "instance", c->cfg->instance ? c->cfg->instance : SHM_DEFAULT_INSTANCE);
	pthread_rwlock_unlock(&c->cfg_lock);
	set_str(j, "version", BS_VERSION);
	set_str(j, "config", c->cfg_path);
	json_object_set_new(j, "config_gen", json_integer((json_int_t)atomic_load(&c->gen)));
	json_object_set_new(j, "reloads", json_integer((json_int_t)atomic_load(&c->reloads)));
	json_object_set_new(j, "reload_failures", json_integer((json_int_t)atomic_load(&c->reload_failures)));
	json_object_set_new(j, "uptime_s", json_integer((json_int_t)((ctl_mono_ms() - c->start_mono_ms) / 1000)));
	json_object_set_new(j, "control_pid", json_integer(getpid()));

	json_object_set_new(dp, "alive", json_boolean(dp_alive(c)));
	json_object_set_new(dp, "pid", json_integer(atomic_load(&h->dp_pid)));
	json_object_set_new(dp, "workers", json_integer(atomic_load(&h->dp_workers)));
	json_object_set_new(dp, "max_workers", json_integer(h->max_workers));
	json_object_set_new(j, "dataplane", dp);

	json_object_set_new(jr, "ok", json_boolean(atomic_load(&st->ok)));
	json_object_set_new(jr, "durable_seq", json_integer((json_int_t)atomic_load(&h->durable_seq)));
	json_object_set_new(jr, "records", json_integer((json_int_t)atomic_load(&st->records)));
	json_object_set_new(jr, "replayed", json_integer((json_int_t)atomic_load(&st->replayed)));
	json_object_set_new(jr, "pending", json_integer((json_int_t)atomic_load(&st->pending)));
	json_object_set_new(jr, "fsyncs", json_integer((json_int_t)fs));
	json_object_set_new(jr, "fsync_avg_us", json_real(fs ? (double)atomic_load(&st->fsync_ns_sum) / (double)fs / 1000.0 : 0));
	json_object_set_new(jr, "fsync_max_us", json_real((double)atomic_load(&st->fsync_ns_max) / 1000.0));
	json_object_set_new(jr, "file_bytes", json_integer((json_int_t)atomic_load(&st->file_bytes)));
	json_object_set_new(jr, "compactions", json_integer((json_int_t)atomic_load(&st->compactions)));
	json_object_set_new(jr, "write_errors", json_integer((json_int_t)atomic_load(&st->write_errors)));
	json_object_set_new(j, "journal", jr);

	json_object_set_new(le, "bound", json_integer(atomic_load(&t->bound)));
	json_object_set_new(le, "used", json_integer(atomic_load(&t->used)));
	json_object_set_new(le, "cap", json_integer(t->cap));
	json_object_set_new(j, "leases", le);

	stage_counts(c, counts, &total);
	for (unsigned s = 0; s < BOOT_STAGE_MAX; s++)
		json_object_set_new(bys, boot_stage_name(s), json_integer((json_int_t)counts[s]));
	json_object_set_new(nodes, "total", json_integer((json_int_t)total));
	json_object_set_new(nodes, "by_stage", bys);
	json_object_set_new(nodes, "boot_events", json_integer((json_int_t)atomic_load(&c->boot_events)));
	json_object_set_new(j, "nodes", nodes);

	for (size_t i = 0; i < sizeof(sum_ids) / sizeof(sum_ids[0]); i++)
		json_object_set_new(ctr, bs_ctr_name[sum_ids[i]],
				    json_integer((json_int_t)ctl_counter(c, sum_ids[i])));
	json_object_set_new(ctr, "drops", json_integer((json_int_t)drops_total(c)));
	json_object_set_new(j, "counters", ctr);

	pthread_mutex_lock(&c->rate_mu);
	json_object_set_new(rates, "dhcp_per_s", json_real(c->rate_dhcp));
	json_object_set_new(rates, "tftp_mbytes_per_s", json_real(c->rate_tftp_bytes / 1e6));
	json_object_set_new(rates, "http_per_s", json_real(c->rate_http));
	pthread_mutex_unlock(&c->rate_mu);
	json_object_set_new(j, "rates", rates);

#define X(code) json_object_set_new(http, #code, json_integer((json_int_t)atomic_load(&c->http_by_code[HTTP_IDX_##code])));
	HTTP_CODE_LIST(X)
#undef X
	json_object_set_new(http, "other", json_integer((json_int_t)atomic_load(&c->http_by_code[HTTP_IDX_OTHER])));
	json_object_set_new(j, "http", http);
	fleet_status_json(c, j);
	fleet_live_status_json(c, j);
	fleet_camp_status_json(c, j);
	return api_reply_json(r, 200, j);
}

/* ---- Prometheus text format (exposition format 0.0.4) ------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n) * 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* HELP text escaping: backslash and newline (exposition format). */
static void
sb_help(struct sbuf *b, const char *name, const char *help, const char *type)
{
	sb_printf(b, "# HELP %s ", name);
	for (const char *s = help ? help : ""; *s; s++) {
		if (*s == '\\')
			sb_printf(b, "\\\\");
		else if (*s == '\n')
			sb_printf(b, "\\n");
		else
			sb_printf(b, "%c", *s);
	}
	sb_printf(b, "\n# TYPE %s %s\n", name, type);
}

static void
lower(char *dst, const char *src, size_t cap)
{
	size_t i = 0;

	for (; src[i] && i + 1 < cap; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
	dst[i] = '\0';
}

static bool
api_fleet(struct ctl *c, struct api_resp *r)
{
	const char *err = NULL;
	json_t *j = fleet_api_view(c, &err);

	return j ? api_reply_json(r, 200, j) : api_reply_error(r, 503, err);
}

static bool
api_metrics(struct ctl *c, struct api_resp *r)
{
	struct sbuf b = { .cap = 65536 };
	const struct journal_stats *st = &c->journal.st;
	const struct lease_table *t = shm_leases(&c->region);
	uint64_t counts[BOOT_STAGE_MAX], total;
	bool drops_done = false;
	char name[128];

	b.p = malloc(b.cap);
	if (!b.p)
		return api_reply_error(r, 500, "out of memory");
	b.p[0] = '\0';
	for (unsigned i = 0; i < BS_CTR_MAX; i++) {
		if (bs_ctr_is_drop((enum bs_ctr)i)) {
			/* drop reasons: one family with a reason label */
			if (!drops_done) {
				sb_help(&b, "bootstorm_drops_total", "packets dropped by the dataplane, by reason", "counter");
				drops_done = true;
			}
			/* a DROP(REASON) row is named DROP_REASON: the label is REASON */
			lower(name, bs_ctr_name[i] + 5, sizeof(name));
			sb_printf(&b, "bootstorm_drops_total{reason=\"%s\"} %llu\n", name,
				  (unsigned long long)ctl_counter(c, i));
			continue;
		}
		lower(name, bs_ctr_name[i], sizeof(name));
		char full[160];

		snprintf(full, sizeof(full), "bootstorm_%s_total", name);
		sb_help(&b, full, bs_ctr_help[i], "counter");
		sb_printf(&b, "%s %llu\n", full, (unsigned long long)ctl_counter(c, i));
	}
	sb_help(&b, "bootstorm_leases_bound", "leases in state bound", "gauge");
	sb_printf(&b, "bootstorm_leases_bound %u\n", atomic_load(&t->bound));
	sb_help(&b, "bootstorm_leases_known", "lease table slots holding an address", "gauge");
	sb_printf(&b, "bootstorm_leases_known %u\n", atomic_load(&t->used));
	stage_counts(c, counts, &total);
	sb_help(&b, "bootstorm_nodes", "nodes per boot stage", "gauge");
	for (unsigned s = 0; s < BOOT_STAGE_MAX; s++)
		sb_printf(&b, "bootstorm_nodes{stage=\"%s\"} %llu\n", boot_stage_name(s),
			  (unsigned long long)counts[s]);
	sb_help(&b, "bootstorm_journal_fsyncs_total", "journal group commits (fdatasync)", "counter");
	sb_printf(&b, "bootstorm_journal_fsyncs_total %llu\n", (unsigned long long)atomic_load(&st->fsyncs));
	sb_help(&b, "bootstorm_journal_fsync_seconds_total", "time spent in journal fdatasync", "counter");
	sb_printf(&b, "bootstorm_journal_fsync_seconds_total %.6f\n", (double)atomic_load(&st->fsync_ns_sum) / 1e9);
	sb_help(&b, "bootstorm_journal_fsync_max_seconds", "longest journal fdatasync", "gauge");
	sb_printf(&b, "bootstorm_journal_fsync_max_seconds %.6f\n", (double)atomic_load(&st->fsync_ns_max) / 1e9);
	sb_help(&b, "bootstorm_journal_records_total", "lease events journalled", "counter");
	sb_printf(&b, "bootstorm_journal_records_total %llu\n", (unsigned long long)atomic_load(&st->records));
	sb_help(&b, "bootstorm_journal_write_errors_total", "journal write/fsync failures (ENOSPC, EIO)", "counter");
	sb_printf(&b, "bootstorm_journal_write_errors_total %llu\n", (unsigned long long)atomic_load(&st->write_errors));
	sb_help(&b, "bootstorm_journal_damaged_bytes_total", "damaged bytes skipped by replay resynchronisation", "counter");
	sb_printf(&b, "bootstorm_journal_damaged_bytes_total %llu\n", (unsigned long long)atomic_load(&st->damaged_bytes));
	sb_help(&b, "bootstorm_lease_read_skipped_total", "lease slot reads given up (a writer died mid-update)", "counter");
	sb_printf(&b, "bootstorm_lease_read_skipped_total %llu\n", (unsigned long long)lease_read_skipped());
	sb_help(&b, "bootstorm_journal_ok", "1 while the journal can write", "gauge");
	sb_printf(&b, "bootstorm_journal_ok %u\n", atomic_load(&st->ok));
	sb_help(&b, "bootstorm_journal_durable_seq", "last lease event on disk", "gauge");
	sb_printf(&b, "bootstorm_journal_durable_seq %llu\n", (unsigned long long)atomic_load(&c->region.hdr->durable_seq));
	sb_help(&b, "bootstorm_journal_bytes", "journal file size", "gauge");
	sb_printf(&b, "bootstorm_journal_bytes %llu\n", (unsigned long long)atomic_load(&st->file_bytes));
	sb_help(&b, "bootstorm_http_requests_total", "HTTP requests answered, by status", "counter");
#define X(code) sb_printf(&b, "bootstorm_http_requests_total{status=\"%d\"} %llu\n", code, (unsigned long long)atomic_load(&c->http_by_code[HTTP_IDX_##code]));
	HTTP_CODE_LIST(X)
#undef X
	sb_printf(&b, "bootstorm_http_requests_total{status=\"other\"} %llu\n",
		  (unsigned long long)atomic_load(&c->http_by_code[HTTP_IDX_OTHER]));
	sb_help(&b, "bootstorm_http_body_bytes_total", "HTTP body bytes queued", "counter");
	sb_printf(&b, "bootstorm_http_body_bytes_total %llu\n", (unsigned long long)atomic_load(&c->http_bytes));
	sb_help(&b, "bootstorm_config_generation", "published config generation", "gauge");
	sb_printf(&b, "bootstorm_config_generation %llu\n", (unsigned long long)atomic_load(&c->gen));
	sb_help(&b, "bootstorm_snapshot_slot_bytes", "bytes per snapshot slot in use (grows with the config)", "gauge");
	sb_printf(&b, "bootstorm_snapshot_slot_bytes %llu\n", (unsigned long long)atomic_load(&c->region.hdr->snap_cap));
	sb_help(&b, "bootstorm_snapshot_area_grows_total", "snapshots that outgrew their slots and opened a bigger area", "counter");
	sb_printf(&b, "bootstorm_snapshot_area_grows_total %llu\n", (unsigned long long)atomic_load(&c->region.hdr->snap_grows));
	sb_help(&b, "bootstorm_snapshot_publish_failures_total", "publications refused for want of room (old config kept)", "counter");
	sb_printf(&b, "bootstorm_snapshot_publish_failures_total %llu\n", (unsigned long long)atomic_load(&c->region.hdr->snap_fail));
	sb_help(&b, "bootstorm_dataplane_up", "1 while the dataplane heartbeats", "gauge");
	sb_printf(&b, "bootstorm_dataplane_up %d\n", dp_alive(c) ? 1 : 0);
	char fl[4096];
	if (fleet_metrics(c, fl, sizeof(fl)))
		sb_printf(&b, "%s", fl);
	if (b.oom) {
		free(b.p);
		return api_reply_error(r, 500, "out of memory");
	}
	r->status = 200;
	r->type = "text/plain; version=0.0.4; charset=utf-8";
	r->body = b.p;
	r->len = b.len;
	return true;
}

bool
api_handle(struct ctl *c, const char *method, const char *path, const struct api_caller *who,
	   struct api_resp *r)
{
	bool post = strcmp(method, "POST") == 0, pub;
	const char *rest;

	if (strcmp(path, "/metrics") == 0) {
		if (post)
			return api_reply_error(r, 405, "GET only");
		pthread_rwlock_rdlock(&c->cfg_lock);
		pub = c->cfg->metrics_public;
		pthread_rwlock_unlock(&c->cfg_lock);
		return pub || who->admin ? api_metrics(c, r) : api_reply_error(r, 401, "admin token required");
	}
	if (strncmp(path, "/api/", 5) != 0)
		return false;
	path += 5;
	if (bootroutes_api(c, method, path, who->peer, who->admin, r->q_profile, r))
		return true;
	if (api_disc(c, method, path, who->admin, r))
		return true;
	if (api_camp(c, method, path, who, r))
		return true;
	if (strncmp(path, "nodes/", 6) == 0 && path[6]) {
		rest = path + 6;
		if (api_console(c, method, rest, who, r))
			return true;
		return api_node(c, method, rest, who, r);
	}
	if (post)
		return api_reply_error(r, 405, "GET only");
	/* inventory, leases, counters, status: the admin's */
	if (!who->admin)
		return api_reply_error(r, 401, "admin token required");
	if (strcmp(path, "status") == 0)
		return api_status(c, r);
	if (strcmp(path, "nodes") == 0)
		return api_nodes(c, r);
	if (strcmp(path, "leases") == 0)
		return api_leases(c, r);
	if (strcmp(path, "counters") == 0)
		return api_counters(c, r);
	if (strcmp(path, "fleet") == 0)
		return api_fleet(c, r);
	if (strncmp(path, "fleet/campaigns/", 16) == 0 && path[16]) {
		const char *err = NULL;
		int st = 503;
		json_t *j = fleet_api_campaign(c, path + 16, &st, &err);

		return j ? api_reply_json(r, 200, j) : api_reply_error(r, st, err);
	}
	if (strncmp(path, "fleet/nodes", 11) == 0 && (!path[11] || (path[11] == '/' && path[12]))) {
		const char *err = NULL;
		int st = 503;
		json_t *j = path[11] ? fleet_api_node(c, path + 12, &st, &err)
				     : fleet_api_nodes(c, r->q_arg(r, "server"), r->q_arg(r, "state"),
						       r->q_arg(r, "campaign"), r->q_arg(r, "limit"), &st, &err);

		return j ? api_reply_json(r, 200, j) : api_reply_error(r, st, err);
	}
	if (strcmp(path, "storm") == 0) {
		json_t *j = storm_json(c);

		return j ? api_reply_json(r, 200, j) : api_reply_error(r, 500, "out of memory");
	}
	return api_reply_error(r, 404, "no such API path");
}
