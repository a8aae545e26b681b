/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Bounds-checked read and write cursors for wire formats.
 *
 * Reading: every get checks `n > left` (never pointer arithmetic past the
 * end); a failed get sets `bad`, returns zeros and keeps failing, so a parser
 * can read a whole fixed header and test `bad` once.  Loads are byte-wise or
 * memcpy: DHCP and TFTP fields sit at unaligned offsets.
 *
 * Writing: a put that does not fit sets `bad` and writes nothing (fail
 * closed); the caller drops the reply and counts it, never sends a
 * truncated one.
 */
#ifndef BS_NET_CURSOR_H
#define BS_NET_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline struct cur
cur_init(const void *p, size_t len)
{
	return (struct cur){ .p = p, .left = len, .bad = false };
}

static inline bool
cur_need(struct cur *c, size_t n)
{
	if (c->bad || n > c->left) {
		c->bad = true;
		return false;
	}
	return true;
}

/* Returns a pointer to the next n bytes and advances, or NULL. */
static inline const uint8_t *
cur_take(struct cur *c, size_t n)
{
	if (!cur_need(c, n))
		return NULL;
	const uint8_t *r = c->p;
	c->p += n;
	c->left -= n;
	return r;
}

static inline bool
cur_skip(struct cur *c, size_t n)
{
	return cur_take(c, n) != NULL;
}

static inline uint8_t
cur_u8(struct cur *c)
{
	const uint8_t *q = cur_take(c, 1);
	return q ? q[0] : 0;
}

static inline uint16_t
cur_be16(struct cur *c)
{
	const uint8_t *q = cur_take(c, 2);
	return q ? (uint16_t)(q[0] << 8 | q[1]) : 0;
}

static inline uint32_t
cur_be32(struct cur *c)
{
	const uint8_t *q = cur_take(c, 4);
	return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
			   (uint32_t)q[2] << 8 | q[3] :
		   0;
}

static inline bool
cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *q = cur_take(c, n);
	if (q)
		memcpy(dst, q, n);
	return q != NULL;
}

/* A NUL-terminated string inside the buffer: returns it (pointing into the
 * buffer) and advances past the NUL; NULL and bad when no NUL is found. */
static inline const char *
cur_cstr(struct cur *c, size_t *len)
{
	if (c->bad)
		return NULL;
	const uint8_t *z = memchr(c->p, 0, c->left);
	if (!z) {
		c->bad = true;
		return NULL;
	}
	size_t n = (size_t)(z - c->p);
	const char *s = (const char *)c->p;
	c->p += n + 1;
	c->left -= n + 1;
	if (len)
		*len = n;
	return s;
}

struct wcur {
	uint8_t *p;
	size_t left;
	size_t len;	/* bytes written so far */
	bool bad;
};

static inline struct wcur
wcur_init(void *p, size_t cap)
{
	return (struct wcur){ .p = p, .left = cap, .len = 0, .bad = false };
}

/* Reserves n bytes and returns where to write them, or NULL (bad set). */
static inline uint8_t *
wcur_reserve(struct wcur *w, size_t n)
{
	if (w->bad || n > w->left) {
		w->bad = true;
		return NULL;
	}
	uint8_t *r = w->p;
	w->p += n;
	w->left -= n;
	w->len += n;
	return r;
}

static inline bool
wcur_put(struct wcur *w, const void *src, size_t n)
{
	uint8_t *q = wcur_reserve(w, n);
	if (q && n)
		memcpy(q, src, n);
	return q != NULL;
}

static inline bool
wcur_u8(struct wcur *w, uint8_t v)
{
	return wcur_put(w, &v, 1);
}

static inline bool
wcur_be16(struct wcur *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return wcur_put(w, b, 2);
}

static inline bool
wcur_be32(struct wcur *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return wcur_put(w, b, 4);
}

static inline bool
wcur_zero(struct wcur *w, size_t n)
{
	uint8_t *q = wcur_reserve(w, n);
	if (q)
		memset(q, 0, n);
	return q != NULL;
}

#endif
