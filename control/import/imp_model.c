/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The importers' neutral model, the report, scalar parsing and the YAML
 * writer.  Both source formats land here so that the YAML we emit has one
 * shape and one quoting rule.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "control/import/imp.h"

static const char *const arch_names[SNAP_ARCH_MAX] = {
#define X(n, s) [SNAP_ARCH_##n] = s,
	SNAP_ARCH_LIST(X)
#undef X
};

void
imp_init(struct imp *m, const char *src, const char *kind, FILE *report)
{
	memset(m, 0, sizeof(*m));
	m->src = src;
	m->kind = kind;
	m->report = report;
	m->unknown = -1;
}

void
imp_fini(struct imp *m)
{
	for (size_t i = 0; i < m->n_subnets; i++) {
		free(m->subnets[i].domain);
		free(m->subnets[i].tag);
		free(m->subnets[i].pools);
	}
	free(m->subnets);
	for (size_t i = 0; i < m->n_hosts; i++)
		free(m->hosts[i].name);
	free(m->hosts);
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
		free(m->boot[a].file);
	free(m->dflt.file);
	free(m->ipxe.file);
	free(m->tftp_root);
	free(m->iface);
	free(m->domain);
	memset(m, 0, sizeof(*m));
}

void
imp_report(struct imp *m, unsigned line, const char *fmt, ...)
{
	va_list ap;

	m->n_reported++;
	if (!m->report)
		return;
	if (line)
		fprintf(m->report, "%s:%u: ", m->src, line);
	else
		fprintf(m->report, "%s: ", m->src);
	va_start(ap, fmt);
	vfprintf(m->report, fmt, ap);
	va_end(ap);
	fputc('\n', m->report);
}

char *
imp_strdup(struct imp *m, const char *s)
{
	char *d = strdup(s);
	if (!d)
		m->oom = true;
	return d;
}

void
imp_setstr(struct imp *m, char **dst, const char *s)
{
	char *d = imp_strdup(m, s);
	if (!d)
		return;
	free(*dst);
	*dst = d;
}

/* Grows *v (element size sz) to hold one more than *n. */
static void *
grow(struct imp *m, void *v, size_t sz, size_t n, size_t *cap)
{
	if (n < *cap)
		return v;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = realloc(v, nc * sz);
	if (!p) {
		m->oom = true;
		return NULL;
	}
	memset((char *)p + *cap * sz, 0, (nc - *cap) * sz);
	*cap = nc;
	return p;
}

struct imp_subnet *
imp_subnet_add(struct imp *m, unsigned line, uint32_t net, uint32_t mask)
{
	struct imp_subnet *v = grow(m, m->subnets, sizeof(*v), m->n_subnets, &m->cap_subnets);
	if (!v)
		return NULL;
	m->subnets = v;
	struct imp_subnet *s = &v[m->n_subnets++];
	memset(s, 0, sizeof(*s));
	s->line = line;
	s->net = net & mask;
	s->mask = mask;
	return s;
}

struct imp_subnet *
imp_subnet_for(struct imp *m, uint32_t ip)
{
	for (size_t i = 0; i < m->n_subnets; i++)
		if ((ip & m->subnets[i].mask) == m->subnets[i].net)
			return &m->subnets[i];
	return NULL;
}

struct imp_subnet *
imp_subnet_by_tag(struct imp *m, const char *tag)
{
	for (size_t i = 0; i < m->n_subnets; i++)
		if (m->subnets[i].tag && !strcmp(m->subnets[i].tag, tag))
			return &m->subnets[i];
	return NULL;
}

int
imp_pool_add(struct imp *m, struct imp_subnet *s, uint32_t lo, uint32_t hi)
{
	struct imp_pool *v = grow(m, s->pools, sizeof(*v), s->n_pools, &s->cap_pools);
	if (!v)
		return -ENOMEM;
	s->pools = v;
	v[s->n_pools].lo = lo;
	v[s->n_pools].hi = hi;
	s->n_pools++;
	return 0;
}

struct imp_host *
imp_host_add(struct imp *m, unsigned line, const char *name, const uint8_t mac[6])
{
	for (size_t i = 0; i < m->n_hosts; i++) {
		if (!memcmp(m->hosts[i].mac, mac, 6)) {
			imp_report(m, line, "host %s: MAC already reserved for %s (line %u): skipped",
				   name, m->hosts[i].name, m->hosts[i].line);
			return NULL;
		}
	}
	struct imp_host *v = grow(m, m->hosts, sizeof(*v), m->n_hosts, &m->cap_hosts);
	if (!v)
		return NULL;
	m->hosts = v;
	struct imp_host *h = &v[m->n_hosts];
	memset(h, 0, sizeof(*h));
	h->name = imp_strdup(m, name);
	if (!h->name)
		return NULL;
	h->line = line;
	memcpy(h->mac, mac, 6);
	m->n_hosts++;
	return h;
}

void
imp_set_file(struct imp *m, struct imp_file *slot, const char *what,
	     const char *file, unsigned line)
{
	if (slot->file && strcmp(slot->file, file))
		imp_report(m, line, "%s boot file \"%s\" replaces \"%s\" from line %u "
			   "(bootstorm has one file per architecture)",
			   what, file, slot->file, slot->line);
	imp_setstr(m, &slot->file, file);
	slot->line = line;
}

int
imp_read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	int rc = 0;
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= IMP_MAX_FILE) {
				rc = -EFBIG;
				goto out;
			}
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			b = nb;
			cap *= 2;
		}
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
	}
out:
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	*out = b;
	*len = n;
	return 0;
}

int
imp_duration(const char *s, uint32_t *secs)
{
	uint64_t v = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (uint64_t)(*p++ - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	uint64_t mul = 1;
	switch (*p) {
	case '\0': break;
	case 's': case 'S': mul = 1; p++; break;
	case 'm': case 'M': mul = 60; p++; break;
	case 'h': case 'H': mul = 3600; p++; break;
	case 'd': case 'D': mul = 86400; p++; break;
	case 'w': case 'W': mul = 7 * 86400; p++; break;
	default: return -EINVAL;
	}
	if (*p || v * mul > UINT32_MAX)
		return -EINVAL;
	*secs = (uint32_t)(v * mul);
	return 0;
}

int
imp_mask_prefix(uint32_t mask, unsigned *prefix)
{
	unsigned n = 0;
	while (n < 32 && (mask & (UINT32_C(0x80000000) >> n)))
		n++;
	/* Contiguous means nothing set below the run of ones. */
	if (n < 32 && (mask & (UINT32_MAX >> n)))
		return -EINVAL;
	*prefix = n;
	return 0;
}

int
imp_arch_from_code(unsigned code)
{
	/* RFC 4578 section 2.1 and the IANA "Processor Architecture Types"
	 * registry; the same folding as shm/snap.h's SNAP_ARCH_LIST. */
	switch (code) {
	case 0: return SNAP_ARCH_BIOS;
	case 6: return SNAP_ARCH_EFI_IA32;
	case 7: case 9: return SNAP_ARCH_EFI_X64;
	case 10: return SNAP_ARCH_EFI_ARM32;
	case 11: return SNAP_ARCH_EFI_ARM64;
	case 15: case 16: return SNAP_ARCH_HTTP_X64;
	case 19: return SNAP_ARCH_HTTP_ARM64;
	default: return -1;
	}
}

const char *
imp_arch_name(unsigned arch)
{
	return arch < SNAP_ARCH_MAX ? arch_names[arch] : "?";
}

/* ---- YAML writer ---------------------------------------------------- */

static void
ip_str(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* Every free-form string is written double-quoted with YAML escapes, so a
 * name like "yes", "# x" or "a: b" cannot change the document's meaning. */
static void
yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
duration(FILE *f, uint32_t s)
{
	if (s % 86400 == 0)
		fprintf(f, "%" PRIu32 "d", s / 86400);
	else if (s % 3600 == 0)
		fprintf(f, "%" PRIu32 "h", s / 3600);
	else if (s % 60 == 0)
		fprintf(f, "%" PRIu32 "m", s / 60);
	else
		fprintf(f, "%" PRIu32 "s", s);
}

static void
kv_ip(FILE *f, const char *indent, const char *key, uint32_t ip)
{
	char b[16];
	if (!ip)
		return;
	ip_str(ip, b);
	fprintf(f, "%s%s: %s\n", indent, key, b);
}

static void
dns_list(FILE *f, const char *indent, const uint32_t *dns, unsigned n)
{
	char b[16];
	if (!n)
		return;
	fprintf(f, "%sdns: [", indent);
	for (unsigned i = 0; i < n; i++) {
		ip_str(dns[i], b);
		fprintf(f, "%s%s", i ? ", " : "", b);
	}
	fputs("]\n", f);
}

/* The address the dataplane answers for.  Neither source states it for
 * certain (dnsmasq takes it from the interface), so when no directive gave
 * it we take the first host address of the first subnet and say so. */
static void
pick_server_ip(struct imp *m)
{
	if (m->server_ip)
		return;
	if (m->next_server) {
		m->server_ip = m->next_server;
		m->server_ip_from = "the boot server address";
	} else if (m->n_subnets) {
		m->server_ip = m->subnets[0].net + 1;
		m->server_ip_from = "a guess: the first address of the first subnet";
	} else {
		m->server_ip = UINT32_C(0x0a000001); /* 10.0.0.1 */
		m->server_ip_from = "a placeholder: the source names no subnet";
	}
	imp_report(m, 0, "note: server.ip set from %s; check it", m->server_ip_from);
}

static void
write_header(struct imp *m, FILE *f)
{
	char b[16];
	unsigned prefix = 24;
	const struct imp_subnet *s = imp_subnet_for(m, m->server_ip);

	if (s)
		imp_mask_prefix(s->mask, &prefix);
	ip_str(m->server_ip, b);
	fprintf(f, "# bootstorm config imported from the %s config ", m->kind);
	yq(f, m->src);
	fputs(".\n", f);
	if (m->n_reported)
		fprintf(f, "# %u item(s) were not translated: read the import report.\n",
			m->n_reported);
	fputs("server:\n  name: \"imported\"\n", f);
	fprintf(f, "  ip: %s/%u\n", b, prefix);
	fputs("dataplane:\n  ports:\n    # the NIC the old server listened on; see bootstorm.yaml(5)\n"
	      "    - dev: ", f);
	{
		char dev[300];
		snprintf(dev, sizeof(dev), "net_af_packet0,iface=%s", m->iface ? m->iface : "eth1");
		yq(f, dev);
	}
	fputs("\n  workers: 1\n", f);
}

static void
write_subnet(FILE *f, const struct imp_subnet *s)
{
	char b[16], c[16];
	unsigned prefix = 24;

	imp_mask_prefix(s->mask, &prefix);
	ip_str(s->net, b);
	fprintf(f, "    - subnet: %s/%u\n", b, prefix);
	kv_ip(f, "      ", "router", s->router);
	dns_list(f, "      ", s->dns, s->n_dns);
	kv_ip(f, "      ", "ntp", s->ntp);
	if (s->domain) {
		fputs("      domain: ", f);
		yq(f, s->domain);
		fputc('\n', f);
	}
	if (s->lease_s) {
		fputs("      lease_time: ", f);
		duration(f, s->lease_s);
		fputc('\n', f);
	}
	if (s->n_pools) {
		fputs("      pools: [", f);
		for (size_t i = 0; i < s->n_pools; i++) {
			ip_str(s->pools[i].lo, b);
			ip_str(s->pools[i].hi, c);
			fprintf(f, "%s%s-%s", i ? ", " : "", b, c);
		}
		fputs("]\n", f);
	}
	kv_ip(f, "      ", "next_server", s->next_server);
	if (s->mtu)
		fprintf(f, "      mtu: %" PRIu32 "\n", s->mtu);
}

static void
write_dhcp(struct imp *m, FILE *f)
{
	static const char *const pol[] = {
		[SNAP_UNKNOWN_DENY] = "deny",
		[SNAP_UNKNOWN_ALLOW] = "allow",
	};

	fputs("dhcp:\n", f);
	if (m->unknown == SNAP_UNKNOWN_DENY || m->unknown == SNAP_UNKNOWN_ALLOW)
		fprintf(f, "  unknown_clients: %s\n", pol[m->unknown]);
	if (m->proxy)
		fputs("  proxy: true\n", f);
	if (m->lease_s) {
		fputs("  lease_time: ", f);
		duration(f, m->lease_s);
		fputc('\n', f);
	}
	if (m->max_leases)
		fprintf(f, "  max_leases: %" PRIu32 "\n", m->max_leases);
	if (!m->n_subnets)
		return;
	fputs("  subnets:\n", f);
	for (size_t i = 0; i < m->n_subnets; i++) {
		struct imp_subnet *s = &m->subnets[i];
		/* Global options reach every subnet, as in both sources. */
		if (!s->router)
			s->router = m->router;
		if (!s->n_dns) {
			memcpy(s->dns, m->dns, sizeof(s->dns));
			s->n_dns = m->n_dns;
		}
		if (!s->ntp)
			s->ntp = m->ntp;
		if (!s->mtu)
			s->mtu = m->mtu;
		if (!s->domain && m->domain)
			s->domain = imp_strdup(m, m->domain);
		write_subnet(f, s);
	}
}

static void
write_boot(struct imp *m, FILE *f)
{
	/* A file given without an architecture match is what dnsmasq and
	 * dhcpd hand to every client; the clients that can run it are BIOS
	 * PXE ones (pxelinux.0, undionly.kpxe), or x86-64 UEFI for a .efi. */
	if (m->dflt.file) {
		size_t n = strlen(m->dflt.file);
		unsigned a = (n > 4 && !strcasecmp(m->dflt.file + n - 4, ".efi")) ?
			SNAP_ARCH_EFI_X64 : SNAP_ARCH_BIOS;
		if (!m->boot[a].file) {
			m->boot[a] = m->dflt;
			m->dflt.file = NULL;
		} else if (strcmp(m->boot[a].file, m->dflt.file)) {
			imp_report(m, m->dflt.line, "boot file \"%s\" for clients of no matched "
				   "architecture: bootstorm answers only the architectures it "
				   "knows (%s gets \"%s\")", m->dflt.file, imp_arch_name(a),
				   m->boot[a].file);
		}
	}
	fputs("boot:\n", f);
	kv_ip(f, "  ", "next_server", m->next_server ? m->next_server : m->server_ip);
	bool any = false;
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++) {
		if (!m->boot[a].file)
			continue;
		if (!any)
			fputs("  files:\n", f);
		any = true;
		fprintf(f, "    %s: ", imp_arch_name(a));
		yq(f, m->boot[a].file);
		fputc('\n', f);
	}
	if (m->ipxe.file) {
		fputs("  ipxe: ", f);
		yq(f, m->ipxe.file);
		fputc('\n', f);
	}
}

static void
write_nodes(struct imp *m, FILE *f)
{
	char b[16];

	if (!m->n_hosts)
		return;
	fputs("nodes:\n", f);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct imp_host *h = &m->hosts[i];
		const uint8_t *a = h->mac;
		fputs("  - name: ", f);
		yq(f, h->name);
		fprintf(f, "\n    mac: %02x:%02x:%02x:%02x:%02x:%02x\n",
			a[0], a[1], a[2], a[3], a[4], a[5]);
		if (h->has_ip) {
			ip_str(h->ip, b);
			fprintf(f, "    ip: %s\n", b);
		}
	}
}

int
imp_write_yaml(struct imp *m, FILE *f)
{
	pick_server_ip(m);
	/* The body is built first into memory so that notes found while
	 * writing it (boot file folding) are counted in the header. */
	char *body = NULL;
	size_t len = 0;
	FILE *b = open_memstream(&body, &len);
	if (!b)
		return -errno;
	write_dhcp(m, b);
	write_boot(m, b);
	if (m->tftp_root) {
		fputs("tftp:\n  root: ", b);
		yq(b, m->tftp_root);
		fputc('\n', b);
	}
	write_nodes(m, b);
	if (fclose(b)) {
		free(body);
		return -ENOMEM;
	}
	write_header(m, f);
	fwrite(body, 1, len, f);
	free(body);
	if (fflush(f) || ferror(f))
		return -EIO;
	return m->oom ? -ENOMEM : 0;
}
