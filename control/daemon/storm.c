/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The storm statistics (control/daemon/storm.h).
 */
#include "control/daemon/storm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/kickstart.h"
#include "control/daemon/nodestate.h"
#include "control/log.h"
#include "shm/counters.h"

#define STORM_DROP_REASONS 4	/* non-zero drop reasons named, in counter order */

void
storm_nodes_init(struct storm_nodes *s, uint64_t *times, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->times = times;
	s->cap = times ? cap : 0;
}

static void
names_add(struct storm_names *n, const char *name)
{
	/* past the cap only the class's count grows */
	if (n->n < STORM_NAMES)
		snprintf(n->v[n->n++], STORM_NAME_LEN, "%s", name);
}

static void
booted(struct storm_nodes *s, const char *name, uint64_t fs, uint64_t ss)
{
	if (ss > s->last_booted_ms)
		s->last_booted_ms = ss;
	if (!fs || ss < fs)
		return;
	if (s->nt < s->cap)
		s->times[s->nt++] = ss - fs;
	/* the slowest node, named: the first of the longest */
	if (s->nt == 1 || ss - fs > s->slowest_ms) {
		s->slowest_ms = ss - fs;
		snprintf(s->slowest, sizeof(s->slowest), "%s", name);
	}
}

const char *const storm_route_name[STORM_ROUTE_MAX] = {
	[STORM_ROUTE_DHCP] = "dhcp-only",   [STORM_ROUTE_PXELINUX] = "pxelinux",
	[STORM_ROUTE_GRUB] = "grub",	    [STORM_ROUTE_IPXE_HTTP] = "ipxe-http",
	[STORM_ROUTE_UEFI_HTTP] = "uefi-http",
};

enum storm_route
storm_route_of(uint8_t arch, uint64_t tftp_files, uint64_t http_files)
{
	/* RFC 4578 / IANA processor architecture types: 15 x86 UEFI HTTP,
	 * 16 x64 UEFI HTTP, 19 arm64 UEFI HTTP; 6, 7, 9, 10, 11 EFI PXE. */
	if (arch == 15 || arch == 16 || arch == 19)
		return STORM_ROUTE_UEFI_HTTP;
	if (tftp_files)
		return arch == 6 || arch == 7 || arch == 9 || arch == 10 || arch == 11 ?
			       STORM_ROUTE_GRUB : STORM_ROUTE_PXELINUX;
	return http_files ? STORM_ROUTE_IPXE_HTTP : STORM_ROUTE_DHCP;
}

void
storm_nodes_add(struct storm_nodes *s, const char *name, bool inventory, unsigned stage,
		uint64_t fs, uint64_t ss)
{
	const struct storm_node_in in = {
		.name = name, .inventory = inventory, .stage = stage,
		.first_seen_ms = fs, .stage_since_ms = ss, .arch = 0xff,
	};

	storm_nodes_add_node(s, &in);
}

void
storm_nodes_add_node(struct storm_nodes *s, const struct storm_node_in *in)
{
	const char *name = in->name;
	unsigned stage = in->stage;
	uint64_t fs = in->first_seen_ms, ss = in->stage_since_ms;

	s->total++;
	s->inventory += in->inventory;
	if (stage == BOOT_STAGE_NONE || stage >= BOOT_STAGE_MAX)
		return; /* an inventory node that never showed up */
	s->seen++;
	s->unknown += !in->inventory;
	s->routes[storm_route_of(in->arch, in->tftp_files, in->http_files)]++;
	if (fs && (!s->first_ms || fs < s->first_ms))
		s->first_ms = fs;
	switch (stage) {
	case BOOT_STAGE_DONE:
	case BOOT_STAGE_INSTALLING:
	case BOOT_STAGE_TFTP_DONE:
	case BOOT_STAGE_HTTP:
		s->done += stage == BOOT_STAGE_DONE;
		s->installing += stage == BOOT_STAGE_INSTALLING;
		s->tftp_done += stage == BOOT_STAGE_TFTP_DONE;
		s->http_done += stage == BOOT_STAGE_HTTP;
		if (stage == BOOT_STAGE_DONE)
			names_add(&s->done_names, name);
		booted(s, name, fs, ss);
		break;
	case BOOT_STAGE_FAILED:
	case BOOT_STAGE_TFTP_FAILED:
		s->failed++;
		names_add(&s->failed_names, name);
		break;
	default:
		if (in->local) {
			/* installed, netbooted again and sent to its disk: the
			 * DHCP answer is all it takes from us */
			s->local++;
			break;
		}
		s->unfinished++;
		names_add(&s->unfinished_names, name);
		return;
	}
	if (ss > s->last_final_ms)
		s->last_final_ms = ss;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
storm_nodes_finish(struct storm_nodes *s)
{
	if (s->nt)
		qsort(s->times, s->nt, sizeof(*s->times), cmp_u64);
}

uint64_t
storm_quantile(const struct storm_nodes *s, double q)
{
	if (!s->nt)
		return 0;
	return s->times[(size_t)((double)(s->nt - 1) * q)];
}

uint64_t
storm_clock_ms(const struct storm_nodes *s, uint64_t now_ms)
{
	uint64_t end = s->unfinished ? now_ms : s->last_final_ms;

	return s->first_ms && end > s->first_ms ? end - s->first_ms : 0;
}

/* ---- the JSON object ---------------------------------------------------- */

static const char *
node_label(const struct cfg_node *n, const uint8_t mac[6], char buf[18])
{
	static const uint8_t z[6];

	if (n)
		return n->name ? n->name : "";
	if (memcmp(mac, z, 6) == 0)
		return "-";
	ks_fmt_mac(mac, buf);
	return buf;
}

static void
node_in(const struct bv_node *v, bool have, const char *name, bool inventory, bool local,
	struct storm_node_in *in)
{
	memset(in, 0, sizeof(*in));
	in->name = name;
	in->inventory = inventory;
	in->local = local;
	in->arch = 0xff;
	if (!have) {
		in->stage = BOOT_STAGE_NONE;
		return;
	}
	in->stage = v->stage;
	in->first_seen_ms = v->first_seen_ms;
	in->stage_since_ms = v->stage_ms;
	in->arch = v->arch;
	in->tftp_files = v->tftp_files;
	in->http_files = v->http_files;
}

/* The nodes of GET /api/nodes (inventory, then clients not in it), in its
 * order.  Returns -ENOMEM or 0. */
static int
collect_nodes(struct ctl *c, struct storm_nodes *s, uint64_t **times)
{
	static const uint8_t z[6];
	struct bv_node *all, v;
	struct storm_node_in in;
	uint32_t n_all = 0;
	char mac[18];

	all = bv_copy(&c->bv, &n_all);
	pthread_rwlock_rdlock(&c->cfg_lock);
	*times = calloc(c->cfg->n_nodes + n_all + 1, sizeof(**times));
	if (!*times) {
		pthread_rwlock_unlock(&c->cfg_lock);
		free(all);
		return -1;
	}
	storm_nodes_init(s, *times, c->cfg->n_nodes + n_all);
	for (size_t i = 0; i < c->cfg->n_nodes; i++) {
		const struct cfg_node *n = &c->cfg->nodes[i];
		bool have = bv_get_mac(&c->bv, n->mac, &v);
		struct ns_boot b;

		ns_boot_of(&c->ns, c->cfg, n, &b);
		node_in(&v, have, node_label(n, n->mac, mac), true, b.state == NS_LOCAL, &in);
		storm_nodes_add_node(s, &in);
	}
	for (uint32_t i = 0; i < n_all; i++) {
		if (memcmp(all[i].mac, z, 6) != 0 && cfg_node_by_mac(c->cfg, all[i].mac))
			continue;
		node_in(&all[i], true, node_label(NULL, all[i].mac, mac), false, false, &in);
		storm_nodes_add_node(s, &in);
	}
	pthread_rwlock_unlock(&c->cfg_lock);
	free(all);
	storm_nodes_finish(s);
	return 0;
}

static void
set_u(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* json_string rejects invalid UTF-8 (names come from config files and
 * clients): a sanitised copy then. */
static json_t *
name_json(const char *v)
{
	json_t *s = json_string(v);
	char clean[STORM_NAME_LEN * 4];

	if (s)
		return s;
	log_sanitize(clean, sizeof(clean), v);
	return json_string(clean);
}

static json_t *
names_json(const struct storm_names *n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n->n; i++)
		json_array_append_new(a, name_json(n->v[i]));
	return a;
}

static json_t *
nodes_json(const struct storm_nodes *s, uint64_t now)
{
	json_t *j = json_object(), *names = json_object(), *per = json_null();

	set_u(j, "total", s->total);
	set_u(j, "inventory", s->inventory);
	set_u(j, "seen", s->seen);
	set_u(j, "unknown", s->unknown);
	set_u(j, "booted", s->done + s->installing + s->tftp_done + s->http_done + s->local);
	set_u(j, "done", s->done);
	set_u(j, "installing", s->installing);
	set_u(j, "tftp_done", s->tftp_done);
	set_u(j, "http_done", s->http_done);
	set_u(j, "local", s->local);
	json_t *routes = json_object();
	for (unsigned r = 0; r < STORM_ROUTE_MAX; r++)
		set_u(routes, storm_route_name[r], s->routes[r]);
	json_object_set_new(j, "routes", routes);
	set_u(j, "failed", s->failed);
	set_u(j, "unfinished", s->unfinished);
	json_object_set_new(names, "done", names_json(&s->done_names));
	json_object_set_new(names, "failed", names_json(&s->failed_names));
	json_object_set_new(names, "unfinished", names_json(&s->unfinished_names));
	json_object_set_new(j, "names", names);
	json_object_set_new(j, "first_seen_ms", s->first_ms ? json_integer((json_int_t)s->first_ms) : json_null());
	json_object_set_new(j, "clock_ms", s->first_ms ? json_integer((json_int_t)storm_clock_ms(s, now)) : json_null());
	json_object_set_new(j, "elapsed_ms", s->nt ? json_integer((json_int_t)(s->last_booted_ms - s->first_ms)) : json_null());
	if (s->nt) {
		per = json_object();
		set_u(per, "n", s->nt);
		set_u(per, "p50", storm_quantile(s, 0.5));
		set_u(per, "p90", storm_quantile(s, 0.9));
		set_u(per, "max", s->times[s->nt - 1]);
		json_object_set_new(per, "slowest", name_json(s->slowest));
	}
	json_object_set_new(j, "per_node_ms", per);
	return j;
}

static json_t *
dhcp_json(struct ctl *c, double per_s)
{
	const struct lease_table *t = shm_leases(&c->region);
	json_t *j = json_object();

	set_u(j, "bound", atomic_load(&t->bound));
	set_u(j, "leases", atomic_load(&t->used));
	set_u(j, "cap", t->cap);
	set_u(j, "discover", ctl_counter(c, BS_CTR_DHCP_RX_DISCOVER));
	set_u(j, "request", ctl_counter(c, BS_CTR_DHCP_RX_REQUEST));
	set_u(j, "offer", ctl_counter(c, BS_CTR_DHCP_TX_OFFER));
	set_u(j, "ack", ctl_counter(c, BS_CTR_DHCP_TX_ACK));
	set_u(j, "nak", ctl_counter(c, BS_CTR_DHCP_TX_NAK));
	json_object_set_new(j, "per_s", json_real(per_s));
	return j;
}

static json_t *
tftp_json(struct ctl *c, double bytes_per_s)
{
	json_t *j = json_object();

	set_u(j, "bytes", ctl_counter(c, BS_CTR_TFTP_PAYLOAD_BYTES));
	set_u(j, "transfers", ctl_counter(c, BS_CTR_TFTP_XFER_DONE));
	set_u(j, "failed", ctl_counter(c, BS_CTR_TFTP_XFER_FAILED));
	set_u(j, "retransmits", ctl_counter(c, BS_CTR_TFTP_TX_RETRANS));
	set_u(j, "not_found", ctl_counter(c, BS_CTR_TFTP_ERR_NOT_FOUND));
	json_object_set_new(j, "mbytes_per_s", json_real(bytes_per_s / 1e6));
	return j;
}

/* Every request counts, the API polls of `watch` and the page included. */
static json_t *
http_json(struct ctl *c, double per_s)
{
	json_t *j = json_object();
	uint64_t by[HTTP_IDX_MAX], reqs = 0, e4 = 0, e5 = 0;
	static const unsigned codes[HTTP_IDX_OTHER] = {
#define X(code) code,
		HTTP_CODE_LIST(X)
#undef X
	};

	for (unsigned i = 0; i < HTTP_IDX_MAX; i++) {
		by[i] = atomic_load_explicit(&c->http_by_code[i], memory_order_relaxed);
		reqs += by[i];
		if (i < HTTP_IDX_OTHER && codes[i] >= 400 && codes[i] < 500)
			e4 += by[i];
		else if (i < HTTP_IDX_OTHER && codes[i] >= 500)
			e5 += by[i];
	}
	set_u(j, "requests", reqs);
	set_u(j, "errors_4xx", e4);
	set_u(j, "errors_5xx", e5);
	set_u(j, "other", by[HTTP_IDX_OTHER]);
	set_u(j, "bytes", atomic_load_explicit(&c->http_bytes, memory_order_relaxed));
	json_object_set_new(j, "per_s", json_real(per_s));
	return j;
}

/* The total, and the first few non-zero reasons by name: a drop is only
 * alarming when its reason is. */
static json_t *
drops_json(struct ctl *c)
{
	json_t *j = json_object(), *reasons = json_object();
	uint64_t total = 0;
	unsigned shown = 0;

	for (unsigned i = 0; i < BS_CTR_MAX; i++) {
		uint64_t v;

		if (!bs_ctr_is_drop((enum bs_ctr)i))
			continue;
		v = ctl_counter(c, i);
		total += v;
		if (v && shown < STORM_DROP_REASONS) {
			set_u(reasons, bs_ctr_name[i], v);
			shown++;
		}
	}
	set_u(j, "total", total);
	json_object_set_new(j, "reasons", reasons);
	return j;
}

json_t *
storm_json(struct ctl *c)
{
	struct storm_nodes s;
	uint64_t *times = NULL, now = bs_real_ms();
	double r_dhcp, r_tftp, r_http;
	json_t *j;

	if (collect_nodes(c, &s, &times) < 0)
		return NULL;
	pthread_mutex_lock(&c->rate_mu);
	r_dhcp = c->rate_dhcp;
	r_tftp = c->rate_tftp_bytes;
	r_http = c->rate_http;
	pthread_mutex_unlock(&c->rate_mu);
	j = json_object();
	set_u(j, "now_ms", now);
	json_object_set_new(j, "nodes", nodes_json(&s, now));
	json_object_set_new(j, "dhcp", dhcp_json(c, r_dhcp));
	json_object_set_new(j, "tftp", tftp_json(c, r_tftp));
	json_object_set_new(j, "http", http_json(c, r_http));
	json_object_set_new(j, "drops", drops_json(c));
	free(times);
	return j;
}
