/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The netem-to-tbf translation of bench_net_host: the network fault's own code
 * (injector/net_fault.c, net_fault_apply.c, net_rtnl.c, net_qdisc.c) runs
 * unchanged, and this file translates at its netlink socket, which is the only
 * place where netem and tbf differ for it. The benchmark is linked with
 * -Wl,--wrap=sendto,--wrap=recvmsg, so that the injector's calls of sendto() and
 * recvmsg() come here first:
 *
 *   - a request (RTM_NEWQDISC, RTM_DELQDISC or RTM_GETQDISC) for a netem root
 *     (each one of a datagram that carries several: net_rtnl.c pipelines them)
 *     with faultline's handle fa17: is sent as the same request for a tbf; a
 *     RTM_NEWQDISC gets the options of BENCH_TBF_* (bench_net_tbf.h) instead of
 *     the netem options the injector built, and keeps its flags (NLM_F_CREATE |
 *     NLM_F_EXCL: the kernel still refuses to replace anything but a default);
 *   - in the kernel's answers (dumps and acknowledgements alike), a tbf root with
 *     the handle fa17: is reported as kind netem, the rest of the message as the
 *     kernel sent it, so the injector's ownership checks and its read-back see
 *     their own qdisc.
 *
 * Everything else passes untouched: other sockets (a sendto() to anything but
 * AF_NETLINK, a recvmsg() from anything but AF_NETLINK), other messages, other
 * tbf qdiscs (tc's, with the kernel's handles). The time spent here is counted,
 * and stays inside faultline's figures.
 *
 * Single-threaded, as the benchmark is: the counters and the scratch buffer are
 * not locked.
 */
#include "bench_net_tbf.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "macro.h"
#include "net_netem.h"
#include "net_qdisc.h"
#include "time_util.h"

/* As large as net_rtnl.c's receive buffer: an answer never outgrows the caller's. */
#define SCRATCH_SIZE (64 * 1024)

ssize_t __real_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen);
ssize_t __real_recvmsg(int fd, struct msghdr *mh, int flags);
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen);
ssize_t __wrap_recvmsg(int fd, struct msghdr *mh, int flags);

static struct psched psched;
static struct bench_tbf_stats stats;
static char scratch[SCRATCH_SIZE];

void bench_tbf_init(void)
{
	if (psched_read(&psched) < 0)
		psched = psched_default;
}

void bench_tbf_stats(struct bench_tbf_stats *ret)
{
	*ret = stats;
}

/* A qdisc message at the root with our handle whose kind is kind. */
static bool is_our_root(const struct nlmsghdr *h, size_t len, const char *kind)
{
	const struct tcmsg *t = NLMSG_DATA(h);
	struct nlattr *a;

	if (len < NLMSG_LENGTH(sizeof(*t)) || h->nlmsg_len < NLMSG_LENGTH(sizeof(*t)) ||
	    h->nlmsg_len > len)
		return false;
	if (h->nlmsg_type != RTM_NEWQDISC && h->nlmsg_type != RTM_DELQDISC &&
	    h->nlmsg_type != RTM_GETQDISC)
		return false;
	if (t->tcm_parent != TC_H_ROOT || t->tcm_handle != NET_FAULT_HANDLE)
		return false;
	a = nlmsg_find_attr((struct nlmsghdr *)h, sizeof(*t), TCA_KIND);
	return a && nla_strcmp(a, kind) == 0;
}

/* tc's "tbf rate 1mbit burst 32kbit latency 400ms": the burst as the time it takes
 * at the rate, in the kernel's ticks; the queue limit as the bytes that wait at
 * most the latency, plus the burst. Ethernet link layer: no rate table needed. */
static int put_tbf_options(struct nl_msg *msg)
{
	uint64_t burst_ns = (uint64_t)BENCH_TBF_BURST * 1000000000ULL / BENCH_TBF_RATE;
	struct tc_tbf_qopt q = {
		.rate = { .rate = BENCH_TBF_RATE, .linklayer = TC_LINKLAYER_ETHERNET },
		.limit = (uint32_t)((uint64_t)BENCH_TBF_RATE * BENCH_TBF_LATENCY_US / 1000000U +
				    BENCH_TBF_BURST),
		.buffer = (uint32_t)psched_ns_to_ticks(&psched, burst_ns),
	};
	struct nlattr *opts = nla_nest_start(msg, TCA_OPTIONS);

	if (!opts || nla_put(msg, TCA_TBF_PARMS, sizeof(q), &q) < 0 ||
	    nla_put_u32(msg, TCA_TBF_BURST, BENCH_TBF_BURST) < 0)
		return -EMSGSIZE;
	nla_nest_end(msg, opts);
	return 0;
}

/* The tbf twin of a netem request h: same header, flags, sequence and tcmsg. */
static int tbf_request(const struct nlmsghdr *h, struct nl_msg **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_size(512);

	if (!msg || !nlmsg_put(msg, h->nlmsg_pid, h->nlmsg_seq, h->nlmsg_type, 0, h->nlmsg_flags))
		return -ENOMEM;
	if (nlmsg_append(msg, NLMSG_DATA(h), sizeof(struct tcmsg), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "tbf") < 0)
		return -EMSGSIZE;
	if (h->nlmsg_type == RTM_NEWQDISC && put_tbf_options(msg) < 0)
		return -EMSGSIZE;
	*ret = TAKE_PTR(msg);
	return 0;
}

/* Appends h, or its tbf twin when it is a request for our netem root, to out (of
 * room bytes) at *w. */
static int translate_request(const struct nlmsghdr *h, size_t left, char *out, size_t room,
			     size_t *w)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	size_t k;
	int r;

	if (is_our_root(h, left, NET_FAULT_KIND)) {
		r = tbf_request(h, &msg);
		if (r < 0)
			return r;
		stats.requests++;
		h = nlmsg_hdr(msg);
	}
	k = NLMSG_ALIGN(h->nlmsg_len);
	if (k > room - *w)
		return -EMSGSIZE;
	memset(out + *w, 0, k);
	memcpy(out + *w, h, h->nlmsg_len);
	*w += k;
	return 0;
}

/* A datagram may carry many requests (net_rtnl.c pipelines them): each is
 * translated on its own. */
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	static char out[SCRATCH_SIZE];
	const struct nlmsghdr *h;
	size_t left = len, w = 0;
	bool found = false;
	uint64_t t0;
	ssize_t n;
	int r = 0;

	if (!to || to->sa_family != AF_NETLINK)
		return __real_sendto(fd, buf, len, flags, to, tolen);
	for (h = buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
		found |= is_our_root(h, left, NET_FAULT_KIND);
	if (!found)
		return __real_sendto(fd, buf, len, flags, to, tolen);
	t0 = now_monotonic_ns();
	left = len;
	for (h = buf; r >= 0 && NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
		r = translate_request(h, left, out, sizeof(out), &w);
	stats.ns += now_monotonic_ns() - t0;
	if (r < 0) {
		errno = -r;
		return -1;
	}
	n = __real_sendto(fd, out, w, flags, to, tolen);
	if (n < 0)
		return n;
	/* The caller checks that its own datagram went out whole. */
	return (size_t)n == w ? (ssize_t)len : 0;
}

/* Copies h into out with its kind attribute set to netem; returns the bytes
 * written (aligned), or 0 when out has no room. */
static size_t copy_as_netem(const struct nlmsghdr *h, char *out, size_t room)
{
	size_t head = NLMSG_SPACE(sizeof(struct tcmsg)), w = head, k;
	struct nlmsghdr *o = (struct nlmsghdr *)out;
	int rem = nlmsg_attrlen(h, sizeof(struct tcmsg));

	if (room < head)
		return 0;
	memcpy(out, h, head);
	for (const struct nlattr *a = nlmsg_attrdata(h, sizeof(struct tcmsg)); nla_ok(a, rem);
	     a = nla_next(a, &rem)) {
		struct nlattr *d = (struct nlattr *)(out + w);
		if (nla_type(a) == TCA_KIND) {
			k = (size_t)nla_total_size(sizeof(NET_FAULT_KIND));
			if (w + k > room)
				return 0;
			memset(d, 0, k);
			d->nla_type = TCA_KIND;
			d->nla_len = (uint16_t)nla_attr_size(sizeof(NET_FAULT_KIND));
			memcpy(nla_data(d), NET_FAULT_KIND, sizeof(NET_FAULT_KIND));
		} else {
			k = (size_t)NLA_ALIGN(a->nla_len);
			if (w + k > room)
				return 0;
			memcpy(d, a, k);
		}
		w += k;
	}
	o->nlmsg_len = (uint32_t)w;
	return w;
}

/* Rewrites the n bytes of an answer in buf (of capacity cap) when one of its
 * messages is our tbf root. Returns the new length, n when nothing changed, or
 * -EMSGSIZE when the result would not fit. */
static ssize_t rewrite_answer(char *buf, size_t n, size_t cap)
{
	size_t left = n, w = 0, k;
	const struct nlmsghdr *h;
	bool found = false;

	for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
		found |= h->nlmsg_type == RTM_NEWQDISC && is_our_root(h, left, "tbf");
	if (!found)
		return (ssize_t)n;
	left = n;
	for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type == RTM_NEWQDISC && is_our_root(h, left, "tbf")) {
			k = copy_as_netem(h, scratch + w, sizeof(scratch) - w);
			if (k == 0)
				return -EMSGSIZE;
			stats.answers++;
		} else {
			k = NLMSG_ALIGN(h->nlmsg_len);
			if (k > left)
				k = left; /* the last message may come unpadded */
			if (k > sizeof(scratch) - w)
				return -EMSGSIZE;
			memcpy(scratch + w, h, k);
		}
		w += k;
	}
	if (w > cap)
		return -EMSGSIZE;
	memcpy(buf, scratch, w);
	return (ssize_t)w;
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *mh, int flags)
{
	const struct sockaddr *from = mh->msg_name;
	ssize_t n = __real_recvmsg(fd, mh, flags);
	uint64_t t0;

	if (n <= 0 || !from || mh->msg_namelen < sizeof(sa_family_t) ||
	    from->sa_family != AF_NETLINK || mh->msg_iovlen != 1 || (mh->msg_flags & MSG_TRUNC))
		return n;
	t0 = now_monotonic_ns();
	n = rewrite_answer(mh->msg_iov[0].iov_base, (size_t)n, mh->msg_iov[0].iov_len);
	stats.ns += now_monotonic_ns() - t0;
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}
