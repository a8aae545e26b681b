/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/kickstart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static bool
token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	/* Constant time in the secret's content: always walk all of b. */
	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return diff == 0 && la > 0;
}

enum ks_auth
ks_authorize(const struct cfg_node *n, uint32_t peer, uint32_t leased_ip,
	     const char *cfg_token, const char *req_token)
{
	if (n && n->has_ip && peer == n->ip)
		return KS_ALLOW_RESERVED;
	if (n && leased_ip && peer == leased_ip)
		return KS_ALLOW_LEASED;
	if (cfg_token && *cfg_token && req_token && token_equal(req_token, cfg_token))
		return KS_ALLOW_TOKEN;
	return KS_DENY;
}

const char *
ks_auth_name(enum ks_auth a)
{
	static const char *const names[KS_AUTH_MAX] = {
		[KS_DENY] = "denied",
		[KS_ALLOW_RESERVED] = "reserved-ip",
		[KS_ALLOW_LEASED] = "leased-ip",
		[KS_ALLOW_TOKEN] = "token",
	};
	return a < KS_AUTH_MAX ? names[a] : "?";
}
