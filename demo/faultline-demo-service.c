/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultline-demo-service: a small HTTP/1.1 service for the demo and the tests.
 *
 *   faultline-demo-service [--listen ADDR:PORT] [--delay DURATION] [--pidfile PATH]
 *
 *   GET /             "ok", after the --delay (or ?sleep=MS), answering ?status=N
 *                     when asked; waits while the service is stalled; ?drop=1
 *                     closes the connection instead of answering
 *   GET /stall?ms=N   stalls every request to / for N ms from now; answers at once
 *   GET /metrics      Prometheus text format: requests to / by code, their
 *                     latency histogram, stalls, connections accepted
 *
 * Port 0 picks a free port. Once listening it prints "listening on ADDR:PORT" on
 * stdout, so that a test can wait for that line. One thread per connection
 * (at most MAX_CONNECTIONS), keep-alive, requests capped at REQUEST_MAX bytes.
 * It runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

#define MAX_CONNECTIONS 1024
#define REQUEST_MAX 16384
#define BODY_MAX (1024 * 1024)
#define SLEEP_MAX_MS 600000
#define NSEC 1000000000ULL

static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
				  0.25,	 0.5,	 1,	2.5,  5,     10 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static struct {
	pthread_mutex_t lock;
	uint64_t by_code[600];
	uint64_t bucket[N_BUCKETS + 1]; /* the last one is +Inf */
	double sum;
	uint64_t count, stalls, connections;
} metrics = { .lock = PTHREAD_MUTEX_INITIALIZER };

static _Atomic uint64_t stall_until; /* CLOCK_MONOTONIC ns */
static atomic_int connections;
static uint64_t default_delay_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / NSEC), .tv_nsec = (long)(t % NSEC) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int respond(int fd, int status, const char *type, const char *body, size_t len, bool close)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
			 status,
			 status == 200 ? "OK" :
			 status == 404 ? "Not Found" :
					 "Status",
			 type, len, close ? "Connection: close\r\n" : "");

	if (send_all(fd, head, (size_t)n) < 0)
		return -1;
	return send_all(fd, body, len);
}

/* The value of name=N in a query string, or -1. */
static long query_number(const char *query, const char *name)
{
	size_t nl = strlen(name);

	for (const char *q = query; q && *q;) {
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			char *end;
			long v = strtol(q + nl + 1, &end, 10);

			return end != q + nl + 1 && (*end == '\0' || *end == '&') && v >= 0 ? v :
											      -1;
		}
		q = strchr(q, '&');
		if (q)
			q++;
	}
	return -1;
}

static void record(int status, double seconds)
{
	pthread_mutex_lock(&metrics.lock);
	if (status >= 100 && status < 600)
		metrics.by_code[status]++;
	for (size_t i = 0; i <= N_BUCKETS; i++)
		if (i == N_BUCKETS || seconds <= buckets[i])
			metrics.bucket[i]++;
	metrics.sum += seconds;
	metrics.count++;
	pthread_mutex_unlock(&metrics.lock);
}

static char *render_metrics(size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	pthread_mutex_lock(&metrics.lock);
	fputs("# HELP faultline_demo_requests_total Requests to / by status code.\n"
	      "# TYPE faultline_demo_requests_total counter\n",
	      f);
	for (int c = 100; c < 600; c++)
		if (metrics.by_code[c])
			fprintf(f, "faultline_demo_requests_total{code=\"%d\"} %llu\n", c,
				(unsigned long long)metrics.by_code[c]);
	fputs("# HELP faultline_demo_request_duration_seconds Time to answer / .\n"
	      "# TYPE faultline_demo_request_duration_seconds histogram\n",
	      f);
	for (size_t i = 0; i < N_BUCKETS; i++) {
		uint64_t cum = metrics.bucket[i];

		fprintf(f, "faultline_demo_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			buckets[i], (unsigned long long)cum);
	}
	fprintf(f, "faultline_demo_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)metrics.bucket[N_BUCKETS]);
	fprintf(f, "faultline_demo_request_duration_seconds_sum %.9f\n", metrics.sum);
	fprintf(f, "faultline_demo_request_duration_seconds_count %llu\n",
		(unsigned long long)metrics.count);
	fprintf(f,
		"# HELP faultline_demo_stalls_total Stalls asked through /stall.\n"
		"# TYPE faultline_demo_stalls_total counter\n"
		"faultline_demo_stalls_total %llu\n"
		"# HELP faultline_demo_connections_total TCP connections accepted.\n"
		"# TYPE faultline_demo_connections_total counter\n"
		"faultline_demo_connections_total %llu\n",
		(unsigned long long)metrics.stalls, (unsigned long long)metrics.connections);
	pthread_mutex_unlock(&metrics.lock);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*ret_len = len;
	return buf;
}

/* One request: path and query split, handled, answered. Returns -1 to close. */
static int handle(int fd, char *target, bool close)
{
	char *query = strchr(target, '?');
	uint64_t start = now_ns();

	if (query)
		*query++ = '\0';
	if (strcmp(target, "/") == 0) {
		long sleep_ms = query_number(query, "sleep");
		long status = query_number(query, "status");

		if (query_number(query, "drop") == 1)
			return -1;
		uint64_t until = atomic_load(&stall_until);
		uint64_t delay = sleep_ms >= 0 && sleep_ms <= SLEEP_MAX_MS ?
					 (uint64_t)sleep_ms * 1000000ULL :
					 default_delay_ns;

		if (until > start)
			sleep_until(until);
		if (delay)
			sleep_until(now_ns() + delay);
		if (status < 100 || status > 599)
			status = 200;
		record((int)status, (double)(now_ns() - start) / 1e9);
		return respond(fd, (int)status, "text/plain", "ok\n", 3, close);
	}
	if (strcmp(target, "/stall") == 0) {
		long ms = query_number(query, "ms");

		if (ms < 0 || ms > SLEEP_MAX_MS)
			return respond(fd, 400, "text/plain", "ms=0..600000\n", 13, close);
		atomic_store(&stall_until, start + (uint64_t)ms * 1000000ULL);
		pthread_mutex_lock(&metrics.lock);
		metrics.stalls++;
		pthread_mutex_unlock(&metrics.lock);
		return respond(fd, 200, "text/plain", "stalled\n", 8, close);
	}
	if (strcmp(target, "/metrics") == 0) {
		size_t len = 0;
		char *body = render_metrics(&len);
		int r;

		if (!body)
			return -1;
		r = respond(fd, 200, "text/plain; version=0.0.4", body, len, close);
		free(body);
		return r;
	}
	return respond(fd, 404, "text/plain", "not found\n", 10, close);
}

/* The value of a header in the head (lines after the request line), or NULL. */
static const char *header(const char *head, const char *name)
{
	size_t nl = strlen(name);

	for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n"))
		if (strncasecmp(l + 2, name, nl) == 0 && l[2 + nl] == ':') {
			const char *v = l + 3 + nl;

			while (*v == ' ')
				v++;
			return v;
		}
	return NULL;
}

static void *connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[REQUEST_MAX + 1];
	size_t len = 0;

	for (;;) {
		char *end, method[16], target[4096], version[16];
		const char *cl, *conn;
		size_t head_len, body = 0;
		bool close;
		ssize_t n;

		buf[len] = '\0';
		while (!(end = strstr(buf, "\r\n\r\n"))) {
			if (len == REQUEST_MAX)
				goto out;
			n = recv(fd, buf + len, REQUEST_MAX - len, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				goto out;
			len += (size_t)n;
			buf[len] = '\0';
		}
		head_len = (size_t)(end - buf) + 4;
		end[2] = '\0';
		if (sscanf(buf, "%15s %4095s %15s", method, target, version) != 3 ||
		    strncmp(version, "HTTP/1.", 7) != 0)
			goto out;
		cl = header(buf, "Content-Length");
		if (cl) {
			char *e;
			unsigned long v = strtoul(cl, &e, 10);

			if (e == cl || v > BODY_MAX)
				goto out;
			body = v;
		}
		conn = header(buf, "Connection");
		close = (conn && strncasecmp(conn, "close", 5) == 0) ||
			strcmp(version, "HTTP/1.0") == 0;
		/* Drop the head and the body (read and discarded). */
		memmove(buf, buf + head_len, len - head_len);
		len -= head_len;
		while (body > 0) {
			size_t take = body < len ? body : len;

			memmove(buf, buf + take, len - take);
			len -= take;
			body -= take;
			if (body == 0)
				break;
			n = recv(fd, buf, REQUEST_MAX, 0);
			if (n <= 0)
				goto out;
			len = (size_t)n;
		}
		if (handle(fd, target, close) < 0 || close)
			goto out;
	}
out:
	close(fd);
	atomic_fetch_sub(&connections, 1);
	return NULL;
}

static int parse_listen(const char *s, struct sockaddr_in *ret)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port > 65535)
		return -1;
	*ret = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	return inet_pton(AF_INET, host, &ret->sin_addr) == 1 ? 0 : -1;
}

static void usage(FILE *f)
{
	fputs("usage: faultline-demo-service [--listen ADDR:PORT] [--delay DURATION] "
	      "[--pidfile PATH]\n",
	      f);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	const char *listen_on = "127.0.0.1:8080", *pidfile = NULL;
	socklen_t alen = sizeof(addr);
	pthread_attr_t attr;
	char err[256], ip[INET_ADDRSTRLEN];
	int one = 1, lfd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			listen_on = argv[++i];
		} else if (strcmp(argv[i], "--delay") == 0 && i + 1 < argc) {
			if (parse_duration_ns(argv[++i], &default_delay_ns, err, sizeof(err)) < 0) {
				fprintf(stderr, "faultline-demo-service: --delay: %s\n", err);
				return 2;
			}
		} else if (strcmp(argv[i], "--pidfile") == 0 && i + 1 < argc) {
			pidfile = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (parse_listen(listen_on, &addr) < 0) {
		fprintf(stderr, "faultline-demo-service: --listen: expected IPv4:PORT, found %s\n",
			listen_on);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Sleeps are the service's contract in the accuracy tests: no timer slack
	 * (inherited by the connection threads). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) {
		fprintf(stderr, "faultline-demo-service: cannot listen on %s: %s\n", listen_on,
			strerror(errno));
		return 1;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "we");

		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
			fprintf(stderr, "faultline-demo-service: cannot write %s\n", pidfile);
			return 1;
		}
	}
	inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
	printf("listening on %s:%u\n", ip, ntohs(addr.sin_port));
	fflush(stdout);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		pthread_t t;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE)
				continue;
			fprintf(stderr, "faultline-demo-service: accept: %s\n", strerror(errno));
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_mutex_lock(&metrics.lock);
		metrics.connections++;
		pthread_mutex_unlock(&metrics.lock);
		if (atomic_fetch_add(&connections, 1) >= MAX_CONNECTIONS ||
		    pthread_create(&t, &attr, connection, (void *)(intptr_t)fd) != 0) {
			atomic_fetch_sub(&connections, 1);
			close(fd);
		}
	}
}
