/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PXE: boot file by option 93 arch (node override > profile), PXEClient /
 * HTTPClient / iPXE detection, options 43/60/66/67/97 and the fixed
 * fields, boot events, ProxyDHCP on 67 and the boot server port 4011.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm/counters.h"
#include "shm/leases.h"
#include "dataplane/dhcp/dhcp_wire.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

#define SERVER IP4(10, 77, 0, 1)
#define BCAST  0xffffffffu

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 1 };
static const uint8_t DYN[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t UUID[17] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* A PXE ROM's DISCOVER: class, arch, UUID, NDI, a PRL with 66/67. */
static void
pxe_discover(struct pk *p, const uint8_t mac[6], const char *cls, int arch)
{
	const uint8_t prl[] = { 1, 3, 43, 60, 66, 67, 97 };
	const uint8_t ndi[] = { 1, 2, 1 };
	pk_start(p, DHCP_MT_DISCOVER, mac, 0xabcd);
	pk_set16(p, 10, DHCP_FLAG_BROADCAST);
	pk_opt(p, 55, prl, sizeof(prl));
	if (cls)
		pk_opt(p, 60, cls, strlen(cls));
	if (arch >= 0) {
		uint8_t a[2] = { (uint8_t)(arch >> 8), (uint8_t)arch };
		pk_opt(p, 93, a, 2);
	}
	pk_opt(p, 94, ndi, 3);
	pk_opt(p, 97, UUID, 17);
}

static const char *
file_field(const struct th *h)
{
	return (const char *)h->txbuf + 108;
}

static void
assert_opt_str(const struct th *h, uint8_t code, const char *want)
{
	size_t n = 0;
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, code, &n);
	if (!v)
		fail_msg("option %u missing", code);
	if (n != strlen(want) || memcmp(v, want, n) != 0)
		fail_msg("option %u: got %.*s want %s", code, (int)n, v, want);
}

static void
test_bios_pxe_offer(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	struct pk p;
	pxe_discover(&p, DYN, "PXEClient:Arch:00000:UNDI:002001", 0);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_OFFER);
	assert_string_equal(file_field(h), "pxelinux.0");
	assert_int_equal(rp_be32(h->txbuf, 20), SERVER); /* siaddr */
	assert_string_equal((const char *)h->txbuf + 44, "10.77.0.1");
	assert_opt_str(h, 60, "PXEClient");
	assert_opt_str(h, 66, "10.77.0.1");
	assert_opt_str(h, 67, "pxelinux.0");
	size_t n = 0;
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, 97, &n);
	assert_non_null(v);
	assert_memory_equal(v, UUID, 17);
	v = rp_opt(h->txbuf, h->tx.len, 43, &n);
	const uint8_t vo[] = { 6, 1, 8, 255 };
	assert_non_null(v);
	assert_int_equal(n, 4);
	assert_memory_equal(v, vo, 4);
	assert_int_equal(h->tx.dst_ip, BCAST);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_PXE_CLIENT), 1);
	/* Boot event: DISCOVER stage with arch and file. */
	assert_int_equal(h->nbev, 1);
	assert_int_equal(h->bev[0].stage, BOOT_STAGE_DHCP_DISCOVER);
	assert_int_equal(h->bev[0].arch, 0);
	assert_string_equal(h->bev[0].file, "pxelinux.0");
	assert_int_equal(h->bev[0].ip, rp_be32(h->txbuf, 16));
	/* ACK: BOUND stage. */
	uint32_t ip = rp_be32(h->txbuf, 16);
	pk_start(&p, DHCP_MT_REQUEST, DYN, 0xabcd);
	pk_opt(&p, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
	pk_opt32(&p, 50, ip);
	pk_opt32(&p, 54, SERVER);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_ACK);
	assert_string_equal(file_field(h), "pxelinux.0");
	assert_int_equal(h->nbev, 2);
	assert_int_equal(h->bev[1].stage, BOOT_STAGE_DHCP_BOUND);
	th_done(h);
}

static void
test_arch_selection(void **st)
{
	(void)st;
	static const struct {
		int arch;
		const char *file;
	} cases[] = {
		{ -1, "pxelinux.0" },	/* no option 93: legacy BIOS ROM */
		{ 0, "pxelinux.0" },	{ 7, "grubx64.efi" }, { 9, "grubx64.efi" },
		{ 11, "grubaa64.efi" }, { 6, "" },	      /* efi-ia32 not configured */
		{ 0x99, "" },		/* unknown arch */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct th *h = th_lab(NULL);
		struct pk p;
		pxe_discover(&p, DYN, "PXEClient", cases[i].arch);
		pk_end(&p);
		assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
		if (strcmp(file_field(h), cases[i].file) != 0)
			fail_msg("arch %d: got '%s' want '%s'", cases[i].arch, file_field(h),
				 cases[i].file);
		size_t n;
		if (!cases[i].file[0]) /* no boot file: no boot options either */
			assert_null(rp_opt(h->txbuf, h->tx.len, 67, &n));
		th_done(h);
	}
}

static void
tweak_node_override(struct tb *b)
{
	b->node[0].boot_file = tb_str(b, "special/node001.efi");
	b->node[0].ipxe_url = tb_str(b, "http://10.77.0.1/ipxe/node001");
	b->prof[0].next_server = IP4(10, 77, 0, 5);
}

static void
test_node_override_and_next_server(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_node_override);
	struct pk p;
	pxe_discover(&p, M1, "PXEClient", 7);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "special/node001.efi");
	assert_int_equal(rp_be32(h->txbuf, 20), IP4(10, 77, 0, 5));
	assert_opt_str(h, 66, "10.77.0.5");
	/* Other clients keep the profile's file. */
	pxe_discover(&p, DYN, "PXEClient", 7);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "grubx64.efi");
	/* iPXE on the node: its own URL. */
	pxe_discover(&p, M1, "PXEClient", 7);
	pk_opt(&p, 77, "iPXE", 4);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "http://10.77.0.1/ipxe/node001");
	th_done(h);
}

static void
test_ipxe_breaks_chainload(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	struct pk p;
	/* By user class 77 "iPXE". */
	pxe_discover(&p, DYN, "PXEClient:Arch:00000:UNDI:002001", 0);
	pk_opt(&p, 77, "iPXE", 4);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "http://10.77.0.1/ipxe/boot");
	size_t n;
	assert_null(rp_opt(h->txbuf, h->tx.len, 43, &n)); /* iPXE needs no PXE menu control */
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_IPXE_CLIENT), 1);
	/* By option 175 alone. */
	const uint8_t enc[] = { 19, 1, 1 };
	pxe_discover(&p, DYN, "PXEClient", 7);
	pk_opt(&p, 175, enc, 3);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "http://10.77.0.1/ipxe/boot");
	/* RFC 3004 formatted user class. */
	const uint8_t uc[] = { 3, 'f', 'o', 'o', 4, 'i', 'P', 'X', 'E' };
	pxe_discover(&p, DYN, "PXEClient", 7);
	pk_opt(&p, 77, uc, sizeof(uc));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "http://10.77.0.1/ipxe/boot");
	/* Some other user class: the arch file. */
	pxe_discover(&p, DYN, "PXEClient", 7);
	pk_opt(&p, 77, "gPXE", 4);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "grubx64.efi");
	th_done(h);
}

static void
test_http_client(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	struct pk p;
	pxe_discover(&p, DYN, "HTTPClient:Arch:00016:UNDI:003001", 16);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "http://10.77.0.1/boot/ipxe.efi");
	assert_opt_str(h, 60, "HTTPClient"); /* UEFI HTTP boot needs the echo */
	assert_opt_str(h, 67, "http://10.77.0.1/boot/ipxe.efi");
	size_t n;
	assert_null(rp_opt(h->txbuf, h->tx.len, 43, &n));
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_HTTP_CLIENT), 1);
	assert_int_equal(h->bev[0].arch, 16);
	th_done(h);
}

static void
test_plain_client_gets_no_boot(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(h->txbuf[108], 0);
	assert_int_equal(rp_be32(h->txbuf, 20), 0);
	size_t n;
	assert_null(rp_opt(h->txbuf, h->tx.len, 60, &n));
	th_done(h);
}

static void
test_proxy_dhcp(void **st)
{
	(void)st;
	struct th *h = th_lab(tb_tweak_proxy);
	struct pk p;
	pxe_discover(&p, DYN, "PXEClient:Arch:00007:UNDI:003016", 7);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_OFFER);
	assert_int_equal(rp_be32(h->txbuf, 16), 0); /* no address */
	assert_string_equal(file_field(h), "grubx64.efi");
	assert_int_equal(rp_be32(h->txbuf, 20), SERVER);
	assert_opt_str(h, 60, "PXEClient");
	size_t n;
	assert_null(rp_opt(h->txbuf, h->tx.len, 51, &n));
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 54), SERVER);
	assert_int_equal(h->tx.dst_ip, BCAST);
	assert_int_equal(h->leases->used, 0);
	assert_int_equal(h->nev, 0);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_TX_PROXY), 1);
	/* Non-PXE clients belong to the site's DHCP server. */
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_SILENT);
	/* A REQUEST to the real DHCP server: not ours, silent. */
	pk_start(&p, DHCP_MT_REQUEST, DYN, 1);
	pk_opt(&p, 60, "PXEClient", 9);
	pk_opt32(&p, 50, IP4(10, 77, 0, 160));
	pk_opt32(&p, 54, IP4(10, 77, 0, 254));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_SILENT);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_SILENT_PROXY), 2);
	/* Port 4011 (PXE spec 2.2.6): the configured client asks for its
	 * boot file; ACK back to where it came from. */
	pxe_discover(&p, DYN, "PXEClient:Arch:00007:UNDI:003016", 7);
	pk_set32(&p, 12, IP4(10, 77, 0, 160));
	const uint8_t req = DHCP_MT_REQUEST;
	p.b[242] = req; /* option 53 value: first option written by pk_start */
	pk_end(&p);
	struct dhcp_rx rx = {
		.p = p.b, .len = p.len, .src_ip = IP4(10, 77, 0, 160), .dst_ip = SERVER,
		.src_port = 4011, .dst_port = 4011, .now_ms = h->now,
	};
	memcpy(rx.src_mac, DYN, 6);
	h->tx = (struct dhcp_tx){ .buf = h->txbuf, .cap = sizeof(h->txbuf) };
	assert_int_equal(dhcp_handle(h->e, h->snap, &rx, &h->tx).verdict, DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_ACK);
	assert_string_equal(file_field(h), "grubx64.efi");
	assert_int_equal(h->tx.dst_ip, IP4(10, 77, 0, 160));
	assert_int_equal(h->tx.dst_port, 4011);
	assert_int_equal(h->tx.src_port, 4011);
	assert_memory_equal(h->tx.dst_mac, DYN, 6);
	assert_int_equal(rp_be32(h->txbuf, 16), 0);
	/* A DISCOVER on 4011 is not a boot server request. */
	pxe_discover(&p, DYN, "PXEClient", 7);
	pk_end(&p);
	rx.p = p.b;
	rx.len = p.len;
	assert_int_equal(dhcp_handle(h->e, h->snap, &rx, &h->tx).why, BS_DROP_DHCP_PXE_PORT);
	th_done(h);
}

static void
tweak_proxy_noboot(struct tb *b)
{
	b->hdr.proxy_dhcp = 1;
	b->hdr.default_profile = SNAP_NONE;
}

static void
test_proxy_without_boot_file(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_proxy_noboot);
	struct pk p;
	pxe_discover(&p, DYN, "PXEClient", 7);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_NO_BOOT);
	/* The inventory node still has its profile. */
	pxe_discover(&p, M1, "PXEClient", 7);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal(file_field(h), "grubx64.efi");
	th_done(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bios_pxe_offer),
		cmocka_unit_test(test_arch_selection),
		cmocka_unit_test(test_node_override_and_next_server),
		cmocka_unit_test(test_ipxe_breaks_chainload),
		cmocka_unit_test(test_http_client),
		cmocka_unit_test(test_plain_client_gets_no_boot),
		cmocka_unit_test(test_proxy_dhcp),
		cmocka_unit_test(test_proxy_without_boot_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
