/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Internals shared by the importers (not for other rooms).
 *
 *   imp_model.c    the neutral model both parsers fill, the report, reading
 *                  a file whole, dnsmasq durations and the YAML writer
 *   imp_dnsmasq.c  dnsmasq.conf line parser -> model (imp_dnsmasq_opt.c:
 *                  its dhcp-option and domain lines)
 *   imp_lex.c      dhcpd.conf tokenizer and statement tree
 *   imp_dhcpd.c    dhcpd.conf statement tree -> model
 *
 * IPv4 addresses and MACs are read by conf/cfg_parse.h (the config's own
 * parsers) with the lenient forms these files allow: IMP_IP / IMP_MAC.
 *
 * Addresses are IPv4 in host byte order; 0 means "not set" (0.0.0.0 is
 * never a meaningful router, DNS, or server address in either source).
 */
#ifndef BS_IMPORT_IMP_H
#define BS_IMPORT_IMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/cfg_parse.h"
#include "shm/snap.h"

#define IMP_MAX_DNS  4u		/* cfg_subnet.dns[] */
#define IMP_MAX_LINE 4096u	/* longer dnsmasq lines are reported */

struct imp_pool {
	uint32_t lo, hi;
};

struct imp_subnet {
	unsigned line;		/* where it was declared */
	uint32_t net, mask;
	uint32_t router, ntp, next_server, mtu;
	uint32_t dns[IMP_MAX_DNS];
	unsigned n_dns;
	uint32_t lease_s;	/* 0 = inherit dhcp.lease_time */
	char *domain;
	char *tag;		/* dnsmasq "set:" tag of its dhcp-range, or NULL */
	struct imp_pool *pools;
	size_t n_pools, cap_pools;
};

struct imp_host {
	unsigned line;
	char *name;
	uint8_t mac[6];
	bool has_ip;
	uint32_t ip;
};

/* A boot file with the line that set it (so a later conflicting line can be
 * reported precisely). */
struct imp_file {
	char *file;
	unsigned line;
};

struct imp {
	const char *src;	/* source path, as given */
	const char *kind;	/* "dnsmasq" | "dhcpd" */
	FILE *report;
	unsigned n_reported;
	bool oom;		/* an allocation failed: result is -ENOMEM */

	char *iface;		/* dnsmasq interface= / dhcpd interface */
	uint32_t server_ip;
	const char *server_ip_from; /* which directive gave it (for the note) */
	uint32_t next_server;	/* boot.next_server */
	bool proxy;
	int unknown;		/* -1 unset, else enum snap_unknown_policy */
	uint32_t lease_s;	/* dhcp.lease_time, 0 = default */
	uint32_t max_leases;

	/* Global defaults that subnets without their own inherit. */
	uint32_t router, ntp, mtu;
	uint32_t dns[IMP_MAX_DNS];
	unsigned n_dns;
	char *domain;

	struct imp_file boot[SNAP_ARCH_MAX]; /* boot.files per arch */
	struct imp_file dflt;	/* file for any arch (no arch match) */
	struct imp_file ipxe;	/* boot.ipxe */
	char *tftp_root;

	struct imp_subnet *subnets;
	size_t n_subnets, cap_subnets;
	struct imp_host *hosts;
	size_t n_hosts, cap_hosts;
};

void imp_init(struct imp *m, const char *src, const char *kind, FILE *report);
void imp_fini(struct imp *m);

/* One report line "src:line: msg".  line 0 prints "src: msg". */
void imp_report(struct imp *m, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* malloc'd copy, sets m->oom on failure (callers keep going; the result
 * becomes -ENOMEM). */
char *imp_strdup(struct imp *m, const char *s);
/* Replaces *dst by a copy of s. */
void imp_setstr(struct imp *m, char **dst, const char *s);

struct imp_subnet *imp_subnet_add(struct imp *m, unsigned line, uint32_t net, uint32_t mask);
/* Subnet containing ip, or NULL. */
struct imp_subnet *imp_subnet_for(struct imp *m, uint32_t ip);
struct imp_subnet *imp_subnet_by_tag(struct imp *m, const char *tag);
int imp_pool_add(struct imp *m, struct imp_subnet *s, uint32_t lo, uint32_t hi);
/* Adds a reservation; reports (and skips) duplicate MACs. */
struct imp_host *imp_host_add(struct imp *m, unsigned line, const char *name,
			      const uint8_t mac[6]);

/* Sets a boot file for one target (an arch slot, dflt or ipxe); a different
 * value already there is reported against the later line, which wins. */
void imp_set_file(struct imp *m, struct imp_file *slot, const char *what,
		  const char *file, unsigned line);

/* Scalars.  All return 0 or -EINVAL and accept nothing but the whole
 * string. */
/* Both sources write octets as decimal with optional leading zeros, and
 * dhcpd prints one-digit MAC octets ("0:1b:..."). */
#define IMP_IP(s, out)	cfgp_ip_ex((s), CFGP_IP_LEADING_ZEROS, (out))
#define IMP_MAC(s, mac) cfgp_mac_ex((s), CFGP_MAC_SHORT_OCTETS, (mac))
/* Reads a whole file (any kind: a pipe too) up to IMP_MAX_FILE bytes into a
 * malloc'd buffer; 0 or -errno (-EFBIG past the cap). */
#define IMP_MAX_FILE (64u << 20)	/* same cap as the YAML loader */
int imp_read_file(const char *path, char **out, size_t *len);
/* dnsmasq durations ("45m", "12h", "1d", "2w", "3600") and plain seconds. */
int imp_duration(const char *s, uint32_t *secs);
/* 255.255.255.0 -> 24; -EINVAL if not contiguous. */
int imp_mask_prefix(uint32_t mask, unsigned *prefix);
/* Option 93 value -> SNAP_ARCH_*, -1 if bootstorm has no slot for it. */
int imp_arch_from_code(unsigned code);
const char *imp_arch_name(unsigned arch);

/* Writes the YAML.  Returns 0 or -errno (EIO when the stream failed). */
int imp_write_yaml(struct imp *m, FILE *out);

#endif
