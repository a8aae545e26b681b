/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Scalar syntax of the config: integers, durations, IPv4, CIDR, MACs,
 * ranges.  Strict: the whole string must match (no trailing junk, no
 * leading '+' or spaces), because a half-parsed "10.0.0.1x" silently
 * meaning 10.0.0.1 is the kind of error check-config exists to catch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/cfg_parse.h"

/* Parses decimal digits at *s into *v (no overflow past UINT64_MAX/10).
 * Returns the number of digits read, 0 if none or on overflow. */
static size_t
dec_u64(const char *s, uint64_t *v)
{
	size_t i = 0;
	uint64_t x = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (x > (UINT64_MAX - 9) / 10 || i >= 19)
			return 0;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return i;
}

int
cfgp_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	size_t n = dec_u64(s, &v);
	if (n == 0 || s[n] != 0 || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
cfgp_bool(const char *s, bool *out)
{
	static const char *const t[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const f[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcmp(s, t[i]))
			return *out = true, 0;
		if (!strcmp(s, f[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

/* A unit suffix and its length in ms.  "ms" must be tried before "m". */
static const struct {
	const char *sfx;
	uint64_t ms;
} units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
};

int
cfgp_duration_ms(const char *s, uint64_t *out)
{
	uint64_t total = 0, v;
	size_t n = dec_u64(s, &v);
	if (n == 0)
		return -EINVAL;
	if (s[n] == 0) { /* plain integer: seconds */
		if (v > UINT32_MAX)
			return -EINVAL;
		*out = v * 1000;
		return 0;
	}
	/* One or more <number><unit> groups: "52m30s". */
	for (;;) {
		size_t u, k = sizeof(units) / sizeof(units[0]);
		for (u = 0; u < k; u++) {
			size_t l = strlen(units[u].sfx);
			if (!strncmp(s + n, units[u].sfx, l) &&
			    !(l == 1 && units[u].sfx[0] == 'm' && s[n + 1] == 's')) {
				n += l;
				break;
			}
		}
		if (u == k || v > UINT32_MAX)
			return -EINVAL;
		total += v * units[u].ms;
		if (total > (uint64_t)UINT32_MAX * 1000)
			return -EINVAL;
		if (s[n] == 0)
			break;
		size_t d = dec_u64(s + n, &v);
		if (d == 0)
			return -EINVAL;
		n += d;
	}
	*out = total;
	return 0;
}

/* Dotted quad at s; returns characters consumed (0 = not an address).
 * Each octet is 1-3 digits <= 255; no leading zeros beyond "0" so
 * "010.0.0.1" (octal in inet_aton) is refused rather than guessed. */
static size_t
ip_prefix_len_ex(const char *s, unsigned flags, uint32_t *out)
{
	size_t i = 0;
	uint32_t ip = 0;
	for (int o = 0; o < 4; o++) {
		if (o) {
			if (s[i] != '.')
				return 0;
			i++;
		}
		size_t st = i;
		uint32_t v = 0;
		while (s[i] >= '0' && s[i] <= '9' && i - st < 4)
			v = v * 10 + (uint32_t)(s[i++] - '0');
		size_t nd = i - st;
		if (nd == 0 || nd > 3 || v > 255 ||
		    (nd > 1 && s[st] == '0' && !(flags & CFGP_IP_LEADING_ZEROS)))
			return 0;
		ip = ip << 8 | v;
	}
	*out = ip;
	return i;
}

static size_t
ip_prefix_len(const char *s, uint32_t *out)
{
	return ip_prefix_len_ex(s, CFGP_STRICT, out);
}

int
cfgp_ip_ex(const char *s, unsigned flags, uint32_t *out)
{
	uint32_t ip;
	size_t n = ip_prefix_len_ex(s, flags, &ip);
	if (!n || s[n] != 0)
		return -EINVAL;
	*out = ip;
	return 0;
}

int
cfgp_ip(const char *s, uint32_t *out)
{
	return cfgp_ip_ex(s, CFGP_STRICT, out);
}

int
cfgp_cidr(const char *s, uint32_t *ip, uint8_t *prefix)
{
	size_t n = ip_prefix_len(s, ip);
	uint32_t p;
	if (!n || s[n] != '/' || cfgp_u32(s + n + 1, 0, 32, &p) < 0)
		return -EINVAL;
	*prefix = (uint8_t)p;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
mac_strict(const char *s, uint8_t mac[6])
{
	/* Exactly 17 characters: 6 pairs and 5 separators, all ':' or all '-'. */
	if (strlen(s) != 17 || (s[2] != ':' && s[2] != '-'))
		return -EINVAL;
	char sep = s[2];
	for (int i = 0; i < 6; i++) {
		int h = hexval(s[3 * i]), l = hexval(s[3 * i + 1]);
		if (h < 0 || l < 0 || (i < 5 && s[3 * i + 2] != sep))
			return -EINVAL;
		mac[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

/* One or two hex digits per octet, each separator ':' or '-'. */
static int
mac_short_octets(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	for (int i = 0; i < 6; i++) {
		int h = hexval(s[0]);
		if (h < 0)
			return -EINVAL;
		unsigned v = (unsigned)h;
		s++;
		int lo = hexval(s[0]);
		if (lo >= 0) {
			v = v << 4 | (unsigned)lo;
			s++;
		}
		m[i] = (uint8_t)v;
		if (i < 5) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	memcpy(mac, m, 6);
	return 0;
}

int
cfgp_mac_ex(const char *s, unsigned flags, uint8_t mac[6])
{
	return flags & CFGP_MAC_SHORT_OCTETS ? mac_short_octets(s, mac) : mac_strict(s, mac);
}

int
cfgp_mac(const char *s, uint8_t mac[6])
{
	return mac_strict(s, mac);
}

int
cfgp_ip_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	size_t n = ip_prefix_len(s, lo);
	if (!n)
		return -EINVAL;
	if (s[n] == 0) {
		*hi = *lo;
		return 0;
	}
	if (s[n] != '-' || cfgp_ip(s + n + 1, hi) < 0)
		return -EINVAL;
	return 0;
}

int
cfgp_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *lo, uint32_t *hi)
{
	const char *dash = strchr(s, '-');
	char a[16];
	if (!dash || (size_t)(dash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = 0;
	if (cfgp_u32(a, min, max, lo) < 0 || cfgp_u32(dash + 1, min, max, hi) < 0)
		return -EINVAL;
	return *lo <= *hi ? 0 : -EINVAL;
}

int
cfgp_listen(const char *s, uint32_t *ip, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	uint32_t p;
	if (!colon || cfgp_u32(colon + 1, 1, 65535, &p) < 0)
		return -EINVAL;
	*port = (uint16_t)p;
	if (colon == s) {
		*ip = 0;
		return 0;
	}
	size_t n = ip_prefix_len(s, ip);
	return n && s + n == colon ? 0 : -EINVAL;
}

int
cfgp_node_range(const char *s, struct cfgp_nrange *r)
{
	const char *ob = strchr(s, '['), *cb = ob ? strchr(ob, ']') : NULL;
	const char *dash = ob && cb ? memchr(ob, '-', (size_t)(cb - ob)) : NULL;
	char a[16], b[16];
	size_t la, lb;

	if (!ob || !cb || !dash)
		return -EINVAL;
	la = (size_t)(dash - ob - 1);
	lb = (size_t)(cb - dash - 1);
	if ((size_t)(ob - s) >= sizeof(r->prefix) || strlen(cb + 1) >= sizeof(r->suffix) ||
	    la == 0 || lb == 0 || la > 9 || lb > 9 || strchr(cb + 1, '['))
		return -EINVAL;
	memcpy(r->prefix, s, (size_t)(ob - s));
	r->prefix[ob - s] = 0;
	strcpy(r->suffix, cb + 1);
	memcpy(a, ob + 1, la);
	a[la] = 0;
	memcpy(b, dash + 1, lb);
	b[lb] = 0;
	if (cfgp_u32(a, 0, 999999999, &r->lo) < 0 || cfgp_u32(b, 0, 999999999, &r->hi) < 0)
		return -EINVAL;
	/* "node[002-099]" pads to the width of the first number. */
	r->width = a[0] == '0' && la > 1 ? (uint32_t)la : 1;
	return 0;
}

bool
cfgp_path_inside(const char *p)
{
	if (!p || p[0] == '/' || p[0] == 0)
		return false;
	/* Walk the components: depth must never go below the root. */
	int depth = 0;
	const char *c = p;
	while (*c) {
		const char *e = strchr(c, '/');
		size_t l = e ? (size_t)(e - c) : strlen(c);
		if (l == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (l > 0 && !(l == 1 && c[0] == '.')) {
			depth++;
		}
		c += l;
		if (*c == '/')
			c++;
	}
	return true;
}

bool
cfgp_is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) ||
	       !strncmp(s, "tftp://", 7);
}

const char *
cfgp_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

const char *
cfgp_ip_str(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		 ip & 0xff);
	return buf;
}
