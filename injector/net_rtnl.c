/* SPDX-License-Identifier: Apache-2.0 */
#include "net_rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "macro.h"
#include "sandbox.h"

/* Large enough for any dump message the kernel builds (it sizes them to the
 * reader's buffer, up to 32 KiB) and for an ack carrying an extended message. */
#define RTNL_RECV_BUF (64 * 1024)
#define RTNL_DUMP_TRIES 3

static uint32_t rtnl_seq;
/* Set when a request was given up before its last answer (a dump the kernel may
 * still be running, answers still to come): the own namespace's socket is then
 * not handed out again (rtnl_open_own()). */
static bool rtnl_abandoned;

static int rtnl_socket(int *ret_fd)
{
	static const int one = 1;
	const struct timeval tv = {
		.tv_sec = RTNL_TIMEOUT_MS / 1000,
		.tv_usec = (RTNL_TIMEOUT_MS % 1000) * 1000,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return negative_errno();
	/* Extended acks carry the kernel's reason ("Specified qdisc kind is
	 * unknown"); capped acks keep an 8 KiB request from coming back in full. Both
	 * are best effort: old kernels lack them, and errors still come through. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

struct open_job {
	int netns_fd;
	int fd;
	int r;
};

/* Runs in the helper thread: the namespace switch dies with the thread, and so
 * does CAP_SYS_ADMIN, which this thread alone raises, for setns() only. */
static void *open_in_netns(void *arg)
{
	struct open_job *job = arg;
	int r;

	r = sandbox_thread_raise_sys_admin();
	if (r < 0) {
		job->r = r;
		return NULL;
	}
	r = setns(job->netns_fd, CLONE_NEWNET) < 0 ? negative_errno() : 0;
	if (sandbox_thread_lower_sys_admin() < 0 && r == 0)
		r = -EPERM; /* never go on holding it */
	if (r < 0) {
		job->r = r;
		return NULL;
	}
	job->r = rtnl_socket(&job->fd);
	return NULL;
}

/* The injector's own namespace, which it never leaves: one socket for the life of
 * the process, each caller getting a descriptor of its own for it. Answers go by
 * sequence number, so callers one after the other never take each other's. */
static int rtnl_open_own(int *ret_fd)
{
	static int own = -1;
	int fd, r;

	if (own >= 0 && rtnl_abandoned)
		own = safe_close(own); /* holders of a descriptor keep it alive */
	rtnl_abandoned = false;
	if (own < 0) {
		r = rtnl_socket(&own);
		if (r < 0)
			return r;
	}
	fd = fcntl(own, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return negative_errno();
	*ret_fd = fd;
	return 0;
}

int rtnl_open(int netns_fd, int *ret_fd)
{
	struct open_job job = { .netns_fd = netns_fd, .fd = -1, .r = -EIO };
	pthread_t thread;
	int r;

	if (netns_fd < 0)
		return rtnl_open_own(ret_fd);
	/* The thread inherits the signal mask, so it takes no signal meant for the
	 * event loop's signalfd. */
	r = pthread_create(&thread, NULL, open_in_netns, &job);
	if (r != 0)
		return -r;
	r = pthread_join(thread, NULL);
	if (r != 0)
		return -r; /* cannot happen for a joinable thread we own */
	if (job.r < 0)
		return job.r;
	*ret_fd = job.fd;
	return 0;
}

int rtnl_parse_error(const struct nlmsghdr *h, char *msg, size_t msglen)
{
	const struct nlmsgerr *e;
	size_t off;

	if (msg && msglen)
		msg[0] = '\0';
	if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EBADMSG;
	e = NLMSG_DATA(h);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || !msg || msglen == 0)
		return e->error;

	/* The TLVs follow the echoed request: its header alone when capped. */
	off = NLMSG_LENGTH(sizeof(*e));
	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return e->error;
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if (off > h->nlmsg_len)
		return e->error;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)h + off),
		      (int)(h->nlmsg_len - off), NULL) < 0)
		return e->error;
	if (tb[NLMSGERR_ATTR_MSG]) {
		const char *s = nla_data(tb[NLMSGERR_ATTR_MSG]);
		size_t n = strnlen(s, (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]));
		if (n >= msglen)
			n = msglen - 1;
		memcpy(msg, s, n);
		msg[n] = '\0';
		/* The kernel's messages end in a period; ours get their own words after. */
		while (n > 0 && (msg[n - 1] == '.' || msg[n - 1] == '\n'))
			msg[--n] = '\0';
	}
	return e->error;
}

static int rtnl_send(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Numbers msg as the next request of ours. */
static uint32_t rtnl_number(struct nlmsghdr *h)
{
	h->nlmsg_seq = ++rtnl_seq;
	h->nlmsg_pid = 0;
	return h->nlmsg_seq;
}

/* One datagram from the kernel into buf. */
static int rtnl_recv(int fd, void *buf, size_t len, size_t *ret_n)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		n = recvmsg(fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT :
									 negative_errno();
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		/* Only the kernel may answer: a forged reply from a local process
		 * could otherwise pass for an acknowledgement. */
		if (from.nl_pid != 0)
			continue;
		*ret_n = (size_t)n;
		return 0;
	}
}

/* Sends reqs[0..n) (n <= RTNL_PIPELINE_DEPTH), the first being request number
 * base of the caller's, in one datagram, and reads until each is acknowledged. */
static int pipeline_round(int fd, struct rtnl_req *reqs, size_t n, size_t base, rtnl_answer_fn fn,
			  void *userdata, char *buf)
{
	_cleanup_free_ char *out = NULL;
	uint32_t first = rtnl_seq + 1, pending = 0, refused = 0;
	size_t len = 0, off = 0, got;
	int r;

	for (size_t i = 0; i < n; i++) {
		reqs[i].r = -ECANCELED; /* until sent */
		reqs[i].kmsg[0] = '\0';
		len += NLMSG_ALIGN(nlmsg_hdr(reqs[i].msg)->nlmsg_len);
	}
	out = calloc(1, len);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *h = nlmsg_hdr(reqs[i].msg);
		h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
		rtnl_number(h);
		memcpy(out + off, h, h->nlmsg_len);
		off += NLMSG_ALIGN(h->nlmsg_len);
		pending |= 1U << i;
	}
	/* The kernel runs the requests of one datagram in order, each to its end
	 * (rtnetlink holds no lock across them), and acknowledges each; one that
	 * fails does not stop the next. */
	r = rtnl_send(fd, out, len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		reqs[i].r = -ETIMEDOUT; /* sent, and not answered (yet) */
	while (pending) {
		r = rtnl_recv(fd, buf, RTNL_RECV_BUF, &got);
		if (r < 0) {
			rtnl_abandoned = true;
			return r;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, got);
		     h = NLMSG_NEXT(h, got)) {
			uint32_t i = h->nlmsg_seq - first;
			if (i >= n || !(pending & (1U << i)))
				continue; /* a stale answer to an earlier, timed-out request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				int e = rtnl_parse_error(h, reqs[i].kmsg, sizeof(reqs[i].kmsg));
				/* An answer the callback refused keeps its error. */
				if (!(refused & (1U << i)) || e < 0)
					reqs[i].r = e;
				pending &= ~(1U << i);
			} else if (fn && !(refused & (1U << i))) {
				r = fn(base + i, h, userdata);
				if (r < 0) {
					reqs[i].r = r;
					refused |= 1U << i;
				}
			}
		}
	}
	return 0;
}

int rtnl_pipeline(int fd, struct rtnl_req *reqs, size_t n, rtnl_answer_fn fn, void *userdata)
{
	_cleanup_free_ char *buf = malloc(RTNL_RECV_BUF);
	int r = buf ? 0 : -ENOMEM;

	for (size_t done = 0, m; done < n; done += m) {
		size_t bytes = NLMSG_ALIGN(nlmsg_hdr(reqs[done].msg)->nlmsg_len);
		/* At least one; then while the round stays within its bounds. */
		for (m = 1; done + m < n && m < RTNL_PIPELINE_DEPTH; m++) {
			bytes += NLMSG_ALIGN(nlmsg_hdr(reqs[done + m].msg)->nlmsg_len);
			if (bytes > RTNL_PIPELINE_BYTES)
				break;
		}
		if (r < 0) {
			for (size_t i = done; i < done + m; i++)
				reqs[i].r = -ECANCELED; /* never sent */
			continue;
		}
		r = pipeline_round(fd, reqs + done, m, done, fn, userdata, buf);
	}
	return r;
}

int rtnl_transact(int fd, struct nl_msg *msg, char *err, size_t errlen)
{
	struct rtnl_req req = { .msg = msg };
	int r = rtnl_pipeline(fd, &req, 1, NULL, NULL);

	if (err && errlen)
		snprintf(err, errlen, "%s", r < 0 ? "" : req.kmsg);
	return r < 0 ? r : req.r;
}

typedef int (*rtnl_dump_fn)(const struct nlmsghdr *h, void *userdata);

/* One dump of type; fn sees each message of the answer. The family header is
 * hdr[0..hdrlen), or all zero (every object of the namespace) when hdr is NULL.
 * -EINTR when the kernel flagged the dump as inconsistent. */
static int rtnl_dump_once(int fd, uint16_t type, const void *hdr, size_t hdrlen, rtnl_dump_fn fn,
			  void *userdata)
{
	void *p;
	_cleanup_free_ char *buf = malloc(RTNL_RECV_BUF);
	struct nl_msg *msg;
	bool interrupted = false;
	uint32_t seq;
	size_t n;
	int r;

	if (!buf)
		return -ENOMEM;
	msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	p = nlmsg_reserve(msg, hdrlen, NLMSG_ALIGNTO);
	if (!p) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	if (hdr)
		memcpy(p, hdr, hdrlen);
	seq = rtnl_number(nlmsg_hdr(msg));
	r = rtnl_send(fd, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	if (r < 0)
		return r;
	for (;;) {
		r = rtnl_recv(fd, buf, RTNL_RECV_BUF, &n);
		if (r < 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;
			if (h->nlmsg_type == NLMSG_DONE)
				return interrupted ? -EINTR : 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				r = rtnl_parse_error(h, NULL, 0);
				return r < 0 ? r : -EBADMSG;
			}
			r = fn(h, userdata);
			if (r < 0)
				break;
		}
		if (r < 0)
			break;
	}
	rtnl_abandoned = true; /* the rest of the dump may still come */
	return r;
}

struct grow {
	void *items;
	size_t n, cap, size;
};

static int grow_push(struct grow *g, const void *item)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		void *p = reallocarray(g->items, cap, g->size);
		if (!p)
			return -ENOMEM;
		g->items = p;
		g->cap = cap;
	}
	memcpy((char *)g->items + g->n * g->size, item, g->size);
	g->n++;
	return 0;
}

static int collect_link(const struct nlmsghdr *h, void *userdata)
{
	struct rtnl_link l;

	if (h->nlmsg_type != RTM_NEWLINK || rtnl_parse_link(h, &l) < 0)
		return 0; /* not ours to judge: skip what we cannot read */
	return grow_push(userdata, &l);
}

static int collect_qdisc(const struct nlmsghdr *h, void *userdata)
{
	struct rtnl_qdisc q;

	if (h->nlmsg_type != RTM_NEWQDISC || rtnl_parse_qdisc(h, &q) < 0)
		return 0;
	return grow_push(userdata, &q);
}

static int rtnl_dump(int fd, uint16_t type, const void *hdr, size_t hdrlen, rtnl_dump_fn fn,
		     size_t size, void **ret, size_t *ret_n)
{
	int r = -EAGAIN;

	for (int i = 0; i < RTNL_DUMP_TRIES; i++) {
		struct grow g = { .size = size };
		r = rtnl_dump_once(fd, type, hdr, hdrlen, fn, &g);
		if (r == 0) {
			*ret = g.items;
			*ret_n = g.n;
			return 0;
		}
		free(g.items);
		if (r != -EINTR)
			return r;
	}
	return -EAGAIN;
}

int rtnl_dump_links(int fd, struct rtnl_link **ret, size_t *ret_n)
{
	return rtnl_dump(fd, RTM_GETLINK, NULL, sizeof(struct ifinfomsg), collect_link,
			 sizeof(struct rtnl_link), (void **)ret, ret_n);
}

int rtnl_dump_qdiscs(int fd, struct rtnl_qdisc **ret, size_t *ret_n)
{
	return rtnl_dump(fd, RTM_GETQDISC, NULL, sizeof(struct tcmsg), collect_qdisc,
			 sizeof(struct rtnl_qdisc), (void **)ret, ret_n);
}

static int collect_filter(const struct nlmsghdr *h, void *userdata)
{
	struct rtnl_filter f;

	if (h->nlmsg_type != RTM_NEWTFILTER || rtnl_parse_filter(h, &f) < 0)
		return 0;
	return grow_push(userdata, &f);
}

int rtnl_dump_filters(int fd, int ifindex, uint32_t parent, struct rtnl_filter **ret, size_t *ret_n)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = parent,
	};
	int r = rtnl_dump(fd, RTM_GETTFILTER, &tcm, sizeof(tcm), collect_filter,
			  sizeof(struct rtnl_filter), (void **)ret, ret_n);

	/* The kernel answers a dump at a parent that does not exist (our root is
	 * gone) with an empty dump on current kernels, an error on older ones. */
	if (r == -EINVAL || r == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	return r;
}

/* n requests whose messages the caller fills in; freed by reqs_free(). */
static struct rtnl_req *reqs_new(size_t n)
{
	return calloc(n ?: 1, sizeof(struct rtnl_req));
}

static void reqs_free(struct rtnl_req *reqs, size_t n)
{
	if (!reqs)
		return;
	for (size_t i = 0; i < n; i++)
		nlmsg_free(reqs[i].msg);
	free(reqs);
}

/* A GET of one object, whose answer the kernel sends before the ack. */
static struct nl_msg *get_msg(uint16_t type, int flags, const void *hdr, size_t hdrlen)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg || nlmsg_append(msg, (void *)hdr, hdrlen, NLMSG_ALIGNTO) < 0)
		return NULL;
	return TAKE_PTR(msg);
}

static struct nl_msg *getlink_msg(int ifindex, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	_cleanup_(nlmsg_freep) struct nl_msg *msg = get_msg(RTM_GETLINK, 0, &ifi, sizeof(ifi));

	/* Statistics are most of a link's answer, and nothing here reads them. */
	if (!msg || (name && nla_put_string(msg, IFLA_IFNAME, name) < 0) ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return NULL;
	return TAKE_PTR(msg);
}

struct links_answer {
	struct rtnl_link *ret;
};

static int take_link(size_t i, const struct nlmsghdr *h, void *userdata)
{
	struct links_answer *a = userdata;

	if (h->nlmsg_type != RTM_NEWLINK || a->ret[i].ifindex > 0)
		return 0;
	return rtnl_parse_link(h, &a->ret[i]) < 0 ? -EBADMSG : 0;
}

int rtnl_get_links(int fd, const int *ifindexes, const char *const *names, size_t n,
		   struct rtnl_link *ret, int *ret_r)
{
	struct rtnl_req *reqs = reqs_new(n);
	struct links_answer a = { .ret = ret };
	int r = reqs ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		reqs[i].msg = getlink_msg(ifindexes ? ifindexes[i] : 0, names ? names[i] : NULL);
		if (!reqs[i].msg)
			r = -ENOMEM;
		ret[i] = (struct rtnl_link){ 0 };
	}
	if (r >= 0)
		r = rtnl_pipeline(fd, reqs, n, take_link, &a);
	for (size_t i = 0; i < n; i++) {
		int e = r == -ENOMEM ? r : reqs[i].r;
		if (e == 0 && ret[i].ifindex <= 0)
			e = -EBADMSG; /* acknowledged, but nothing came */
		/* The kernel also finds a device by an alternative name (ip link
		 * property add altname); a dump is matched by the primary name, and
		 * so is this. */
		else if (e == 0 &&
			 ((names && names[i] && !streq(ret[i].name, names[i])) ||
			  (ifindexes && ifindexes[i] > 0 && ret[i].ifindex != ifindexes[i])))
			e = -ENODEV;
		ret_r[i] = e;
	}
	reqs_free(reqs, n);
	return r;
}

int rtnl_get_link(int fd, int ifindex, const char *name, struct rtnl_link *ret)
{
	struct rtnl_link l;
	int e, r = rtnl_get_links(fd, &ifindex, &name, 1, &l, &e);

	if (r >= 0 && e >= 0)
		*ret = l;
	return r < 0 ? r : e;
}

struct qdiscs_answer {
	const int *ifindexes;
	struct rtnl_qdisc *ret;
};

static int take_qdisc(size_t i, const struct nlmsghdr *h, void *userdata)
{
	struct qdiscs_answer *a = userdata;

	if (h->nlmsg_type != RTM_NEWQDISC || a->ret[i].ifindex > 0)
		return 0;
	if (rtnl_parse_qdisc(h, &a->ret[i]) < 0 || a->ret[i].ifindex != a->ifindexes[i])
		return -EBADMSG;
	return 0;
}

int rtnl_get_qdiscs(int fd, const int *ifindexes, const uint32_t *parents, size_t n,
		    struct rtnl_qdisc *ret, int *ret_r)
{
	struct rtnl_req *reqs = reqs_new(n);
	struct qdiscs_answer a = { .ifindexes = ifindexes, .ret = ret };
	int r = reqs ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct tcmsg tcm = { .tcm_family = AF_UNSPEC,
				     .tcm_ifindex = ifindexes[i],
				     .tcm_parent = parents[i] };
		/* NLM_F_ECHO: tc_get_qdisc() answers through rtnetlink_send(),
		 * which unicasts to the asker only when it asks for an echo. */
		reqs[i].msg = get_msg(RTM_GETQDISC, NLM_F_ECHO, &tcm, sizeof(tcm));
		if (!reqs[i].msg)
			r = -ENOMEM;
		ret[i] = (struct rtnl_qdisc){ 0 };
	}
	if (r >= 0)
		r = rtnl_pipeline(fd, reqs, n, take_qdisc, &a);
	for (size_t i = 0; i < n; i++) {
		/* -ENOENT from the kernel: no qdisc at parent (an ingress queue never
		 * created). Acknowledged without a qdisc: the one there is builtin
		 * (the noop of a device never up, or of an ingress queue whose qdisc
		 * was deleted), which tc_get_qdisc() does not report, as a dump skips
		 * it: -ENOENT too. */
		int e = r == -ENOMEM ? r : reqs[i].r;
		ret_r[i] = e == 0 && ret[i].ifindex <= 0 ? -ENOENT : e;
	}
	reqs_free(reqs, n);
	return r;
}

int rtnl_get_qdisc(int fd, int ifindex, uint32_t parent, struct rtnl_qdisc *ret)
{
	struct rtnl_qdisc q;
	int e, r = rtnl_get_qdiscs(fd, &ifindex, &parent, 1, &q, &e);

	if (r >= 0 && e >= 0)
		*ret = q;
	return r < 0 ? r : e;
}

int rtnl_link_name(int fd, int ifindex, char ret[IFNAMSIZ])
{
	struct ifreq ifr = { .ifr_ifindex = ifindex };

	if (ifindex <= 0)
		return -ENODEV;
	if (ioctl(fd, SIOCGIFNAME, &ifr) < 0)
		return negative_errno();
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	memcpy(ret, ifr.ifr_name, IFNAMSIZ);
	return 0;
}

int rtnl_link_index(int fd, const char *name, int *ret_ifindex)
{
	struct ifreq ifr = { 0 };
	char primary[IFNAMSIZ];
	size_t n = strlen(name);
	int r;

	if (n == 0 || n >= IFNAMSIZ)
		return -ENODEV;
	memcpy(ifr.ifr_name, name, n + 1);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return negative_errno();
	/* An alternative name finds the device too; only the primary name
	 * counts, as in a dump. */
	r = rtnl_link_name(fd, ifr.ifr_ifindex, primary);
	if (r < 0)
		return r;
	if (!streq(primary, name))
		return -ENODEV;
	*ret_ifindex = ifr.ifr_ifindex;
	return 0;
}

/* A string attribute, NUL-terminated within its payload, into out. */
static int attr_string(const struct nlattr *a, char *out, size_t len)
{
	const char *s = nla_data(a);
	size_t n = strnlen(s, (size_t)nla_len(a));

	if (n == 0 || n >= len || n == (size_t)nla_len(a))
		return -EBADMSG;
	memcpy(out, s, n + 1);
	return 0;
}

int rtnl_parse_link(const struct nlmsghdr *h, struct rtnl_link *ret)
{
	struct nlattr *tb[IFLA_MAX + 1];
	struct rtnl_link l = { 0 };

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)) ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 ||
	    !tb[IFLA_IFNAME])
		return -EBADMSG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	l.ifindex = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	if (l.ifindex <= 0 || attr_string(tb[IFLA_IFNAME], l.name, sizeof(l.name)) < 0)
		return -EBADMSG;
	*ret = l;
	return 0;
}

int rtnl_parse_qdisc(const struct nlmsghdr *h, struct rtnl_qdisc *ret)
{
	struct nlattr *tb[TCA_MAX + 1];
	struct rtnl_qdisc q = { 0 };

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0 ||
	    !tb[TCA_KIND])
		return -EBADMSG;
	const struct tcmsg *t = NLMSG_DATA(h);
	q.ifindex = t->tcm_ifindex;
	q.handle = t->tcm_handle;
	q.parent = t->tcm_parent;
	if (q.ifindex <= 0 || attr_string(tb[TCA_KIND], q.kind, sizeof(q.kind)) < 0)
		return -EBADMSG;
	*ret = q;
	return 0;
}

int rtnl_parse_filter(const struct nlmsghdr *h, struct rtnl_filter *ret)
{
	struct nlattr *tb[TCA_MAX + 1];
	struct rtnl_filter f = { 0 };

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) ||
	    nlmsg_parse((struct nlmsghdr *)h, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0 ||
	    !tb[TCA_KIND])
		return -EBADMSG;
	const struct tcmsg *t = NLMSG_DATA(h);
	f.ifindex = t->tcm_ifindex;
	f.parent = t->tcm_parent;
	f.handle = t->tcm_handle;
	f.pref = (uint16_t)(TC_H_MAJ(t->tcm_info) >> 16);
	f.protocol = ntohs((uint16_t)TC_H_MIN(t->tcm_info));
	if (f.ifindex <= 0 || attr_string(tb[TCA_KIND], f.kind, sizeof(f.kind)) < 0)
		return -EBADMSG;
	*ret = f;
	return 0;
}
