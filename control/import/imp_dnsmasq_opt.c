/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dnsmasq.conf: the dhcp-option and domain lines -> import model (the
 * options bootstorm sends: router, DNS, domain, NTP, MTU).
 */
#include <stdlib.h>
#include <string.h>

#include "control/import/imp.h"
#include "control/import/imp_dnsmasq.h"

/* Options we translate: router, DNS, domain, NTP, MTU (RFC 2132 3.5, 3.8,
 * 3.17, 8.3, 5.1). */
enum dm_opt { DO_ROUTER, DO_DNS, DO_DOMAIN, DO_NTP, DO_MTU, DO_MASK, DO_NONE };

static enum dm_opt
opt_code(const char *s)
{
	static const struct {
		const char *num, *name;
		enum dm_opt o;
	} t[] = {
		{ "3", "option:router", DO_ROUTER },
		{ "6", "option:dns-server", DO_DNS },
		{ "15", "option:domain-name", DO_DOMAIN },
		{ "42", "option:ntp-server", DO_NTP },
		{ "26", "option:mtu", DO_MTU },
		{ "1", "option:netmask", DO_MASK },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].num) || !strcmp(s, t[i].name) ||
		    (!strncmp(s, "option:", 7) && !strcmp(s + 7, t[i].num)))
			return t[i].o;
	return DO_NONE;
}

void
dm_opt_dhcp_option(struct dm *d, struct dm_args *a, const char *opt)
{
	struct imp *m = d->m;
	struct imp_subnet *s = NULL;
	uint32_t v;

	if (a->n < 1) {
		imp_report(m, d->line, "%s: empty", opt);
		return;
	}
	if (a->n_tag > 1 || (a->n_tag == 1 && !(s = imp_subnet_by_tag(m, a->tag[0])))) {
		imp_report(m, d->line, "%s %s: tag:%s is not a dhcp-range tag: not translated",
			   opt, a->f[0], a->tag[0]);
		return;
	}
	enum dm_opt o = opt_code(a->f[0]);
	if (o == DO_NONE || !strncmp(a->f[0], "encap:", 6) || !strncmp(a->f[0], "vendor:", 7)) {
		imp_report(m, d->line, "%s %s: option not translated (bootstorm sends router, "
			   "DNS, domain, NTP, MTU)", opt, a->f[0]);
		return;
	}
	if (o == DO_MASK) { /* derived from the subnet */
		return;
	}
	if (o == DO_DOMAIN) {
		if (a->n != 2) {
			imp_report(m, d->line, "%s: domain-name needs one value", opt);
			return;
		}
		imp_setstr(m, s ? &s->domain : &m->domain, a->f[1]);
		return;
	}
	uint32_t ips[IMP_MAX_DNS];
	unsigned n = 0;
	for (unsigned i = 1; i < a->n; i++) {
		if (o == DO_MTU) {
			char *end;
			unsigned long mtu = strtoul(a->f[i], &end, 10);
			if (end == a->f[i] || *end || mtu < 68 || mtu > 65535) {
				imp_report(m, d->line, "%s: MTU \"%s\" out of range", opt, a->f[i]);
				return;
			}
			*(s ? &s->mtu : &m->mtu) = (uint32_t)mtu;
			return;
		}
		if (!strcmp(a->f[i], "0.0.0.0")) {
			/* dnsmasq: "this machine's address" */
			imp_report(m, d->line, "note: %s 0.0.0.0 (dnsmasq's own address) "
				   "becomes server.ip", opt);
			continue;
		}
		if (IMP_IP(a->f[i], &v)) {
			imp_report(m, d->line, "%s: \"%s\" is not an IPv4 address", opt, a->f[i]);
			return;
		}
		if (n == IMP_MAX_DNS) {
			imp_report(m, d->line, "%s: only %u addresses kept", opt, IMP_MAX_DNS);
			break;
		}
		ips[n++] = v;
	}
	if (!n)
		return;
	if ((o == DO_ROUTER || o == DO_NTP) && n > 1)
		imp_report(m, d->line, "%s: bootstorm sends one %s; %u more dropped", opt,
			   o == DO_ROUTER ? "router" : "NTP server", n - 1);
	if (o == DO_ROUTER)
		*(s ? &s->router : &m->router) = ips[0];
	else if (o == DO_NTP)
		*(s ? &s->ntp : &m->ntp) = ips[0];
	else if (s) {
		memcpy(s->dns, ips, n * sizeof(ips[0]));
		s->n_dns = n;
	} else {
		memcpy(m->dns, ips, n * sizeof(ips[0]));
		m->n_dns = n;
	}
}

/* domain=name[,range|subnet] */
void
dm_opt_domain(struct dm *d, struct dm_args *a)
{
	uint32_t ip;
	if (a->n < 1) {
		imp_report(d->m, d->line, "domain: empty");
		return;
	}
	if (a->n == 1) {
		imp_setstr(d->m, &d->m->domain, a->f[0]);
		return;
	}
	char *slash = strchr(a->f[1], '/');
	if (slash)
		*slash = '\0';
	struct imp_subnet *s = IMP_IP(a->f[1], &ip) ? NULL : imp_subnet_for(d->m, ip);
	if (!s) {
		imp_report(d->m, d->line, "domain: %s matches no dhcp-range above: not "
			   "translated", a->f[1]);
		return;
	}
	imp_setstr(d->m, &s->domain, a->f[0]);
}
