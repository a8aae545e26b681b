/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bs-storm: TFTP client and the expected-content files.
 */
#include "tools/storm/storm.h"

static struct xfile xfiles[MAX_FILES + 4];
static unsigned nxfiles;

/* ----------------------------------------------------------------- files */

/* Finds or loads (mmap) the expected content of a file under --root.
 * Returns its index, or -1 when it cannot be read (verify mode). */
int32_t
xfile_get(const char *name)
{
	while (*name == '/')
		name++;
	for (unsigned i = 0; i < nxfiles; i++)
		if (strcmp(xfiles[i].name, name) == 0)
			return (int32_t)i;
	if (nxfiles >= sizeof(xfiles) / sizeof(xfiles[0]) || strlen(name) >= sizeof(xfiles[0].name))
		return -1;
	struct xfile *x = &xfiles[nxfiles];
	snprintf(x->name, sizeof(x->name), "%s", name);
	if (opt.verify) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", opt.root, name);
		int fd = open(path, O_RDONLY);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) < 0) {
			fprintf(stderr, "storm: cannot read expected file %s: %s\n", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		x->size = (size_t)sb.st_size;
		if (x->size) {
			void *m = mmap(NULL, x->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
			if (m == MAP_FAILED) {
				close(fd);
				return -1;
			}
			x->data = m;
		}
		close(fd);
	}
	x->loaded = true;
	return (int32_t)nxfiles++;
}

/* -------------------------------------------------------------------- TFTP */

static void
tftp_send_ack(struct node *n, uint16_t blk)
{
	uint8_t b[4];
	put_be16(b, TOP_ACK);
	put_be16(b + 2, blk);
	tx_udp(n->mac, n->srv_mac, n->ip, n->siaddr, n->cport, n->sport, b, 4);
}

static void
tftp_send_rrq(struct node *n)
{
	uint8_t b[512];
	struct wcur w = wcur_init(b, sizeof(b));
	const struct xfile *x = &xfiles[n->xf];
	char num[16];
	wcur_be16(&w, TOP_RRQ);
	wcur_put(&w, x->name, strlen(x->name) + 1);
	wcur_put(&w, "octet", 6);
	if (opt.tsize) {
		wcur_put(&w, "tsize", 6);
		wcur_put(&w, "0", 2);
	}
	if (opt.blksize) {
		int l = snprintf(num, sizeof(num), "%u", opt.blksize);
		wcur_put(&w, "blksize", 8);
		wcur_put(&w, num, (size_t)l + 1);
	}
	if (opt.windowsize > 1) {
		int l = snprintf(num, sizeof(num), "%u", opt.windowsize);
		wcur_put(&w, "windowsize", 11);
		wcur_put(&w, num, (size_t)l + 1);
	}
	if (w.bad)
		return;
	tx_udp(n->mac, n->srv_mac, n->ip, n->siaddr, n->cport, TFTP_PORT, b, w.len);
}

void
tftp_begin_file(int32_t i)
{
	struct node *n = &nodes[i];
	n->xf = n->file_i == 0 ? n->loader_xf : files_xf[n->file_i - 1];
	n->cport = (uint16_t)(1024 + rnd() % 64000);
	n->have_tid = false;
	n->gap_acked = false;
	n->sport = 0;
	n->nblk = 0;
	n->blksize = 512;
	n->wsize = 1;
	n->win_got = 0;
	n->tries = 0;
	tftp_send_rrq(n);
	timer_arm(i, now_ms() + opt.timeout_ms);
}

static void
tftp_file_done(int32_t i)
{
	struct node *n = &nodes[i];
	st.files_done++;
	n->prev_cport = n->cport;
	n->prev_sport = n->sport;
	n->prev_blk = (uint16_t)n->nblk;
	if (n->file_i >= opt.nfiles) {
		node_finish(i, true, F_NONE);
		return;
	}
	n->file_i++;
	tftp_begin_file(i);
}

/* RFC 2347/2348/7440: the OACK may only lower what we asked for. */
static bool
tftp_parse_oack(struct node *n, struct cur *c)
{
	const struct xfile *x = &xfiles[n->xf];
	while (c->left && !c->bad) {
		const char *k = cur_cstr(c, NULL);
		const char *v = cur_cstr(c, NULL);
		if (!k || !v)
			return false;
		char *end;
		unsigned long val = strtoul(v, &end, 10);
		if (*end)
			return false;
		if (strcasecmp(k, "blksize") == 0) {
			if (val < 8 || val > 65464 || (opt.blksize && val > opt.blksize))
				return false;
			n->blksize = (uint16_t)val;
		} else if (strcasecmp(k, "windowsize") == 0) {
			if (val < 1 || val > opt.windowsize)
				return false;
			n->wsize = (uint16_t)val;
		} else if (strcasecmp(k, "tsize") == 0) {
			if (opt.verify && val != x->size)
				return false;
		}
	}
	return !c->bad;
}

/* Retransmission timeout after `tries` timeouts in a row: fixed, or (the
 * default, as iPXE's retry timer does) doubling, capped at --backoff-cap
 * times the base.  A server that sheds load by dropping RRQs relies on it. */
static uint64_t
tftp_backoff_ms(unsigned tries)
{
	uint64_t t = opt.timeout_ms;
	for (unsigned k = 0; opt.tftp_backoff && k < tries && t < (uint64_t)opt.timeout_ms * opt.backoff_cap; k++)
		t *= 2;
	if (opt.tftp_backoff && t > (uint64_t)opt.timeout_ms * opt.backoff_cap)
		t = (uint64_t)opt.timeout_ms * opt.backoff_cap;
	return t;
}

void
tftp_timeout(int32_t i)
{
	struct node *n = &nodes[i];
	if (++n->tries > opt.retries) {
		node_finish(i, false, F_TFTP_TIMEOUT);
		return;
	}
	st.tftp_rexmit++;
	if (!n->have_tid)
		tftp_send_rrq(n);
	else
		tftp_send_ack(n, (uint16_t)n->nblk);
	n->gap_acked = false;
	timer_arm(i, now_ms() + tftp_backoff_ms(n->tries));
}

static void
tftp_data(int32_t i, uint16_t blk, const uint8_t *p, size_t len)
{
	struct node *n = &nodes[i];
	uint16_t want = (uint16_t)(n->nblk + 1);
	if (blk != want) {
		/* behind: a duplicate (our ACK was lost, or a resent window) */
		if ((int16_t)(blk - want) < 0) {
			st.dup_blocks++;
			if (n->wsize == 1 && blk == (uint16_t)n->nblk)
				tftp_send_ack(n, blk);
			return;
		}
		/* ahead: a gap.  RFC 7440 4: ACK the last in-order block once so
		 * that the sender restarts the window from there. */
		if (!n->gap_acked) {
			st.gap_acks++;
			tftp_send_ack(n, (uint16_t)n->nblk);
			n->gap_acked = true;
			n->win_got = 0;
		}
		return;
	}
	const struct xfile *x = &xfiles[n->xf];
	uint64_t off = n->nblk * n->blksize;
	bool last = len < n->blksize;
	if (len > n->blksize) {
		node_finish(i, false, F_BAD_DATA);
		return;
	}
	if (opt.verify) {
		if (off + len > x->size || (last && off + len != x->size)) {
			node_finish(i, false, F_BAD_SIZE);
			return;
		}
		if (len && memcmp(x->data + off, p, len) != 0) {
			node_finish(i, false, F_BAD_DATA);
			return;
		}
	}
	n->nblk++;
	n->tries = 0;
	n->gap_acked = false;
	st.payload_bytes += len;
	if (last) {
		tftp_send_ack(n, blk);
		tftp_file_done(i);
		return;
	}
	if (++n->win_got >= n->wsize) {
		tftp_send_ack(n, blk);
		n->win_got = 0;
	}
	timer_arm(i, now_ms() + opt.timeout_ms);
}

void
tftp_rx(int32_t i, uint32_t sip, uint16_t sport, uint16_t dport, const uint8_t *p, size_t len)
{
	struct node *n = &nodes[i];
	if (n->state != NS_TFTP || dport != n->cport || sip != n->siaddr) {
		/* the server resent the final block of the previous file: our
		 * last ACK was lost; ACK it again so the server can finish */
		if (dport == n->prev_cport && sport == n->prev_sport && len >= 4 &&
		    p[1] == TOP_DATA && (uint16_t)(p[2] << 8 | p[3]) == n->prev_blk) {
			uint8_t b[4];
			put_be16(b, TOP_ACK);
			put_be16(b + 2, n->prev_blk);
			tx_udp(n->mac, n->srv_mac, n->ip, sip, dport, sport, b, 4);
		}
		st.stray++;
		return;
	}
	if (n->have_tid && sport != n->sport) {
		st.stray++; /* RFC 1350 4: another TID; not ours */
		return;
	}
	struct cur c = cur_init(p, len);
	uint16_t op = cur_be16(&c);
	if (c.bad)
		return;
	if (!n->have_tid) {
		n->sport = sport;
		n->have_tid = true;
	}
	switch (op) {
	case TOP_OACK:
		if (n->nblk != 0)
			return;
		if (!tftp_parse_oack(n, &c)) {
			node_finish(i, false, F_BAD_OACK);
			return;
		}
		n->tries = 0;
		tftp_send_ack(n, 0);
		timer_arm(i, now_ms() + opt.timeout_ms);
		return;
	case TOP_DATA: {
		uint16_t blk = cur_be16(&c);
		if (c.bad)
			return;
		tftp_data(i, blk, c.p, c.left);
		return;
	}
	case TOP_ERROR:
		node_finish(i, false, F_TFTP_ERROR);
		return;
	default:
		st.stray++;
		return;
	}
}
