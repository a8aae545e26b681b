/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Test harness for the TFTP engine (unit tests, fuzz target, benchmark):
 * a temp tftp root made by the test, a snapshot holding its paths, an
 * engine whose send() captures packets, and a scripted client that fetches
 * a file with injected losses.  Header-only (static inline).
 */
#ifndef BS_TEST_TFTP_TH_H
#define BS_TEST_TFTP_TH_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm/snap_read.h"
#include "dataplane/tftp/tftp.h"

#define TH_MAXPKT   8192
#define TH_CLIENT   0x0a4d000bu /* 10.77.0.11 */
#define TH_SERVER   0x0a4d0001u
#define TH_MS	    1000000ull

struct th_pkt {
	uint32_t dst_ip;
	uint16_t src_port, dst_port;
	uint8_t hdr[TFTP_MAX_HDR];
	uint16_t hdr_len;
	const uint8_t *payload;
	uint32_t payload_len;
	int32_t sum;
	struct tftp_file *file;
};

struct th {
	char dir[64], root[96], gen[96];
	_Alignas(8) uint8_t snapbuf[1024];
	struct snap_hdr *s;
	struct tftp_engine *e;
	_Atomic uint64_t ctr[BS_CTR_MAX];
	struct th_pkt *pk;
	unsigned npk;
	unsigned enobufs;	/* next sends to refuse */
	unsigned nsent;		/* all sends accepted */
	struct boot_event ev[64];
	unsigned nev, nev_total;
	unsigned stage_count[BOOT_STAGE_MAX];
	uint64_t now;
	bool count_only;	/* benchmark: do not record packets */
};

static inline int
th_send(void *ctx, const struct tftp_out *o)
{
	struct th *t = ctx;
	if (t->enobufs) {
		t->enobufs--;
		return -ENOBUFS;
	}
	t->nsent++;
	if (t->count_only || t->npk >= TH_MAXPKT)
		return 0;
	struct th_pkt *p = &t->pk[t->npk++];
	p->dst_ip = o->dst_ip;
	p->src_port = o->src_port;
	p->dst_port = o->dst_port;
	memcpy(p->hdr, o->hdr, o->hdr_len);
	p->hdr_len = o->hdr_len;
	p->payload = o->payload;
	p->payload_len = o->payload_len;
	p->sum = o->payload_sum;
	p->file = o->file;
	return 0;
}

/* The burst path (env.send_data) as the glue sees it: a run of DATA
 * blocks, recorded as the single packets send() would have been given, so
 * every test checks both paths (th_runs picks the one engines use). */
static bool th_runs;

static inline unsigned
th_send_data(void *ctx, const struct tftp_data_run *r)
{
	struct th *t = ctx;
	for (unsigned k = 0; k < r->n; k++) {
		uint8_t hdr[4];
		struct tftp_out o;
		tftp_run_out(r, k, hdr, &o);
		if (th_send(t, &o) != 0)
			return k;
	}
	return r->n;
}

static inline void
th_emit(void *ctx, const struct boot_event *ev)
{
	struct th *t = ctx;
	if (ev->stage < BOOT_STAGE_MAX)
		t->stage_count[ev->stage]++;
	t->nev_total++;
	if (t->nev < 64)
		t->ev[t->nev++] = *ev;
}

static inline uint32_t
th_str(struct th *t, uint32_t *pos, const char *str)
{
	uint8_t *blob = t->snapbuf + sizeof(struct snap_hdr);
	uint32_t at = *pos;
	size_t n = strlen(str) + 1;
	memcpy(blob + at, str, n);
	*pos += (uint32_t)n;
	return at;
}

/* Fresh snapshot with the defaults of the example config. */
static inline void
th_snap(struct th *t)
{
	memset(t->snapbuf, 0, sizeof(t->snapbuf));
	struct snap_hdr *s = t->s = (struct snap_hdr *)t->snapbuf;
	s->magic = SNAP_MAGIC;
	uint32_t pos = 1; /* offset 0 = "" */
	s->tftp_root = th_str(t, &pos, t->root);
	s->tftp_gen_root = th_str(t, &pos, t->gen);
	s->strings.off = sizeof(struct snap_hdr);
	s->strings.count = pos;
	s->size = (uint32_t)(sizeof(struct snap_hdr) + pos);
	s->tftp_max_blksize = 1468;
	s->tftp_max_windowsize = 16;
	s->tftp_timeout_ms = 1000;
	s->tftp_retries = 5;
	s->tftp_port_lo = 40000;
	s->tftp_port_hi = 59999;
	s->tftp_max_transfers = 100000;
	s->tftp_max_per_client = 4;
	s->tftp_mtu = 1500;
}

static inline void
th_path(const struct th *t, const char *rel, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", t->root, rel);
}

/* Writes a file (creating directories) with an mtime 10 s in the past so
 * it counts as settled. */
static inline void
th_write_at(const char *path, const void *data, size_t len)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0755);
			*p = '/';
		}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (len && fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 10;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, path, ts, 0);
}

static inline void
th_write(const struct th *t, const char *rel, const void *data, size_t len)
{
	char p[512];
	th_path(t, rel, p, sizeof(p));
	th_write_at(p, data, len);
}

static inline uint8_t *
th_pattern(size_t len, unsigned seed)
{
	uint8_t *b = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	return b;
}

static inline struct tftp_engine *
th_engine(struct th *t, uint32_t max_transfers, uint32_t settle_ms)
{
	if (t->e)
		tftp_engine_free(t->e);
	struct tftp_env env = {
		.ctr = t->ctr,
		.worker = 0,
		.n_workers = 1,
		.send = th_send,
		.send_data = th_runs ? th_send_data : NULL,
		.emit_boot = th_emit,
		.ctx = t,
	};
	struct tftp_limits lim = { .max_transfers = max_transfers, .max_files = 64,
				   .settle_ms = settle_ms };
	t->e = tftp_engine_new(&env, &lim);
	return t->e;
}

static inline struct th *
th_new(void)
{
	struct th *t = calloc(1, sizeof(*t));
	t->pk = calloc(TH_MAXPKT, sizeof(*t->pk));
	snprintf(t->dir, sizeof(t->dir), "/tmp/bs-tftp-XXXXXX");
	if (!mkdtemp(t->dir))
		abort();
	snprintf(t->root, sizeof(t->root), "%s/root", t->dir);
	snprintf(t->gen, sizeof(t->gen), "%s/gen", t->dir);
	mkdir(t->root, 0755);
	mkdir(t->gen, 0755);
	th_snap(t);
	t->now = 1000 * TH_MS;
	th_engine(t, 1024, UINT32_MAX);
	return t;
}

static inline void
th_free(struct th *t)
{
	tftp_engine_free(t->e);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", t->dir);
	free(t->pk);
	free(t);
}

/* cmocka setup/teardown: a fresh harness per test case in *state. */
static inline int
th_setup(void **state)
{
	*state = th_new();
	return 0;
}

static inline int
th_teardown(void **state)
{
	th_free(*state);
	return 0;
}

#ifdef cmocka_unit_test
/* Runs a group twice: DATA one packet per send(), then in runs through
 * send_data() as bootstorm-dp sends them (group names NAME, NAME-runs).
 * Only where cmocka.h was included first. */
static inline int
th_run_both(const char *name, const struct CMUnitTest *tests, size_t n)
{
	char runs[64];

	th_runs = false;
	int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	snprintf(runs, sizeof(runs), "%s-runs", name);
	th_runs = true;
	return failed + _cmocka_run_group_tests(runs, tests, n, NULL, NULL);
}
#endif

/* Packet helpers.  They return 0 or the counter of the drop (tests name
 * drops by their counter).  th_rx & co. come from TH_CLIENT with the MAC
 * 52:54:00:00:00:01 (boot events carry it); the _from variants from any
 * ip, with no MAC, as a spoofer or another host. */
static inline int
th_rx_mac(struct th *t, uint32_t ip, const uint8_t *mac, uint16_t cport, uint16_t dport,
	  const void *p, size_t len)
{
	struct tftp_rx rx = {
		.p = p, .len = len, .src_ip = ip, .dst_ip = TH_SERVER,
		.src_port = cport, .dst_port = dport, .now_ns = t->now,
	};
	if (mac)
		memcpy(rx.src_mac, mac, sizeof(rx.src_mac));
	enum bs_drop d = tftp_handle(t->e, t->s, &rx);
	return d ? (int)bs_drop_ctr[d] : 0;
}

static inline int
th_rx(struct th *t, uint16_t cport, uint16_t dport, const void *p, size_t len)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	return th_rx_mac(t, TH_CLIENT, mac, cport, dport, p, len);
}

static inline int
th_rx_from(struct th *t, uint32_t ip, uint16_t cport, uint16_t dport, const void *p, size_t len)
{
	return th_rx_mac(t, ip, NULL, cport, dport, p, len);
}

/* An RRQ into b (1024 bytes) with options given as "name", "value", ...,
 * NULL; its length. */
static inline size_t
th_rrq_pkt(uint8_t *b, const char *file, const char *mode, const char *const *opts)
{
	size_t n = 0;
	b[n++] = 0;
	b[n++] = 1;
	size_t l = strlen(file) + 1;
	memcpy(b + n, file, l);
	n += l;
	l = strlen(mode) + 1;
	memcpy(b + n, mode, l);
	n += l;
	for (; opts && *opts; opts++) {
		l = strlen(*opts) + 1;
		memcpy(b + n, *opts, l);
		n += l;
	}
	return n;
}

static inline int
th_rrq(struct th *t, uint16_t cport, const char *file, const char *mode, const char *const *opts)
{
	uint8_t b[1024];
	return th_rx(t, cport, TFTP_PORT, b, th_rrq_pkt(b, file, mode, opts));
}

/* An RRQ without options from ip. */
static inline int
th_rrq_from(struct th *t, uint32_t ip, uint16_t cport, const char *file, const char *mode)
{
	uint8_t b[1024];
	return th_rx_from(t, ip, cport, TFTP_PORT, b, th_rrq_pkt(b, file, mode, NULL));
}

static inline int
th_ack(struct th *t, uint16_t cport, uint16_t sport, uint16_t block)
{
	uint8_t b[4] = { 0, 4, (uint8_t)(block >> 8), (uint8_t)block };
	return th_rx(t, cport, sport, b, 4);
}

static inline int
th_ack_from(struct th *t, uint32_t ip, uint16_t cport, uint16_t sport, uint16_t block)
{
	uint8_t b[4] = { 0, 4, (uint8_t)(block >> 8), (uint8_t)block };
	return th_rx_from(t, ip, cport, sport, b, 4);
}

static inline unsigned
th_poll(struct th *t, unsigned budget)
{
	return tftp_poll(t->e, t->s, t->now, budget);
}

static inline uint16_t
th_op(const struct th_pkt *p)
{
	return (uint16_t)(p->hdr[0] << 8 | p->hdr[1]);
}

static inline uint16_t
th_blk(const struct th_pkt *p)
{
	return (uint16_t)(p->hdr[2] << 8 | p->hdr[3]);
}

/* Value of option `name` in an OACK packet, -1 when absent. */
static inline long
th_oack_opt(const struct th_pkt *p, const char *name)
{
	size_t i = 2;
	while (i < p->hdr_len) {
		const char *k = (const char *)p->hdr + i;
		size_t kl = strnlen(k, p->hdr_len - i);
		const char *v = k + kl + 1;
		if (i + kl + 1 >= p->hdr_len)
			break;
		size_t vl = strnlen(v, p->hdr_len - i - kl - 1);
		if (strcmp(k, name) == 0)
			return atol(v);
		i += kl + 1 + vl + 1;
	}
	return -1;
}

/* ---- scripted client ---- */

struct th_fetch {
	const char *name;
	const char *mode;		/* default octet */
	const char *const *opts;
	uint16_t cport;
	/* Loss injection: return true to lose this packet. n counts from 0
	 * over all DATA (resp. ACK) packets of the fetch. */
	bool (*lose_data)(unsigned n, uint16_t blk);
	bool (*lose_ack)(unsigned n, uint16_t blk);
	unsigned max_steps;		/* time steps of 50 ms before giving up */
	/* results */
	uint8_t *data;
	size_t len;
	int error;			/* ERROR code received, -1 none */
	bool done;
	unsigned data_pkts, sum_checked;
	uint16_t sport;
	uint32_t blksize, wsize;
};

/* RFC 7440 receiver: accepts in-order blocks, ACKs every wsize blocks and
 * the last one; on a gap ACKs the last in-order block; on its own timeout
 * re-ACKs it. */
static inline void
th_do_fetch(struct th *t, struct th_fetch *f)
{
	size_t cap = 1 << 16;
	f->data = malloc(cap);
	f->len = 0;
	f->error = -1;
	f->done = false;
	f->blksize = 512;
	f->wsize = 1;
	f->sport = 0;
	unsigned ndata = 0, nack = 0, in_window = 0, idle = 0;
	uint32_t expect = 1; /* absolute */
	bool final_acked = false;
	th_rrq(t, f->cport, f->name, f->mode ? f->mode : "octet", f->opts);
	for (unsigned step = 0; step < (f->max_steps ? f->max_steps : 20000) && !final_acked;
	     step++) {
		t->npk = 0;
		th_poll(t, 64);
		bool got = false;
		for (unsigned k = 0; k < t->npk; k++) {
			struct th_pkt *p = &t->pk[k];
			if (p->dst_port != f->cport)
				continue;
			uint16_t op = th_op(p);
			if (op == 5) {
				f->error = th_blk(p);
				return;
			}
			if (!f->sport)
				f->sport = p->src_port;
			if (op == 6) {
				long v = th_oack_opt(p, "blksize");
				if (v > 0)
					f->blksize = (uint32_t)v;
				v = th_oack_opt(p, "windowsize");
				if (v > 0)
					f->wsize = (uint32_t)v;
				if (!f->lose_ack || !f->lose_ack(nack, 0))
					th_ack(t, f->cport, f->sport, 0);
				nack++;
				got = true;
				continue;
			}
			if (op != 3)
				continue;
			if (f->lose_data && f->lose_data(ndata++, th_blk(p)))
				continue;
			f->data_pkts++;
			got = true;
			if (th_blk(p) != (uint16_t)expect) {
				/* gap or duplicate: RFC 7440 ACK of last in order */
				if (th_blk(p) != (uint16_t)(expect - 1)) {
					if (!f->lose_ack || !f->lose_ack(nack, (uint16_t)(expect - 1)))
						th_ack(t, f->cport, f->sport, (uint16_t)(expect - 1));
					nack++;
				}
				in_window = 0;
				continue;
			}
			if (p->sum >= 0) {
				/* the engine's checksum must match the bytes */
				uint64_t s = 0;
				for (uint32_t i = 0; i + 1 < p->payload_len; i += 2) {
					uint16_t h;
					memcpy(&h, p->payload + i, 2);
					s += h;
				}
				if (p->payload_len & 1) {
					uint16_t h = 0;
					memcpy(&h, p->payload + p->payload_len - 1, 1);
					s += h;
				}
				while (s >> 16)
					s = (s & 0xffff) + (s >> 16);
				if ((int32_t)s != p->sum)
					abort();
				f->sum_checked++;
			}
			if (f->len + p->payload_len > cap) {
				while (f->len + p->payload_len > cap)
					cap *= 2;
				f->data = realloc(f->data, cap);
			}
			if (p->payload_len)
				memcpy(f->data + f->len, p->payload, p->payload_len);
			f->len += p->payload_len;
			expect++;
			in_window++;
			bool last = p->payload_len < f->blksize;
			if (last || in_window >= f->wsize) {
				uint16_t b = (uint16_t)(expect - 1);
				if (!f->lose_ack || !f->lose_ack(nack, b))
					th_ack(t, f->cport, f->sport, b);
				nack++;
				in_window = 0;
				if (last) {
					f->done = true;
					final_acked = true;
				}
			}
		}
		if (!got) {
			t->now += 50 * TH_MS;
			if (++idle % 20 == 0 && f->sport && expect > 1) {
				/* client timeout: re-ACK the last block in order */
				th_ack(t, f->cport, f->sport, (uint16_t)(expect - 1));
				nack++;
			}
		} else {
			idle = 0;
		}
	}
	t->npk = 0;
	th_poll(t, 64); /* let the engine see the last ACK's effects */
}

#endif
