/* SPDX-License-Identifier: Apache-2.0 */
#include "net_rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "macro.h"
#include "sandbox.h"

/* Large enough for any dump message the kernel builds (it sizes them to the
 * reader's buffer, up to 32 KiB) and for an ack carrying an extended message. */
#define RTNL_RECV_BUF (64 * 1024)
#define RTNL_DUMP_TRIES 3

static uint32_t rtnl_seq;

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

int rtnl_open(int netns_fd, int *ret_fd)
{
	struct open_job job = { .netns_fd = netns_fd, .fd = -1, .r = -EIO };
	pthread_t thread;
	int r;

	if (netns_fd < 0)
		return rtnl_socket(ret_fd);
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

static int rtnl_send(int fd, struct nl_msg *msg, uint32_t *ret_seq)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	h->nlmsg_seq = ++rtnl_seq;
	h->nlmsg_pid = 0;
	do
		n = sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	if ((size_t)n != h->nlmsg_len)
		return -EMSGSIZE;
	*ret_seq = h->nlmsg_seq;
	return 0;
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

typedef int (*rtnl_dump_fn)(const struct nlmsghdr *h, void *userdata);

/* Sends msg with NLM_F_REQUEST | NLM_F_ACK added and waits for its acknowledgement;
 * each other message answering it (the object a GET asked for) goes to fn first. */
static int rtnl_request(int fd, struct nl_msg *msg, rtnl_dump_fn fn, void *userdata, char *err,
			size_t errlen)
{
	_cleanup_free_ char *buf = malloc(RTNL_RECV_BUF);
	uint32_t seq;
	size_t n;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!buf)
		return -ENOMEM;
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r = rtnl_send(fd, msg, &seq);
	if (r < 0)
		return r;
	for (;;) {
		r = rtnl_recv(fd, buf, RTNL_RECV_BUF, &n);
		if (r < 0)
			return r;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue; /* a stale answer to an earlier, timed-out request */
			if (h->nlmsg_type == NLMSG_ERROR)
				return rtnl_parse_error(h, err, errlen);
			if (fn) {
				r = fn(h, userdata);
				if (r < 0)
					return r;
			}
		}
	}
}

int rtnl_transact(int fd, struct nl_msg *msg, char *err, size_t errlen)
{
	return rtnl_request(fd, msg, NULL, NULL, err, errlen);
}

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
	r = rtnl_send(fd, msg, &seq);
	nlmsg_free(msg);
	if (r < 0)
		return r;
	for (;;) {
		r = rtnl_recv(fd, buf, RTNL_RECV_BUF, &n);
		if (r < 0)
			return r;
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
				return r;
		}
	}
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

struct get_one {
	uint16_t type;
	int (*parse)(const struct nlmsghdr *h, void *ret);
	void *ret;
	bool found;
};

static int take_one(const struct nlmsghdr *h, void *userdata)
{
	struct get_one *g = userdata;

	if (h->nlmsg_type != g->type || g->found)
		return 0;
	if (g->parse(h, g->ret) < 0)
		return -EBADMSG;
	g->found = true;
	return 0;
}

static int parse_link(const struct nlmsghdr *h, void *ret)
{
	return rtnl_parse_link(h, ret);
}

static int parse_qdisc(const struct nlmsghdr *h, void *ret)
{
	return rtnl_parse_qdisc(h, ret);
}

/* Sends a GET built in msg and takes the one object of type it answers, if any:
 * g->found says whether one came before the acknowledgement. */
static int rtnl_get(int fd, struct nl_msg *msg, struct get_one *g)
{
	return rtnl_request(fd, msg, take_one, g, NULL, 0);
}

int rtnl_get_link(int fd, int ifindex, const char *name, struct rtnl_link *ret)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct rtnl_link l;
	struct get_one g = { .type = RTM_NEWLINK, .parse = parse_link, .ret = &l };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	int r;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (name && nla_put_string(msg, IFLA_IFNAME, name) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = rtnl_get(fd, msg, &g);
	nlmsg_free(msg);
	if (r < 0)
		return r;
	if (!g.found)
		return -EBADMSG; /* acknowledged, but nothing came */
	/* The kernel also finds a device by an alternative name (ip link property
	 * add altname); a dump is matched by the primary name, and so is this. */
	if ((name && !streq(l.name, name)) || (ifindex > 0 && l.ifindex != ifindex))
		return -ENODEV;
	*ret = l;
	return 0;
}

int rtnl_get_qdisc(int fd, int ifindex, uint32_t parent, struct rtnl_qdisc *ret)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC,
			     .tcm_ifindex = ifindex,
			     .tcm_parent = parent };
	struct rtnl_qdisc q;
	struct get_one g = { .type = RTM_NEWQDISC, .parse = parse_qdisc, .ret = &q };
	/* NLM_F_ECHO: tc_get_qdisc() answers through rtnetlink_send(), which
	 * unicasts to the asker only when it asks for an echo. */
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETQDISC, NLM_F_ECHO);
	int r;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = rtnl_get(fd, msg, &g);
	nlmsg_free(msg);
	if (r < 0)
		return r; /* -ENOENT: no qdisc at parent (an ingress queue never created) */
	/* Acknowledged without a qdisc: the one there is builtin (the noop of a
	 * device never up, or of an ingress queue whose qdisc was deleted), which
	 * tc_get_qdisc() does not report, as a dump skips it. */
	if (!g.found)
		return -ENOENT;
	if (q.ifindex != ifindex)
		return -EBADMSG;
	*ret = q;
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
