/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TFTP wire formats: RRQ/WRQ parsing with RFC 2347 options, OACK and ERROR
 * building, the payload checksum.  Every read goes through struct cur and
 * every write through struct wcur (dataplane/net/cursor.h).
 */
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "dataplane/net/cursor.h"
#include "dataplane/tftp/tftp_int.h"

/* Decimal value of an option: digits only, no sign, no spaces, at most 10
 * digits (RFC 2347 section "Option Negotiation" gives values as ASCII
 * decimal).  Returns false when it is not one. */
static bool
parse_uint(const char *v, size_t len, uint64_t *out)
{
	uint64_t x = 0;
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

/* One option.  Returns false when its value is malformed (non-numeric):
 * RFC 2347 lets the server answer ERROR 8 to terminate the negotiation.
 * Values that are numeric but out of range are handled per option RFC. */
static bool
take_option(struct tftp_req *r, const char *k, const char *v, size_t vlen)
{
	uint64_t x;
	if (strcasecmp(k, "blksize") == 0) {
		if (!parse_uint(v, vlen, &x))
			return false;
		/* RFC 2348 section 2: valid values 8..65464.  Below 8 there is
		 * no block size to agree on: ERROR 8.  Above 65464 we answer
		 * with the largest we accept, which the client must take
		 * ("less than or equal to the value specified"). */
		if (x < TFTP_BLKSIZE_MIN)
			return false;
		if (!(r->opts & TFTP_OPTB_BLKSIZE)) {
			r->blksize = x > TFTP_BLKSIZE_MAX ? TFTP_BLKSIZE_MAX : (uint32_t)x;
			r->opts |= TFTP_OPTB_BLKSIZE;
		}
	} else if (strcasecmp(k, "tsize") == 0) {
		if (!parse_uint(v, vlen, &x))
			return false;
		/* RFC 2349 section 4: an RRQ carries tsize 0 and the OACK the
		 * size; a non-zero value in an RRQ is tolerated and answered. */
		r->opts |= TFTP_OPTB_TSIZE;
		r->tsize = (uint32_t)(x > UINT32_MAX ? UINT32_MAX : x);
	} else if (strcasecmp(k, "timeout") == 0) {
		if (!parse_uint(v, vlen, &x))
			return false;
		/* RFC 2349 section 3: valid 1..255 s and the server must echo
		 * the value unchanged, so one outside the range is not
		 * accepted: left out of the OACK, the transfer goes on. */
		if (x < TFTP_TIMEOUT_MIN || x > TFTP_TIMEOUT_MAX) {
			r->n_ignored++;
			return true;
		}
		r->opts |= TFTP_OPTB_TIMEOUT;
		r->timeout_s = (uint32_t)x;
	} else if (strcasecmp(k, "windowsize") == 0) {
		if (!parse_uint(v, vlen, &x))
			return false;
		/* RFC 7440 section 3: valid 1..65535; outside it is a
		 * malformed request: ERROR 8.  Inside it we may answer a
		 * smaller value (our cap). */
		if (x < 1 || x > TFTP_WINDOW_MAX)
			return false;
		if (!(r->opts & TFTP_OPTB_WINDOW)) {
			r->windowsize = (uint32_t)x;
			r->opts |= TFTP_OPTB_WINDOW;
		}
	} else {
		/* RFC 2347: unknown options are ignored (left out of the OACK). */
		r->n_unknown++;
	}
	return true;
}

int
tftp_parse_req(const uint8_t *p, size_t len, struct tftp_req *r, int *err)
{
	struct cur c = cur_init(p, len);
	size_t mlen;
	*r = (struct tftp_req){ 0 };
	*err = -1;

	/* RFC 1350 section 5: | filename | 0 | mode | 0 |. */
	r->name = cur_cstr(&c, &r->name_len);
	const char *mode = r->name ? cur_cstr(&c, &mlen) : NULL;
	if (!mode) {
		*err = TFTP_E_ILLEGAL_OP;
		return BS_CTR_DROP_TFTP_RRQ_MALFORMED;
	}
	if (r->name_len == 0) {
		*err = TFTP_E_NOT_FOUND;
		return BS_CTR_DROP_TFTP_RRQ_EMPTY_NAME;
	}
	if (r->name_len > TFTP_NAME_MAX) {
		*err = TFTP_E_NOT_FOUND;
		return BS_CTR_DROP_TFTP_RRQ_NAME_LONG;
	}
	/* Modes are case-insensitive (RFC 1350 section 5); "mail" is
	 * obsolete and refused like any other. */
	if (strcasecmp(mode, "octet") == 0)
		r->netascii = false;
	else if (strcasecmp(mode, "netascii") == 0)
		r->netascii = true;
	else {
		*err = TFTP_E_ILLEGAL_OP;
		return BS_CTR_DROP_TFTP_BAD_MODE;
	}

	/* RFC 2347: option name/value pairs, each NUL terminated.  Some
	 * firmware pads requests with NUL bytes after the mode: a trailing
	 * run of NULs is ignored.  A name without a value, or a value that is
	 * not a number, is a malformed negotiation: ERROR 8. */
	while (c.left > 0) {
		size_t klen, vlen;
		const char *k = cur_cstr(&c, &klen);
		if (!k)
			goto bad_opt; /* name without NUL */
		if (klen == 0) {
			/* padding: only NULs may follow */
			while (c.left > 0)
				if (cur_u8(&c) != 0)
					goto bad_opt;
			break;
		}
		const char *v = cur_cstr(&c, &vlen);
		if (!v || !take_option(r, k, v, vlen))
			goto bad_opt;
	}
	return 0;
bad_opt:
	*err = TFTP_E_OPTION;
	return BS_CTR_DROP_TFTP_BAD_OPTION;
}

size_t
tftp_build_error(uint8_t *buf, size_t cap, unsigned code, const char *msg)
{
	struct wcur w = wcur_init(buf, cap);
	wcur_be16(&w, TFTP_OP_ERROR);
	wcur_be16(&w, (uint16_t)code);
	wcur_put(&w, msg, strlen(msg) + 1);
	return w.bad ? 0 : w.len;
}

static void
put_opt(struct wcur *w, const char *k, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	wcur_put(w, k, strlen(k) + 1);
	wcur_put(w, num, (size_t)n + 1);
}

size_t
tftp_build_oack(uint8_t *buf, size_t cap, unsigned opts, uint32_t blksize, uint64_t tsize,
		uint32_t timeout_s, uint32_t windowsize)
{
	struct wcur w = wcur_init(buf, cap);
	wcur_be16(&w, TFTP_OP_OACK);
	if (opts & TFTP_OPTB_BLKSIZE)
		put_opt(&w, "blksize", blksize);
	if (opts & TFTP_OPTB_TSIZE)
		put_opt(&w, "tsize", tsize);
	if (opts & TFTP_OPTB_TIMEOUT)
		put_opt(&w, "timeout", timeout_s);
	if (opts & TFTP_OPTB_WINDOW)
		put_opt(&w, "windowsize", windowsize);
	return w.bad ? 0 : w.len;
}

uint16_t
tftp_raw_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint32_t a, b;
		memcpy(&a, p + i, 4);
		memcpy(&b, p + i + 4, 4);
		s += (uint64_t)a + b;
	}
	for (; i + 2 <= len; i += 2) {
		uint16_t h;
		memcpy(&h, p + i, 2);
		s += h;
	}
	if (i < len) {
		uint16_t h = 0;
		memcpy(&h, p + i, 1);
		s += h;
	}
	/* 32-bit words added as two 16-bit halves: one's complement sums
	 * fold the same way (RFC 1071 section 2 (B), "deferred carries"). */
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}
