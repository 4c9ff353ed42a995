/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcurl's multi interface driven by the probe engine's epoll set: curl tells us
 * which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when it next needs a call
 * without I/O (CURLMOPT_TIMERFUNCTION); we tell it what happened with
 * curl_multi_socket_action(). One multi handle serves every http and prometheus
 * probe, so connections are kept alive and reused the way a real client does.
 * CURLcodes are turned into sample error classes here, at the boundary.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "macro.h"
#include "probe_internal.h"
#include "time_util.h"

/* Bounds the transfers delivered per call. */
#define CURL_MESSAGES_MAX 4096

struct curl_sock {
	struct probe_watch w;
	struct probe_engine *e;
	curl_socket_t fd;
	bool dead; /* removed by curl; freed by probe_curl_reap() */
	struct curl_sock *prev, *next; /* in e->curl_socks, or next in e->curl_dead */
};

static void sock_unlink(struct curl_sock *cs)
{
	if (cs->prev)
		cs->prev->next = cs->next;
	else
		cs->e->curl_socks = cs->next;
	if (cs->next)
		cs->next->prev = cs->prev;
}

static void deliver(struct probe_engine *e)
{
	struct CURLMsg *m;
	int left;

	for (unsigned i = 0; i < CURL_MESSAGES_MAX && (m = curl_multi_info_read(e->multi, &left));
	     i++) {
		struct probe_curl_req *r = NULL;
		CURL *easy = m->easy_handle;
		CURLcode code = m->data.result;
		uint64_t end;

		if (m->msg != CURLMSG_DONE)
			continue;
		/* The end of the sample: before the handle's removal, which is the
		 * engine's bookkeeping, not the service's time. */
		end = now_monotonic_ns();
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
		curl_multi_remove_handle(e->multi, easy);
		if (r)
			r->done(r, easy, code, end);
	}
}

static void sock_handle(struct probe_watch *w, uint32_t events)
{
	struct curl_sock *cs = (struct curl_sock *)w;
	struct probe_engine *e = cs->e;
	int mask = 0, running;

	/* Removed by curl earlier in this batch of events: the fd is not ours. */
	if (cs->dead)
		return;
	if (events & EPOLLIN)
		mask |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		mask |= CURL_CSELECT_ERR;
	/* cs may be removed inside (CURL_POLL_REMOVE): nothing of it is used after. */
	curl_multi_socket_action(e->multi, cs->fd, mask, &running);
	deliver(e);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct probe_engine *e = userp;
	struct curl_sock *cs = socketp;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs) {
			probe_watch_del(e, fd);
			curl_multi_assign(e->multi, fd, NULL);
			sock_unlink(cs);
			/* Later events of the current epoll batch may still point at
			 * it: freed after the batch. */
			cs->dead = true;
			cs->next = e->curl_dead;
			e->curl_dead = cs;
		}
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (cs)
		return probe_watch_mod(e, fd, events, &cs->w) < 0 ? -1 : 0;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -1;
	*cs = (struct curl_sock){ .w.handle = sock_handle, .e = e, .fd = fd };
	if (probe_watch_add(e, fd, events, &cs->w) < 0) {
		free(cs);
		return -1;
	}
	curl_multi_assign(e->multi, fd, cs);
	cs->next = e->curl_socks;
	if (cs->next)
		cs->next->prev = cs;
	e->curl_socks = cs;
	return 0;
}

/* Called by curl from inside our own curl calls; only records the deadline. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct probe_engine *e = userp;

	(void)multi;
	e->curl_deadline = timeout_ms < 0 ?
				   PROBE_NO_DEADLINE :
				   now_monotonic_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	return 0;
}

int probe_curl_init(struct probe_engine *e)
{
	static bool global_done;

	/* Not thread-safe, and needed once; the controller has one thread. */
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -EIO;
		global_done = true;
	}
	e->multi = curl_multi_init();
	if (!e->multi)
		return -ENOMEM;
	if (curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) != CURLM_OK ||
	    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e) != CURLM_OK ||
	    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
	    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e) != CURLM_OK)
		return -EIO;
	return 0;
}

void probe_curl_reap(struct probe_engine *e)
{
	while (e->curl_dead) {
		struct curl_sock *cs = e->curl_dead;

		e->curl_dead = cs->next;
		free(cs);
	}
}

void probe_curl_free(struct probe_engine *e)
{
	if (!e->multi)
		return;
	/* Easy handles were removed by their kinds; this closes the kept-alive
	 * connections, and curl reports each socket as removed. */
	curl_multi_cleanup(e->multi);
	e->multi = NULL;
	/* Sockets curl closed without a CURL_POLL_REMOVE (epoll dropped them). */
	while (e->curl_socks) {
		struct curl_sock *cs = e->curl_socks;

		sock_unlink(cs);
		free(cs);
	}
	probe_curl_reap(e);
}

int probe_curl_add(struct probe_engine *e, CURL *easy)
{
	return curl_multi_add_handle(e->multi, easy) == CURLM_OK ? 0 : -EIO;
}

void probe_curl_remove(struct probe_engine *e, CURL *easy)
{
	if (e->multi)
		curl_multi_remove_handle(e->multi, easy);
}

void probe_curl_expire(struct probe_engine *e, uint64_t now)
{
	int running;

	/* curl may ask for a timeout of 0 again from inside; a few rounds at most. */
	for (int i = 0; i < 4 && e->curl_deadline <= now; i++) {
		e->curl_deadline = PROBE_NO_DEADLINE;
		curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		deliver(e);
		now = now_monotonic_ns();
	}
}

enum sample_error probe_curl_error(CURL *easy, CURLcode code)
{
	long os_errno = 0;

	switch (code) {
	case CURLE_OK:
		return SAMPLE_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return SAMPLE_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return SAMPLE_DNS;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
		return os_errno == ECONNREFUSED ? SAMPLE_REFUSED :
		       os_errno == ETIMEDOUT	? SAMPLE_TIMEOUT :
		       os_errno == ECONNRESET	? SAMPLE_RESET :
						  SAMPLE_OTHER;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return SAMPLE_TLS;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return SAMPLE_RESET;
	default:
		return SAMPLE_OTHER;
	}
}
