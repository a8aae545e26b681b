/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Server TIDs (RFC 1350 section 4: each side picks its transfer ID).
 *
 * The TID must be the same for a retransmitted RRQ from one (client ip,
 * client port), so that the duplicate finds its transfer, and it must be
 * one of this worker's ports (port_lo + k * n_workers + worker, tftp.h) so
 * the glue steers the client's ACKs here.  It must NOT be predictable from
 * (ip, port) alone: with a public hash a spoofer who sends an RRQ in a
 * victim's name can ACK blind and turn the one-packet-per-RRQ guard into a
 * full transfer at the victim (issue 15 item 3: 47 KB spoofed, 12.5 MB at
 * the victim).  So k is SipHash-2-4 of (ip, port) under a 128-bit key drawn
 * from getrandom(2) when the engine starts: an attacker who sees the TIDs
 * of his own requests learns nothing about another address's (SipHash is a
 * PRF), and a new start draws a new key.  One hash per RRQ; ACKs do not
 * hash with it (the 3-tuple table uses its own fast mix).
 *
 * With multiqueue RSS (env.tid_local set by the glue) the pick walks this
 * worker's ports from k to the first one whose Toeplitz hash, as the NIC
 * computes it for the client's ACKs, selects this worker's RX queue: the
 * ACKs then arrive where the transfer lives instead of being handed over
 * (issue 19: 38-62 % of ACKs were, with 2 workers).  The walk is bounded
 * (TFTP_TID_RSS_TRIES hashes; a miss keeps k and is counted).
 */
#include <errno.h>
#include <sys/random.h>

#include "dataplane/tftp/tftp_int.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 of one 8-byte little-endian word m (message length 8). */
static uint64_t
siphash24_u64(const uint64_t k[2], uint64_t m)
{
	uint64_t v[4] = {
		k[0] ^ 0x736f6d6570736575ull,
		k[1] ^ 0x646f72616e646f6dull,
		k[0] ^ 0x6c7967656e657261ull,
		k[1] ^ 0x7465646279746573ull,
	};
	uint64_t b = 8ull << 56; /* length byte, no tail */
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
	v[3] ^= b;
	sip_round(v);
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int
tftp_tid_init(struct tftp_engine *e, const uint64_t key[2])
{
	if (key && (key[0] | key[1])) {
		e->tid_key[0] = key[0];
		e->tid_key[1] = key[1];
		return 0;
	}
	uint8_t *p = (uint8_t *)e->tid_key;
	size_t got = 0;
	while (got < sizeof(e->tid_key)) {
		ssize_t n = getrandom(p + got, sizeof(e->tid_key) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		got += (size_t)n;
	}
	return 0;
}

uint16_t
tftp_tid_pick(struct tftp_engine *e, const struct snap_hdr *s, uint32_t ip, uint16_t cport)
{
	unsigned nw = e->env.n_workers ? e->env.n_workers : 1;
	uint32_t lo = s->tftp_port_lo, hi = s->tftp_port_hi;
	if (lo == 0 || hi > 65535 || lo > hi || lo + e->env.worker > hi)
		return 0;
	uint32_t nk = (hi - lo - e->env.worker) / nw + 1;
	uint64_t h = siphash24_u64(e->tid_key, (uint64_t)ip << 16 | cport);
	uint32_t k = (uint32_t)(h % nk);
	if (e->env.tid_local == NULL)
		return (uint16_t)(lo + k * nw + e->env.worker);
	/* RSS: the first of this worker's ports from k on whose hash lands on
	 * our queue (1 in n_queues on average).  The walk starts at the secret
	 * k, so the TID stays unpredictable, and is the same for a
	 * retransmitted RRQ (same key, same RETA). */
	uint32_t tries = nk < TFTP_TID_RSS_TRIES ? nk : TFTP_TID_RSS_TRIES;
	for (uint32_t i = 0; i < tries; i++) {
		uint32_t kk = k + i < nk ? k + i : k + i - nk;
		uint16_t port = (uint16_t)(lo + kk * nw + e->env.worker);
		if (e->env.tid_local(e->env.ctx, ip, cport, port))
			return port;
	}
	tftp_ctr(e, BS_CTR_TFTP_TID_RSS_MISS);
	return (uint16_t)(lo + k * nw + e->env.worker);
}
