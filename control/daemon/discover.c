/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The table of discovered (unknown) machines: see discover.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shm/publish.h"
#include "control/log.h"
#include "util/bs_file.h"
#include "util/bs_hash.h"
#include "control/daemon/discover.h"

#define DISC_MAGIC "bootstorm-discovered 1"
#define DISC_BURST 64

/* ---- index -------------------------------------------------------------- */

static uint32_t
mac_hash(const uint8_t mac[6])
{
	return bs_fnv1a32(mac, 6);
}

/* Position in idx of mac, or of the empty cell where it would go. */
static uint32_t
probe(const struct disc *d, const uint8_t mac[6])
{
	uint32_t i = mac_hash(mac) & d->mask;

	while (d->idx[i] && memcmp(d->v[d->idx[i] - 1].ev.mac, mac, 6) != 0)
		i = (i + 1) & d->mask;
	return i;
}

/* Linear probing deletion without tombstones (Knuth 6.4 algorithm R):
 * moves back every later entry of the run whose home is not between the
 * hole and itself. */
static void
idx_delete(struct disc *d, uint32_t hole)
{
	uint32_t i = hole;

	d->idx[hole] = 0;
	for (;;) {
		i = (i + 1) & d->mask;
		if (!d->idx[i])
			return;
		uint32_t home = mac_hash(d->v[d->idx[i] - 1].ev.mac) & d->mask;
		/* stays when home lies cyclically in (hole, i] */
		if (hole <= i ? (hole < home && home <= i) : (hole < home || home <= i))
			continue;
		d->idx[hole] = d->idx[i];
		d->idx[i] = 0;
		hole = i;
	}
}

/* ---- LRU ---------------------------------------------------------------- */

static void
lru_unlink(struct disc *d, uint32_t s)
{
	struct disc_entry *e = &d->v[s];

	if (e->prev != DISC_NIL)
		d->v[e->prev].next = e->next;
	else
		d->newest = e->next;
	if (e->next != DISC_NIL)
		d->v[e->next].prev = e->prev;
	else
		d->oldest = e->prev;
	e->prev = e->next = DISC_NIL;
}

static void
lru_push_newest(struct disc *d, uint32_t s)
{
	struct disc_entry *e = &d->v[s];

	e->prev = DISC_NIL;
	e->next = d->newest;
	if (d->newest != DISC_NIL)
		d->v[d->newest].prev = s;
	d->newest = s;
	if (d->oldest == DISC_NIL)
		d->oldest = s;
}

/* Removes slot s (index cell at) and keeps [0, n) dense by moving the last
 * slot into it. */
static void
remove_slot(struct disc *d, uint32_t s, uint32_t at)
{
	uint32_t last = d->n - 1;

	lru_unlink(d, s);
	idx_delete(d, at);
	if (s != last) {
		uint32_t cell = probe(d, d->v[last].ev.mac);
		d->v[s] = d->v[last];
		d->idx[cell] = s + 1;
		if (d->v[s].prev != DISC_NIL)
			d->v[d->v[s].prev].next = s;
		else
			d->newest = s;
		if (d->v[s].next != DISC_NIL)
			d->v[d->v[s].next].prev = s;
		else
			d->oldest = s;
	}
	d->n--;
}

/* ---- life cycle --------------------------------------------------------- */

static void
load(struct disc *d);

int
disc_init(struct disc *d, uint32_t cap, const char *path)
{
	uint32_t sz = 2;

	memset(d, 0, sizeof(*d));
	if (cap == 0 || cap > (1u << 24))
		return -EINVAL;
	while (sz < 2 * cap)
		sz <<= 1;
	d->v = calloc(cap, sizeof(*d->v));
	d->idx = calloc(sz, sizeof(*d->idx));
	if (!d->v || !d->idx) {
		free(d->v);
		free(d->idx);
		return -ENOMEM;
	}
	d->cap = cap;
	d->mask = sz - 1;
	d->newest = d->oldest = DISC_NIL;
	pthread_mutex_init(&d->mu, NULL);
	if (path && *path) {
		snprintf(d->path, sizeof(d->path), "%s", path);
		load(d);
	}
	return 0;
}

void
disc_free(struct disc *d)
{
	if (!d->v)
		return;
	pthread_mutex_destroy(&d->mu);
	free(d->v);
	free(d->idx);
	d->v = NULL;
	d->idx = NULL;
}

/* ---- updates ------------------------------------------------------------ */

/* Caller holds mu.  first/count: 0 = a fresh sighting now. */
static void
take(struct disc *d, const struct disc_event *ev, uint64_t first, uint64_t count)
{
	uint32_t at = probe(d, ev->mac), s;

	if (d->idx[at]) {
		s = d->idx[at] - 1;
		lru_unlink(d, s);
	} else {
		if (d->n == d->cap) {
			uint32_t old = d->oldest;
			remove_slot(d, old, probe(d, d->v[old].ev.mac));
			d->overflow++;
			at = probe(d, ev->mac);
		}
		s = d->n++;
		memset(&d->v[s], 0, sizeof(d->v[s]));
		d->v[s].first_ms = first ? first : ev->ts_ms;
		d->idx[at] = s + 1;
	}
	struct disc_entry *e = &d->v[s];
	e->ev = *ev;
	e->last_ms = ev->ts_ms;
	e->count += count ? count : 1;
	lru_push_newest(d, s);
}

void
disc_event(struct disc *d, const struct disc_event *ev)
{
	pthread_mutex_lock(&d->mu);
	take(d, ev, 0, 0);
	d->events++;
	d->changes++;
	pthread_mutex_unlock(&d->mu);
}

bool
disc_remove(struct disc *d, const uint8_t mac[6])
{
	bool hit;

	pthread_mutex_lock(&d->mu);
	uint32_t at = probe(d, mac);
	hit = d->idx[at] != 0;
	if (hit) {
		remove_slot(d, d->idx[at] - 1, at);
		d->changes++;
	}
	pthread_mutex_unlock(&d->mu);
	return hit;
}

uint32_t
disc_forget_known(struct disc *d, const struct cfg *cfg)
{
	uint32_t gone = 0;

	pthread_mutex_lock(&d->mu);
	/* downward: remove_slot() moves the last slot into the hole, and
	 * every slot above s has been looked at already */
	for (uint32_t s = d->n; s-- > 0;) {
		if (!cfg_node_by_mac(cfg, d->v[s].ev.mac))
			continue;
		remove_slot(d, s, probe(d, d->v[s].ev.mac));
		gone++;
	}
	d->changes += gone;
	pthread_mutex_unlock(&d->mu);
	return gone;
}

bool
disc_get(struct disc *d, const uint8_t mac[6], struct disc_entry *out)
{
	bool hit;

	pthread_mutex_lock(&d->mu);
	uint32_t at = probe(d, mac);
	hit = d->idx[at] != 0;
	if (hit)
		*out = d->v[d->idx[at] - 1];
	pthread_mutex_unlock(&d->mu);
	return hit;
}

size_t
disc_drain(struct disc *d, const void *region)
{
	const struct shm_region *r = region;
	struct disc_event evs[DISC_BURST];
	size_t total = 0;

	for (unsigned w = 0; w < r->hdr->max_workers; w++) {
		void *ring = shm_disc_ring(r, w);
		unsigned got;

		if (!ring)
			continue;
		do {
			got = rte_ring_sc_dequeue_burst_elem(ring, evs, sizeof(evs[0]), DISC_BURST, NULL);
			for (unsigned i = 0; i < got; i++)
				disc_event(d, &evs[i]);
			total += got;
		} while (got == DISC_BURST);
	}
	return total;
}

/* ---- the file ----------------------------------------------------------- */

static void
hex_put(FILE *f, const uint8_t *p, size_t n)
{
	if (!n)
		fputc('-', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* Decodes a hex field ("-" = empty) into at most cap bytes; -1 if bad. */
static int
hex_get(const char *s, uint8_t *p, size_t cap)
{
	size_t n = strcmp(s, "-") == 0 ? 0 : strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned b;
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		p[i] = (uint8_t)b;
	}
	return (int)(n / 2);
}

/* mac first last count arch port worker type giaddr uuid_type uuid vc uc cid rid */
static int
parse_line(struct disc *d, char *line)
{
	char *f[15], *save = NULL;
	size_t n = 0;
	struct disc_event ev = { 0 };
	unsigned long long first, last, count;
	unsigned m[6], arch, port, worker, type, uuid_type;
	uint32_t giaddr;
	int k[5];

	for (char *t = strtok_r(line, " \n", &save); t && n < 15; t = strtok_r(NULL, " \n", &save))
		f[n++] = t;
	if (n != 15 ||
	    sscanf(f[0], "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6 ||
	    sscanf(f[1], "%llu", &first) != 1 || sscanf(f[2], "%llu", &last) != 1 ||
	    sscanf(f[3], "%llu", &count) != 1 || sscanf(f[4], "%x", &arch) != 1 ||
	    sscanf(f[5], "%u", &port) != 1 || sscanf(f[6], "%u", &worker) != 1 ||
	    sscanf(f[7], "%u", &type) != 1 || sscanf(f[8], "%" SCNx32, &giaddr) != 1 ||
	    sscanf(f[9], "%x", &uuid_type) != 1 || count == 0)
		return -1;
	for (int i = 0; i < 6; i++)
		ev.mac[i] = (uint8_t)m[i];
	if (hex_get(f[10], ev.uuid, sizeof(ev.uuid)) < 0 ||
	    (k[1] = hex_get(f[11], ev.vendor_class, DISC_VC_MAX)) < 0 ||
	    (k[2] = hex_get(f[12], ev.user_class, DISC_SUB_MAX)) < 0 ||
	    (k[3] = hex_get(f[13], ev.circuit_id, DISC_SUB_MAX)) < 0 ||
	    (k[4] = hex_get(f[14], ev.remote_id, DISC_SUB_MAX)) < 0)
		return -1;
	ev.ts_ms = last;
	ev.arch = (uint16_t)arch;
	ev.port = (uint16_t)port;
	ev.rx_worker = (uint8_t)worker;
	ev.msg_type = (uint8_t)type;
	ev.giaddr = giaddr;
	ev.uuid_type = (uint8_t)uuid_type;
	ev.vc_len = (uint8_t)k[1];
	ev.uc_len = (uint8_t)k[2];
	ev.circuit_len = (uint8_t)k[3];
	ev.remote_len = (uint8_t)k[4];
	take(d, &ev, first ? first : last, count);
	return 0;
}

/* The file is written newest first; read back oldest first so the LRU
 * order comes back as it was. */
static void
load(struct disc *d)
{
	FILE *f = fopen(d->path, "re");
	char line[1024];
	char **lines = NULL;
	size_t n = 0;

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f) || strncmp(line, DISC_MAGIC, strlen(DISC_MAGIC)) != 0) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) && n < d->cap) {
		char **nl = realloc(lines, (n + 1) * sizeof(*lines));
		if (!nl || !(nl[n] = strdup(line))) {
			lines = nl ? nl : lines;
			break;
		}
		lines = nl;
		n++;
	}
	fclose(f);
	for (size_t i = n; i-- > 0;) {
		parse_line(d, lines[i]); /* a damaged line is skipped */
		free(lines[i]);
	}
	free(lines);
}

/* The file's text (malloc'd in *out); caller holds mu.  0 or -ENOMEM. */
static int
render(struct disc *d, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "%s\n", DISC_MAGIC);
	for (uint32_t s = d->newest; s != DISC_NIL; s = d->v[s].next) {
		const struct disc_entry *e = &d->v[s];
		const struct disc_event *ev = &e->ev;
		fprintf(f, "%02x:%02x:%02x:%02x:%02x:%02x %llu %llu %llu %x %u %u %u %" PRIx32 " %x ",
			ev->mac[0], ev->mac[1], ev->mac[2], ev->mac[3], ev->mac[4], ev->mac[5],
			(unsigned long long)e->first_ms, (unsigned long long)e->last_ms,
			(unsigned long long)e->count, ev->arch, ev->port, ev->rx_worker, ev->msg_type,
			ev->giaddr, ev->uuid_type);
		hex_put(f, ev->uuid, ev->uuid_type == DISC_UUID_NONE ? 0 : 16);
		fputc(' ', f);
		hex_put(f, ev->vendor_class, ev->vc_len);
		fputc(' ', f);
		hex_put(f, ev->user_class, ev->uc_len);
		fputc(' ', f);
		hex_put(f, ev->circuit_id, ev->circuit_len);
		fputc(' ', f);
		hex_put(f, ev->remote_id, ev->remote_len);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Whole-file rewrite: temp, fsync, rename, directory fsync (a crash
 * leaves the old file or the new one).  The text is rendered under mu and
 * written outside it, so the journal thread (which feeds the table) never
 * waits on this fsync; save_mu keeps two savers off the one temp file. */
int
disc_save(struct disc *d, bool force)
{
	static pthread_mutex_t save_mu = PTHREAD_MUTEX_INITIALIZER;
	char *text = NULL;
	size_t len = 0;
	uint64_t changes;
	int rc;

	if (!d->path[0])
		return 0;
	pthread_mutex_lock(&save_mu);
	pthread_mutex_lock(&d->mu);
	changes = d->changes;
	rc = force || changes ? render(d, &text, &len) : 0;
	pthread_mutex_unlock(&d->mu);
	if (rc < 0 || !text)
		goto out;
	rc = bs_file_replace(d->path, text, len, 0644);
	if (rc < 0)
		goto out;
	/* what changed while we wrote is saved next time */
	pthread_mutex_lock(&d->mu);
	d->changes -= changes;
	pthread_mutex_unlock(&d->mu);
out:
	pthread_mutex_unlock(&save_mu);
	free(text);
	return rc;
}

/* ---- JSON --------------------------------------------------------------- */

const char *
disc_arch_name(uint16_t arch)
{
	/* RFC 4578 2.1 and the IANA "Processor Architecture Types" registry */
	static const char *const names[] = {
		[0] = "x86 BIOS",	   [1] = "NEC/PC98",	       [2] = "Itanium",
		[3] = "DEC Alpha",	   [4] = "Arc x86",	       [5] = "Intel Lean Client",
		[6] = "x86 UEFI",	   [7] = "x64 UEFI",	       [8] = "Xscale UEFI",
		[9] = "x64 UEFI",	   [10] = "ARM32 UEFI",	       [11] = "ARM64 UEFI",
		[15] = "x86 UEFI HTTP",	   [16] = "x64 UEFI HTTP",     [18] = "ARM32 UEFI HTTP",
		[19] = "ARM64 UEFI HTTP",  [25] = "RISC-V 64 UEFI",
	};
	if (arch == DISC_ARCH_NONE)
		return "none";
	return arch < sizeof(names) / sizeof(names[0]) && names[arch] ? names[arch] : "other";
}

/* Client bytes as a JSON-safe string: printable ASCII kept, anything else
 * (and the backslash) as \xNN, as control stores every client-chosen
 * name. */
static json_t *
client_str(const uint8_t *p, size_t n)
{
	char buf[4 * 64 + 1];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 <= sizeof(buf); i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			buf[o++] = (char)p[i];
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", p[i]);
	}
	buf[o] = 0;
	return json_string(buf);
}

static json_t *
hex_str(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 3 <= sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%02x", p[i]);
	buf[o] = 0;
	return json_string(buf);
}

static const char *
msg_name(uint8_t t)
{
	static const char *const names[] = { "none",	"DISCOVER", "OFFER", "REQUEST", "DECLINE",
					     "ACK",	"NAK",	    "RELEASE", "INFORM" };
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "other";
}

static json_t *
entry_json(const struct disc_entry *e)
{
	const struct disc_event *ev = &e->ev;
	char mac[18], uuid[37], gi[16];
	json_t *o = json_object();

	if (!o)
		return NULL;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ev->mac[0], ev->mac[1],
		 ev->mac[2], ev->mac[3], ev->mac[4], ev->mac[5]);
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "arch", ev->arch == DISC_ARCH_NONE ? json_null() : json_integer(ev->arch));
	json_object_set_new(o, "arch_name", json_string(disc_arch_name(ev->arch)));
	if (ev->uuid_type != DISC_UUID_NONE) {
		const uint8_t *u = ev->uuid;
		/* printed as bytes in wire order, the form PXE ROMs show */
		snprintf(uuid, sizeof(uuid),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
			 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
			 u[13], u[14], u[15]);
		json_object_set_new(o, "uuid", json_string(uuid));
	} else {
		json_object_set_new(o, "uuid", json_null());
	}
	json_object_set_new(o, "vendor_class", client_str(ev->vendor_class, ev->vc_len));
	json_object_set_new(o, "user_class", client_str(ev->user_class, ev->uc_len));
	snprintf(gi, sizeof(gi), "%u.%u.%u.%u", ev->giaddr >> 24, (ev->giaddr >> 16) & 255,
		 (ev->giaddr >> 8) & 255, ev->giaddr & 255);
	json_object_set_new(o, "relay", ev->giaddr ? json_string(gi) : json_null());
	json_object_set_new(o, "circuit_id", hex_str(ev->circuit_id, ev->circuit_len));
	json_object_set_new(o, "remote_id", hex_str(ev->remote_id, ev->remote_len));
	json_object_set_new(o, "port", json_integer(ev->port));
	json_object_set_new(o, "worker", json_integer(ev->rx_worker));
	json_object_set_new(o, "last_message", json_string(msg_name(ev->msg_type)));
	json_object_set_new(o, "first_seen_ms", json_integer((json_int_t)e->first_ms));
	json_object_set_new(o, "last_seen_ms", json_integer((json_int_t)e->last_ms));
	json_object_set_new(o, "count", json_integer((json_int_t)e->count));
	return o;
}

json_t *
disc_json(struct disc *d, const struct cfg *cfg)
{
	json_t *root = json_object(), *arr = json_array();
	bool oom = !root || !arr;

	pthread_mutex_lock(&d->mu);
	for (uint32_t s = d->newest; s != DISC_NIL && !oom; s = d->v[s].next) {
		if (cfg && cfg_node_by_mac(cfg, d->v[s].ev.mac))
			continue; /* enrolled, or added to the YAML since */
		json_t *o = entry_json(&d->v[s]);
		oom = !o || json_array_append_new(arr, o) < 0;
	}
	if (!oom) {
		json_object_set_new(root, "capacity", json_integer(d->cap));
		json_object_set_new(root, "count", json_integer((json_int_t)json_array_size(arr)));
		json_object_set_new(root, "overflow", json_integer((json_int_t)d->overflow));
		json_object_set_new(root, "events", json_integer((json_int_t)d->events));
	}
	pthread_mutex_unlock(&d->mu);
	if (oom) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(root, "clients", arr);
	return root;
}

/* ---- the daemon's table ------------------------------------------------- */

int
disc_open(struct disc *d, const struct cfg *cfg)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/discovered", cfg->state_dir);
	rc = disc_init(d, cfg->disc_max, path);
	if (rc == 0)
		disc_forget_known(d, cfg); /* nodes added to the YAML while stopped */
	return rc;
}

void
disc_tick(struct disc *d, uint64_t now_mono_ms)
{
	if (now_mono_ms < d->next_save_ms)
		return;
	d->next_save_ms = now_mono_ms + DISC_SAVE_EVERY_MS;
	int rc = disc_save(d, false);
	if (rc < 0)
		LOG_WARN("discover", "%s: %s", d->path, strerror(-rc));
}

void
disc_close(struct disc *d)
{
	if (d->v)
		disc_save(d, false);
	disc_free(d);
}
