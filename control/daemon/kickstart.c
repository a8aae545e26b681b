/* SPDX-License-Identifier: BSD-3-Clause */
#include "util/bs_secret.h"
#include "util/bs_hash.h"
#include "control/daemon/kickstart.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

void
ks_fmt_ip(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void
ks_fmt_mac(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void
ks_base_url(const struct cfg *c, char *buf, size_t cap)
{
	char ip[16];
	size_t n;

	if (c->http_base_url && *c->http_base_url) {
		snprintf(buf, cap, "%s", c->http_base_url);
	} else {
		ks_fmt_ip(c->http_ip ? c->http_ip : c->server_ip, ip);
		snprintf(buf, cap, "http://%s:%u", ip, c->http_port);
	}
	/* templates write ${base_url}/repo/..: no doubled slash */
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

static int
set_vars(struct tmpl_vars *vs, const struct cfg_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = tmpl_vars_set(vs, v[i].key, v[i].value);

		if (rc < 0)
			return rc;
	}
	return 0;
}

int
ks_node_vars(const struct cfg *c, const struct cfg_node *n, uint32_t ip,
	     struct tmpl_vars *vs, struct tmpl_err *err)
{
	return ks_node_vars_p(c, n, n ? cfg_node_profile(c, n) : NULL, ip, vs, err);
}

int
ks_node_vars_p(const struct cfg *c, const struct cfg_node *n, const struct cfg_profile *p,
	       uint32_t ip, struct tmpl_vars *vs, struct tmpl_err *err)
{
	char ipb[16] = "", mac[18] = "", sip[16], base[512], where[160];
	char *append = NULL;
	size_t alen;
	int rc = 0;

	if (!p && n)
		p = cfg_node_profile(c, n);
	if (!n && c->default_profile)
		p = cfg_profile_by_name(c, c->default_profile);
	if (!ip && n && n->has_ip)
		ip = n->ip;
	if (ip)
		ks_fmt_ip(ip, ipb);
	if (n)
		ks_fmt_mac(n->mac, mac);
	ks_fmt_ip(c->server_ip, sip);
	ks_base_url(c, base, sizeof(base));
	const char *name = n ? n->name : "";
	const struct { const char *k, *v; } builtin[] = {
		{ "name", name },
		{ "hostname", name },
		{ "ip", ipb },
		{ "mac", mac },
		{ "profile", p ? p->name : "" },
		{ "kernel", p && p->kernel ? p->kernel : "" },
		{ "initrd", p && p->initrd ? p->initrd : "" },
		{ "repo_url", p && p->repo_url ? p->repo_url : "" },
		{ "server_ip", sip },
		{ "base_url", base },
	};
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]) && rc == 0; i++)
		rc = tmpl_vars_set(vs, builtin[i].k, builtin[i].v);
	if (rc == 0 && p)
		rc = set_vars(vs, p->vars, p->n_vars);
	if (rc == 0 && n)
		rc = set_vars(vs, n->vars, n->n_vars);
	if (rc < 0)
		return rc;
	/* append may itself say ${name}, ${ip}... */
	snprintf(where, sizeof(where), "profile %s append", p ? p->name : "-");
	const char *raw = p && p->append ? p->append : "";
	rc = tmpl_render(where, raw, strlen(raw), vs, &append, &alen, err);
	if (rc < 0)
		return rc;
	rc = tmpl_vars_set(vs, "append", append);
	free(append);
	return rc;
}

bool
ks_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	/* Constant time in the secret's content: always walk all of b. */
	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return diff == 0 && lb > 0;
}

/* The lease slot holding ip, copied consistently.  A scan of the used
 * slots: the reader API has no index lookup (the writer changes the
 * indexes under no lock), and a kickstart fetch is rare next to the cost
 * of rendering it. */
static bool
lease_at(const struct lease_table *t, uint32_t ip, struct lease *out)
{
	uint32_t used = atomic_load_explicit(&t->used, memory_order_acquire);

	for (uint32_t i = 0; i < used; i++)
		if (lease_read(t, i, out) && out->ip == ip)
			return true;
	return false;
}

/* A lease the server gave out and still stands behind (RFC 2131 4.4.5:
 * the client owns the address until the lease expires). */
static bool
lease_live(const struct lease *l, uint64_t now_ms)
{
	return l->state == LEASE_BOUND && l->expires_ms > now_ms;
}

enum ks_auth
ks_assigned(const struct cfg_node *n, uint32_t peer, const struct lease_table *t, uint64_t now_ms)
{
	struct lease l;

	if (!n || !peer)
		return KS_DENY;
	if (n->has_ip && peer == n->ip)
		return KS_ALLOW_RESERVED;
	if (t && lease_at(t, peer, &l) && lease_live(&l, now_ms) && memcmp(l.mac, n->mac, 6) == 0)
		return KS_ALLOW_LEASED;
	return KS_DENY;
}

uint32_t
ks_lease_of(const struct cfg_node *n, const struct lease_table *t, uint64_t now_ms)
{
	uint32_t used;
	struct lease l;

	if (!n || !t)
		return 0;
	used = atomic_load_explicit(&t->used, memory_order_acquire);
	for (uint32_t i = 0; i < used; i++)
		if (lease_read(t, i, &l) && lease_live(&l, now_ms) && memcmp(l.mac, n->mac, 6) == 0)
			return l.ip;
	return 0;
}

const struct cfg_node *
ks_node_at(const struct cfg *c, uint32_t peer, const struct lease_table *t, uint64_t now_ms)
{
	const struct cfg_node *n = cfg_node_by_ip(c, peer);
	struct lease l;

	if (n || !peer || !t)
		return n;
	if (lease_at(t, peer, &l) && lease_live(&l, now_ms))
		return cfg_node_by_mac(c, l.mac);
	return NULL;
}

enum ks_auth
ks_authorize(const struct cfg_node *n, uint32_t peer, const struct lease_table *t, uint64_t now_ms,
	     const char *cfg_token, const char *req_token)
{
	enum ks_auth a = ks_assigned(n, peer, t, now_ms);

	if (a != KS_DENY)
		return a;
	if (n && cfg_token && *cfg_token && req_token && ks_token_equal(req_token, cfg_token))
		return KS_ALLOW_TOKEN;
	return KS_DENY;
}

int
ks_read_secret_file(const char *path, char *buf, size_t cap)
{
	ssize_t got;
	size_t n;
	int fd = bs_secret_open(path);

	if (fd < 0)
		return fd;
	got = read(fd, buf, cap - 1);
	close(fd);
	if (got < 0)
		return -errno;
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	size_t lead = strspn(buf, " \t");
	memmove(buf, buf + lead, n - lead + 1);
	n -= lead;
	return n ? (int)n : -ENODATA;
}

void
ks_node_secret(const uint8_t key[32], const char *name, char out[KS_SECRET_HEX + 1])
{
	static const char label[] = "bootstorm-node:";
	struct hmac_sha256_ctx h;
	uint8_t mac[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&h, 32, key);
	hmac_sha256_update(&h, sizeof(label) - 1, (const uint8_t *)label);
	hmac_sha256_update(&h, strlen(name), (const uint8_t *)name);
	hmac_sha256_digest(&h, sizeof(mac), mac);
	for (unsigned i = 0; i < KS_SECRET_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[KS_SECRET_HEX] = '\0';
}

static uint8_t proc_key[32];
static int proc_key_rc = -EAGAIN;
static pthread_once_t proc_key_once = PTHREAD_ONCE_INIT;

static void
proc_key_init(void)
{
	ssize_t n = getrandom(proc_key, sizeof(proc_key), 0);

	proc_key_rc = n == (ssize_t)sizeof(proc_key) ? 0 : n < 0 ? -errno : -EIO;
}

int
ks_server_key(const struct cfg *c, uint8_t key[32])
{
	char tok[512];
	int n;

	if (c->admin_token_file && (n = ks_read_secret_file(c->admin_token_file, tok, sizeof(tok))) > 0) {
		static const char label[] = "bootstorm-node-key:";
		struct sha256_ctx h;

		sha256_init(&h);
		sha256_update(&h, sizeof(label) - 1, (const uint8_t *)label);
		sha256_update(&h, (size_t)n, (const uint8_t *)tok);
		sha256_digest(&h, 32, key);
		explicit_bzero(tok, sizeof(tok));
		return 0;
	}
	pthread_once(&proc_key_once, proc_key_init);
	if (proc_key_rc < 0)
		return proc_key_rc;
	memcpy(key, proc_key, 32);
	return 0;
}

#define ONCE_SLOTS 16384u /* power of 2; 16 B each */
#define ONCE_PROBE 32u

struct once_ent {
	uint8_t mac[6];
	uint8_t used;
	uint32_t ip;
	uint64_t first_ms;
};

static struct once_ent once_tab[ONCE_SLOTS];
static pthread_mutex_t once_mu = PTHREAD_MUTEX_INITIALIZER;

static uint32_t
once_hash(const uint8_t m[6])
{
	return bs_fnv1a32(m, 6);
}

/* The entry of mac, else a free/expired one, else the oldest of the run. */
static struct once_ent *
once_find(const uint8_t mac[6], uint64_t now_ms, bool *found)
{
	struct once_ent *spare = NULL;
	bool spare_stale = false;
	uint32_t h = once_hash(mac);

	*found = false;
	for (uint32_t i = 0; i < ONCE_PROBE; i++) {
		struct once_ent *e = &once_tab[(h + i) & (ONCE_SLOTS - 1)];
		bool stale = !e->used || now_ms - e->first_ms >= KS_ONCE_TTL_MS;

		if (e->used && memcmp(e->mac, mac, 6) == 0) {
			*found = !stale;
			return e;
		}
		/* the whole run is scanned (a reset leaves holes); spare: the
		 * first free/expired slot, else the oldest live one */
		if (stale && !spare_stale) {
			spare = e;
			spare_stale = true;
		} else if (!stale && !spare_stale && (!spare || e->first_ms < spare->first_ms)) {
			spare = e;
		}
	}
	return spare;
}

enum ks_once
ks_once_check(const uint8_t mac[6], uint32_t ip, uint64_t now_ms, uint32_t *first_ip)
{
	enum ks_once r;
	struct once_ent *e;
	bool found;

	pthread_mutex_lock(&once_mu);
	e = once_find(mac, now_ms, &found);
	if (found) {
		*first_ip = e->ip;
		r = e->ip == ip ? KS_ONCE_SAME : KS_ONCE_OTHER;
	} else {
		memcpy(e->mac, mac, 6);
		e->used = 1;
		e->ip = *first_ip = ip;
		e->first_ms = now_ms;
		r = KS_ONCE_FIRST;
	}
	pthread_mutex_unlock(&once_mu);
	return r;
}

void
ks_once_reset(const uint8_t mac[6])
{
	uint32_t h = once_hash(mac);

	pthread_mutex_lock(&once_mu);
	for (uint32_t i = 0; i < ONCE_PROBE; i++) {
		struct once_ent *e = &once_tab[(h + i) & (ONCE_SLOTS - 1)];

		if (e->used && memcmp(e->mac, mac, 6) == 0)
			e->used = 0;
	}
	pthread_mutex_unlock(&once_mu);
}

void
ks_once_clear(void)
{
	pthread_mutex_lock(&once_mu);
	memset(once_tab, 0, sizeof(once_tab));
	pthread_mutex_unlock(&once_mu);
}

const char *
ks_auth_name(enum ks_auth a)
{
	static const char *const names[KS_AUTH_MAX] = {
		[KS_DENY] = "denied",
		[KS_ALLOW_RESERVED] = "reserved-ip",
		[KS_ALLOW_LEASED] = "leased-ip",
		[KS_ALLOW_TOKEN] = "token",
		[KS_ALLOW_SECRET] = "node-secret",
		[KS_ALLOW_ADMIN] = "admin",
	};
	return a < KS_AUTH_MAX ? names[a] : "?";
}
