/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Requests captured from real clients (the pcaps in tests/data/dhcp, see the
 * README there: dhclient, busybox udhcpc, iPXE BIOS and UEFI in QEMU, and
 * EDK2's own PXE) fed through dhcp_handle(); replies asserted field by
 * field.  The snapshots mirror the capture networks: server 10.77.0.1/24
 * for dhclient/udhcpc, 10.78.0.1/24 for the QEMU tap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "shm/counters.h"
#include "shm/leases.h"
#include "dataplane/dhcp/dhcp_wire.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

#define BCAST 0xffffffffu

static const char *data_dir = "tests/data/dhcp";

struct frame {
	uint8_t p[1500];
	size_t len;
};

/* Frame n (1-based, as tshark numbers them) of a capture: its UDP payload
 * when it is a client request to port 67. */
static struct frame
frame_n(const char *name, unsigned n)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc)
		fail_msg("%s: %s", path, err);
	struct pcap_pkthdr *hdr;
	const u_char *d;
	struct frame f = { .len = 0 };
	for (unsigned i = 1; pcap_next_ex(pc, &hdr, &d) == 1; i++) {
		if (i != n)
			continue;
		size_t cap = hdr->caplen;
		assert_true(cap > 14 + 20 + 8);
		assert_int_equal(d[12] << 8 | d[13], 0x0800);
		size_t ihl = (size_t)(d[14] & 15) * 4;
		const u_char *udp = d + 14 + ihl;
		assert_int_equal(udp[2] << 8 | udp[3], 67);
		size_t ulen = (size_t)(udp[4] << 8 | udp[5]) - 8;
		assert_true(14 + ihl + 8 + ulen <= cap);
		memcpy(f.p, udp + 8, ulen);
		f.len = ulen;
		break;
	}
	pcap_close(pc);
	if (!f.len)
		fail_msg("%s: no request frame %u", name, n);
	return f;
}

static struct th *
net77(void)
{
	static struct tb b;
	tb_lab(&b);
	return th_new(tb_finish(&b, 1), 1024);
}

/* The QEMU tap network of the capture. */
static struct th *
net78(void)
{
	static struct tb b;
	tb_lab(&b);
	b.hdr.server_ip = IP4(10, 78, 0, 1);
	b.sub[0].net = IP4(10, 78, 0, 0);
	b.sub[0].router = IP4(10, 78, 0, 1);
	b.pool[0].lo = IP4(10, 78, 0, 100);
	b.pool[0].hi = IP4(10, 78, 0, 199);
	b.nnode = 0;
	return th_new(tb_finish(&b, 1), 1024);
}

static int
feed(struct th *h, const struct frame *f)
{
	return th_send_raw(h, f->p, f->len, 0, BCAST, 67);
}

static uint32_t
yi(const struct th *h)
{
	return rp_be32(h->txbuf, 16);
}

static void
assert_echoes(const struct th *h, const struct frame *f)
{
	assert_int_equal(h->txbuf[0], 2);
	assert_memory_equal(h->txbuf + 4, f->p + 4, 4);	  /* xid */
	assert_memory_equal(h->txbuf + 28, f->p + 28, 16); /* chaddr */
	assert_memory_equal(h->txbuf + 10, f->p + 10, 2);  /* flags */
	assert_true(h->tx.len <= DHCP_MAX_REPLY);
}

static bool
has(const struct th *h, uint8_t code)
{
	size_t n;
	return rp_opt(h->txbuf, h->tx.len, code, &n) != NULL;
}

static void
assert_str_opt(const struct th *h, uint8_t code, const char *want)
{
	size_t n = 0;
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, code, &n);
	assert_non_null(v);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(v, want, n);
}

static void
test_dhclient(void **st)
{
	(void)st;
	struct th *h = net77();
	struct frame d = frame_n("dhclient.pcap", 1), r = frame_n("dhclient.pcap", 3);
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0xaa, 0, 1 };

	assert_int_equal(feed(h, &d), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_OFFER);
	assert_echoes(h, &d);
	uint32_t ip = yi(h);
	assert_true(ip >= IP4(10, 77, 0, 100) && ip <= IP4(10, 77, 0, 199));
	/* dhclient clears the broadcast bit: unicast to yiaddr/chaddr. */
	assert_int_equal(h->tx.dst_ip, ip);
	assert_memory_equal(h->tx.dst_mac, mac, 6);
	/* Its PRL asks for 1, 28, 3, 15, 6 ...: all configured ones come. */
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 1), 0xffffff00u);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 3), IP4(10, 77, 0, 1));
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 6), IP4(10, 77, 0, 1));
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 28), IP4(10, 77, 0, 255));
	assert_str_opt(h, 15, "lab.example");
	assert_false(has(h, 60));
	assert_int_equal(h->txbuf[108], 0);
	assert_true(h->tx.len <= 548); /* no option 57: RFC 2131 576-byte limit */

	/* Its REQUEST selects dnsmasq's .185 at 10.77.0.1 (our address in this
	 * snapshot): free in the pool, so it is granted. */
	assert_int_equal(feed(h, &r), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_ACK);
	assert_echoes(h, &r);
	assert_int_equal(yi(h), IP4(10, 77, 0, 185));
	assert_int_equal(h->tx.wait_seq, h->ev[h->nev - 1].seq);
	assert_int_equal(h->ev[h->nev - 1].kind, LEASE_EV_GRANT);
	assert_memory_equal(h->ev[h->nev - 1].mac, mac, 6);
	/* Hostname: option 12 of the capture, sanitised. */
	size_t n = 0;
	const uint8_t *hn = NULL;
	for (size_t i = 240; i + 1 < r.len && r.p[i] != 255; i += 2 + (size_t)r.p[i + 1])
		if (r.p[i] == 12) {
			hn = r.p + i + 2;
			n = r.p[i + 1];
			break;
		}
	assert_non_null(hn);
	assert_int_equal(strncmp(h->ev[h->nev - 1].hostname, (const char *)hn, n < 31 ? n : 31), 0);
	th_done(h);
}

static void
test_udhcpc(void **st)
{
	(void)st;
	struct th *h = net77();
	struct frame d = frame_n("udhcpc.pcap", 1), r = frame_n("udhcpc.pcap", 3);

	assert_int_equal(feed(h, &d), DHCP_REPLY);
	assert_echoes(h, &d);
	/* udhcpc -r 10.77.0.150 asks for it (option 50): honoured. */
	assert_int_equal(yi(h), IP4(10, 77, 0, 150));
	assert_int_equal(h->tx.dst_ip, IP4(10, 77, 0, 150));
	assert_false(has(h, 60)); /* "udhcp 1.35.0" is no PXE class */
	assert_true(has(h, 61));  /* client id echoed (RFC 6842) */
	assert_int_equal(feed(h, &r), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_ACK);
	assert_int_equal(yi(h), IP4(10, 77, 0, 150));
	assert_string_equal(h->ev[h->nev - 1].hostname, "bbnode");
	assert_true(h->ev[h->nev - 1].client_id_len > 0);
	assert_int_not_equal(h->tx.wait_seq, 0);
	th_done(h);
}

static void
test_ipxe_bios(void **st)
{
	(void)st;
	struct th *h = net78();
	struct frame d = frame_n("ipxe-bios.pcap", 1), r = frame_n("ipxe-bios.pcap", 5);

	assert_int_equal(feed(h, &d), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_OFFER);
	assert_echoes(h, &d);
	/* iPXE (77 "iPXE", 175): the script URL, not the iPXE binary again. */
	assert_string_equal((const char *)h->txbuf + 108, "http://10.77.0.1/ipxe/boot");
	assert_int_equal(rp_be32(h->txbuf, 20), IP4(10, 78, 0, 1));
	assert_str_opt(h, 60, "PXEClient");
	size_t n;
	assert_non_null(rp_opt(h->txbuf, h->tx.len, 97, &n));
	assert_int_equal(n, 17);
	assert_memory_equal(rp_opt(h->txbuf, h->tx.len, 97, &n), rp_opt(d.p, d.len, 97, &n), 17);
	assert_false(has(h, 43));
	assert_int_equal(h->tx.dst_ip, yi(h)); /* iPXE 1.0 leaves the flag clear */
	assert_int_equal(h->bev[0].arch, 0);
	assert_int_equal(h->bev[0].stage, BOOT_STAGE_DHCP_DISCOVER);

	assert_int_equal(feed(h, &r), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_ACK);
	assert_int_equal(yi(h), IP4(10, 78, 0, 187));
	assert_string_equal((const char *)h->txbuf + 108, "http://10.77.0.1/ipxe/boot");
	assert_int_equal(h->bev[h->nbev - 1].stage, BOOT_STAGE_DHCP_BOUND);
	assert_string_equal(h->bev[h->nbev - 1].file, "http://10.77.0.1/ipxe/boot");
	th_done(h);
}

static void
test_uefi_pxe_and_ipxe(void **st)
{
	(void)st;
	struct th *h = net78();
	struct frame ipxe = frame_n("ipxe-efi.pcap", 1);
	struct frame edk2 = frame_n("ipxe-efi.pcap", 7), req = frame_n("ipxe-efi.pcap", 9);

	assert_int_equal(feed(h, &ipxe), DHCP_REPLY);
	assert_string_equal((const char *)h->txbuf + 108, "http://10.77.0.1/ipxe/boot");
	/* EDK2's own PXE (UNDI 3.1, arch 7, broadcast bit): grubx64.efi. */
	assert_int_equal(feed(h, &edk2), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_OFFER);
	assert_echoes(h, &edk2);
	assert_string_equal((const char *)h->txbuf + 108, "grubx64.efi");
	assert_str_opt(h, 60, "PXEClient");
	assert_true(has(h, 43));
	assert_int_equal(h->tx.dst_ip, BCAST);
	assert_int_equal(h->bev[h->nbev - 1].arch, 7);
	/* Its REQUEST carries option 57 = 65280: the reply still stays
	 * under DHCP_MAX_REPLY. */
	assert_int_equal(feed(h, &req), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_ACK);
	assert_int_equal(yi(h), IP4(10, 78, 0, 188));
	assert_string_equal((const char *)h->txbuf + 108, "grubx64.efi");
	assert_true(h->tx.len <= DHCP_MAX_REPLY);
	assert_int_equal(h->tx.dst_ip, BCAST);
	th_done(h);
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		data_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhclient),
		cmocka_unit_test(test_udhcpc),
		cmocka_unit_test(test_ipxe_bios),
		cmocka_unit_test(test_uefi_pxe_and_ipxe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
