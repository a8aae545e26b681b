/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The schema: one table of keys (struct kdef, conf/cfg_walk.h) per YAML
 * section, and the functions for the keys whose values are structured.
 *
 * Adding a key: a K()/KF() row in its section's table below, the field in
 * conf/cfg.h, its default in cfg_defaults() (conf/cfg_model.c) and a line
 * in packaging/man/bootstorm.yaml.5.  Cross-field rules go to
 * conf/cfg_validate.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_walk.h"

/* ------------------------------------------------------------------ */
/* server: */

static void
fn_server_ip(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "server", "ip", v))
		return;
	if (cfgp_cidr(v->s, &c->server_ip, &c->server_prefix) < 0 || c->server_prefix == 0 ||
	    c->server_prefix > 30) {
		c->server_ip = 0;
		l->server_ip_bad = true;
		ld_err(l, v, "server.ip: bad address/prefix '%s' (expected e.g. 10.0.0.1/24)",
		       v->s);
	}
}

static void
fn_server_mac(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "server", "mac", v))
		return;
	if (cfgp_mac(v->s, c->server_mac) < 0)
		ld_err(l, v, "server.mac: bad MAC address '%s'", v->s);
	else
		c->has_server_mac = true;
}

static void
fn_instance(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "server", "instance", v))
		return;
	/* It names /dev/shm/bootstorm-<instance> and shm_hdr.instance[32]. */
	size_t n = strlen(v->s);
	bool ok = n > 0 && n < 32;
	for (size_t i = 0; ok && i < n; i++) {
		char ch = v->s[i];
		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
	}
	if (!ok)
		ld_err(l, v, "server.instance: '%s' must be 1-31 of [A-Za-z0-9_-]", v->s);
	else
		cfg_set_str(&c->instance, v->s);
}

static const struct kdef server_keys[] = {
	K("name", KT_STR, struct cfg, name, 0, 0),
	KF("instance", fn_instance),
	K("state_dir", KT_PATH, struct cfg, state_dir, 0, 0),
	KF("ip", fn_server_ip),
	KF("mac", fn_server_mac),
	K("gateway", KT_IP, struct cfg, gateway, 0, 0),
};

/* ------------------------------------------------------------------ */
/* dataplane: */

static void
fn_eal(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "dataplane.eal: expected a list of strings, got %s", ytype_name(v));
		return;
	}
	c->eal_args = calloc(v->n ? v->n : 1, sizeof(char *));
	if (!c->eal_args)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *a = v->kids[i];
		if (a->type != Y_SCALAR) {
			ld_err(l, a, "dataplane.eal[%zu]: expected a string, got %s", i,
			       ytype_name(a));
			continue;
		}
		if ((c->eal_args[c->n_eal_args] = strdup(a->s)))
			c->n_eal_args++;
	}
}

static const struct kdef port_keys[] = {
	K("dev", KT_STR, struct cfg_port, devargs, 0, 0),
	K("rx_queues", KT_U16, struct cfg_port, rx_queues, 0, 64),
};

static void
fn_ports(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "dataplane.ports: expected a list, got %s", ytype_name(v));
		return;
	}
	c->ports = calloc(v->n ? v->n : 1, sizeof(*c->ports));
	if (!c->ports)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i];
		struct cfg_port *p = &c->ports[c->n_ports];
		char ctx[48];
		snprintf(ctx, sizeof(ctx), "dataplane.ports[%zu]", i);
		p->loc = ld_loc(l, m);
		p->loc.file = l->cfile;
		if (m->type == Y_SCALAR && !ynode_is_null(m)) { /* "- dev" shorthand */
			p->devargs = strdup(m->s);
		} else {
			WALK(l, m, p, port_keys, ctx);
			if (m->type == Y_MAP && !p->devargs) {
				ld_err(l, m, "%s: 'dev' is required", ctx);
				continue;
			}
		}
		if (p->devargs)
			c->n_ports++;
	}
}

static const struct kdef dataplane_keys[] = {
	KF("eal", fn_eal),
	KF("ports", fn_ports),
	K("workers", KT_U16, struct cfg, workers, 1, 16),
	K("punt", KT_STR, struct cfg, punt_iface, 0, 0),
	K("vlan", KT_U16, struct cfg, vlan, 0, 4094),
	K("mtu", KT_U32, struct cfg, mtu, 576, 9216),
	K("idle_sleep_us", KT_U32, struct cfg, idle_sleep_us, 0, 1000000),
};

/* ------------------------------------------------------------------ */
/* dhcp: */

static void
fn_unknown(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "dhcp", "unknown_clients", v))
		return;
	if (!strcmp(v->s, "allow"))
		c->unknown_policy = SNAP_UNKNOWN_ALLOW;
	else if (!strcmp(v->s, "deny"))
		c->unknown_policy = SNAP_UNKNOWN_DENY;
	else if (!strcmp(v->s, "pxe-only"))
		c->unknown_policy = SNAP_UNKNOWN_PXE_ONLY;
	else
		ld_err(l, v, "dhcp.unknown_clients: '%s' is not one of allow, deny, pxe-only",
		       v->s);
}

static void
fn_subnet_cidr(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_subnet *s = obj;
	if (!cfg_want_scalar(l, "subnet", "subnet", v))
		return;
	if (cfgp_cidr(v->s, &s->net, &s->prefix) < 0) {
		ld_err(l, v, "subnet: bad network '%s' (expected e.g. 10.0.0.0/24)", v->s);
		return;
	}
	s->mask = s->prefix ? ~0u << (32 - s->prefix) : 0;
	if (s->net & ~s->mask)
		ld_err(l, v, "subnet: '%s' has host bits set", v->s);
	s->net &= s->mask;
}

static void
fn_dns(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_subnet *s = obj;
	const struct ynode *const *items;
	size_t n = ynode_items(&v, &items);

	if (n > 4) {
		ld_err(l, v, "subnet.dns: at most 4 servers, got %zu", n);
		n = 4;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t ip;
		if (items[i]->type != Y_SCALAR || cfgp_ip(items[i]->s, &ip) < 0) {
			ld_err(l, items[i], "subnet.dns: bad IPv4 address '%s'",
			       items[i]->type == Y_SCALAR ? items[i]->s : ytype_name(items[i]));
			continue;
		}
		s->dns[s->n_dns++] = ip;
	}
}

/* dhcp.relays: the relay agents trusted to set giaddr (a list of IPv4
 * addresses, or one). */
static void
fn_relays(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	const struct ynode *const *items;
	size_t n = ynode_items(&v, &items);

	if (n > SNAP_MAX_RELAYS) {
		ld_err(l, v, "dhcp.relays: at most %u addresses, got %zu", SNAP_MAX_RELAYS, n);
		n = SNAP_MAX_RELAYS;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t ip;
		if (items[i]->type != Y_SCALAR || cfgp_ip(items[i]->s, &ip) < 0 || ip == 0) {
			ld_err(l, items[i], "dhcp.relays: bad IPv4 address '%s'",
			       items[i]->type == Y_SCALAR ? items[i]->s : ytype_name(items[i]));
			continue;
		}
		c->relays[c->n_relays++] = ip;
	}
}

static void
fn_pools(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_subnet *s = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "subnet.pools: expected a list of ranges, got %s", ytype_name(v));
		return;
	}
	s->pools = calloc(v->n ? v->n : 1, sizeof(*s->pools));
	if (!s->pools)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *p = v->kids[i];
		struct cfg_pool *pl = &s->pools[s->n_pools];
		if (p->type != Y_SCALAR || cfgp_ip_range(p->s, &pl->lo, &pl->hi) < 0) {
			ld_err(l, p, "subnet.pools: bad range '%s' (expected a.b.c.d-e.f.g.h)",
			       p->type == Y_SCALAR ? p->s : ytype_name(p));
			continue;
		}
		pl->loc = ld_loc(l, p);
		pl->loc.file = l->cfile;
		if (pl->lo > pl->hi) {
			char a[16], b[16];
			ld_err(l, p, "subnet.pools: range %s-%s is reversed",
			       cfgp_ip_str(pl->lo, a), cfgp_ip_str(pl->hi, b));
			continue;
		}
		s->n_pools++;
	}
}

static const struct kdef subnet_keys[] = {
	KF("subnet", fn_subnet_cidr),
	K("router", KT_IP, struct cfg_subnet, router, 0, 0),
	KF("dns", fn_dns),
	K("ntp", KT_IP, struct cfg_subnet, ntp, 0, 0),
	K("domain", KT_STR, struct cfg_subnet, domain, 0, 0),
	K("lease_time", KT_DUR_S, struct cfg_subnet, lease_s, 10, UINT32_MAX),
	K("renew_time", KT_DUR_S, struct cfg_subnet, renew_s, 1, UINT32_MAX),
	K("rebind_time", KT_DUR_S, struct cfg_subnet, rebind_s, 1, UINT32_MAX),
	KF("pools", fn_pools),
	K("max_dynamic", KT_U32, struct cfg_subnet, max_dynamic, 0, UINT32_MAX),
	K("next_server", KT_IP, struct cfg_subnet, next_server, 0, 0),
	K("mtu", KT_U32, struct cfg_subnet, mtu, 68, 65535),
	K("authoritative", KT_BOOL, struct cfg_subnet, authoritative, 0, 0),
};

static void
fn_subnets(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "dhcp.subnets: expected a list, got %s", ytype_name(v));
		return;
	}
	c->subnets = calloc(v->n ? v->n : 1, sizeof(*c->subnets));
	l->sub_map = calloc(v->n ? v->n : 1, sizeof(*l->sub_map));
	if (!c->subnets || !l->sub_map)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i];
		struct cfg_subnet *s = &c->subnets[c->n_subnets];
		char ctx[48];
		snprintf(ctx, sizeof(ctx), "dhcp.subnets[%zu]", i);
		if (m->type != Y_MAP) {
			ld_err(l, m, "%s: expected a mapping, got %s", ctx, ytype_name(m));
			continue;
		}
		s->loc = ld_loc(l, m);
		s->loc.file = l->cfile;
		WALK(l, m, s, subnet_keys, ctx);
		if (!yget(m, "subnet") || ynode_is_null(yget(m, "subnet"))) {
			ld_err(l, m, "%s: 'subnet' is required", ctx);
			free(s->pools);
			free(s->domain);
			memset(s, 0, sizeof(*s));
			continue;
		}
		l->sub_map[c->n_subnets++] = m;
	}
}

static const struct kdef dhcp_keys[] = {
	KF("unknown_clients", fn_unknown),
	K("proxy", KT_BOOL, struct cfg, proxy_dhcp, 0, 0),
	K("lease_time", KT_DUR_S, struct cfg, lease_s, 10, UINT32_MAX),
	K("renew_time", KT_DUR_S, struct cfg, renew_s, 1, UINT32_MAX),
	K("rebind_time", KT_DUR_S, struct cfg, rebind_s, 1, UINT32_MAX),
	K("offer_hold", KT_DUR_S, struct cfg, offer_hold_s, 1, 3600),
	K("decline_hold", KT_DUR_S, struct cfg, decline_hold_s, 1, UINT32_MAX),
	K("max_dynamic", KT_U32, struct cfg, max_dynamic, 0, UINT32_MAX),
	K("max_leases", KT_U32, struct cfg, max_leases, 16, 1u << 24),
	KF("subnets", fn_subnets),
	KF("relays", fn_relays),
};

/* ------------------------------------------------------------------ */
/* boot: (and the per-profile files map) */

const char *
cfg_arch_name(unsigned arch)
{
	static const char *const names[] = {
#define X(n, s) s,
		SNAP_ARCH_LIST(X)
#undef X
	};
	return arch < SNAP_ARCH_MAX ? names[arch] : NULL;
}

static void
arch_files(struct ld *l, const struct ynode *v, char **files, const char *ctx)
{
	if (v->type != Y_MAP) {
		ld_err(l, v, "%s.files: expected a mapping of arch: file, got %s", ctx,
		       ytype_name(v));
		return;
	}
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct ynode *k = v->kids[i], *f = v->kids[i + 1];
		unsigned a;
		for (a = 0; a < SNAP_ARCH_MAX; a++)
			if (!strcmp(k->s, cfg_arch_name(a)))
				break;
		if (a == SNAP_ARCH_MAX) {
			ld_err(l, k,
			       "%s.files: unknown architecture '%s' (bios, efi-ia32, efi-x64, "
			       "efi-arm32, efi-arm64, http-x64, http-arm64, ipxe)",
			       ctx, k->s);
			continue;
		}
		if (f->type != Y_SCALAR || ynode_is_null(f)) {
			ld_err(l, f, "%s.files.%s: expected a file name or URL, got %s", ctx, k->s,
			       ytype_name(f));
			continue;
		}
		cfg_set_str(&files[a], f->s);
	}
}

static void
fn_boot_files(struct ld *l, const struct ynode *v, void *obj)
{
	arch_files(l, v, ((struct cfg *)obj)->boot_file, "boot");
}

/* A scalar that names one of names[n]: its index, or -1 after the error. */
static int
one_of(struct ld *l, const struct ynode *v, const char *ctx, const char *key,
       const char *const *names, int n)
{
	if (!cfg_want_scalar(l, ctx, key, v))
		return -1;
	for (int i = 0; i < n; i++)
		if (!strcmp(v->s, names[i]))
			return i;
	ld_err(l, v, "%s.%s: '%s' is not one of %s%s%s%s%s", ctx, key, v->s, names[0],
	       n > 1 ? ", " : "", n > 1 ? names[1] : "", n > 2 ? ", " : "", n > 2 ? names[2] : "");
	return -1;
}

/* enum snap_local_boot */
static const char *const local_boot_names[SNAP_LOCAL_MAX] = { "boot-file", "no-boot-file" };

static void
fn_boot_local(struct ld *l, const struct ynode *v, void *obj)
{
	int i = one_of(l, v, "boot", "local_boot", local_boot_names, SNAP_LOCAL_MAX);
	if (i >= 0)
		((struct cfg *)obj)->local_boot = (uint8_t)i;
}

static const struct kdef boot_keys[] = {
	KF("local_boot", fn_boot_local),
	K("next_server", KT_IP, struct cfg, next_server, 0, 0),
	K("default_profile", KT_STR, struct cfg, default_profile, 0, 0),
	KF("files", fn_boot_files),
	K("ipxe", KT_STR, struct cfg, ipxe_url, 0, 0),
};

/* ------------------------------------------------------------------ */
/* tftp:, http:, journal: */

static void
fn_tftp_ports(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "tftp", "ports", v))
		return;
	if (cfgp_u32_range(v->s, 1024, 65535, &c->tftp_port_lo, &c->tftp_port_hi) < 0) {
		c->tftp_port_lo = 40000;
		c->tftp_port_hi = 59999;
		ld_err(l, v, "tftp.ports: bad port range '%s' (expected lo-hi within 1024-65535)",
		       v->s);
	}
}

static void
fn_tftp_root(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "tftp", "root", v))
		return;
	free(c->tftp_root);
	c->tftp_root = cfg_abs_path(c, v->s);
	l->tftp_root_set = true;
}

static const struct kdef tftp_keys[] = {
	KF("root", fn_tftp_root),
	K("max_blksize", KT_U32, struct cfg, tftp_max_blksize, 512, 65464),
	K("max_windowsize", KT_U32, struct cfg, tftp_max_windowsize, 1, 65535),
	K("timeout", KT_DUR_MS, struct cfg, tftp_timeout_ms, 10, 255000),
	K("retries", KT_U32, struct cfg, tftp_retries, 0, 100),
	KF("ports", fn_tftp_ports),
	K("max_transfers", KT_U32, struct cfg, tftp_max_transfers, 1, 10000000),
	K("max_per_client", KT_U32, struct cfg, tftp_max_per_client, 1, 1024),
};

static void
fn_listen(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "http", "listen", v))
		return;
	if (cfgp_listen(v->s, &c->http_ip, &c->http_port) < 0)
		ld_err(l, v, "http.listen: bad address '%s' (expected ip:port)", v->s);
}

static void
fn_templates(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "http", "templates", v))
		return;
	free(c->templates);
	c->templates = cfg_abs_path(c, v->s);
	l->templates_set = true;
}

static void
fn_admin_network(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "http", "admin_network", v))
		return;
	if (cfgp_cidr(v->s, &c->admin_net, &c->admin_net_prefix) < 0)
		ld_err(l, v, "http.admin_network: bad network '%s' (expected ip/prefix)", v->s);
	else
		c->has_admin_net = true;
}

static const struct kdef http_keys[] = {
	KF("listen", fn_listen),
	K("base_url", KT_STR, struct cfg, http_base_url, 0, 0),
	K("repo_root", KT_PATH, struct cfg, repo_root, 0, 0),
	KF("templates", fn_templates),
	K("kickstart_token", KT_STR, struct cfg, kickstart_token, 0, 0),
	K("max_connections", KT_U32, struct cfg, http_max_conns, 1, 1000000),
	K("admin_token_file", KT_PATH, struct cfg, admin_token_file, 0, 0),
	K("admin_local", KT_BOOL, struct cfg, admin_local, 0, 0),
	K("metrics_public", KT_BOOL, struct cfg, metrics_public, 0, 0),
	KF("admin_network", fn_admin_network),
	K("kickstart_once", KT_BOOL, struct cfg, kickstart_once, 0, 0),
};

static const struct kdef journal_keys[] = {
	K("commit_interval", KT_DUR_MS, struct cfg, journal_commit_ms, 0, 10000),
};

/* ------------------------------------------------------------------ */
/* profiles: */

static void
fn_prof_files(struct ld *l, const struct ynode *v, void *obj)
{
	arch_files(l, v, ((struct cfg_profile *)obj)->boot_file, "profile");
}

static void
fn_prof_vars(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg_profile *p = obj;
	ld_vars(l, v, &p->vars, &p->n_vars);
}

static void
fn_prof_local(struct ld *l, const struct ynode *v, void *obj)
{
	int i = one_of(l, v, "profile", "local_boot", local_boot_names, SNAP_LOCAL_MAX);
	if (i >= 0)
		((struct cfg_profile *)obj)->local_boot = (uint8_t)(i + 1);
}

static void
fn_prof_after(struct ld *l, const struct ynode *v, void *obj)
{
	static const char *const names[CFG_AFTER_MAX] = { "local", "install-again", "hold" };
	int i = one_of(l, v, "profile", "after_install", names, CFG_AFTER_MAX);
	if (i >= 0)
		((struct cfg_profile *)obj)->after_install = (uint8_t)i;
}

static const struct kdef profile_keys[] = {
	K("name", KT_STR, struct cfg_profile, name, 0, 0),
	K("kernel", KT_STR, struct cfg_profile, kernel, 0, 0),
	K("initrd", KT_STR, struct cfg_profile, initrd, 0, 0),
	K("append", KT_STR, struct cfg_profile, append, 0, 0),
	K("kickstart", KT_STR, struct cfg_profile, kickstart, 0, 0),
	K("repo_url", KT_STR, struct cfg_profile, repo_url, 0, 0),
	KF("files", fn_prof_files),
	K("ipxe", KT_STR, struct cfg_profile, ipxe_url, 0, 0),
	K("http_boot", KT_STR, struct cfg_profile, http_boot, 0, 0),
	KF("local_boot", fn_prof_local),
	KF("after_install", fn_prof_after),
	KF("vars", fn_prof_vars),
	K("next_server", KT_IP, struct cfg_profile, next_server, 0, 0),
};

static void
ld_profiles(struct ld *l, const struct ynode *v)
{
	struct cfg *c = l->c;
	if (v->type != Y_SEQ) {
		ld_err(l, v, "profiles: expected a list, got %s", ytype_name(v));
		return;
	}
	c->profiles = calloc(v->n ? v->n : 1, sizeof(*c->profiles));
	l->prof_map = calloc(v->n ? v->n : 1, sizeof(*l->prof_map));
	if (!c->profiles || !l->prof_map)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *m = v->kids[i];
		struct cfg_profile *p = &c->profiles[c->n_profiles];
		char ctx[48];
		snprintf(ctx, sizeof(ctx), "profiles[%zu]", i);
		if (m->type != Y_MAP) {
			ld_err(l, m, "%s: expected a mapping, got %s", ctx, ytype_name(m));
			continue;
		}
		p->loc = ld_loc(l, m);
		p->loc.file = l->cfile;
		WALK(l, m, p, profile_keys, ctx);
		if (!p->name || !p->name[0])
			ld_err(l, m, "%s: 'name' is required", ctx);
		/* Kept even without a name so the slot is freed with the rest;
		 * the error already fails the load. */
		l->prof_map[c->n_profiles++] = m;
	}
}

/* ------------------------------------------------------------------ */
/* Top level */

static void
fn_sec_server(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, server_keys, "server");
}
static void
fn_sec_dataplane(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, dataplane_keys, "dataplane");
}
static void
fn_sec_dhcp(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, dhcp_keys, "dhcp");
}
static void
fn_sec_boot(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, boot_keys, "boot");
}
static void
fn_sec_tftp(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, tftp_keys, "tftp");
}
static void
fn_sec_http(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, http_keys, "http");
}
static void
fn_sec_journal(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, journal_keys, "journal");
}
static void
fn_sec_profiles(struct ld *l, const struct ynode *v, void *obj)
{
	(void)obj;
	ld_profiles(l, v);
}
static void
fn_sec_nodes(struct ld *l, const struct ynode *v, void *obj)
{
	(void)obj;
	ld_nodes(l, v);
}

/* Sections are walked in file order; nothing here depends on another
 * section (references are checked afterwards by cfg_validate()). */
static const struct kdef top_keys[] = {
	KF("server", fn_sec_server),	 KF("dataplane", fn_sec_dataplane),
	KF("dhcp", fn_sec_dhcp),	 KF("boot", fn_sec_boot),
	KF("tftp", fn_sec_tftp),	 KF("http", fn_sec_http),
	KF("journal", fn_sec_journal),	 KF("profiles", fn_sec_profiles),
	KF("nodes", fn_sec_nodes),	 KF("power", cfg_sec_power),
	KF("fleet", cfg_sec_fleet),
	KF("discovery", cfg_sec_discovery),
};

void
cfg_schema_walk(struct ld *l, const struct ynode *root)
{
	WALK(l, root, l->c, top_keys, "the top level");
}
