/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Client classification (PXE firmware, UEFI HTTP boot, iPXE) and boot file
 * selection.  Precedence: iPXE gets the ipxe URL (node > profile) so it
 * does not chainload itself forever; everyone else gets the file for its
 * option 93 architecture (node override > profile; the snapshot already
 * folds boot: files into each profile).
 */
#include <stdio.h>
#include <string.h>

#include "dataplane/dhcp/dhcp_int.h"

static bool
has_prefix(const uint8_t *v, size_t n, const char *pfx)
{
	size_t k = strlen(pfx);
	return v && n >= k && memcmp(v, pfx, k) == 0;
}

/* Option 77: iPXE sends the bare string "iPXE"; RFC 3004 clients send
 * length-prefixed entries.  Accept either form. */
static bool
user_class_ipxe(const uint8_t *v, size_t n)
{
	if (!v)
		return false;
	if (n == 4 && memcmp(v, "iPXE", 4) == 0)
		return true;
	struct cur c = cur_init(v, n);
	while (c.left > 0) {
		uint8_t len = cur_u8(&c);
		const uint8_t *s = cur_take(&c, len);
		if (!s)
			return false;
		if (len == 4 && memcmp(s, "iPXE", 4) == 0)
			return true;
	}
	return false;
}

void
dhcp_classify(const struct dhcp_msg *m, struct dhcp_class *cls)
{
	const uint8_t *v;
	size_t n = 0;

	memset(cls, 0, sizeof(*cls));
	v = dhcp_opt_get(m->o, DHCP_OPT_VENDOR_CLASS, &n);
	cls->pxe = has_prefix(v, n, "PXEClient");
	cls->http = has_prefix(v, n, "HTTPClient");
	v = dhcp_opt_get(m->o, DHCP_OPT_USER_CLASS, &n);
	cls->ipxe = user_class_ipxe(v, n) || dhcp_opt_has(m->o, DHCP_OPT_IPXE_ENCAP);
	v = dhcp_opt_get(m->o, DHCP_OPT_CLIENT_ARCH, &n);
	if (v) {
		cls->has_arch = true;
		cls->arch_raw = (uint16_t)(v[0] << 8 | v[1]);
		cls->arch = snap_arch_from_opt93(cls->arch_raw);
	} else {
		/* RFC 4578 2.1: legacy PXE ROMs predating option 93 are BIOS. */
		cls->arch = SNAP_ARCH_BIOS;
	}
	/* HTTPClient without a known arch still wants a URL (x64 is what
	 * EDK2 ships); an HTTP arch without HTTPClient is still HTTP. */
	if (cls->http && cls->arch != SNAP_ARCH_HTTP_X64 && cls->arch != SNAP_ARCH_HTTP_ARM64)
		cls->arch = cls->arch == SNAP_ARCH_EFI_ARM64 ? SNAP_ARCH_HTTP_ARM64 : SNAP_ARCH_HTTP_X64;
}

static const struct snap_profile *
client_profile(const struct dhcp_ctx *c)
{
	uint32_t p = c->node && c->node->profile != SNAP_NONE ? c->node->profile :
								 c->snap->default_profile;
	return p == SNAP_NONE ? NULL : snap_profile(c->snap, p);
}

static const char *
pick_file(const struct dhcp_ctx *c, const struct snap_profile *prof)
{
	const struct snap_hdr *s = c->snap;

	if (c->cls.ipxe) {
		if (c->node && c->node->ipxe_url)
			return snap_str(s, c->node->ipxe_url);
		if (prof && prof->ipxe_url)
			return snap_str(s, prof->ipxe_url);
		/* No URL configured: fall back to the arch file below. */
	}
	if (c->node && c->node->boot_file)
		return snap_str(s, c->node->boot_file);
	if (prof && c->cls.arch < SNAP_ARCH_MAX)
		return snap_str(s, prof->boot_file[c->cls.arch]);
	return "";
}

/* Dotted quad into out[16] without printf (this runs once per reply). */
static void
ip4_str(uint32_t a, char out[16])
{
	char *p = out;
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned v = (a >> shift) & 255;
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		if (shift)
			*p++ = '.';
	}
	*p = '\0';
}

/* The node's boot state (shm/snap.h enum snap_boot_state) where a boot file
 * cannot carry it.  A TFTP loader reads its per-node config (pxelinux
 * 01-<mac>, GRUB grub.cfg-01-<mac>, /ipxe/<node>), which control rewrites
 * to boot the disk; but UEFI HTTP boot (UEFI 2.x "HTTP Boot", client class
 * HTTPClient) downloads and runs the URL in the DHCP answer itself, so a
 * local node gets no URL: with no HTTPClient offer the firmware goes on to
 * its next boot option.  local_boot: no-boot-file extends that to every
 * route (firmware whose next boot entry is the disk, no loader round
 * trip); hold withholds boot info on every route.  Returns the counter of
 * the reason, 0 when the answer carries boot info as configured. */
enum bs_ctr
dhcp_boot_withheld(const struct dhcp_ctx *c)
{
	const struct snap_profile *prof;

	if (!c->node || c->node->boot == SNAP_BOOT_NET)
		return 0;
	if (c->node->boot == SNAP_BOOT_HOLD)
		return BS_CTR_DHCP_BOOT_HOLD;
	if (c->cls.http && !c->cls.ipxe)
		return BS_CTR_DHCP_BOOT_LOCAL;
	prof = client_profile(c);
	return prof && prof->local_boot == SNAP_LOCAL_NO_FILE ? BS_CTR_DHCP_BOOT_LOCAL : 0;
}

bool
dhcp_boot_select(const struct dhcp_ctx *c, struct dhcp_boot *b)
{
	const struct snap_profile *prof = client_profile(c);

	b->file = pick_file(c, prof);
	if (prof && prof->next_server)
		b->next_server = prof->next_server;
	else if (c->sub && c->sub->next_server)
		b->next_server = c->sub->next_server;
	else
		b->next_server = c->snap->server_ip;
	ip4_str(b->next_server, b->server_str);
	return b->file[0] != '\0';
}

void
dhcp_emit_boot(const struct dhcp_ctx *c, uint8_t stage, uint32_t ip, const char *file)
{
	if (!c->e->env.emit_boot)
		return;
	struct boot_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ms = c->rx->now_ms;
	ev.ip = ip;
	memcpy(ev.mac, c->m->chaddr, 6);
	ev.stage = stage;
	ev.arch = c->cls.has_arch && c->cls.arch_raw < 0xff ? (uint8_t)c->cls.arch_raw : 0xff;
	if (file) {
		size_t n = strnlen(file, sizeof(ev.file) - 1);
		memcpy(ev.file, file, n); /* ev was zeroed: NUL-terminated */
	}
	c->e->env.emit_boot(c->e->env.ctx, &ev);
}
