/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Verify probes of a campaign (control/daemon/camp_verify.h).
 */
#include "control/daemon/camp_verify.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct job {
	struct camp_verify *v;
	uint32_t i;
	uint32_t ip;
	char spec[256];
};

int
camp_verify_check(const char *spec, const char **why)
{
	char *end;
	unsigned long port;

	if (!strncmp(spec, "tcp:", 4)) {
		errno = 0;
		port = strtoul(spec + 4, &end, 10);
		if (errno || end == spec + 4 || *end || port < 1 || port > 65535) {
			*why = "tcp:PORT wants a port 1-65535";
			return -EINVAL;
		}
		return 0;
	}
	if (!strncmp(spec, "http://", 7) || !strncmp(spec, "https://", 8)) {
		if (strlen(spec) >= 200) {
			*why = "URL too long (at most 199 characters)";
			return -EINVAL;
		}
		return 0;
	}
	*why = "want tcp:PORT or http://{ip}[:PORT]/path";
	return -EINVAL;
}

/* A TCP connect (RFC 9293 3.5: the SYN answered by SYN-ACK) within the
 * probe timeout. */
static bool
probe_tcp(uint32_t ip, unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(ip) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p;
	bool ok = false;

	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		ok = true;
	} else if (errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, CAMP_VERIFY_TIMEOUT_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && !err)
			ok = true;
	}
	close(fd);
	return ok;
}

static size_t
sink(char *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

/* A GET answered with a 2xx or 3xx status (RFC 9110 15.3, 15.4). */
static bool
probe_http(const char *spec, uint32_t ip)
{
	char url[512], a[16];
	const char *t = strstr(spec, "{ip}");
	CURL *h = curl_easy_init();
	long code = 0;
	bool ok;

	if (!h)
		return false;
	snprintf(a, sizeof(a), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
		 ip & 255);
	if (t)
		snprintf(url, sizeof(url), "%.*s%s%s", (int)(t - spec), spec, a, t + 4);
	else
		snprintf(url, sizeof(url), "%s", spec);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CAMP_VERIFY_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	ok = curl_easy_perform(h) == CURLE_OK &&
	     curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code >= 200 &&
	     code < 400;
	curl_easy_cleanup(h);
	return ok;
}

static void
push(struct camp_verify *v, uint32_t i, bool ok)
{
	pthread_mutex_lock(&v->mu);
	if (v->nq == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct camp_verify_done *q = realloc(v->q, cap * sizeof(*q));

		if (q) {
			v->q = q;
			v->cap = cap;
		}
	}
	/* no memory: the result is lost, the engine probes again */
	if (v->nq < v->cap)
		v->q[v->nq++] = (struct camp_verify_done){ i, ok };
	pthread_mutex_unlock(&v->mu);
}

static void *
job_run(void *arg)
{
	struct job *j = arg;
	struct camp_verify *v = j->v;
	bool ok;

	if (!j->spec[0])
		ok = true;
	else if (!strncmp(j->spec, "tcp:", 4))
		ok = probe_tcp(j->ip, (unsigned)atoi(j->spec + 4));
	else
		ok = probe_http(j->spec, j->ip);
	push(v, j->i, ok);
	free(j);
	pthread_mutex_lock(&v->mu);
	v->running--;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

void
camp_verify_init(struct camp_verify *v)
{
	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
}

int
camp_verify_start(struct camp_verify *v, uint32_t i, const char *spec, uint32_t ip)
{
	struct job *j;
	pthread_attr_t at;
	pthread_t t;
	int rc;

	pthread_mutex_lock(&v->mu);
	if (v->running >= CAMP_VERIFY_MAX) {
		pthread_mutex_unlock(&v->mu);
		return -EBUSY;
	}
	v->running++;
	pthread_mutex_unlock(&v->mu);
	if (!(j = calloc(1, sizeof(*j)))) {
		rc = -ENOMEM;
		goto undo;
	}
	*j = (struct job){ .v = v, .i = i, .ip = ip };
	if (spec)
		snprintf(j->spec, sizeof(j->spec), "%s", spec);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = -pthread_create(&t, &at, job_run, j);
	pthread_attr_destroy(&at);
	if (rc == 0)
		return 0;
	free(j);
undo:
	pthread_mutex_lock(&v->mu);
	v->running--;
	pthread_mutex_unlock(&v->mu);
	return rc;
}

size_t
camp_verify_drain(struct camp_verify *v, struct campaign *c, uint64_t now_ms)
{
	struct camp_verify_done d[64];
	size_t n, total = 0;

	do {
		pthread_mutex_lock(&v->mu);
		n = v->nq < 64 ? v->nq : 64;
		if (!n) {
			pthread_mutex_unlock(&v->mu);
			break;
		}
		memcpy(d, v->q, n * sizeof(d[0]));
		memmove(v->q, v->q + n, (v->nq - n) * sizeof(d[0]));
		v->nq -= n;
		pthread_mutex_unlock(&v->mu);
		for (size_t k = 0; k < n; k++)
			camp_on_verify(c, d[k].i, d[k].ok, now_ms);
		total += n;
	} while (n == 64);
	return total;
}

void
camp_verify_fini(struct camp_verify *v)
{
	pthread_mutex_lock(&v->mu);
	while (v->running)
		pthread_cond_wait(&v->cv, &v->mu);
	pthread_mutex_unlock(&v->mu);
	free(v->q);
	v->q = NULL;
	v->nq = v->cap = 0;
}
