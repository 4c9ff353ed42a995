/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe engine's core: the epoll set, the schedule on a timerfd, the slots,
 * and the samples. The kinds do the I/O (probe_*.c).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>

#include "macro.h"
#include "privilege.h"
#include "probe_internal.h"
#include "time_util.h"

/* Bounds on the work of one dispatch, so that it never runs long: events read per
 * epoll_wait, and scheduled samples started or expired per probe. What is left
 * over is due at once, so the next dispatch comes right away. */
#define DISPATCH_EVENTS 64
#define DISPATCH_SAMPLES 10000
#define STOP_SLACK_NS (200 * NSEC_PER_MSEC)

static const struct probe_ops *const kinds[] = {
	[PROBE_HTTP] = &probe_http_ops,
	[PROBE_TCP] = &probe_tcp_ops,
	[PROBE_COMMAND] = &probe_command_ops,
	[PROBE_PROMETHEUS] = &probe_prometheus_ops,
};

uint64_t probe_scheduled(const struct probe *p, uint64_t k)
{
	/* From k, not by adding periods, so that rounding never accumulates. */
	return p->e->t0 + (uint64_t)llround((double)k * 1e9 / p->cfg->rate);
}

void probe_set_error(struct probe *p, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	free(p->series.last_error);
	p->series.last_error = msg;
}

void probe_complete(struct probe *p, const struct sample *s, const char *message)
{
	if (p->in_flight > 0)
		p->in_flight--;
	(void)sample_series_add(&p->series, s);
	if (message)
		probe_set_error(p, "%s", message);
}

int probe_watch_add(struct probe_engine *e, int fd, uint32_t events, struct probe_watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? negative_errno() : 0;
}

int probe_watch_mod(struct probe_engine *e, int fd, uint32_t events, struct probe_watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? negative_errno() : 0;
}

void probe_watch_del(struct probe_engine *e, int fd)
{
	(void)epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* The timer only wakes the loop; dispatch reads it and looks at the clock. How
 * late it woke, counted up to here (the caller's loop included), sets the margin
 * of early wakeups. */
static void timer_handle(struct probe_watch *w, uint32_t events)
{
	struct probe_engine *e =
		(struct probe_engine *)((char *)w - offsetof(struct probe_engine, timer_watch));
	uint64_t expirations, now;
	bool fired;

	(void)events;
	/* One read takes every expiration; EAGAIN when it was disarmed meanwhile. */
	fired = read(e->timerfd, &expirations, sizeof(expirations)) > 0;
	now = now_monotonic_ns();
	if (fired && e->armed_ahead && e->armed != PROBE_NO_DEADLINE && now >= e->armed)
		probe_wake_observe(&e->wake, now - e->armed);
	e->armed = PROBE_NO_DEADLINE;
}

int probe_engine_new(const struct scenario *s, struct probe_engine **ret, char *err, size_t len)
{
	struct probe_engine *e;
	int r;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->epfd = e->timerfd = -1;
	e->armed = e->curl_deadline = PROBE_NO_DEADLINE;
	e->early_wake = true;
	e->timer_watch.handle = timer_handle;
	/* Who command probes run as while the controller is still root. */
	privilege_target(&e->cmd_uid, &e->cmd_gid);

	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->epfd < 0 || e->timerfd < 0) {
		r = negative_errno();
		errbuf_set(err, len, "cannot create the probes' event loop: %s", strerror(-r));
		goto fail;
	}
	r = probe_watch_add(e, e->timerfd, EPOLLIN, &e->timer_watch);
	if (r < 0) {
		errbuf_set(err, len, "cannot watch the probes' timer: %s", strerror(-r));
		goto fail;
	}
	r = probe_curl_init(e);
	if (r < 0) {
		errbuf_set(err, len, "cannot set up libcurl for the probes");
		goto fail;
	}
	if (s->n_probes) {
		e->probes = calloc(s->n_probes, sizeof(*e->probes));
		if (!e->probes) {
			r = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < s->n_probes; i++) {
		struct probe *p = &e->probes[i];

		p->e = e;
		p->cfg = &s->probes[i];
		p->ops = kinds[p->cfg->kind];
		p->series.kind = p->ops->name;
		p->series.probe = strdup(p->cfg->name);
		e->n = i + 1;
		if (!p->series.probe) {
			r = -ENOMEM;
			goto fail;
		}
		r = p->ops->init(p, err, len);
		if (r < 0)
			goto fail;
	}
	*ret = e;
	return 0;
fail:
	probe_engine_free(e);
	return r;
}

int probe_engine_start(struct probe_engine *e)
{
	if (e->started)
		return -EALREADY;
	e->started = true;
	/* The timerfd's expiry takes no slack (measured: docs/performance.md §6),
	 * but the caller's poll timeouts do, and 50 us by default is large next to
	 * what is measured. This affects the calling thread (the controller has
	 * one), for as long as it runs. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	e->t0 = now_monotonic_ns();
	probe_wake_init(&e->wake, e->t0);
	/* Arm for t0 so that the first samples go out on the first dispatch. */
	return probe_engine_dispatch(e);
}

int probe_engine_fd(struct probe_engine *e)
{
	return e->epfd;
}

/* Starts due samples while slots are free; expires those that waited too long. */
static void schedule(struct probe *p, uint64_t now)
{
	for (unsigned i = 0; i < DISPATCH_SAMPLES; i++) {
		uint64_t t = probe_scheduled(p, p->next_k);
		struct sample s;

		if (t > now)
			return;
		if (now - t >= p->cfg->timeout_ns) {
			/* It never got a slot: the service held them all for a timeout. */
			s = (struct sample){ .t_ns = t,
					     .latency_ns = now - t,
					     .value = NAN,
					     .error = SAMPLE_TIMEOUT };
			p->next_k++;
			(void)sample_series_add(&p->series, &s);
			probe_set_error(p,
					"a sample waited %.0f ms for a free slot (concurrency %u)",
					(double)(now - t) / 1e6, p->cfg->concurrency);
			continue;
		}
		if (p->in_flight >= p->cfg->concurrency)
			return;
		p->next_k++;
		p->in_flight++;
		if (p->ops->start(p, t) < 0) {
			s = (struct sample){ .t_ns = t,
					     .latency_ns = now_monotonic_ns() - t,
					     .value = NAN,
					     .error = SAMPLE_OTHER };
			probe_complete(p, &s, NULL);
		}
	}
}

/* The earliest scheduled send of a probe with a free slot, or PROBE_NO_DEADLINE. */
static uint64_t next_send(const struct probe_engine *e)
{
	uint64_t next = PROBE_NO_DEADLINE;

	if (!e->started || e->stopped)
		return next;
	for (size_t i = 0; i < e->n; i++) {
		const struct probe *p = &e->probes[i];
		uint64_t d;

		if (p->in_flight >= p->cfg->concurrency)
			continue;
		d = probe_scheduled(p, p->next_k);
		if (d < next)
			next = d;
	}
	return next;
}

/* The earliest time anything else is due: curl's and the kinds' timeouts, and
 * when every slot of a probe is busy, the expiry of the head of its queue. */
static uint64_t next_other(struct probe_engine *e)
{
	uint64_t next = e->curl_deadline;

	for (size_t i = 0; i < e->n; i++) {
		struct probe *p = &e->probes[i];
		uint64_t d = p->ops->deadline(p);

		if (d < next)
			next = d;
		if (!e->started || e->stopped || p->in_flight < p->cfg->concurrency)
			continue;
		d = probe_scheduled(p, p->next_k) + p->cfg->timeout_ns;
		if (d < next)
			next = d;
	}
	return next;
}

static int arm(struct probe_engine *e, uint64_t when, uint64_t now)
{
	struct itimerspec its = { 0 };

	if (when == e->armed)
		return 0;
	if (when != PROBE_NO_DEADLINE) {
		/* 0 would disarm; anything in the past fires at once. */
		if (when == 0)
			when = 1;
		its.it_value.tv_sec = (time_t)(when / NSEC_PER_SEC);
		its.it_value.tv_nsec = (long)(when % NSEC_PER_SEC);
	}
	if (timerfd_settime(e->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return negative_errno();
	e->armed = when;
	e->armed_ahead = when > now;
	return 0;
}

/* Arms the timer for the next thing due; for a send, a margin early (when the
 * budget allows), so that dispatch can spin to the exact instant. Other
 * deadlines are armed as they are: waking early for them would only loop. */
static int arm_next(struct probe_engine *e)
{
	uint64_t now = now_monotonic_ns(), send = next_send(e), other = next_other(e);

	if (e->early_wake && send != PROBE_NO_DEADLINE) {
		uint64_t early = probe_wake_arm_early(&e->wake, now);

		/* Already within the margin (no budget for the spin then), or due
		 * (more than one dispatch's worth of samples): on time. */
		if (send > now && send - now > early)
			send -= early;
	}
	return arm(e, send < other ? send : other, now);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * When the next send is due within the margin, waits for it on the clock, so
 * that it leaves at its scheduled time rather than a timer wakeup later. Bounded
 * by the margin (PROBE_WAKE_MARGIN_MAX_NS at most) and by the spin budget.
 */
static void wait_for_send(struct probe_engine *e)
{
	uint64_t send = next_send(e), start = now_monotonic_ns(), now = start;

	if (!e->early_wake || send == PROBE_NO_DEADLINE || send <= now ||
	    !probe_wake_may_spin(&e->wake, now, send))
		return;
	while (now < send) {
		cpu_relax();
		now = now_monotonic_ns();
	}
	probe_wake_spent(&e->wake, now - start);
}

int probe_engine_dispatch(struct probe_engine *e)
{
	struct epoll_event ev[DISPATCH_EVENTS];
	uint64_t now;
	int n;

	n = epoll_wait(e->epfd, ev, DISPATCH_EVENTS, 0);
	if (n < 0 && errno != EINTR)
		return negative_errno();
	for (int i = 0; i < n; i++) {
		struct probe_watch *w = ev[i].data.ptr;

		w->handle(w, ev[i].events);
	}
	probe_curl_reap(e);
	now = now_monotonic_ns();
	probe_curl_expire(e, now);
	for (size_t i = 0; i < e->n; i++)
		e->probes[i].ops->expire(&e->probes[i], now);
	if (e->started && !e->stopped) {
		wait_for_send(e);
		now = now_monotonic_ns();
		for (size_t i = 0; i < e->n; i++)
			schedule(&e->probes[i], now);
		/* New transfers ask curl for a timeout of 0: start them now, not a
		 * wakeup later. */
		probe_curl_expire(e, now_monotonic_ns());
	}
	return arm_next(e);
}

static bool any_in_flight(const struct probe_engine *e, uint64_t *ret_longest)
{
	uint64_t longest = 0;

	for (size_t i = 0; i < e->n; i++)
		if (e->probes[i].in_flight && e->probes[i].cfg->timeout_ns > longest)
			longest = e->probes[i].cfg->timeout_ns;
	if (ret_longest)
		*ret_longest = longest;
	return longest > 0;
}

void probe_engine_stop(struct probe_engine *e)
{
	uint64_t longest, deadline;

	if (e->stopped)
		return;
	e->stopped = true;
	if (!any_in_flight(e, &longest))
		return;
	deadline = now_monotonic_ns() + longest + STOP_SLACK_NS;
	for (;;) {
		struct pollfd pfd = { .fd = e->epfd, .events = POLLIN };
		uint64_t now = now_monotonic_ns(), next;
		int ms;

		if (probe_engine_dispatch(e) < 0 || !any_in_flight(e, NULL) || now >= deadline)
			return;
		next = next_other(e); /* stopped: no sends are due */
		if (next > deadline)
			next = deadline;
		ms = next <= now ? 0 : (int)((next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return;
	}
}

void probe_engine_set_early_wake(struct probe_engine *e, bool on)
{
	e->early_wake = on;
}

void probe_engine_wake_stats(const struct probe_engine *e, uint64_t *ret_spun_ns,
			     uint64_t *ret_spins, uint64_t *ret_margin_ns)
{
	*ret_spun_ns = e->wake.spun;
	*ret_spins = e->wake.spins;
	*ret_margin_ns = probe_wake_margin(&e->wake);
}

size_t probe_engine_count(const struct probe_engine *e)
{
	return e->n;
}

const struct sample_series *probe_engine_series(const struct probe_engine *e, size_t i)
{
	return i < e->n ? &e->probes[i].series : NULL;
}

struct probe_engine *probe_engine_free(struct probe_engine *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n; i++) {
		struct probe *p = &e->probes[i];

		if (p->ops && p->state)
			p->ops->free(p);
		sample_series_clear(&p->series);
	}
	free(e->probes);
	probe_curl_free(e);
	safe_close(e->timerfd);
	safe_close(e->epfd);
	return mfree(e);
}
