/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dnsmasq.conf -> import model.
 *
 * dnsmasq's file syntax (dnsmasq(8), "CONFIG FILE"): one "option[=value]"
 * per line, the long option names without "--"; values are comma
 * separated, may be double-quoted; '#' starts a comment at the start of a
 * line or after white space.  Tags ("set:X", "tag:X", the older "net:X")
 * route options to clients: we follow the tags a PXE set-up uses (a
 * dhcp-range's set: tag, dhcp-match on client-arch / option 175 / iPXE user
 * class) and report the rest.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/import/bs_import.h"
#include "control/import/imp.h"
#include "control/import/imp_dnsmasq.h"

static struct dm_tag *
tag_find(struct dm *d, const char *name)
{
	for (unsigned i = 0; i < d->n_tags; i++)
		if (!strcmp(d->tags[i].name, name))
			return &d->tags[i];
	return NULL;
}

static struct dm_tag *
tag_get(struct dm *d, const char *name)
{
	struct dm_tag *t = tag_find(d, name);
	if (t)
		return t;
	if (d->n_tags == DM_MAX_TAGS || strlen(name) >= sizeof(t->name)) {
		imp_report(d->m, d->line, "tag \"%s\": too many tags or name too long", name);
		return NULL;
	}
	t = &d->tags[d->n_tags++];
	memset(t, 0, sizeof(*t));
	strcpy(t->name, name);
	return t;
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Splits a value at commas outside double quotes, unquoting in place.
 * Returns -E2BIG past DM_MAX_FIELDS. */
static int
split(char *v, struct dm_args *a)
{
	memset(a, 0, sizeof(*a));
	char *w = v, *start = v;
	bool q = false;
	for (char *p = v;; p++) {
		if (*p == '"') {
			q = !q;
			continue;
		}
		if (*p == '\\' && q && p[1]) {
			*w++ = *++p;
			continue;
		}
		if ((*p == ',' && !q) || !*p) {
			bool end = !*p;
			*w = '\0';
			char *f = trim(start);
			if (!strncmp(f, "set:", 4) && !a->set)
				a->set = f + 4;
			else if ((!strncmp(f, "tag:", 4) || !strncmp(f, "net:", 4)) && a->n_tag < 8)
				a->tag[a->n_tag++] = f + 4;
			else if (a->n == DM_MAX_FIELDS)
				return -E2BIG;
			else
				a->f[a->n++] = f;
			if (end)
				return 0;
			start = w = p + 1;
			continue;
		}
		*w++ = *p;
	}
}

static bool
is_duration(const char *s)
{
	uint32_t v;
	return !strcmp(s, "infinite") || !imp_duration(s, &v);
}

/* dhcp-range=[tag:..,][set:X,]start[,end|static|proxy][,mask[,bcast]][,lease] */
static void
opt_dhcp_range(struct dm *d, struct dm_args *a)
{
	struct imp *m = d->m;
	uint32_t lo, hi = 0, mask = 0, v, lease = 0;
	bool is_static = false, is_proxy = false, bcast = false;

	if (a->n_tag)
		imp_report(m, d->line, "dhcp-range: tag:%s condition ignored (ranges "
			   "are chosen by subnet)", a->tag[0]);
	if (a->n < 1 || IMP_IP(a->f[0], &lo)) {
		imp_report(m, d->line, "dhcp-range: \"%s\" is not an IPv4 range "
			   "(IPv6, constructor: and interface forms are not supported)",
			   a->n ? a->f[0] : "");
		return;
	}
	for (unsigned i = 1; i < a->n; i++) {
		const char *f = a->f[i];
		if (!IMP_IP(f, &v)) {
			if (!hi && !is_static && !is_proxy && i == 1)
				hi = v;
			else if (!mask)
				mask = v;
			else if (!bcast)
				bcast = true; /* derived from the subnet in bootstorm */
		} else if (!strcmp(f, "static")) {
			is_static = true;
		} else if (!strcmp(f, "proxy")) {
			is_proxy = true;
		} else if (!strcmp(f, "infinite")) {
			imp_report(m, d->line, "dhcp-range: infinite leases are not supported: "
				   "the default lease time applies");
		} else if (!imp_duration(f, &v)) {
			lease = v;
		} else {
			imp_report(m, d->line, "dhcp-range: \"%s\" not understood (mode "
				   "not supported)", f);
			return;
		}
	}
	unsigned prefix;
	if (!mask) {
		/* dnsmasq takes the netmask from the interface that owns the
		 * range; we cannot see it. */
		mask = UINT32_C(0xffffff00);
		imp_report(m, d->line, "note: dhcp-range has no netmask: /24 assumed "
			   "(dnsmasq takes it from the interface)");
	} else if (imp_mask_prefix(mask, &prefix)) {
		imp_report(m, d->line, "dhcp-range: netmask not contiguous");
		return;
	}
	if (hi && ((hi & mask) != (lo & mask) || hi < lo)) {
		imp_report(m, d->line, "dhcp-range: end is before start or in another subnet");
		return;
	}
	struct imp_subnet *s = imp_subnet_for(m, lo);
	if (s && s->mask != mask)
		s = NULL;
	if (!s)
		s = imp_subnet_add(m, d->line, lo, mask);
	if (!s)
		return;
	if (a->set) {
		if (!s->tag)
			s->tag = imp_strdup(m, a->set);
		else if (strcmp(s->tag, a->set))
			imp_report(m, d->line, "dhcp-range: set:%s on a subnet already tagged "
				   "%s: options tagged %s are not translated", a->set, s->tag, a->set);
	}
	if (lease)
		s->lease_s = lease;
	if (is_proxy) {
		/* RFC 4578 / PXE 2.1 ProxyDHCP: boot information only. */
		m->proxy = true;
		return;
	}
	if (!is_static)
		imp_pool_add(m, s, lo, hi ? hi : lo);
}

/* Fields of dhcp-host, classified one by one as dnsmasq does. */
static void
opt_dhcp_host(struct dm *d, struct dm_args *a)
{
	struct imp *m = d->m;
	const char *name = NULL;
	uint8_t mac[6], tmp[6];
	bool has_mac = false, has_ip = false;
	uint32_t ip = 0, v;

	if (a->set || a->n_tag)
		imp_report(m, d->line, "dhcp-host: tags are not translated (%s%s)",
			   a->set ? "set:" : "tag:", a->set ? a->set : a->tag[0]);
	for (unsigned i = 0; i < a->n; i++) {
		const char *f = a->f[i];
		if (!IMP_MAC(f, tmp)) {
			if (has_mac)
				imp_report(m, d->line, "dhcp-host: extra MAC %s: bootstorm "
					   "reserves one MAC per node", f);
			else
				memcpy(mac, tmp, 6);
			has_mac = true;
		} else if (!IMP_IP(f, &v)) {
			ip = v;
			has_ip = true;
		} else if (!strcmp(f, "ignore")) {
			imp_report(m, d->line, "dhcp-host: \"ignore\" hosts are not supported: "
				   "host skipped (use unknown_clients: deny and leave it out)");
			return;
		} else if (!strncmp(f, "id:", 3)) {
			imp_report(m, d->line, "dhcp-host: client identifier %s not translated "
				   "(reservations are by MAC)", f);
		} else if (f[0] == '[' || strchr(f, '*')) {
			imp_report(m, d->line, "dhcp-host: \"%s\" (IPv6 address or MAC "
				   "wildcard) not supported", f);
		} else if (is_duration(f)) {
			imp_report(m, d->line, "dhcp-host: per-host lease time %s not "
				   "supported: the subnet's lease time applies", f);
		} else if (!name) {
			name = f;
		}
	}
	if (!has_mac) {
		imp_report(m, d->line, "dhcp-host: no MAC address: bootstorm reserves by "
			   "MAC, host %s skipped", name ? name : "?");
		return;
	}
	char gen[32];
	if (!name) {
		snprintf(gen, sizeof(gen), "host-%02x%02x%02x%02x%02x%02x",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		name = gen;
	}
	struct imp_host *h = imp_host_add(m, d->line, name, mac);
	if (h) {
		h->has_ip = has_ip;
		h->ip = ip;
	}
}

/* Tags of a dhcp-boot / pxe-service line -> which slot it fills.
 * Returns false (and reports) when a tag is one we cannot express. */
static bool
boot_target(struct dm *d, struct dm_args *a, const char *what, uint32_t *archs, bool *ipxe)
{
	*archs = 0;
	*ipxe = false;
	for (unsigned i = 0; i < a->n_tag; i++) {
		const char *t = a->tag[i];
		if (t[0] == '!') /* "not iPXE" etc.: the default slots say it */
			continue;
		struct dm_tag *dt = tag_find(d, t);
		if (dt && dt->neutral)
			continue;
		if (dt && dt->ipxe) {
			*ipxe = true;
			continue;
		}
		if (dt && dt->archs) {
			*archs |= dt->archs;
			continue;
		}
		imp_report(d->m, d->line, "%s: tag %s is not an architecture or iPXE match: "
			   "line not translated", what, t);
		return false;
	}
	return true;
}

static void
set_boot(struct dm *d, uint32_t archs, bool ipxe, const char *file)
{
	struct imp *m = d->m;
	if (ipxe) {
		imp_set_file(m, &m->ipxe, "iPXE", file, d->line);
		return;
	}
	if (!archs) {
		imp_set_file(m, &m->dflt, "default", file, d->line);
		return;
	}
	for (unsigned x = 0; x < SNAP_ARCH_MAX; x++)
		if (archs & (1u << x))
			imp_set_file(m, &m->boot[x], imp_arch_name(x), file, d->line);
}

/* dhcp-boot=[tag:..,]file[,servername[,serveraddr]] */
static void
opt_dhcp_boot(struct dm *d, struct dm_args *a)
{
	uint32_t archs, addr;
	bool ipxe;

	if (a->n < 1 || !*a->f[0]) {
		imp_report(d->m, d->line, "dhcp-boot: no file name");
		return;
	}
	if (!boot_target(d, a, "dhcp-boot", &archs, &ipxe))
		return;
	d->saw_boot = true;
	set_boot(d, archs, ipxe, a->f[0]);
	if (a->n >= 3 && *a->f[2]) {
		if (IMP_IP(a->f[2], &addr))
			imp_report(d->m, d->line, "dhcp-boot: server \"%s\" is not an address "
				   "(names are not resolved)", a->f[2]);
		else
			d->m->next_server = addr;
	}
}

/* dhcp-match=set:X,option:client-arch,N | set:X,93,N | set:X,175 | X,175 */
static void
opt_dhcp_match(struct dm *d, struct dm_args *a)
{
	const char *name = a->set;
	unsigned first = 0;
	if (!name && a->n >= 2) { /* old form: the tag is the first field */
		name = a->f[0];
		first = 1;
	}
	if (!name || a->n < first + 1) {
		imp_report(d->m, d->line, "dhcp-match: no tag or option");
		return;
	}
	const char *opt = a->f[first];
	if (!strcmp(opt, "175") || !strcmp(opt, "option:175")) {
		/* Option 175 is iPXE's encapsulated options: present = iPXE. */
		struct dm_tag *t = tag_get(d, name);
		if (t)
			t->ipxe = true;
		return;
	}
	if ((!strcmp(opt, "option:client-arch") || !strcmp(opt, "93") ||
	     !strcmp(opt, "option:93")) && a->n == first + 2) {
		char *end;
		unsigned long code = strtoul(a->f[first + 1], &end, 10);
		int arch = *end || code > 0xffff ? -1 : imp_arch_from_code((unsigned)code);
		if (arch < 0) {
			imp_report(d->m, d->line, "dhcp-match: client-arch %s has no boot file "
				   "slot in bootstorm", a->f[first + 1]);
			return;
		}
		struct dm_tag *t = tag_get(d, name);
		if (t)
			t->archs |= 1u << arch;
		return;
	}
	imp_report(d->m, d->line, "dhcp-match: only client-arch (93) and iPXE (175) "
		   "matches are translated");
}

/* dhcp-userclass=set:ipxe,iPXE / dhcp-vendorclass=set:pxe,PXEClient */
static void
opt_class(struct dm *d, struct dm_args *a, const char *opt)
{
	const char *name = a->set;
	unsigned first = 0;
	if (!name && a->n >= 2) {
		name = a->f[0];
		first = 1;
	}
	if (!name || a->n != first + 1) {
		imp_report(d->m, d->line, "%s: no tag or class", opt);
		return;
	}
	const char *cls = a->f[first];
	struct dm_tag *t;
	if (!strcmp(opt, "dhcp-userclass") && !strcmp(cls, "iPXE")) {
		if ((t = tag_get(d, name)))
			t->ipxe = true;
	} else if (!strcmp(opt, "dhcp-vendorclass") && !strncmp(cls, "PXEClient", 9) &&
		   !cls[9]) {
		/* Every PXE client says PXEClient (PXE 2.1 spec, option 60):
		 * it selects nothing bootstorm does not already select. */
		if ((t = tag_get(d, name)))
			t->neutral = true;
	} else {
		imp_report(d->m, d->line, "%s: class \"%s\" not translated", opt, cls);
	}
}

/* pxe-service=[tag:..,]CSA,"menu text"[,basename|type][,server] */
static void
opt_pxe_service(struct dm *d, struct dm_args *a)
{
	static const struct {
		const char *csa;
		int arch;
	} csas[] = {
		{ "x86PC", SNAP_ARCH_BIOS },
		{ "IA32_EFI", SNAP_ARCH_EFI_IA32 },
		{ "BC_EFI", SNAP_ARCH_EFI_X64 },
		{ "X86-64_EFI", SNAP_ARCH_EFI_X64 },
		{ "x86-64_EFI", SNAP_ARCH_EFI_X64 },
		{ "ARM32_EFI", SNAP_ARCH_EFI_ARM32 },
		{ "ARM64_EFI", SNAP_ARCH_EFI_ARM64 },
	};
	uint32_t archs;
	bool ipxe;
	int arch = -1;

	if (a->n < 3) {
		imp_report(d->m, d->line, "pxe-service: no boot file (menu-only entries "
			   "and boot service types are not supported)");
		return;
	}
	for (size_t i = 0; i < sizeof(csas) / sizeof(csas[0]); i++)
		if (!strcasecmp(a->f[0], csas[i].csa))
			arch = csas[i].arch;
	if (arch < 0) {
		imp_report(d->m, d->line, "pxe-service: client system %s has no boot file "
			   "slot in bootstorm", a->f[0]);
		return;
	}
	const char *base = a->f[2];
	char *end;
	strtoul(base, &end, 10);
	if (!*end) {
		imp_report(d->m, d->line, "pxe-service: boot service type %s (%s) not "
			   "supported", base, !strcmp(base, "0") ? "local boot" : "server search");
		return;
	}
	if (!boot_target(d, a, "pxe-service", &archs, &ipxe))
		return;
	if (d->pxe_service_seen[arch]) {
		imp_report(d->m, d->line, "pxe-service: menu entry \"%s\" for %s: bootstorm "
			   "serves no PXE menu, the first entry wins", a->f[1], a->f[0]);
		return;
	}
	d->pxe_service_seen[arch] = true;
	/* dnsmasq appends ".0" (the PXE layer) unless the basename has a dot. */
	char file[512];
	snprintf(file, sizeof(file), strchr(base, '.') ? "%s" : "%s.0", base);
	if (ipxe)
		set_boot(d, 0, true, file);
	else
		imp_set_file(d->m, &d->m->boot[arch], imp_arch_name((unsigned)arch), file, d->line);
	if (a->n >= 4 && !IMP_IP(a->f[3], &archs))
		d->m->next_server = archs;
}

/* DNS-only options: bootstorm serves no DNS, so they have nothing to map to
 * but are worth one line each. */
static bool
is_dns_option(const char *k)
{
	static const char *const dns[] = {
		"no-resolv", "domain-needed", "bogus-priv", "no-hosts", "no-poll",
		"server", "local", "address", "expand-hosts", "addn-hosts",
		"cache-size", "strict-order", "resolv-file", "local-service",
		"cname", "host-record", "txt-record", "srv-host", "ptr-record",
	};
	for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
		if (!strcmp(k, dns[i]))
			return true;
	return false;
}

static void
directive(struct dm *d, const char *k, char *v)
{
	struct imp *m = d->m;
	struct dm_args a;
	uint32_t n;
	char empty[1] = "";

	if (split(v ? v : empty, &a)) {
		imp_report(m, d->line, "%s: more than %u values", k, DM_MAX_FIELDS);
		return;
	}
	if (!strcmp(k, "dhcp-range"))
		opt_dhcp_range(d, &a);
	else if (!strcmp(k, "dhcp-host"))
		opt_dhcp_host(d, &a);
	else if (!strcmp(k, "dhcp-boot"))
		opt_dhcp_boot(d, &a);
	else if (!strcmp(k, "dhcp-match"))
		opt_dhcp_match(d, &a);
	else if (!strcmp(k, "dhcp-userclass") || !strcmp(k, "dhcp-vendorclass"))
		opt_class(d, &a, k);
	else if (!strcmp(k, "pxe-service"))
		opt_pxe_service(d, &a);
	else if (!strcmp(k, "dhcp-option") || !strcmp(k, "dhcp-option-force"))
		dm_opt_dhcp_option(d, &a, k);
	else if (!strcmp(k, "domain"))
		dm_opt_domain(d, &a);
	else if (!strcmp(k, "tftp-root") && a.n >= 1) {
		imp_setstr(m, &m->tftp_root, a.f[0]);
		if (a.n > 1)
			imp_report(m, d->line, "tftp-root: per-interface root %s ignored", a.f[1]);
	} else if (!strcmp(k, "enable-tftp")) {
		d->tftp_enabled = true;
	} else if (!strcmp(k, "interface") && a.n >= 1) {
		if (m->iface)
			imp_report(m, d->line, "interface %s: bootstorm serves one port per "
				   "config line; add it under dataplane.ports", a.f[0]);
		else
			imp_setstr(m, &m->iface, a.f[0]);
		for (unsigned i = 1; i < a.n; i++)
			imp_report(m, d->line, "interface %s: add it under dataplane.ports", a.f[i]);
	} else if (!strcmp(k, "listen-address") && a.n >= 1 && !IMP_IP(a.f[0], &n) &&
		   n != UINT32_C(0x7f000001)) {
		m->server_ip = n;
		m->server_ip_from = "listen-address";
	} else if (!strcmp(k, "dhcp-ignore") && a.n == 0 && a.n_tag == 1 &&
		   !strcmp(a.tag[0], "!known")) {
		/* The idiom for "only hosts with a dhcp-host line". */
		m->unknown = SNAP_UNKNOWN_DENY;
	} else if (!strcmp(k, "dhcp-lease-max") && a.n == 1 && !imp_duration(a.f[0], &n) &&
		   strspn(a.f[0], "0123456789") == strlen(a.f[0])) {
		m->max_leases = n;
	} else if (!strcmp(k, "conf-file") || !strcmp(k, "conf-dir") ||
		   !strcmp(k, "dhcp-hostsfile") || !strcmp(k, "dhcp-optsfile") ||
		   !strcmp(k, "dhcp-hostsdir") || !strcmp(k, "addn-hosts")) {
		imp_report(m, d->line, "%s=%s: included files are not followed: import "
			   "them separately", k, a.n ? a.f[0] : "");
	} else if (!strcmp(k, "port") && a.n == 1 && !strcmp(a.f[0], "0")) {
		/* DNS off: bootstorm has no DNS server, same result. */
	} else if (!strcmp(k, "bind-interfaces") || !strcmp(k, "bind-dynamic")) {
		/* Socket binding detail: the dataplane owns its port. */
	} else if (is_dns_option(k)) {
		imp_report(m, d->line, "%s: DNS option: bootstorm serves no DNS", k);
	} else {
		imp_report(m, d->line, "%s: not supported by the importer", k);
	}
}

/* Strips a '#' comment outside quotes that starts the line or follows
 * white space (dnsmasq's rule: "a#b" is a value). */
static void
strip_comment(char *s)
{
	bool q = false;
	for (char *p = s; *p; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == '#' && !q && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static void
dm_line(struct dm *d, char *line)
{
	strip_comment(line);
	char *s = trim(line);
	if (!*s)
		return;
	if (s[0] == '-' && s[1] == '-') /* "--option" is accepted by dnsmasq too */
		s += 2;
	char *eq = strchr(s, '=');
	char *v = NULL;
	if (eq) {
		*eq = '\0';
		v = trim(eq + 1);
	}
	directive(d, trim(s), v);
}

static void
finish(struct dm *d)
{
	struct imp *m = d->m;
	if (d->saw_boot && !d->tftp_enabled)
		imp_report(m, 0, "note: enable-tftp absent: the files were served by another "
			   "TFTP server; bootstorm serves them itself from tftp.root");
	if (d->tftp_enabled && !m->tftp_root)
		imp_report(m, 0, "note: enable-tftp without tftp-root: set tftp.root");
	if (m->unknown < 0)
		m->unknown = SNAP_UNKNOWN_ALLOW;
}

int
bs_import_dnsmasq(const char *path, FILE *yaml_out, FILE *report)
{
	struct imp m;
	struct dm d;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc;

	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	imp_init(&m, path, "dnsmasq", report);
	memset(&d, 0, sizeof(d));
	d.m = &m;
	while ((n = getline(&line, &cap, f)) >= 0) {
		d.line++;
		if ((size_t)n > IMP_MAX_LINE) {
			imp_report(&m, d.line, "line longer than %u bytes: skipped", IMP_MAX_LINE);
			continue;
		}
		if (memchr(line, '\0', (size_t)n)) {
			imp_report(&m, d.line, "NUL byte in line: skipped");
			continue;
		}
		dm_line(&d, line);
	}
	rc = ferror(f) ? -EIO : 0;
	free(line);
	fclose(f);
	if (!rc) {
		finish(&d);
		rc = imp_write_yaml(&m, yaml_out);
	}
	imp_fini(&m);
	return rc;
}
