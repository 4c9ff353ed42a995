/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the probe engine (probe.c) and its kinds (probe_http.c,
 * probe_tcp.c, probe_command.c, probe_prometheus.c, and the curl glue in
 * probe_curl.c).
 *
 * A kind is a table of ops. The engine owns the schedule and the slot count: it
 * calls start() for each due sample when a slot is free, and the kind calls
 * probe_complete() exactly once per started sample, from an event or from its
 * expire() op.
 */
#pragma once

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe.h"
#include "probe_wake.h"

#define PROBE_NO_DEADLINE UINT64_MAX

/* What epoll's data.ptr points to: embedded in whatever owns an fd in the set. */
struct probe_watch {
	void (*handle)(struct probe_watch *w, uint32_t events);
};

struct probe;
struct curl_sock;

struct probe_ops {
	const char *name;
	/* Sets up p->state for p->cfg. Returns 0 or -errno with a message in err. */
	int (*init)(struct probe *p, char *err, size_t len);
	/* Starts one sample scheduled at t. Returns 0 when it is in flight (it will be
	 * completed later, or already was), or -errno, when the engine records a
	 * failed sample itself with p->series.last_error set by the kind. */
	int (*start)(struct probe *p, uint64_t t);
	/* The earliest time expire() has work to do, or PROBE_NO_DEADLINE. */
	uint64_t (*deadline)(struct probe *p);
	/* Handles the kind's deadlines due at now (timeouts). */
	void (*expire)(struct probe *p, uint64_t now);
	/* Abandons everything in flight without samples, and frees p->state. */
	void (*free)(struct probe *p);
};

struct probe {
	struct probe_engine *e;
	const struct scenario_probe *cfg;
	const struct probe_ops *ops;
	struct sample_series series;
	uint64_t next_k; /* the next scheduled sample not yet started or expired */
	unsigned in_flight;
	void *state; /* the kind's */
};

struct probe_engine {
	int epfd, timerfd;
	struct probe_watch timer_watch;
	struct probe *probes;
	size_t n;
	uint64_t t0; /* CLOCK_MONOTONIC at probe_engine_start() */
	bool started, stopped;
	uint64_t armed; /* the timerfd's deadline, PROBE_NO_DEADLINE when disarmed */
	bool armed_ahead; /* armed for a time still to come: its wakeup shows how late */
	bool early_wake; /* arm a margin before a send and spin the rest (probe_wake.h) */
	struct probe_wake wake;

	/* curl multi, shared by the http and prometheus probes (probe_curl.c). */
	CURLM *multi;
	uint64_t curl_deadline;
	struct curl_sock *curl_socks; /* every socket curl asked us to watch */
	struct curl_sock *curl_dead; /* removed during a dispatch, freed at its end */

	/* command probes run as this user when the controller is root */
	uid_t cmd_uid;
	gid_t cmd_gid;
};

/* The scheduled time of sample k of p. */
uint64_t probe_scheduled(const struct probe *p, uint64_t k);

/*
 * Records the sample of a started request (t_ns, latency_ns, status, error,
 * value as sample.h says) and frees its slot. message, when not NULL, becomes
 * series.last_error (a copy). Never fails: a sample that cannot be stored for
 * lack of memory is dropped and counted nowhere, which is the one way to lose one.
 */
void probe_complete(struct probe *p, const struct sample *s, const char *message);

/* Sets series.last_error to a formatted copy; keeps the old one on ENOMEM. */
void probe_set_error(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* epoll registration of fd with w as its data. */
int probe_watch_add(struct probe_engine *e, int fd, uint32_t events, struct probe_watch *w);
int probe_watch_mod(struct probe_engine *e, int fd, uint32_t events, struct probe_watch *w);
void probe_watch_del(struct probe_engine *e, int fd);

/* ---- curl glue (probe_curl.c) ------------------------------------------------------------ */

/* Set as CURLOPT_PRIVATE of every easy handle the engine runs. */
struct probe_curl_req {
	/* Called once the transfer is over; the handle is already out of the multi.
	 * end_ns is when the engine learnt of the end (CLOCK_MONOTONIC). */
	void (*done)(struct probe_curl_req *r, CURL *easy, CURLcode code, uint64_t end_ns);
};

int probe_curl_init(struct probe_engine *e);
void probe_curl_free(struct probe_engine *e);
/* Adds easy (whose CURLOPT_PRIVATE is a struct probe_curl_req) to the multi. */
int probe_curl_add(struct probe_engine *e, CURL *easy);
/* Takes easy out of the multi without calling done. */
void probe_curl_remove(struct probe_engine *e, CURL *easy);
/* Frees the sockets curl removed since the last call. Called after each batch of
 * epoll events, which may still point at them. */
void probe_curl_reap(struct probe_engine *e);
/* Runs curl's timeouts when due, and delivers finished transfers. */
void probe_curl_expire(struct probe_engine *e, uint64_t now);
/* The error class of a failed transfer (CURLcode and the OS errno at the boundary). */
enum sample_error probe_curl_error(CURL *easy, CURLcode code);

extern const struct probe_ops probe_http_ops;
extern const struct probe_ops probe_tcp_ops;
extern const struct probe_ops probe_command_ops;
extern const struct probe_ops probe_prometheus_ops;
