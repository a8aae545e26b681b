/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The pure parts of running fleet-wide campaigns (fleet_pure.h): pacing
 * shares, local share ids, a node's RFC 3074 bucket, the fence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/fleet/fleet_pure.h"
#include "dataplane/dhcp/dhcp_lb.h"

struct fleet_share
fleet_camp_share(double fleet_rate, uint32_t fleet_in_flight, double server_rate,
		 uint32_t server_in_flight, uint32_t n)
{
	struct fleet_share s;

	if (n == 0)
		n = 1;
	s.rate = fleet_rate / n;
	if (server_rate > 0 && server_rate < s.rate)
		s.rate = server_rate;
	s.in_flight = fleet_in_flight / n;
	if (server_in_flight && server_in_flight < s.in_flight)
		s.in_flight = server_in_flight;
	if (s.in_flight < 1)
		s.in_flight = 1;
	return s;
}

void
fleet_camp_local_id(const char *name, long long id, char out[32])
{
	size_t n = strlen(name);
	bool ok = n > 0 && n < 32;

	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_';
	}
	if (ok)
		memcpy(out, name, n + 1);
	else
		snprintf(out, 32, "fleet-%lld", id);
}

int
fleet_camp_bucket(const char *mac)
{
	unsigned b[6];
	uint8_t m[6];
	int end = 0;

	if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 || mac[end])
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return dhcp_lb_hash(m, 6);
}

enum fleet_fence_why
fleet_camp_fence(uint64_t now_ms, uint64_t hb_sent_ms, uint32_t deadline_ms)
{
	if (!hb_sent_ms)
		return FLEET_FENCE_NO_HEARTBEAT;
	if (now_ms > hb_sent_ms && now_ms - hb_sent_ms >= deadline_ms / 2)
		return FLEET_FENCE_STALE;
	return FLEET_FENCE_NONE;
}

const char *
fleet_fence_reason(enum fleet_fence_why f)
{
	switch (f) {
	case FLEET_FENCE_NONE:
		return NULL;
	case FLEET_FENCE_NO_HEARTBEAT:
		return "no heartbeat written to the database yet";
	case FLEET_FENCE_STALE:
		return "last heartbeat write older than heartbeat_deadline / 2: peers may "
		       "take this server's nodes";
	}
	return "?";
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
fleet_names_sort(const char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), name_cmp);
}

bool
fleet_names_has(const char *const *v, size_t n, const char *name)
{
	return n && bsearch(&name, v, n, sizeof(*v), name_cmp);
}
