/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Option walker and writer (see dhcp_opts.h for the contract).
 */
#include <endian.h>
#include <string.h>

#include "shm/counters.h"
#include "dataplane/dhcp/dhcp_opts.h"
#include "dataplane/dhcp/dhcp_wire.h"

static const struct {
	uint16_t min, max;
	uint8_t known;
} opt_tab[256] = {
#define X(n, c, lo, hi) [c] = { .min = (lo), .max = (hi), .known = 1 },
	DHCP_OPT_LIST(X)
#undef X
};

bool
dhcp_opt_known(uint8_t code)
{
	return opt_tab[code].known;
}

size_t
dhcp_opt_min(uint8_t code)
{
	return opt_tab[code].known ? opt_tab[code].min : 0;
}

size_t
dhcp_opt_max(uint8_t code)
{
	return opt_tab[code].known ? opt_tab[code].max : DHCP_PARSE_MAX;
}

/* Which pass of the walk: sizes first, then copies into place. */
enum walk_pass {
	WALK_SIZE = 0,
	WALK_COPY,
};

struct walk {
	struct dhcp_opts *o;
	uint32_t tot[256];	/* reassembled lengths (pass 1) */
	uint16_t fill[256];	/* bytes copied so far (pass 2) */
	enum walk_pass pass;
};

/* Walks one field (options, file or sname).  allow_overload: option 52 is
 * honoured only in the options field (RFC 2131 4.1); one inside an
 * overloaded field would make the walk recurse, so it is refused. */
static int
walk_field(struct walk *wk, const uint8_t *p, size_t n, bool allow_overload)
{
	struct cur c = cur_init(p, n);

	while (c.left > 0) {
		uint8_t code = cur_u8(&c);
		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			return 0;
		uint8_t len = cur_u8(&c);
		const uint8_t *v = cur_take(&c, len);
		if (c.bad)
			return BS_CTR_DROP_DHCP_OPT_TRUNCATED;
		if (code == DHCP_OPT_OVERLOAD && !allow_overload)
			return BS_CTR_DROP_DHCP_OVERLOAD_LOOP;
		if (wk->pass == WALK_SIZE) {
			wk->tot[code] += len;
			if (code == DHCP_OPT_OVERLOAD && len == 1)
				wk->o->overload = v[0];
		} else {
			memcpy(wk->o->buf + wk->o->off[code] + wk->fill[code], v, len);
			wk->fill[code] = (uint16_t)(wk->fill[code] + len);
		}
		wk->o->present[code >> 3] |= (uint8_t)(1u << (code & 7));
	}
	/* No END: tolerated (RFC 2131 says the field ends with it, but real
	 * clients pad to the end of the frame; the bounds are what matter). */
	return 0;
}

/* Runs the walk over options, then file, then sname (RFC 3396 5 order). */
static int
walk_all(struct walk *wk, const uint8_t *p, size_t len)
{
	int rc = walk_field(wk, p + DHCP_OPTS_OFF, len - DHCP_OPTS_OFF, true);
	if (rc)
		return rc;
	if (wk->pass == WALK_SIZE) {
		/* Option 52 must be exactly one byte (checked here, before the
		 * walk trusts it to pick the fields) and 1..3 (RFC 2132 9.3). */
		if (wk->tot[DHCP_OPT_OVERLOAD] > 1)
			return BS_CTR_DROP_DHCP_OPT_LEN;
		if (dhcp_opt_has(wk->o, DHCP_OPT_OVERLOAD) &&
		    (wk->o->overload < 1 || wk->o->overload > 3 ||
		     wk->tot[DHCP_OPT_OVERLOAD] != 1))
			return BS_CTR_DROP_DHCP_OVERLOAD;
	}
	if (wk->o->overload & 1) {
		rc = walk_field(wk, p + DHCP_OFF_FILE, DHCP_FILE_LEN, false);
		if (rc)
			return rc;
	}
	if (wk->o->overload & 2)
		rc = walk_field(wk, p + DHCP_OFF_SNAME, DHCP_SNAME_LEN, false);
	return rc;
}

int
dhcp_opts_parse(struct dhcp_opts *o, const uint8_t *p, size_t len)
{
	struct walk wk;
	int rc;

	if (len < DHCP_OPTS_OFF)
		return BS_CTR_DROP_DHCP_TRUNCATED;
	if (len > DHCP_PARSE_MAX)
		return BS_CTR_DROP_DHCP_TOO_LONG;
	memset(o->present, 0, sizeof(o->present));
	o->overload = 0;
	memset(&wk, 0, sizeof(wk));
	wk.o = o;
	wk.pass = WALK_SIZE;
	rc = walk_all(&wk, p, len);
	if (rc)
		return rc;

	/* Lay the reassembled values out back to back; total <= len, so
	 * they fit buf (len <= DHCP_PARSE_MAX). */
	uint32_t at = 0;
	/* Visit only the codes seen (a client sends ~10 of 254): the bitmap
	 * read a word at a time, lowest set bit first. */
	for (unsigned wi = 0; wi < sizeof(o->present) / 8; wi++) {
		uint64_t bits;
		memcpy(&bits, o->present + wi * 8, 8);
		bits = le64toh(bits);
		while (bits) {
			unsigned code = wi * 64 + (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (wk.tot[code] < dhcp_opt_min((uint8_t)code) ||
			    wk.tot[code] > dhcp_opt_max((uint8_t)code))
				return BS_CTR_DROP_DHCP_OPT_LEN;
			o->off[code] = (uint16_t)at;
			o->len[code] = (uint16_t)wk.tot[code];
			at += wk.tot[code];
		}
	}
	wk.pass = WALK_COPY;
	return walk_all(&wk, p, len);
}

size_t
dhcp_opt_wire_len(size_t len)
{
	size_t parts = len == 0 ? 1 : (len + 254) / 255;
	return len + 2 * parts;
}

bool
dhcp_opt_put(struct wcur *w, size_t keep, uint8_t code, const void *v, size_t len)
{
	const uint8_t *src = v;
	size_t need = dhcp_opt_wire_len(len);

	if (w->bad || need + keep > w->left)
		return false;
	do {
		size_t part = len > 255 ? 255 : len;
		wcur_u8(w, code);
		wcur_u8(w, (uint8_t)part);
		wcur_put(w, src, part);
		src += part;
		len -= part;
	} while (len > 0);
	return !w->bad;
}

bool
dhcp_opt_put_u32(struct wcur *w, size_t keep, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return dhcp_opt_put(w, keep, code, b, 4);
}

bool
dhcp_opt_put_u16(struct wcur *w, size_t keep, uint8_t code, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return dhcp_opt_put(w, keep, code, b, 2);
}

bool
dhcp_opt_put_u8(struct wcur *w, size_t keep, uint8_t code, uint8_t v)
{
	return dhcp_opt_put(w, keep, code, &v, 1);
}
