/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What DHCP hands out per node boot state (shm/snap.h snap_node.boot,
 * published by control from control/daemon/nodestate.h): one table of
 * cases, each a client class (PXE BIOS, PXE EFI, UEFI HTTP boot, iPXE) x a
 * node state x the profile's local_boot, checked in the OFFER
 * (RFC 2131 4.3.1) and the ACK (RFC 2131 4.3.2) alike: boot file in the
 * `file` field and option 67, siaddr, option 60 echo, option 43.
 * Then: ProxyDHCP stays silent for a withheld node, a reimage's profile
 * (snap_node.profile) picks the files, and a republish that keeps
 * base_gen is honoured at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm/counters.h"
#include "dataplane/dhcp/dhcp_wire.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

#define SERVER IP4(10, 77, 0, 1)
#define NODE_IP IP4(10, 77, 0, 11)
#define BCAST  0xffffffffu

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 1 };

enum cls { C_BIOS, C_EFI, C_HTTP, C_IPXE };

static const struct {
	const char *vc;	/* option 60 */
	int arch;	/* option 93 */
	bool ipxe;	/* option 77 "iPXE" */
} classes[] = {
	[C_BIOS] = { "PXEClient:Arch:00000:UNDI:002001", 0, false },
	[C_EFI] = { "PXEClient:Arch:00007:UNDI:003016", 7, false },
	/* UEFI 2.x "HTTP Boot": class HTTPClient, RFC 4578 arch 16 (x64 UEFI HTTP). */
	[C_HTTP] = { "HTTPClient:Arch:00016:UNDI:003001", 16, false },
	[C_IPXE] = { "PXEClient:Arch:00000:UNDI:002001", 0, true },
};

struct bcase {
	const char *what;
	enum cls cls;
	uint8_t boot;		/* enum snap_boot_state */
	uint8_t local_boot;	/* enum snap_local_boot of the profile */
	const char *file;	/* "" = none (and siaddr 0, no 60/43/66/67) */
	const char *opt60;	/* NULL = not echoed */
	int ctr;		/* counter that moves, -1 = none of ours */
};

static const struct bcase cases[] = {
	{ "install BIOS", C_BIOS, SNAP_BOOT_NET, SNAP_LOCAL_BOOT_FILE, "pxelinux.0", "PXEClient", -1 },
	{ "install HTTP", C_HTTP, SNAP_BOOT_NET, SNAP_LOCAL_BOOT_FILE, "http://10.77.0.1/boot/ipxe.efi", "HTTPClient", -1 },
	{ "install iPXE", C_IPXE, SNAP_BOOT_NET, SNAP_LOCAL_BOOT_FILE, "http://10.77.0.1/ipxe/boot", "PXEClient", -1 },
	/* local, default: a TFTP loader's per-node config boots the disk */
	{ "local BIOS", C_BIOS, SNAP_BOOT_LOCAL, SNAP_LOCAL_BOOT_FILE, "pxelinux.0", "PXEClient", -1 },
	{ "local EFI", C_EFI, SNAP_BOOT_LOCAL, SNAP_LOCAL_BOOT_FILE, "grubx64.efi", "PXEClient", -1 },
	{ "local iPXE", C_IPXE, SNAP_BOOT_LOCAL, SNAP_LOCAL_BOOT_FILE, "http://10.77.0.1/ipxe/boot", "PXEClient", -1 },
	/* ... but UEFI HTTP boot runs the URL itself: none for a local node */
	{ "local HTTP", C_HTTP, SNAP_BOOT_LOCAL, SNAP_LOCAL_BOOT_FILE, "", NULL, BS_CTR_DHCP_BOOT_LOCAL },
	/* local_boot: no-boot-file: no boot info on any route */
	{ "local BIOS nofile", C_BIOS, SNAP_BOOT_LOCAL, SNAP_LOCAL_NO_FILE, "", NULL, BS_CTR_DHCP_BOOT_LOCAL },
	{ "local EFI nofile", C_EFI, SNAP_BOOT_LOCAL, SNAP_LOCAL_NO_FILE, "", NULL, BS_CTR_DHCP_BOOT_LOCAL },
	{ "local iPXE nofile", C_IPXE, SNAP_BOOT_LOCAL, SNAP_LOCAL_NO_FILE, "", NULL, BS_CTR_DHCP_BOOT_LOCAL },
	{ "local HTTP nofile", C_HTTP, SNAP_BOOT_LOCAL, SNAP_LOCAL_NO_FILE, "", NULL, BS_CTR_DHCP_BOOT_LOCAL },
	/* an install node is unaffected by local_boot */
	{ "install BIOS nofile", C_BIOS, SNAP_BOOT_NET, SNAP_LOCAL_NO_FILE, "pxelinux.0", "PXEClient", -1 },
	/* hold: none on any route, whatever local_boot says */
	{ "hold BIOS", C_BIOS, SNAP_BOOT_HOLD, SNAP_LOCAL_BOOT_FILE, "", NULL, BS_CTR_DHCP_BOOT_HOLD },
	{ "hold HTTP", C_HTTP, SNAP_BOOT_HOLD, SNAP_LOCAL_BOOT_FILE, "", NULL, BS_CTR_DHCP_BOOT_HOLD },
	{ "hold iPXE", C_IPXE, SNAP_BOOT_HOLD, SNAP_LOCAL_BOOT_FILE, "", NULL, BS_CTR_DHCP_BOOT_HOLD },
};

static struct snap_hdr *
lab_snap(uint8_t boot, uint8_t local_boot, bool proxy, uint64_t gen)
{
	static struct tb b;
	tb_lab(&b);
	b.node[0].boot = boot; /* node001 */
	b.prof[0].local_boot = local_boot;
	b.hdr.proxy_dhcp = proxy;
	return tb_finish(&b, gen);
}

static void
request(struct pk *p, const struct bcase *k, uint8_t type)
{
	const uint8_t prl[] = { 1, 3, 43, 60, 66, 67 };
	uint8_t a[2] = { 0, (uint8_t)classes[k->cls].arch };

	pk_start(p, type, M1, 0x1234);
	pk_set16(p, 10, DHCP_FLAG_BROADCAST);
	pk_opt(p, 55, prl, sizeof(prl));
	pk_opt(p, 60, classes[k->cls].vc, strlen(classes[k->cls].vc));
	pk_opt(p, 93, a, 2);
	if (classes[k->cls].ipxe)
		pk_opt(p, 77, "iPXE", 4);
	if (type == DHCP_MT_REQUEST) {
		pk_opt32(p, 50, NODE_IP);
		pk_opt32(p, 54, SERVER);
	}
	pk_end(p);
}

/* The reply in h against case k. */
static void
check_reply(const struct th *h, const struct bcase *k, uint8_t type)
{
	const uint8_t *r = h->txbuf;
	size_t n = 0;
	const uint8_t *v;

	assert_int_equal(rp_type(r, h->tx.len), type);
	/* RFC 2131 4.3.1: the address is handed out whatever the boot state;
	 * the installed system and its firmware still need one. */
	assert_int_equal(rp_be32(r, 16), NODE_IP);
	if (strcmp((const char *)r + 108, k->file) != 0)
		fail_msg("%s: file field '%s', want '%s'", k->what, (const char *)r + 108, k->file);
	/* siaddr (RFC 2131 table 3 "next server") only with a boot file */
	assert_int_equal(rp_be32(r, 20), k->file[0] ? SERVER : 0);
	v = rp_opt(r, h->tx.len, 67, &n);
	if (k->file[0]) {
		assert_non_null(v);
		assert_memory_equal(v, k->file, n);
	} else {
		assert_null(v);
		assert_null(rp_opt(r, h->tx.len, 66, &n));
		/* no option 43: nothing for the PXE ROM to discover */
		assert_null(rp_opt(r, h->tx.len, 43, &n));
	}
	v = rp_opt(r, h->tx.len, 60, &n);
	if (!k->opt60) {
		if (v)
			fail_msg("%s: option 60 echoed for a withheld node", k->what);
	} else {
		assert_non_null(v);
		assert_int_equal(n, strlen(k->opt60));
		assert_memory_equal(v, k->opt60, n);
	}
}

static void
test_boot_state_table(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *k = &cases[i];
		struct th *h = th_new(lab_snap(k->boot, k->local_boot, false, 1), 1024);
		struct pk p;

		print_message("case %s\n", k->what);
		request(&p, k, DHCP_MT_DISCOVER);
		assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
		check_reply(h, k, DHCP_MT_OFFER);
		request(&p, k, DHCP_MT_REQUEST);
		assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
		check_reply(h, k, DHCP_MT_ACK);
		if (k->ctr >= 0)
			assert_int_equal(th_ctr(h, k->ctr), 2);
		assert_int_equal(th_ctr(h, BS_CTR_DHCP_BOOT_LOCAL) + th_ctr(h, BS_CTR_DHCP_BOOT_HOLD),
				 k->ctr >= 0 ? 2 : 0);
		free(h->snap);
		th_free(h);
	}
}

/* ProxyDHCP (PXE spec 2.2.1): its offer is boot info only; a node whose
 * boot info is withheld gets none: silence, counted. */
static void
test_proxy_withheld_silent(void **st)
{
	(void)st;
	struct th *h = th_new(lab_snap(SNAP_BOOT_LOCAL, SNAP_LOCAL_BOOT_FILE, true, 1), 1024);
	struct pk p;

	request(&p, &cases[6], DHCP_MT_DISCOVER); /* local HTTP */
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_SILENT);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_BOOT_LOCAL), 1);
	request(&p, &cases[3], DHCP_MT_DISCOVER); /* local BIOS: its loader boots the disk */
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal((const char *)h->txbuf + 108, "pxelinux.0");
	free(h->snap);
	th_free(h);
}

/* A reimage --profile (snap_node.profile) picks that profile's files. */
static void
test_node_profile(void **st)
{
	(void)st;
	static struct tb b;
	struct pk p;

	tb_lab(&b);
	uint32_t q = tb_profile(&b, "rescue");
	tb_boot(&b, q, SNAP_ARCH_BIOS, "rescue/pxelinux.0");
	b.node[0].profile = q;
	struct th *h = th_new(tb_finish(&b, 1), 1024);
	request(&p, &cases[0], DHCP_MT_DISCOVER);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal((const char *)h->txbuf + 108, "rescue/pxelinux.0");
	free(h->snap);
	th_free(h);
}

/* Control republishes a state change as a new generation with the same
 * base_gen (shm/snap.h): the engine keeps its derived state and must still
 * answer from the new snapshot's node fields at once. */
static void
test_republish_same_base(void **st)
{
	(void)st;
	struct snap_hdr *s1 = lab_snap(SNAP_BOOT_NET, SNAP_LOCAL_BOOT_FILE, false, 5);
	struct snap_hdr *s2 = lab_snap(SNAP_BOOT_LOCAL, SNAP_LOCAL_BOOT_FILE, false, 6);
	struct th *h = th_new(s1, 1024);
	struct pk p;

	s1->base_gen = 5;
	s2->base_gen = 5;
	request(&p, &cases[1], DHCP_MT_DISCOVER); /* HTTP, installing */
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_string_equal((const char *)h->txbuf + 108, "http://10.77.0.1/boot/ipxe.efi");
	h->snap = s2;
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(h->txbuf[108], 0);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_BOOT_LOCAL), 1);
	free(s1);
	free(s2);
	th_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_state_table),
		cmocka_unit_test(test_proxy_withheld_silent),
		cmocka_unit_test(test_node_profile),
		cmocka_unit_test(test_republish_same_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
