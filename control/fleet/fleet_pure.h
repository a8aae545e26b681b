/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The pure parts of fleet mode (no libpq, no threads, no I/O): the schema
 * migrations as data, the walk over the lease journal's tail that makes the
 * journal itself the outbox, and the batch encoder that turns lease events
 * into the text arrays of one set-based upsert.  Unit-tested as they are
 * (tests/unit/control/test_fleet.c).
 */
#ifndef BS_CONTROL_FLEET_PURE_H
#define BS_CONTROL_FLEET_PURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/shm.h"

/* ---- schema (fleet_schema.c) ---- */

/* One migration: applied in one transaction, in version order, recorded
 * in schema_version.  Versions start at 1 and are contiguous; a released
 * migration is never edited (a new one is appended). */
struct fleet_migration {
	int version;
	const char *name;
	const char *sql;	/* one or more statements */
};

extern const struct fleet_migration fleet_migrations[];
extern const size_t fleet_n_migrations;

/* 0 when versions are 1..n in order, else the index of the first bad row
 * plus one (a unit test and `db migrate` check it). */
size_t fleet_migrations_check(const struct fleet_migration *m, size_t n);

/* ---- journal tail (fleet_tail.c) ---- */

/* Where shipping stands in the journal.  The journal file is the outbox: no
 * second copy of an event is kept.  ino identifies the file (compaction
 * renames a new one over it); off is the byte offset after the last record
 * shipped from that file; seq the highest event seq shipped so far (used to
 * skip what was already shipped when the file changed under us). */
struct fleet_pos {
	uint64_t ino;
	uint64_t off;
	uint64_t seq;
};

/* Walks img (a whole journal file, size bytes) from pos->off (0 = just
 * after the header) and copies up to cap events into out, stopping before a
 * record whose seq is above durable (written but not yet synced: not
 * acknowledged, may still be cut), at the end of the valid records, or when
 * out is full.  Records with seq <= skip_upto are passed over (already
 * shipped before a compaction).  A damaged region followed by valid records
 * is skipped like replay does.  *next_off gets the offset to resume from.
 * Returns the number of events copied. */
size_t fleet_tail_walk(const uint8_t *img, size_t size, uint64_t off, uint64_t durable,
		       uint64_t skip_upto, struct lease_event *out, size_t cap, uint64_t *next_off);

/* "ino off seq\n" <-> pos.  parse: 0 or -EINVAL. */
int fleet_pos_format(const struct fleet_pos *p, char *buf, size_t cap);
int fleet_pos_parse(const char *s, struct fleet_pos *p);

/* ---- batches (fleet_batch.c) ---- */

/* A growable string. oom sticks. */
struct fleet_str {
	char *p;
	size_t len, cap;
	bool oom;
};

void fleet_str_add(struct fleet_str *s, const char *text, size_t n);
void fleet_str_free(struct fleet_str *s);

/* A PostgreSQL array literal being built: "{" elem "," elem ... "}".
 * Elements are always double-quoted with " and \ escaped (array_in's
 * rules), so any text is safe; NULL elements are written as NULL. */
struct fleet_arr {
	struct fleet_str s;
	size_t n;
};

void fleet_arr_add(struct fleet_arr *a, const char *elem); /* elem NULL = SQL NULL */
/* The finished literal (NUL-terminated, owned by a), or NULL when out of
 * memory. */
const char *fleet_arr_done(struct fleet_arr *a);
void fleet_arr_free(struct fleet_arr *a);

/* The columns of one lease upsert, one array per column. */
enum fleet_lease_col {
	FL_IP = 0,
	FL_MAC,
	FL_STATE,
	FL_EXPIRES_MS,
	FL_SEQ,
	FL_TS_MS,
	FL_HOSTNAME,
	FL_COL_MAX
};

struct fleet_lease_batch {
	struct fleet_arr col[FL_COL_MAX];
	size_t n;
};

/* The state a lease is in after an event of kind k ("bound", "released",
 * "declined", "expired"; "?" out of range). */
const char *fleet_lease_state(unsigned kind);
void fleet_lease_batch_add(struct fleet_lease_batch *b, const struct lease_event *ev);
/* Finishes every column; false when out of memory. */
bool fleet_lease_batch_done(struct fleet_lease_batch *b, const char *vals[FL_COL_MAX]);
void fleet_lease_batch_free(struct fleet_lease_batch *b);

/* The set-based upsert the batch feeds ($1 = server name, $2.. = columns):
 * the newest event per address wins inside a batch (DISTINCT ON), and a
 * row only ever moves forward in seq, so replaying a batch (after a crash
 * between COMMIT and saving the position) changes nothing. */
extern const char fleet_lease_upsert_sql[];

/* ---- fleet-wide campaigns (fleet_camp_pure.c) ---- */

/* One server's share of a fleet campaign's pacing.  n = live servers that
 * have unfinished claimed nodes in the campaign (this one included; 0 is
 * taken as 1): rate = min(server_rate, fleet_rate / n), in_flight =
 * max(1, min(server_in_flight, fleet_in_flight / n)); server_rate <= 0 and
 * server_in_flight 0 mean no per-server cap.  While the servers agree on n
 * the shares' sum never exceeds the fleet-wide figures (in flight: unless
 * n > fleet_in_flight, where each server keeps one). */
struct fleet_share {
	double rate;
	uint32_t in_flight;
};

struct fleet_share fleet_camp_share(double fleet_rate, uint32_t fleet_in_flight,
				    double server_rate, uint32_t server_in_flight, uint32_t n);

/* The id of a fleet campaign's local share (a hosted campaign's id and
 * file name): its name when it fits (< 32 bytes of [A-Za-z0-9_-]), else
 * "fleet-<id>". */
void fleet_camp_local_id(const char *name, long long id, char out[32]);

/* The fence (README "Fleet-wide campaigns: the agent"): peers take a
 * server's campaign nodes once its heartbeat is older than the deadline,
 * so a server whose last SUCCESSFUL heartbeat write was sent deadline / 2
 * ago or more (or that has written none yet) must start no BMC operation
 * for its fleet campaign nodes: it cannot tell "the database is down for
 * all" from "I alone am cut off".  now_ms and hb_sent_ms on one monotonic
 * clock (hb_sent_ms: when the write was sent, 0: never).  A clock that
 * went back (now < sent) is not fenced: the write was just made. */
enum fleet_fence_why {
	FLEET_FENCE_NONE,
	FLEET_FENCE_NO_HEARTBEAT,	/* no heartbeat written since start */
	FLEET_FENCE_STALE,		/* the last one is deadline / 2 old */
};

enum fleet_fence_why fleet_camp_fence(uint64_t now_ms, uint64_t hb_sent_ms, uint32_t deadline_ms);
const char *fleet_fence_reason(enum fleet_fence_why f);

/* The RFC 3074 bucket (dhcp_lb_hash of the 6-byte chaddr, the key the
 * dataplane's split uses for a client sending no client identifier) of a
 * "aa:bb:cc:dd:ee:ff" MAC; -1 when s is no MAC. */
int fleet_camp_bucket(const char *mac);

/* A sorted set of names (the agent's share against its claims in the
 * database: O(n log n) a round, not a comparison per pair). */
void fleet_names_sort(const char **v, size_t n);
bool fleet_names_has(const char *const *v, size_t n, const char *name);

#endif
