/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DHCP message parse (fixed header + the options the engine reads) and
 * reply build (fixed header, options in a fixed order, END, padding).
 */
#ifndef BS_DHCP_MSG_H
#define BS_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dhcp/dhcp_opts.h"
#include "dataplane/dhcp/dhcp_wire.h"

/* A parsed client message.  Pointers point into the received buffer or
 * into opts; valid while both are. */
struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* host order */
	uint8_t chaddr[16];
	uint8_t type;		/* enum dhcp_msg_type */
	bool has_req_ip, has_server_id;
	uint32_t req_ip, server_id; /* options 50, 54 */
	uint16_t max_size;	/* option 57, 0 = absent */
	const struct dhcp_opts *o;
};

/* Parses p[0..len).  Returns 0 or an enum bs_ctr drop reason; opts is
 * scratch storage the message keeps pointing at. */
int dhcp_msg_parse(struct dhcp_msg *m, struct dhcp_opts *opts, const uint8_t *p, size_t len);

/* Largest reply this client accepts: option 57 less IP/UDP headers, else
 * RFC 2131 2's 576-byte datagram; never above DHCP_MAX_REPLY or cap. */
size_t dhcp_msg_reply_limit(const struct dhcp_msg *m, size_t cap);

/* Fixed-header fields of a reply (RFC 2131 4.3.1 table 3). */
struct dhcp_reply_hdr {
	uint32_t ciaddr, yiaddr, siaddr;
	uint16_t flags;
	const char *sname;	/* NULL or "" = zeroed field */
	const char *file;	/* NULL or "" = zeroed field; must fit (< 128) */
};

/* Writes the 236-byte header and the cookie for a reply to m. */
bool dhcp_msg_put_header(struct wcur *w, const struct dhcp_msg *m, const struct dhcp_reply_hdr *h);

/* Closes the options with END and pads to the BOOTP minimum (RFC 1542
 * 2.1: some relays and ROMs drop shorter messages).  False if no room. */
bool dhcp_msg_finish(struct wcur *w);

#endif
