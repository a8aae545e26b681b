/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Plays the dataplane against a running `bootstorm serve`, through the
 * shared region only (no EAL):
 *   ctl_fake_dp leases INSTANCE N ACKFILE [TIMEOUT_S]
 *     N lease grants, one at a time, as the DHCP worker does them: apply to
 *     the shared lease table, enqueue on worker 0's lease ring, then hold the
 *     "ACK" until durable_seq covers it; each ACKed lease is appended to
 *     ACKFILE ("seq ip mac").  Survives control being killed and restarted
 *     (it simply keeps waiting).  Exit 0 when all N are ACKed, 1 on timeout.
 *   ctl_fake_dp boot INSTANCE NODES SECONDS
 *     a synthetic boot storm for the live view: DHCP, TFTP progress, done,
 *     counters and heartbeats for NODES clients (MAC 52:54:00:78:xx:yy).
 *   ctl_fake_dp grant INSTANCE MAC IP
 *     one lease (BOUND for an hour) as the DHCP worker grants it: table,
 *     ring, then wait until it is durable.
 *   ctl_fake_dp rrq INSTANCE MAC IP FILE
 *     the boot event one TFTP RRQ makes: the frame's source MAC and IP as
 *     the client sent them, i.e. whatever a LAN host chooses to spoof
 *     (issue 15 item 1).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shm/counters.h"
#include "shm/jwake.h"
#include "shm/leases.h"
#include "shm/publish.h"

static uint64_t
now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
attach(struct shm_region *r, const char *inst, unsigned wait_s)
{
	for (unsigned i = 0; i < wait_s * 10; i++) {
		if (shm_attach(r, inst) == 0)
			return 0;
		usleep(100000);
	}
	fprintf(stderr, "ctl_fake_dp: no region for instance %s\n", inst);
	return -1;
}

static void
heartbeat(struct shm_region *r)
{
	atomic_store_explicit(&r->hdr->dp_heartbeat_ms, now_ms(CLOCK_MONOTONIC), memory_order_relaxed);
}

static int
run_leases(const char *inst, unsigned n, const char *ackfile, unsigned timeout_s)
{
	struct shm_region r;
	struct lease_table *t;
	void *ring;
	FILE *ack;
	uint64_t deadline = now_ms(CLOCK_MONOTONIC) + timeout_s * 1000ull;
	unsigned done = 0;

	if (attach(&r, inst, 20) < 0)
		return 2;
	t = shm_leases(&r);
	ring = shm_lease_ring(&r, 0);
	ack = fopen(ackfile, "a");
	if (!ack || !ring)
		return 2;
	atomic_store(&r.hdr->dp_pid, (int32_t)getpid());
	atomic_store(&r.hdr->dp_workers, 1);
	for (unsigned i = 1; i <= n; i++) {
		struct lease_event ev = { .kind = LEASE_EV_GRANT };
		uint64_t spin = 0;

		ev.ip = 0x0a4f0000u + i; /* 10.79.x.y */
		ev.mac[0] = 0x02;
		ev.mac[4] = (uint8_t)(i >> 8);
		ev.mac[5] = (uint8_t)i;
		ev.ts_ms = now_ms(CLOCK_REALTIME);
		ev.expires_ms = ev.ts_ms + 3600 * 1000;
		snprintf(ev.hostname, sizeof(ev.hostname), "fake%u", i);
		/* the DHCP worker: number, apply, publish the event */
		ev.seq = lease_next_seq(t);
		if (lease_apply_event(t, &ev) < 0)
			return 2;
		while (rte_ring_sp_enqueue_elem(ring, &ev, sizeof(ev)) != 0) {
			if (now_ms(CLOCK_MONOTONIC) > deadline)
				goto timeout;
			usleep(1000);
		}
		shm_jwake_kick(r.hdr); /* as the DHCP worker does after each event */
		/* hold the ACK until the journal has it on disk (acquire pairs
		 * with control's release store) */
		while (atomic_load_explicit(&r.hdr->durable_seq, memory_order_acquire) < ev.seq) {
			if (now_ms(CLOCK_MONOTONIC) > deadline)
				goto timeout;
			heartbeat(&r);
			if (++spin > 100)
				usleep(200);
		}
		fprintf(ack, "%llu %u.%u.%u.%u 02:00:00:00:%02x:%02x\n", (unsigned long long)ev.seq,
			ev.ip >> 24, (ev.ip >> 16) & 255, (ev.ip >> 8) & 255, ev.ip & 255, ev.mac[4],
			ev.mac[5]);
		fflush(ack);
		done++;
	}
	fclose(ack);
	atomic_store(&r.hdr->dp_pid, 0);
	shm_detach(&r);
	printf("ctl_fake_dp: %u leases ACKed\n", done);
	return 0;
timeout:
	fclose(ack);
	fprintf(stderr, "ctl_fake_dp: timeout after %u ACKs (durable_seq %llu)\n", done,
		(unsigned long long)atomic_load(&r.hdr->durable_seq));
	atomic_store(&r.hdr->dp_pid, 0);
	shm_detach(&r);
	return 1;
}

static void
boot_ev(void *ring, unsigned i, uint32_t ip, uint8_t stage, const char *file, uint64_t bytes,
	uint64_t total)
{
	struct boot_event e = { .ts_ms = now_ms(CLOCK_REALTIME), .bytes = bytes, .total = total,
				.ip = ip, .stage = stage, .arch = 0 };

	if (stage <= BOOT_STAGE_DHCP_BOUND) {
		e.mac[0] = 0x52, e.mac[1] = 0x54, e.mac[3] = 0x78;
		e.mac[4] = (uint8_t)(i >> 8), e.mac[5] = (uint8_t)i;
	}
	snprintf(e.file, sizeof(e.file), "%s", file ? file : "");
	rte_ring_sp_enqueue_elem(ring, &e, sizeof(e)); /* best effort, like the dataplane */
}

static int
run_boot(const char *inst, unsigned nodes, unsigned seconds)
{
	const uint64_t kernel = 8u << 20, initrd = 60u << 20;
	struct shm_region r;
	_Atomic uint64_t *ctr;
	void *ring;
	uint64_t start, now;

	if (attach(&r, inst, 20) < 0)
		return 2;
	ring = shm_boot_ring(&r, 0);
	ctr = shm_worker_counters(&r, 0);
	atomic_store(&r.hdr->dp_pid, (int32_t)getpid());
	atomic_store(&r.hdr->dp_workers, 1);
	start = now_ms(CLOCK_MONOTONIC);
	while ((now = now_ms(CLOCK_MONOTONIC)) - start < seconds * 1000ull) {
		double t = (double)(now - start) / 1000.0;

		for (unsigned i = 1; i <= nodes; i++) {
			/* node i starts at i*0.25 s; DHCP takes 0.5 s, the kernel
			 * 1 s, the initrd 6 s; then installing; some fail */
			double s = t - i * 0.25;
			uint32_t ip = 0x0a4e0000u + 10 + i;

			if (s < 0)
				continue;
			if (s < 0.3)
				boot_ev(ring, i, 0, BOOT_STAGE_DHCP_DISCOVER, NULL, 0, 0);
			else if (s < 0.5)
				boot_ev(ring, i, ip, BOOT_STAGE_DHCP_BOUND, NULL, 0, 0);
			else if (s < 1.5)
				boot_ev(ring, i, ip, BOOT_STAGE_TFTP_PROGRESS, "centos7/vmlinuz",
					(uint64_t)((s - 0.5) * (double)kernel), kernel);
			else if (s < 7.5 + (i % 5))
				boot_ev(ring, i, ip, i % 7 == 3 && s > 4 ? BOOT_STAGE_TFTP_FAILED : BOOT_STAGE_TFTP_PROGRESS,
					"centos7/initrd.img",
					(uint64_t)((s - 1.5) / (6.0 + i % 5) * (double)initrd), initrd);
			else if (i % 7 != 3)
				boot_ev(ring, i, ip, BOOT_STAGE_TFTP_DONE, "centos7/initrd.img", initrd, initrd);
		}
		bs_ctr_add(ctr, BS_CTR_DHCP_TX, 40);
		bs_ctr_add(ctr, BS_CTR_DHCP_RX, 40);
		bs_ctr_add(ctr, BS_CTR_TFTP_PAYLOAD_BYTES, 25u << 20);
		bs_ctr_add(ctr, BS_CTR_TFTP_TX, 18000);
		bs_ctr_inc(ctr, BS_CTR_DROP_IP_CSUM);
		heartbeat(&r);
		usleep(250000);
	}
	atomic_store(&r.hdr->dp_pid, 0);
	shm_detach(&r);
	return 0;
}

static int
parse_mac_ip(const char *mac_s, const char *ip_s, uint8_t mac[6], uint32_t *ip)
{
	unsigned m[6], a, b, c, d;

	if (sscanf(mac_s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6 ||
	    sscanf(ip_s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	*ip = a << 24 | b << 16 | c << 8 | d;
	return 0;
}

static int
run_grant(const char *inst, const char *mac_s, const char *ip_s)
{
	struct lease_event ev = { .kind = LEASE_EV_GRANT };
	uint64_t deadline = now_ms(CLOCK_MONOTONIC) + 10000;
	struct shm_region r;
	struct lease_table *t;

	if (parse_mac_ip(mac_s, ip_s, ev.mac, &ev.ip) < 0 || attach(&r, inst, 20) < 0)
		return 2;
	t = shm_leases(&r);
	ev.ts_ms = now_ms(CLOCK_REALTIME);
	ev.expires_ms = ev.ts_ms + 3600 * 1000;
	ev.seq = lease_next_seq(t);
	if (lease_apply_event(t, &ev) < 0 ||
	    rte_ring_sp_enqueue_elem(shm_lease_ring(&r, 0), &ev, sizeof(ev)) != 0)
		return 1;
	shm_jwake_kick(r.hdr);
	while (atomic_load_explicit(&r.hdr->durable_seq, memory_order_acquire) < ev.seq) {
		if (now_ms(CLOCK_MONOTONIC) > deadline)
			return 1;
		usleep(1000);
	}
	shm_detach(&r);
	return 0;
}

static int
run_rrq(const char *inst, const char *mac_s, const char *ip_s, const char *file)
{
	struct boot_event e = { .ts_ms = now_ms(CLOCK_REALTIME), .stage = BOOT_STAGE_TFTP_PROGRESS,
				.arch = 0xff };
	struct shm_region r;
	int rc;

	if (parse_mac_ip(mac_s, ip_s, e.mac, &e.ip) < 0)
		return 2;
	snprintf(e.file, sizeof(e.file), "%s", file);
	if (attach(&r, inst, 20) < 0)
		return 2;
	rc = rte_ring_sp_enqueue_elem(shm_boot_ring(&r, 0), &e, sizeof(e)) == 0 ? 0 : 1;
	shm_detach(&r);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "grant") == 0)
		return run_grant(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "rrq") == 0)
		return run_rrq(argv[2], argv[3], argv[4], argv[5]);
	if (argc >= 5 && strcmp(argv[1], "leases") == 0)
		return run_leases(argv[2], (unsigned)atoi(argv[3]), argv[4],
				  argc > 5 ? (unsigned)atoi(argv[5]) : 60);
	if (argc == 5 && strcmp(argv[1], "boot") == 0)
		return run_boot(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	fprintf(stderr, "usage: ctl_fake_dp leases INSTANCE N ACKFILE [TIMEOUT_S]\n"
			"       ctl_fake_dp boot INSTANCE NODES SECONDS\n"
			"       ctl_fake_dp grant INSTANCE MAC IP\n"
			"       ctl_fake_dp rrq INSTANCE MAC IP FILE\n");
	return 2;
}
