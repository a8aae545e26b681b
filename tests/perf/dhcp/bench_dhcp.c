/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DORA exchanges per second of the DHCP engine alone (no NIC, no journal):
 * many distinct MACs, most from the dynamic pool, some with inventory
 * reservations, all PXE clients (boot file selection included).  One
 * exchange = DISCOVER -> OFFER + REQUEST -> ACK through dhcp_handle().
 *
 *   build-dhcp/tests/perf/dhcp/bench_dhcp [clients] [rounds]
 * Instructions per exchange:
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
 *       build-dhcp/tests/perf/dhcp/bench_dhcp 20000 1
 *   (total Ir / exchanges; the program prints the exchange count)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/bs_time.h"
#include "shm/leases.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

#define N_RESV 4000

static uint64_t events;

static int
sink_lease(void *ctx, const struct lease_event *ev)
{
	(void)ctx;
	(void)ev;
	events++;
	return 0;
}

static void
sink_boot(void *ctx, const struct boot_event *ev)
{
	(void)ctx;
	(void)ev;
}

static void
mac_of(uint8_t mac[6], uint32_t i, bool resv)
{
	mac[0] = resv ? 0x52 : 0x02;
	mac[1] = resv ? 0x54 : 0x42;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

static struct snap_hdr *
make_snap(void)
{
	static struct tb b;
	tb_init(&b);
	b.hdr.server_ip = IP4(10, 0, 0, 1);
	b.hdr.server_prefix = 16;
	uint32_t s = tb_subnet(&b, IP4(10, 0, 0, 0), 16, 3600);
	b.sub[s].router = IP4(10, 0, 0, 1);
	b.sub[s].dns[0] = IP4(10, 0, 0, 1);
	b.sub[s].n_dns = 1;
	b.sub[s].domain = tb_str(&b, "bench.example");
	tb_pool(&b, s, IP4(10, 0, 32, 0), IP4(10, 0, 255, 254));
	uint32_t p = tb_profile(&b, "default");
	tb_boot(&b, p, SNAP_ARCH_BIOS, "pxelinux.0");
	tb_boot(&b, p, SNAP_ARCH_EFI_X64, "grubx64.efi");
	b.prof[p].ipxe_url = tb_str(&b, "http://10.0.0.1/ipxe/boot");
	b.hdr.default_profile = p;
	for (uint32_t i = 0; i < N_RESV; i++) {
		uint8_t mac[6];
		char name[16];
		mac_of(mac, i, true);
		snprintf(name, sizeof(name), "n%05u", i);
		tb_node(&b, name, mac, IP4(10, 0, 1, 0) + i, p);
	}
	return tb_finish(&b, 1);
}

int
main(int argc, char **argv)
{
	uint32_t clients = argc > 1 ? (uint32_t)atoi(argv[1]) : 50000;
	uint32_t rounds = argc > 2 ? (uint32_t)atoi(argv[2]) : 3;
	if (clients < N_RESV + 1 || clients > 50000) {
		fprintf(stderr, "clients: %u..50000\n", N_RESV + 1);
		return 2;
	}
	struct snap_hdr *snap = make_snap();
	size_t tsz = lease_table_size(1u << 17);
	struct lease_table *t = malloc(tsz);
	_Atomic uint64_t *ctr = calloc(512, sizeof(*ctr));
	static uint8_t txbuf[DHCP_MAX_REPLY];
	if (!t || !ctr)
		return 1;

	/* Request templates: a PXE ROM's DISCOVER and SELECTING REQUEST. */
	struct pk disc, req;
	const uint8_t prl[] = { 1, 3, 6, 15, 43, 60, 66, 67, 97 };
	const uint8_t arch[2] = { 0, 7 }, ms[2] = { 1472 >> 8, 1472 & 255 };
	uint8_t zero_mac[6] = { 0 };
	pk_start(&disc, 1, zero_mac, 0);
	pk_opt(&disc, 55, prl, sizeof(prl));
	pk_opt(&disc, 57, ms, 2);
	pk_opt(&disc, 60, "PXEClient:Arch:00007:UNDI:003016", 32);
	pk_opt(&disc, 93, arch, 2);
	pk_end(&disc);
	pk_start(&req, 3, zero_mac, 0);
	pk_opt(&req, 55, prl, sizeof(prl));
	pk_opt(&req, 60, "PXEClient:Arch:00007:UNDI:003016", 32);
	pk_opt(&req, 93, arch, 2);
	pk_opt32(&req, 54, IP4(10, 0, 0, 1));
	size_t req_ip_off = req.len + 2;
	pk_opt32(&req, 50, 0);
	pk_end(&req);

	double best = 0, total_t = 0;
	uint64_t total_x = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		memset(t, 0, tsz);
		lease_table_init(t, 1u << 17);
		struct dhcp_env env = { .leases = t, .ctr = ctr, .emit_lease = sink_lease,
					.emit_boot = sink_boot };
		struct dhcp_engine *e = dhcp_engine_new(&env);
		struct dhcp_rx rx = { .dst_ip = 0xffffffffu, .src_port = 68, .dst_port = 67,
				      .now_ms = 1700000000000ull };
		struct dhcp_tx tx = { .buf = txbuf, .cap = sizeof(txbuf) };
		uint32_t ok = 0;
		double t0 = bs_mono_sec();
		for (uint32_t i = 0; i < clients; i++) {
			uint8_t mac[6];
			bool resv = i % (clients / N_RESV) == 0 && i / (clients / N_RESV) < N_RESV;
			mac_of(mac, resv ? i / (clients / N_RESV) : i, resv);
			memcpy(disc.b + 28, mac, 6);
			memcpy(disc.b + 4, &i, 4);
			rx.p = disc.b;
			rx.len = disc.len;
			memcpy(rx.src_mac, mac, 6);
			if (dhcp_handle(e, snap, &rx, &tx).verdict != DHCP_REPLY)
				continue;
			memcpy(req.b + 28, mac, 6);
			memcpy(req.b + 4, &i, 4);
			memcpy(req.b + req_ip_off, txbuf + 16, 4); /* yiaddr */
			rx.p = req.b;
			rx.len = req.len;
			if (dhcp_handle(e, snap, &rx, &tx).verdict == DHCP_REPLY && txbuf[242] == 5)
				ok++;
			rx.now_ms++;
		}
		double dt = bs_mono_sec() - t0;
		dhcp_engine_free(e);
		if (ok != clients) {
			fprintf(stderr, "only %u of %u exchanges completed\n", ok, clients);
			return 1;
		}
		double rate = ok / dt;
		if (rate > best)
			best = rate;
		total_t += dt;
		total_x += ok;
	}
	printf("clients %u (%u reserved), rounds %u, exchanges %llu, lease events %llu\n", clients,
	       N_RESV, rounds, (unsigned long long)total_x, (unsigned long long)events);
	printf("DORA exchanges/s: best %.0f, mean %.0f (%.2f us per exchange)\n", best,
	       total_x / total_t, total_t / total_x * 1e6);
	free(t);
	free(ctr);
	free(snap);
	return 0;
}
