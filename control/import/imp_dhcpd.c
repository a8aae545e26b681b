/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ISC dhcpd.conf statement tree -> import model.
 *
 * Scopes: subnet and shared-network declarations map onto bootstorm
 * subnets; group and pool are transparent (their parameters land in the
 * enclosing subnet or the global section, which is where bootstorm keeps
 * them); host declarations become nodes.  Boot files follow the
 * conditions PXE set-ups use: "option arch" (any option declared
 * "code 93"), the iPXE user class, the PXEClient vendor class; anything
 * else is reported with its line, never guessed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/import/bs_import.h"
#include "control/import/imp.h"
#include "control/import/imp_lex.h"

#define DH_MAX_ARCH_NAMES 8u

/* Where a statement sits: decides where its parameters land. */
struct ctx {
	struct imp_subnet *subnet;	/* NULL = global */
	uint32_t archs;			/* boot files go to these arch slots */
	bool ipxe;			/* ... or to boot.ipxe */
	bool in_cond;			/* under an if/class we understood */
};

struct dh {
	struct imp *m;
	char arch_opt[DH_MAX_ARCH_NAMES][64]; /* options declared code 93 */
	unsigned n_arch_opt;
};

enum cond_kind {
	COND_TRUE = 0,	/* holds for every PXE client: PXEClient vendor class */
	COND_ARCH,	/* client architecture in archs */
	COND_IPXE,	/* client is iPXE */
	COND_UNKNOWN,
	COND_KIND_MAX
};

struct cond {
	enum cond_kind kind;
	uint32_t archs;
};

static void walk(struct dh *d, const struct stmt *blk, struct ctx c);

static void
lex_err(void *ctx, unsigned line, const char *msg)
{
	struct dh *d = ctx;
	imp_report(d->m, line, "syntax: %s", msg);
}

/* Joined statement text for messages (bounded). */
static const char *
text(const struct stmt *s, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n && n + 1 < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s%s%s", i ? " " : "",
				 s->t[i].type == TOK_STRING ? "\"" : "", s->t[i].s,
				 s->t[i].type == TOK_STRING ? "\"" : "");
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (n >= cap && cap > 4)
		strcpy(buf + cap - 4, "...");
	return buf;
}

static bool
is_arch_opt(const struct dh *d, const char *name)
{
	for (unsigned i = 0; i < d->n_arch_opt; i++)
		if (!strcasecmp(d->arch_opt[i], name))
			return true;
	return false;
}

/* "00:07", "0:7", "7" -> 7 (dhcpd writes unsigned integer 16 either way). */
static int
arch_value(const char *s, unsigned *out)
{
	unsigned v = 0;
	if (strchr(s, ':')) {
		uint8_t b[2];
		unsigned n = 0;
		const char *p = s;
		while (*p) {
			char *end;
			unsigned long x = strtoul(p, &end, 16);
			if (end == p || x > 255 || n == 2)
				return -EINVAL;
			b[n++] = (uint8_t)x;
			p = end;
			if (*p == ':')
				p++;
			else if (*p)
				return -EINVAL;
		}
		v = n == 2 ? (unsigned)b[0] << 8 | b[1] : b[0];
	} else {
		char *end;
		unsigned long x = strtoul(s, &end, 0);
		if (end == s || *end || x > 0xffff)
			return -EINVAL;
		v = (unsigned)x;
	}
	*out = v;
	return 0;
}

/* One conjunct, tokens [a, b). */
static struct cond
eval_atom(struct dh *d, const struct stmt *s, size_t a, size_t b)
{
	struct cond c = { COND_UNKNOWN, 0 };
	bool has_ipxe_str = false, has_pxe_str = false, user_class = false, vci = false;

	for (size_t i = a; i < b; i++) {
		const struct tok *t = &s->t[i];
		if (t->type == TOK_WORD && !strcasecmp(t->s, "not"))
			return c;
		if (t->type == TOK_STRING && !strcmp(t->s, "iPXE"))
			has_ipxe_str = true;
		if (t->type == TOK_STRING && !strncmp(t->s, "PXEClient", 9))
			has_pxe_str = true;
		if (t->type == TOK_WORD && strstr(t->s, "user-class"))
			user_class = true;
		if (t->type == TOK_WORD && !strcasecmp(t->s, "vendor-class-identifier"))
			vci = true;
	}
	/* option <arch> = <value> */
	if (b - a == 4 && stmt_is(s, a, "option") && is_arch_opt(d, stmt_tok(s, a + 1)) &&
	    !strcmp(stmt_tok(s, a + 2), "=")) {
		unsigned code;
		int arch;
		if (arch_value(stmt_tok(s, a + 3), &code) || (arch = imp_arch_from_code(code)) < 0)
			return c;
		c.kind = COND_ARCH;
		c.archs = 1u << arch;
		return c;
	}
	if (has_ipxe_str && user_class) {
		c.kind = COND_IPXE;
		return c;
	}
	if (has_pxe_str && vci) {
		c.kind = COND_TRUE;
		return c;
	}
	/* "exists user-class": only meaningful next to the iPXE test. */
	if (b - a == 2 && stmt_is(s, a, "exists")) {
		c.kind = COND_TRUE;
		return c;
	}
	return c;
}

/* Condition of tokens [a, n): "or" of "and"s, parentheses ignored (the
 * tests PXE set-ups write do not need them). */
static struct cond
eval_cond(struct dh *d, const struct stmt *s, size_t a)
{
	struct cond any = { COND_UNKNOWN, 0 };
	bool first = true;
	size_t i = a;
	while (i <= s->n) {
		/* one disjunct: conjuncts separated by "and" */
		struct cond all = { COND_TRUE, 0 };
		size_t j = i;
		for (;;) {
			size_t k = j;
			while (k < s->n && !stmt_is(s, k, "and") && !stmt_is(s, k, "or"))
				k++;
			size_t lo = j, hi = k;
			while (lo < hi && !strcmp(stmt_tok(s, lo), "("))
				lo++;
			while (hi > lo && !strcmp(stmt_tok(s, hi - 1), ")"))
				hi--;
			struct cond c = lo < hi ? eval_atom(d, s, lo, hi) : (struct cond){ COND_UNKNOWN, 0 };
			if (c.kind == COND_UNKNOWN)
				return c;
			if (c.kind == COND_IPXE || (c.kind == COND_ARCH && all.kind != COND_IPXE))
				all = c;
			j = k;
			if (j < s->n && stmt_is(s, j, "and")) {
				j++;
				continue;
			}
			break;
		}
		if (first) {
			any = all;
			first = false;
		} else if (any.kind == COND_ARCH && all.kind == COND_ARCH) {
			any.archs |= all.archs;
		} else if (any.kind != all.kind) {
			any.kind = COND_UNKNOWN;
			return any;
		}
		if (j < s->n && stmt_is(s, j, "or")) {
			i = j + 1;
			continue;
		}
		break;
	}
	return any;
}

static void
set_file(struct dh *d, const struct ctx *c, const char *file, unsigned line)
{
	struct imp *m = d->m;
	if (c->ipxe) {
		imp_set_file(m, &m->ipxe, "iPXE", file, line);
		return;
	}
	if (!c->archs) {
		imp_set_file(m, &m->dflt, "default", file, line);
		return;
	}
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
		if (c->archs & (1u << a))
			imp_set_file(m, &m->boot[a], imp_arch_name(a), file, line);
}

/* IP list "a, b, c" from token i on; returns count or -1 (reported). */
static int
ip_list(struct dh *d, const struct stmt *s, size_t i, uint32_t *out, unsigned max)
{
	unsigned n = 0;
	for (; i < s->n; i++) {
		if (!strcmp(stmt_tok(s, i), ","))
			continue;
		uint32_t ip;
		if (IMP_IP(stmt_tok(s, i), &ip)) {
			imp_report(d->m, s->line, "%s: \"%s\" is not an IPv4 address (host "
				   "names are not resolved)", stmt_tok(s, 1), stmt_tok(s, i));
			return -1;
		}
		if (n == max) {
			imp_report(d->m, s->line, "%s: only %u address(es) kept", stmt_tok(s, 1), max);
			break;
		}
		out[n++] = ip;
	}
	return (int)n;
}

/* option code declaration: option NAME code N = TYPE; */
static void
option_decl(struct dh *d, const struct stmt *s)
{
	char *end;
	unsigned long code = strtoul(stmt_tok(s, 3), &end, 10);
	if (*end || code != 93) {
		imp_report(d->m, s->line, "option %s code %s: option definitions other "
			   "than client architecture (93) are not translated",
			   stmt_tok(s, 1), stmt_tok(s, 3));
		return;
	}
	if (d->n_arch_opt == DH_MAX_ARCH_NAMES || strlen(stmt_tok(s, 1)) >= 64) {
		imp_report(d->m, s->line, "option %s: too many architecture options", stmt_tok(s, 1));
		return;
	}
	strcpy(d->arch_opt[d->n_arch_opt++], stmt_tok(s, 1));
}

static void
stmt_option(struct dh *d, const struct stmt *s, const struct ctx *c)
{
	struct imp *m = d->m;
	struct imp_subnet *sn = c->subnet;
	const char *name = stmt_tok(s, 1);
	uint32_t ips[IMP_MAX_DNS];
	int n;

	if (stmt_is(s, 2, "code")) {
		option_decl(d, s);
		return;
	}
	/* RFC 2132 3.5 routers, 3.8 DNS, 3.17 domain, 8.3 NTP, 5.1 MTU. */
	if (!strcasecmp(name, "routers") || !strcasecmp(name, "ntp-servers")) {
		bool r = !strcasecmp(name, "routers");
		if ((n = ip_list(d, s, 2, ips, IMP_MAX_DNS)) <= 0)
			return;
		if (n > 1)
			imp_report(m, s->line, "option %s: bootstorm sends one; %d more dropped",
				   name, n - 1);
		*(r ? (sn ? &sn->router : &m->router) : (sn ? &sn->ntp : &m->ntp)) = ips[0];
	} else if (!strcasecmp(name, "domain-name-servers")) {
		if ((n = ip_list(d, s, 2, ips, IMP_MAX_DNS)) <= 0)
			return;
		memcpy(sn ? sn->dns : m->dns, ips, (size_t)n * sizeof(ips[0]));
		*(sn ? &sn->n_dns : &m->n_dns) = (unsigned)n;
	} else if (!strcasecmp(name, "domain-name") && s->n == 3 && s->t[2].type == TOK_STRING) {
		imp_setstr(m, sn ? &sn->domain : &m->domain, s->t[2].s);
	} else if (!strcasecmp(name, "interface-mtu") && s->n == 3) {
		char *end;
		unsigned long v = strtoul(stmt_tok(s, 2), &end, 10);
		if (*end || v < 68 || v > 65535) {
			imp_report(m, s->line, "option interface-mtu: %s out of range", stmt_tok(s, 2));
			return;
		}
		*(sn ? &sn->mtu : &m->mtu) = (uint32_t)v;
	} else if ((!strcasecmp(name, "subnet-mask") || !strcasecmp(name, "broadcast-address")) &&
		   sn && s->n == 3) {
		/* Derived from the subnet in bootstorm: fine when they agree. */
		uint32_t v, want = !strcasecmp(name, "subnet-mask") ? sn->mask : (sn->net | ~sn->mask);
		if (IMP_IP(stmt_tok(s, 2), &v) || v != want)
			imp_report(m, s->line, "option %s %s: differs from the subnet's; "
				   "bootstorm derives it", name, stmt_tok(s, 2));
	} else {
		char buf[160];
		imp_report(m, s->line, "%s: option not translated (bootstorm sends router, "
			   "DNS, domain, NTP, MTU)", text(s, buf, sizeof(buf)));
	}
}

static void
stmt_subnet(struct dh *d, const struct stmt *s, struct ctx c)
{
	uint32_t net, mask;
	unsigned prefix;
	if (s->n != 4 || !stmt_is(s, 2, "netmask") || IMP_IP(stmt_tok(s, 1), &net) ||
	    IMP_IP(stmt_tok(s, 3), &mask) || imp_mask_prefix(mask, &prefix) || !s->block) {
		char buf[160];
		imp_report(d->m, s->line, "%s: expected \"subnet A.B.C.D netmask M.M.M.M { }\": "
			   "not translated", text(s, buf, sizeof(buf)));
		return;
	}
	struct imp_subnet *sn = imp_subnet_for(d->m, net);
	if (!sn || sn->mask != mask || sn->net != (net & mask))
		sn = imp_subnet_add(d->m, s->line, net, mask);
	if (!sn)
		return;
	c.subnet = sn;
	walk(d, s, c);
}

static void
stmt_range(struct dh *d, const struct stmt *s, const struct ctx *c)
{
	size_t i = 1;
	uint32_t lo, hi;
	if (stmt_is(s, 1, "dynamic-bootp"))
		i = 2;
	if (!c->subnet) {
		imp_report(d->m, s->line, "range outside a subnet: not translated");
		return;
	}
	if (i >= s->n || IMP_IP(stmt_tok(s, i), &lo)) {
		imp_report(d->m, s->line, "range: no start address");
		return;
	}
	hi = lo;
	if (i + 1 < s->n && IMP_IP(stmt_tok(s, i + 1), &hi)) {
		imp_report(d->m, s->line, "range: \"%s\" is not an address", stmt_tok(s, i + 1));
		return;
	}
	if (hi < lo) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	if ((lo & c->subnet->mask) != c->subnet->net || (hi & c->subnet->mask) != c->subnet->net) {
		imp_report(d->m, s->line, "range: not inside its subnet: not translated");
		return;
	}
	imp_pool_add(d->m, c->subnet, lo, hi);
}

/* Keeps names to what every consumer accepts (file names in tftp-gen,
 * URLs): letters, digits, '.', '-', '_'. */
static void
clean_name(struct dh *d, char *name, unsigned line)
{
	bool changed = false;
	for (char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_') {
			*p = '-';
			changed = true;
		}
	}
	if (changed)
		imp_report(d->m, line, "note: host name changed to \"%s\"", name);
}

static void
stmt_host(struct dh *d, const struct stmt *s, const struct ctx *c)
{
	struct imp *m = d->m;
	char name[128], buf[160];
	uint8_t mac[6];
	bool has_mac = false, has_ip = false;
	uint32_t ip = 0;

	if (s->n != 2 || !s->block) {
		imp_report(m, s->line, "%s: expected \"host NAME { }\"", text(s, buf, sizeof(buf)));
		return;
	}
	snprintf(name, sizeof(name), "%s", stmt_tok(s, 1));
	for (size_t i = 0; i < s->n_kids; i++) {
		const struct stmt *k = &s->kids[i];
		if (stmt_is(k, 0, "hardware")) {
			if (k->n == 3 && stmt_is(k, 1, "ethernet") && !IMP_MAC(stmt_tok(k, 2), mac))
				has_mac = true;
			else
				imp_report(m, k->line, "%s: only \"hardware ethernet MAC\" is "
					   "translated", text(k, buf, sizeof(buf)));
		} else if (stmt_is(k, 0, "fixed-address")) {
			if (k->n < 2 || IMP_IP(stmt_tok(k, 1), &ip)) {
				imp_report(m, k->line, "fixed-address %s: not an IPv4 address "
					   "(host names are not resolved)", stmt_tok(k, 1));
				continue;
			}
			has_ip = true;
			if (k->n > 2)
				imp_report(m, k->line, "fixed-address: bootstorm reserves one "
					   "address per node; the first is kept");
		} else if (stmt_is(k, 0, "option") && stmt_is(k, 1, "host-name") && k->n == 3) {
			snprintf(name, sizeof(name), "%s", stmt_tok(k, 2));
		} else if (stmt_is(k, 0, "filename") && k->n == 2) {
			/* Per-node boot files are not in the YAML schema: fine
			 * only when the global answer is the same. */
			const char *g = m->dflt.file ? m->dflt.file : m->boot[SNAP_ARCH_BIOS].file;
			if (!g || strcmp(g, stmt_tok(k, 1)))
				imp_report(m, k->line, "host %s: per-host filename \"%s\" not "
					   "translated (use a profile with files:)", name, stmt_tok(k, 1));
		} else if (stmt_is(k, 0, "next-server") && k->n == 2) {
			uint32_t ns;
			uint32_t want = c->subnet && c->subnet->next_server ? c->subnet->next_server
									    : m->next_server;
			if (IMP_IP(stmt_tok(k, 1), &ns) || ns != want)
				imp_report(m, k->line, "host %s: per-host next-server %s not "
					   "translated", name, stmt_tok(k, 1));
		} else {
			imp_report(m, k->line, "host %s: \"%s\" not translated (nodes carry "
				   "name, MAC, address)", name, text(k, buf, sizeof(buf)));
		}
	}
	if (!has_mac) {
		imp_report(m, s->line, "host %s: no hardware ethernet: bootstorm reserves by "
			   "MAC, host skipped", name);
		return;
	}
	clean_name(d, name, s->line);
	struct imp_host *h = imp_host_add(m, s->line, name, mac);
	if (h) {
		h->has_ip = has_ip;
		h->ip = ip;
	}
}

static void
stmt_class(struct dh *d, const struct stmt *s, struct ctx c)
{
	char buf[160];
	const struct stmt *match = NULL;
	for (size_t i = 0; i < s->n_kids; i++)
		if (stmt_is(&s->kids[i], 0, "match"))
			match = &s->kids[i];
	if (!match || !stmt_is(match, 1, "if")) {
		imp_report(d->m, s->line, "%s: only classes with \"match if\" are translated",
			   text(s, buf, sizeof(buf)));
		return;
	}
	struct cond k = eval_cond(d, match, 2);
	if (k.kind == COND_UNKNOWN) {
		imp_report(d->m, match->line, "%s: condition not understood: class not "
			   "translated", text(match, buf, sizeof(buf)));
		return;
	}
	if (k.kind == COND_ARCH)
		c.archs = k.archs;
	else if (k.kind == COND_IPXE)
		c.ipxe = true;
	c.in_cond = true;
	/* walk() skips the match statement itself. */
	walk(d, s, c);
}

static void
stmt_simple(struct dh *d, const struct stmt *s, const struct ctx *c)
{
	struct imp *m = d->m;
	const char *w = stmt_tok(s, 0);
	char buf[160];
	uint32_t ip;

	if (!strcasecmp(w, "filename") && s->n == 2) {
		set_file(d, c, stmt_tok(s, 1), s->line);
	} else if (!strcasecmp(w, "next-server") && s->n == 2 && !IMP_IP(stmt_tok(s, 1), &ip)) {
		if (c->subnet && !c->in_cond)
			c->subnet->next_server = ip;
		else
			m->next_server = ip;
	} else if (!strcasecmp(w, "default-lease-time") && s->n == 2) {
		char *end;
		unsigned long v = strtoul(stmt_tok(s, 1), &end, 10);
		if (*end || !v || v > UINT32_MAX) {
			imp_report(m, s->line, "default-lease-time %s: not a number of seconds",
				   stmt_tok(s, 1));
			return;
		}
		if (c->in_cond)
			imp_report(m, s->line, "default-lease-time inside a condition: not translated");
		else
			*(c->subnet ? &c->subnet->lease_s : &m->lease_s) = (uint32_t)v;
	} else if ((!strcasecmp(w, "server-identifier") || !strcasecmp(w, "local-address")) &&
		   s->n == 2 && !IMP_IP(stmt_tok(s, 1), &ip)) {
		m->server_ip = ip;
		m->server_ip_from = !strcasecmp(w, "local-address") ? "local-address"
								    : "server-identifier";
	} else if ((!strcasecmp(w, "deny") || !strcasecmp(w, "ignore") ||
		    !strcasecmp(w, "allow")) && s->n == 2 &&
		   !strcasecmp(stmt_tok(s, 1), "unknown-clients") && !c->in_cond) {
		m->unknown = !strcasecmp(w, "allow") ? SNAP_UNKNOWN_ALLOW : SNAP_UNKNOWN_DENY;
		if (c->subnet)
			imp_report(m, s->line, "note: %s unknown-clients in a subnet applies to "
				   "all subnets in bootstorm", w);
	} else if (!strcasecmp(w, "allow") && s->n == 2 &&
		   (!strcasecmp(stmt_tok(s, 1), "booting") || !strcasecmp(stmt_tok(s, 1), "bootp"))) {
		/* dhcpd's defaults; bootstorm always answers PXE and BOOTP. */
	} else if (!strcasecmp(w, "use-host-decl-names")) {
		/* Node names are the host declaration names already. */
	} else if (!strcasecmp(w, "interface") && s->n == 2) {
		if (!m->iface)
			imp_setstr(m, &m->iface, stmt_tok(s, 1));
	} else if (!strcasecmp(w, "include")) {
		imp_report(m, s->line, "include %s: included files are not followed: "
			   "import them separately", stmt_tok(s, 1));
	} else if (!strcasecmp(w, "max-lease-time") || !strcasecmp(w, "min-lease-time")) {
		imp_report(m, s->line, "%s: bootstorm grants exactly lease_time (the "
			   "default-lease-time)", w);
	} else {
		goto unsupported;
	}
	return;
unsupported:
	imp_report(m, s->line, "%s: not supported by the importer", text(s, buf, sizeof(buf)));
}

/* if / elsif / else chains among a block's statements. */
struct chain {
	bool open;
	bool unknown;		/* some branch we could not read: skip the rest */
	enum cond_kind kind;
};

static void
stmt_if(struct dh *d, const struct stmt *s, struct ctx c, struct chain *ch)
{
	char buf[160];
	bool is_else = stmt_is(s, 0, "else");
	size_t at = 1;

	if (is_else && stmt_is(s, 1, "if")) { /* "else if" */
		is_else = false;
		at = 2;
	}
	if (!s->block) {
		imp_report(d->m, s->line, "%s: no body", text(s, buf, sizeof(buf)));
		return;
	}
	if (stmt_is(s, 0, "if"))
		*ch = (struct chain){ .open = true };
	if (!ch->open) {
		imp_report(d->m, s->line, "%s without if", stmt_tok(s, 0));
		return;
	}
	if (ch->unknown) {
		imp_report(d->m, s->line, "%s: branch of a condition not understood above: "
			   "not translated", stmt_tok(s, 0));
		return;
	}
	if (is_else) {
		ch->open = false;
		if (ch->kind == COND_TRUE) {
			imp_report(d->m, s->line, "else branch for non-PXE clients: not translated");
			return;
		}
		/* else of an arch chain: "any other architecture" = the
		 * default slot; else of an iPXE test: the plain-PXE answer. */
		c.in_cond = true;
		walk(d, s, c);
		return;
	}
	struct cond k = eval_cond(d, s, at);
	if (k.kind == COND_UNKNOWN) {
		ch->unknown = true;
		imp_report(d->m, s->line, "%s: condition not understood: block not translated",
			   text(s, buf, sizeof(buf)));
		return;
	}
	ch->kind = k.kind;
	if (k.kind == COND_ARCH)
		c.archs = k.archs;
	else if (k.kind == COND_IPXE)
		c.ipxe = true;
	c.in_cond = true;
	walk(d, s, c);
}

static void
walk(struct dh *d, const struct stmt *blk, struct ctx c)
{
	struct chain ch = { 0 };
	char buf[160];

	for (size_t i = 0; i < blk->n_kids; i++) {
		const struct stmt *s = &blk->kids[i];
		const char *w = stmt_tok(s, 0);
		bool cond = stmt_is(s, 0, "if") || stmt_is(s, 0, "elsif") || stmt_is(s, 0, "else");

		if (!cond)
			ch.open = false;
		if (cond)
			stmt_if(d, s, c, &ch);
		else if (!strcasecmp(w, "subnet"))
			stmt_subnet(d, s, c);
		else if ((!strcasecmp(w, "shared-network") || !strcasecmp(w, "group") ||
			  !strcasecmp(w, "pool")) && s->block)
			walk(d, s, c);
		else if (!strcasecmp(w, "host"))
			stmt_host(d, s, &c);
		else if (!strcasecmp(w, "class"))
			stmt_class(d, s, c);
		else if (!strcasecmp(w, "match"))
			; /* read by stmt_class */
		else if (!strcasecmp(w, "range"))
			stmt_range(d, s, &c);
		else if (!strcasecmp(w, "option") && s->n >= 2)
			stmt_option(d, s, &c);
		else if (s->block)
			imp_report(d->m, s->line, "%s { }: declaration not supported by the "
				   "importer", text(s, buf, sizeof(buf)));
		else
			stmt_simple(d, s, &c);
	}
}

int
bs_import_dhcpd(const char *path, FILE *yaml_out, FILE *report)
{
	struct imp m;
	struct dh d;
	struct stmt root;
	char *buf = NULL;
	size_t len = 0;

	int rc = imp_read_file(path, &buf, &len);
	if (rc)
		return rc;
	imp_init(&m, path, "ISC dhcpd", report);
	memset(&d, 0, sizeof(d));
	d.m = &m;
	rc = lex_parse(buf, len, &root, lex_err, &d);
	free(buf);
	if (rc)
		goto out;
	walk(&d, &root, (struct ctx){ 0 });
	stmt_free(&root);
	if (m.unknown < 0)
		m.unknown = SNAP_UNKNOWN_ALLOW; /* dhcpd's default */
	rc = imp_write_yaml(&m, yaml_out);
out:
	imp_fini(&m);
	return rc;
}
