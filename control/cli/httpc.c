/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/cli/httpc.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static int
wait_fd(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long left = ms_left(deadline);
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)left);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

static int
split_url(const char *url, char host[256], char port[8], const char **path)
{
	const char *h, *e, *colon;
	size_t hl;

	if (strncmp(url, "http://", 7) != 0)
		return -EINVAL;
	h = url + 7;
	e = strchr(h, '/');
	*path = e ? e : "/";
	if (!e)
		e = h + strlen(h);
	colon = memchr(h, ':', (size_t)(e - h));
	hl = (size_t)((colon ? colon : e) - h);
	if (hl == 0 || hl >= 256)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon) {
		size_t pl = (size_t)(e - colon - 1);

		if (pl == 0 || pl >= 8)
			return -EINVAL;
		memcpy(port, colon + 1, pl);
		port[pl] = '\0';
	} else {
		strcpy(port, "80");
	}
	return 0;
}

static int
connect_to(const char *host, const char *port, const struct timespec *deadline)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int fd = -1, rc;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	rc = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0) {
			int err = 0;
			socklen_t el = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err == 0)
				break;
			rc = -err;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : rc;
}

static char bearer[512];

void
httpc_set_bearer(const char *token)
{
	snprintf(bearer, sizeof(bearer), "%s", token ? token : "");
}

int
httpc_get(const char *url, int timeout_ms, int *status, char **body, size_t *len)
{
	char host[256], port[8], req[2048], auth[600] = "";
	struct timespec deadline;
	const char *path, *sep;
	char *buf = NULL;
	size_t cap = 0, got = 0, rl, sent = 0;
	int fd, rc;

	rc = split_url(url, host, port, &path);
	if (rc < 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L)
		deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
	if (bearer[0])
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", bearer);
	rl = (size_t)snprintf(req, sizeof(req),
			      "GET %s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: bootstorm-cli\r\n"
			      "%sConnection: close\r\n\r\n", path, host, port, auth);
	if (rl >= sizeof(req))
		return -E2BIG;
	fd = connect_to(host, port, &deadline);
	if (fd < 0)
		return fd;
	while (sent < rl) {
		ssize_t n = send(fd, req + sent, rl - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN && (rc = wait_fd(fd, POLLOUT, &deadline)) == 0)
			continue;
		if (n <= 0) {
			rc = n < 0 && errno != EAGAIN ? -errno : rc;
			goto out;
		}
		sent += (size_t)n;
	}
	for (;;) {
		ssize_t n;

		if (got + 4096 + 1 > cap) {
			char *nb;

			if (cap >= HTTPC_MAX_BODY) {
				rc = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + got, cap - got - 1, 0);
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN) {
			rc = wait_fd(fd, POLLIN, &deadline);
			if (rc < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		got += (size_t)n;
	}
	rc = -EPROTO;
	if (!buf)
		goto out;
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", status) != 1)
		goto out;
	sep = strstr(buf, "\r\n\r\n");
	if (!sep)
		goto out;
	sep += 4;
	*len = got - (size_t)(sep - buf);
	memmove(buf, sep, *len + 1);
	*body = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}
