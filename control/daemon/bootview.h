/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Boot progress per client, fed by the dataplane's boot rings (DHCP/TFTP
 * stages), by the lease table (MAC <-> IP), and by control itself (HTTP
 * fetches, kickstart, %post done/failed).  Keyed by MAC; TFTP only knows
 * the client IP, so an IP index maps it back.  Fixed capacity: clients
 * beyond it are counted in `dropped`, never allocated for (a storm of
 * spoofed MACs cannot grow control's memory).
 *
 * Thread safety: one mutex; every call is O(1) except bv_copy().
 */
#ifndef BS_CONTROL_BOOTVIEW_H
#define BS_CONTROL_BOOTVIEW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "shm/shm.h"

struct bv_node {
	uint8_t mac[6];		/* all zero: only the IP is known */
	uint8_t stage;		/* enum boot_stage */
	uint8_t arch;		/* option 93, 0xff unknown */
	uint32_t ip;
	char file[48];
	uint64_t bytes, total;
	uint64_t first_seen_ms, last_seen_ms, stage_ms;
	uint64_t tftp_files, tftp_failures, http_files;
};

struct bootview {
	pthread_mutex_t mu;
	struct bv_node *v;
	uint32_t n, cap;
	uint64_t *keys;		/* open addressing: key -> slot, 2*cap, power of 2 */
	uint32_t *vals;
	uint32_t mask;
	uint64_t dropped;	/* events for clients beyond cap */
	uint64_t events;
	/* Observer of every stage change of a client with a known MAC, called
	 * after the view's mutex is released (campaigns.c).  Set before the
	 * threads that feed the view start, cleared after they stop.  file:
	 * the event's file name as the client sent it (NULL: none). */
	void (*hook)(void *ctx, const uint8_t mac[6], uint8_t stage, const char *file);
	void *hook_ctx;
};

int bv_init(struct bootview *bv, uint32_t cap);
void bv_free(struct bootview *bv);

/* A dataplane boot event. */
void bv_event(struct bootview *bv, const struct boot_event *ev);
/* Control-side stage change of the client with mac (NULL: find by ip). */
void bv_set_stage(struct bootview *bv, const uint8_t *mac, uint32_t ip, uint8_t stage,
		  const char *file, uint64_t now_ms);
/* Tells the view which IP a MAC holds (from the lease table / inventory). */
void bv_bind(struct bootview *bv, const uint8_t mac[6], uint32_t ip, uint64_t now_ms,
	     bool create);
bool bv_get_mac(struct bootview *bv, const uint8_t mac[6], struct bv_node *out);
bool bv_get_ip(struct bootview *bv, uint32_t ip, struct bv_node *out);
/* Copy of every entry (malloc'd, *n entries); NULL when empty/no memory. */
struct bv_node *bv_copy(struct bootview *bv, uint32_t *n);

const char *boot_stage_name(unsigned stage);

#endif
