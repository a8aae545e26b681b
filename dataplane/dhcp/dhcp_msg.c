/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DHCP message parse and reply header build (see dhcp_msg.h).
 */
#include <string.h>

#include "shm/counters.h"
#include "dataplane/dhcp/dhcp.h"
#include "dataplane/dhcp/dhcp_msg.h"

_Static_assert(DHCP_OFF_FILE + DHCP_FILE_LEN == DHCP_FIXED_LEN, "BOOTP header is 236 bytes");
_Static_assert(DHCP_FIXED_LEN + DHCP_COOKIE_LEN == DHCP_OPTS_OFF, "options follow the cookie");

static uint32_t
be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Fixed header checks: RFC 2131 2 (op, htype/hlen for Ethernet), RFC 2131 3
 * (cookie). */
static int
parse_fixed(struct dhcp_msg *m, const uint8_t *p, size_t len)
{
	struct cur c = cur_init(p, len);

	m->op = cur_u8(&c);
	m->htype = cur_u8(&c);
	m->hlen = cur_u8(&c);
	m->hops = cur_u8(&c);
	m->xid = cur_be32(&c);
	m->secs = cur_be16(&c);
	m->flags = cur_be16(&c);
	m->ciaddr = cur_be32(&c);
	m->yiaddr = cur_be32(&c);
	m->siaddr = cur_be32(&c);
	m->giaddr = cur_be32(&c);
	cur_copy(&c, m->chaddr, sizeof(m->chaddr));
	cur_skip(&c, DHCP_SNAME_LEN + DHCP_FILE_LEN);
	uint32_t cookie = cur_be32(&c);
	if (c.bad)
		return BS_CTR_DROP_DHCP_TRUNCATED;
	if (m->op == DHCP_OP_REPLY)
		return BS_CTR_DROP_DHCP_BOOTREPLY;
	if (m->op != DHCP_OP_REQUEST)
		return BS_CTR_DROP_DHCP_BAD_OP;
	if (m->htype != 1)
		return BS_CTR_DROP_DHCP_HTYPE;
	if (m->hlen != 6)
		return BS_CTR_DROP_DHCP_HLEN;
	static const uint8_t zero[6];
	/* A zero or group chaddr cannot be answered by unicast and would
	 * key a lease to nobody. */
	if (memcmp(m->chaddr, zero, 6) == 0 || (m->chaddr[0] & 1))
		return BS_CTR_DROP_DHCP_ZERO_MAC;
	if (cookie != DHCP_COOKIE)
		return BS_CTR_DROP_DHCP_NO_COOKIE;
	return 0;
}

/* The options the engine acts on, already length checked by the walker. */
static int
parse_known(struct dhcp_msg *m)
{
	const struct dhcp_opts *o = m->o;
	const uint8_t *v;
	size_t n;

	v = dhcp_opt_get(o, DHCP_OPT_MSG_TYPE, &n);
	if (!v)
		return BS_CTR_DROP_DHCP_NO_MSG_TYPE;
	m->type = v[0];
	switch (m->type) {
	case DHCP_MT_DISCOVER:
	case DHCP_MT_REQUEST:
	case DHCP_MT_DECLINE:
	case DHCP_MT_RELEASE:
	case DHCP_MT_INFORM:
		break;
	default: /* OFFER/ACK/NAK are server messages; others unknown */
		return BS_CTR_DROP_DHCP_BAD_MSG_TYPE;
	}
	v = dhcp_opt_get(o, DHCP_OPT_REQUESTED_IP, &n);
	m->has_req_ip = v != NULL;
	m->req_ip = v ? be32_at(v) : 0;
	v = dhcp_opt_get(o, DHCP_OPT_SERVER_ID, &n);
	m->has_server_id = v != NULL;
	m->server_id = v ? be32_at(v) : 0;
	v = dhcp_opt_get(o, DHCP_OPT_MAX_MSG_SIZE, &n);
	m->max_size = v ? (uint16_t)(v[0] << 8 | v[1]) : 0;
	/* RFC 2132 9.10: the minimum legal value is 576. */
	if (v && m->max_size < DHCP_MIN_MSG)
		return BS_CTR_DROP_DHCP_BAD_MAX_SIZE;
	return 0;
}

int
dhcp_msg_parse(struct dhcp_msg *m, struct dhcp_opts *opts, const uint8_t *p, size_t len)
{
	int rc;

	memset(m, 0, sizeof(*m));
	m->o = opts;
	if (len < DHCP_OPTS_OFF)
		return BS_CTR_DROP_DHCP_TRUNCATED;
	rc = parse_fixed(m, p, len);
	if (rc)
		return rc;
	rc = dhcp_opts_parse(opts, p, len);
	if (rc)
		return rc;
	return parse_known(m);
}

size_t
dhcp_msg_reply_limit(const struct dhcp_msg *m, size_t cap)
{
	size_t lim = m->max_size ? (size_t)m->max_size - DHCP_IPUDP_HDRS : DHCP_DEFAULT_MAX;
	if (lim > DHCP_MAX_REPLY)
		lim = DHCP_MAX_REPLY;
	if (lim > cap)
		lim = cap;
	return lim;
}

static bool
put_field(struct wcur *w, const char *s, size_t field)
{
	uint8_t *q = wcur_reserve(w, field);
	if (!q)
		return false;
	memset(q, 0, field);
	if (s) {
		size_t n = strlen(s);
		if (n >= field) /* never a truncated name: the caller checks */
			return false;
		memcpy(q, s, n);
	}
	return true;
}

bool
dhcp_msg_put_header(struct wcur *w, const struct dhcp_msg *m, const struct dhcp_reply_hdr *h)
{
	wcur_u8(w, DHCP_OP_REPLY);
	wcur_u8(w, m->htype);
	wcur_u8(w, m->hlen);
	wcur_u8(w, 0);			/* hops: RFC 2131 table 3 */
	wcur_be32(w, m->xid);
	wcur_be16(w, 0);		/* secs */
	wcur_be16(w, h->flags);
	wcur_be32(w, h->ciaddr);
	wcur_be32(w, h->yiaddr);
	wcur_be32(w, h->siaddr);
	wcur_be32(w, m->giaddr);	/* RFC 2131 table 3: giaddr from client */
	wcur_put(w, m->chaddr, sizeof(m->chaddr));
	if (!put_field(w, h->sname, DHCP_SNAME_LEN) || !put_field(w, h->file, DHCP_FILE_LEN))
		w->bad = true;
	wcur_be32(w, DHCP_COOKIE);
	return !w->bad;
}

bool
dhcp_msg_finish(struct wcur *w)
{
	if (!wcur_u8(w, DHCP_OPT_END))
		return false;
	if (w->len < DHCP_BOOTP_MIN)
		wcur_zero(w, DHCP_BOOTP_MIN - w->len);
	return !w->bad;
}
