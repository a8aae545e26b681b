/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Scalar syntax (conf/cfg_parse.c): the one place that reads integers,
 * durations, IPv4 addresses, CIDRs, MACs, ranges and node-name ranges from
 * text.  Public: the loader uses it, and so do the importers in
 * control/import/ (through the lenient flags below for the forms other
 * servers' files allow).  Depends on libc only (no libyaml, no struct cfg),
 * built as its own small library (bs_cfgparse).
 *
 * All parsers are strict unless a flag says otherwise: the whole string
 * must match (no trailing junk, no leading '+' or spaces).  All return 0 or
 * -EINVAL; addresses are host order.
 */
#ifndef BS_CONF_CFG_PARSE_H
#define BS_CONF_CFG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cfgp_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int cfgp_bool(const char *s, bool *out);
/* "30s", "10m", "1h", "1d", "2ms", "52m30s" or a plain integer (seconds). */
int cfgp_duration_ms(const char *s, uint64_t *out);
int cfgp_ip(const char *s, uint32_t *out);
int cfgp_cidr(const char *s, uint32_t *ip, uint8_t *prefix);
/* aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff. */
int cfgp_mac(const char *s, uint8_t mac[6]);
/* "a.b.c.d-e.f.g.h" (or one address). */
int cfgp_ip_range(const char *s, uint32_t *lo, uint32_t *hi);
/* "lo-hi" integers. */
int cfgp_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *lo, uint32_t *hi);
/* "ip:port" ("0.0.0.0:80", ":80"). */
int cfgp_listen(const char *s, uint32_t *ip, uint16_t *port);

/* A node-name range: "node[002-099]" -> prefix "node", 2..99, width 3
 * (zero-padded to the first number's width when it starts with 0), suffix
 * "".  lo > hi is not refused here (the caller says "reversed"). */
struct cfgp_nrange {
	char prefix[64], suffix[64];
	uint32_t lo, hi, width;
};
int cfgp_node_range(const char *s, struct cfgp_nrange *r);

/* Lenient forms, for the importers that read other servers' files. */
enum cfgp_flags {
	CFGP_STRICT = 0,
	/* "010.0.0.1" is 10.0.0.1: ISC dhcpd reads each octet as decimal.
	 * The config refuses it (inet_aton would read octal). */
	CFGP_IP_LEADING_ZEROS = 1u << 0,
	/* "0:1b:2:..." (one-digit octets, as dhcpd prints them) and ':' / '-'
	 * separators mixed. */
	CFGP_MAC_SHORT_OCTETS = 1u << 1,
};
int cfgp_ip_ex(const char *s, unsigned flags, uint32_t *out);
int cfgp_mac_ex(const char *s, unsigned flags, uint8_t mac[6]);

/* Is the path relative and free of ".." components that climb out of its
 * root? (lexical check: "a/../b" is fine, "../x" and "a/../../x" are not). */
bool cfgp_path_inside(const char *p);
bool cfgp_is_url(const char *s);
/* Formats a MAC as aa:bb:cc:dd:ee:ff into buf[18]. */
const char *cfgp_mac_str(const uint8_t mac[6], char buf[18]);
const char *cfgp_ip_str(uint32_t ip, char buf[16]);

#endif
