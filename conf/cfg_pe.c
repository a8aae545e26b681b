/* SPDX-License-Identifier: BSD-3-Clause */
#include "conf/cfg_pe.h"

#include <errno.h>
#include <string.h>

/* Every read checks n > len - off, never p + off + n > end. */
static bool
have(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

static uint32_t
rd16(const uint8_t *p, size_t len, size_t off, bool *bad)
{
	if (!have(len, off, 2)) {
		*bad = true;
		return 0;
	}
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8;
}

static uint32_t
rd32(const uint8_t *p, size_t len, size_t off, bool *bad)
{
	if (!have(len, off, 4)) {
		*bad = true;
		return 0;
	}
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
	       (uint32_t)p[off + 3] << 24;
}

static uint64_t
rd64(const uint8_t *p, size_t len, size_t off, bool *bad)
{
	return rd32(p, len, off, bad) | (uint64_t)rd32(p, len, off + 4, bad) << 32;
}

/* SBAT (shim's SBAT.md): CSV lines "component,generation,vendor,...";
 * the first line is "sbat,1,..." itself, then the product's own. */
static enum pe_kind
sbat_kind(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i]) {
		size_t rest = n - i;

		if (rest >= 5 && memcmp(s + i, "shim,", 5) == 0)
			return PE_SHIM;
		if (rest >= 5 && memcmp(s + i, "grub,", 5) == 0)
			return PE_GRUB;
		while (i < n && s[i] && s[i] != '\n')
			i++;
		i++;
	}
	return PE_OTHER;
}

/* grub-mkimage's module area (include/grub/kernel.h): struct
 * grub_module_info64 { u32 magic "mimg"; u32 pad; u64 offset; u64 size; }
 * then objects { u32 type; u32 size (header included); data }, type 3 =
 * OBJ_TYPE_PREFIX, a NUL-terminated string. */
static bool
grub_mods(const uint8_t *m, size_t n, struct pe_info *out)
{
	bool bad = false;
	uint64_t off, size;

	if (rd32(m, n, 0, &bad) != 0x676d696d || bad)
		return false;
	off = rd64(m, n, 8, &bad);
	size = rd64(m, n, 16, &bad);
	if (bad || size > n)
		return true;
	while (off + 8 <= size) {
		uint32_t type = rd32(m, n, (size_t)off, &bad);
		uint32_t osz = rd32(m, n, (size_t)off + 4, &bad);

		if (bad || osz < 8 || osz > size - off)
			break;
		if (type == 3) {
			size_t k = 0, cap = sizeof(out->prefix) - 1;

			while (k < cap && k < osz - 8 && m[off + 8 + k])
				k++;
			memcpy(out->prefix, m + off + 8, k);
			out->prefix[k] = '\0';
		}
		off += osz;
	}
	return true;
}

int
pe_inspect(const uint8_t *p, size_t len, struct pe_info *out)
{
	bool bad = false;
	size_t pe, opt, dd, sec;
	uint32_t nsec, optsz, magic, ndd;

	memset(out, 0, sizeof(*out));
	if (!have(len, 0, 2) || p[0] != 'M' || p[1] != 'Z')
		return -EINVAL;
	pe = rd32(p, len, 0x3c, &bad);
	if (bad || !have(len, pe, 24) || memcmp(p + pe, "PE\0\0", 4) != 0)
		return -EINVAL;
	nsec = rd16(p, len, pe + 6, &bad);
	optsz = rd16(p, len, pe + 20, &bad);
	opt = pe + 24;
	magic = rd16(p, len, opt, &bad);
	/* PE/COFF spec, "Optional Header Data Directories": NumberOfRvaAndSizes
	 * at 92 (PE32) or 108 (PE32+), the directories right after it; entry 4
	 * is the certificate table (Authenticode), a file offset and size. */
	if (bad || (magic != 0x10b && magic != 0x20b))
		return -EINVAL;
	out->is_pe = true;
	dd = opt + (magic == 0x20b ? 112 : 96);
	ndd = rd32(p, len, dd - 4, &bad);
	if (!bad && ndd > 4 && dd + 5 * 8 <= opt + optsz)
		out->signed_ = rd32(p, len, dd + 4 * 8 + 4, &bad) != 0 && !bad;
	sec = opt + optsz;
	for (uint32_t i = 0; i < nsec && i < 96; i++, sec += 40) {
		uint32_t rsz, rptr;
		char name[9] = { 0 };

		if (!have(len, sec, 40))
			break;
		memcpy(name, p + sec, 8);
		rsz = rd32(p, len, sec + 16, &bad);
		rptr = rd32(p, len, sec + 20, &bad);
		if (bad || !have(len, rptr, rsz))
			continue;
		if (strcmp(name, ".sbat") == 0 && out->kind == PE_OTHER)
			out->kind = sbat_kind(p + rptr, rsz);
		else if (strcmp(name, "mods") == 0 && grub_mods(p + rptr, rsz, out))
			out->kind = PE_GRUB;
	}
	return 0;
}
