/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DHCP option walker and writer.
 *
 * Reading: dhcp_opts_parse() walks the options field, then the `file` and
 * `sname` fields when option 52 overloads them (RFC 2131 4.1, RFC 2132
 * 9.3), and reassembles every option that appears more than once by
 * concatenating its parts in that order (RFC 3396 5).  Every length is
 * checked against the field it sits in (cursor) and the reassembled value
 * against the wire table (dhcp_wire.h).  Results live in caller-provided
 * storage: no allocation.
 *
 * Writing: dhcp_opt_put() splits values over 255 bytes into consecutive
 * instances (RFC 3396 6) and either writes the whole option or nothing.
 */
#ifndef BS_DHCP_OPTS_H
#define BS_DHCP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/net/cursor.h"

/* Largest message the walker reassembles: covers jumbo frames (9000). */
#define DHCP_PARSE_MAX 16384

struct dhcp_opts {
	uint16_t off[256];	/* value offset in buf, valid when present */
	uint16_t len[256];	/* reassembled length */
	uint8_t present[32];	/* bitmap by code */
	uint8_t overload;	/* option 52 value, 0 = none */
	uint8_t buf[DHCP_PARSE_MAX];
};

/* Parses the options of the BOOTP message p[0..len) (len >= 240, cookie
 * already checked).  Returns 0 or an enum bs_ctr drop reason. */
int dhcp_opts_parse(struct dhcp_opts *o, const uint8_t *p, size_t len);

static inline bool
dhcp_opt_has(const struct dhcp_opts *o, uint8_t code)
{
	return (o->present[code >> 3] >> (code & 7)) & 1;
}

/* Value and length of option code, or NULL when absent. */
static inline const uint8_t *
dhcp_opt_get(const struct dhcp_opts *o, uint8_t code, size_t *len)
{
	if (!dhcp_opt_has(o, code))
		return NULL;
	*len = o->len[code];
	return o->buf + o->off[code];
}

/* Bytes an option of len bytes takes on the wire, split per RFC 3396. */
size_t dhcp_opt_wire_len(size_t len);

/* Appends option code (value v, len bytes, split when > 255) when it fits
 * with `keep` bytes still left afterwards; otherwise writes nothing and
 * returns false (w stays good: the caller decides whether that is fatal). */
bool dhcp_opt_put(struct wcur *w, size_t keep, uint8_t code, const void *v, size_t len);
bool dhcp_opt_put_u32(struct wcur *w, size_t keep, uint8_t code, uint32_t v);
bool dhcp_opt_put_u16(struct wcur *w, size_t keep, uint8_t code, uint16_t v);
bool dhcp_opt_put_u8(struct wcur *w, size_t keep, uint8_t code, uint8_t v);

/* Table lookups (for tests and the writer's sanity checks). */
bool dhcp_opt_known(uint8_t code);
size_t dhcp_opt_min(uint8_t code);
size_t dhcp_opt_max(uint8_t code);

#endif
