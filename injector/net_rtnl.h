/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small rtnetlink transport for the network faults: a NETLINK_ROUTE socket in a
 * chosen network namespace, requests that wait for their acknowledgement (with the
 * kernel's extended ack message), dumps of links and qdiscs, and single lookups of one
 * link or one qdisc.
 *
 * Messages are built with libnl-3's message API (nlmsg_*, nla_*); the socket, the
 * sequence numbers and the parsing of replies are ours, so that every failure is a
 * -errno with the kernel's own words attached, and nothing can call exit().
 *
 * Namespaces: a NETLINK_ROUTE socket stays in the network namespace it was
 * created in, whatever the thread using it does later. rtnl_open() creates the
 * socket in a short-lived helper thread that setns()es into the target namespace,
 * so that the daemon's main thread never leaves its own namespace, even for a
 * moment, and a failure cannot strand it elsewhere.
 *
 * Every call may block on the kernel, never on a peer: replies come from the
 * kernel at once, and a receive timeout (RTNL_TIMEOUT_MS) bounds the wait anyway.
 */
#pragma once

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/msg.h>

#include "macro.h"

struct nlmsghdr;

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free)

#define RTNL_TIMEOUT_MS 5000

/* One qdisc from an RTM_GETQDISC dump. */
struct rtnl_qdisc {
	int ifindex;
	uint32_t handle; /* 0 for the qdiscs the kernel attached itself */
	uint32_t parent; /* TC_H_ROOT for the root */
	char kind[IFNAMSIZ]; /* TCA_KIND: "netem", "noqueue", ... */
};

/* One filter node from an RTM_GETTFILTER dump. */
struct rtnl_filter {
	int ifindex;
	uint32_t parent; /* the qdisc it hangs on */
	uint32_t handle; /* the node's (u32: 800:0:800 ...) */
	uint16_t pref; /* tc's "pref" (prio) */
	uint16_t protocol; /* host order: ETH_P_IP, ETH_P_IPV6, ... */
	char kind[IFNAMSIZ]; /* "u32", ... */
};

/* One link from an RTM_GETLINK dump. */
struct rtnl_link {
	int ifindex;
	unsigned flags; /* IFF_* */
	char name[IFNAMSIZ];
};

/*
 * Opens a NETLINK_ROUTE socket (O_CLOEXEC, extended acks on, acks capped) in the
 * network namespace netns_fd refers to, or in the caller's own when netns_fd is
 * -1. Returns 0 and the socket in *ret_fd (owned by the caller), or -errno:
 * setns() failures (-EINVAL: not a network namespace; -EPERM) and socket errors.
 * Blocks only while the helper thread runs, which is a few system calls.
 */
int rtnl_open(int netns_fd, int *ret_fd);

/*
 * Sends msg (its header's type and flags set by the caller; NLM_F_REQUEST and
 * NLM_F_ACK are added, the sequence number and pid are ours) and waits for its
 * acknowledgement. Returns 0, or the kernel's -errno with its extended ack
 * message, if any, in err ("" when the kernel gave none). err may be NULL.
 */
int rtnl_transact(int fd, struct nl_msg *msg, char *err, size_t errlen);

/*
 * Pipelining: many requests in one datagram, their answers read after. The kernel
 * runs them in order, each to its end, and acknowledges each; one that fails does
 * not stop the next, so each request has its own result. At most
 * RTNL_PIPELINE_DEPTH are in flight at once, so that their answers (a link is a
 * few KiB) always fit the socket's receive buffer and none is dropped.
 */
#define RTNL_PIPELINE_DEPTH 16
/* And at most this many bytes of requests in one datagram (but at least one
 * request): a netem with a distribution carries an 8 KiB table, and the kernel
 * refuses a datagram larger than the socket's send buffer. */
#define RTNL_PIPELINE_BYTES (32 * 1024)

struct rtnl_req {
	struct nl_msg *msg; /* in: type and flags set; NLM_F_REQUEST | NLM_F_ACK are added */
	int r; /* out: 0, the kernel's -errno, the answer callback's -errno, -ETIMEDOUT
		* (sent, no answer came: it may have run) or -ECANCELED (never sent) */
	char kmsg[128]; /* out: the kernel's extended ack message, or "" */
};

/* Called with each message answering request i before its acknowledgement (the
 * object a GET asked for); a -errno becomes that request's result. */
typedef int (*rtnl_answer_fn)(size_t i, const struct nlmsghdr *h, void *userdata);

/* Sends reqs[0..n) and reads every answer. Returns 0 when each request has its
 * result in reqs[i].r, or the -errno of a failed send or receive, after which the
 * results say which requests may have run (-ETIMEDOUT) and which did not. */
int rtnl_pipeline(int fd, struct rtnl_req *reqs, size_t n, rtnl_answer_fn fn, void *userdata);

/* Dumps every link (RTM_GETLINK) or every qdisc (RTM_GETQDISC) of the socket's
 * namespace. Returns 0 and a malloc'd array in *ret with its length in *ret_n (the
 * array may be NULL when n is 0), or -errno. A dump the kernel marks interrupted
 * (it changed meanwhile) is retried a few times, then -EAGAIN. */
int rtnl_dump_links(int fd, struct rtnl_link **ret, size_t *ret_n);
int rtnl_dump_qdiscs(int fd, struct rtnl_qdisc **ret, size_t *ret_n);

/* Dumps the filters of ifindex attached at parent (a qdisc handle). An absent
 * parent is an empty dump. Same contract as above. */
int rtnl_dump_filters(int fd, int ifindex, uint32_t parent, struct rtnl_filter **ret,
		      size_t *ret_n);

/*
 * One object by a single request, not a dump, so that its cost does not grow with
 * the namespace. rtnl_get_link(): the link of ifindex (> 0), or else of name (its
 * primary name: an alternative name does not match). -ENODEV when there is none.
 * rtnl_get_qdisc(): the qdisc of ifindex at parent (TC_H_ROOT, TC_H_INGRESS), as
 * the kernel reports it (tcm_parent is the parent asked for). -ENOENT when there
 * is none a dump would show (no ingress qdisc, or a builtin noop: at the root of a
 * device never up, or left at ingress when an ingress qdisc was deleted), -ENODEV
 * when the device is gone. Other errors are -errno.
 */
int rtnl_get_link(int fd, int ifindex, const char *name, struct rtnl_link *ret);
int rtnl_get_qdisc(int fd, int ifindex, uint32_t parent, struct rtnl_qdisc *ret);

/*
 * A link's name from its index, or its index from its (primary) name, by ioctl
 * (SIOCGIFNAME, SIOCGIFINDEX) on fd, which the kernel answers in the socket's own
 * namespace: no message to build, so much cheaper than an RTM_GETLINK when only
 * the name or the index is needed. -ENODEV when there is none.
 */
int rtnl_link_name(int fd, int ifindex, char ret[IFNAMSIZ]);
int rtnl_link_index(int fd, const char *name, int *ret_ifindex);

/* The same for n objects at once, pipelined: for a link ifindexes[i] (ifindexes
 * may be NULL for all 0) or names[i] (names, or an entry, may be NULL), for a qdisc
 * ifindexes[i] at parents[i]; ret[i] is valid when
 * ret_r[i] is 0, each -errno as above. Returns 0, or the -errno of the transport
 * (rtnl_pipeline()) or -ENOMEM, with ret_r[] set all the same. */
int rtnl_get_links(int fd, const int *ifindexes, const char *const *names, size_t n,
		   struct rtnl_link *ret, int *ret_r);
int rtnl_get_qdiscs(int fd, const int *ifindexes, const uint32_t *parents, size_t n,
		    struct rtnl_qdisc *ret, int *ret_r);

/* Parsers for one message of a dump, pure and exposed for the unit tests. They
 * return 0 and fill *ret, or -EBADMSG when the message is not a well-formed
 * RTM_NEWLINK / RTM_NEWQDISC (a missing name or kind included). */
int rtnl_parse_link(const struct nlmsghdr *h, struct rtnl_link *ret);
int rtnl_parse_qdisc(const struct nlmsghdr *h, struct rtnl_qdisc *ret);
int rtnl_parse_filter(const struct nlmsghdr *h, struct rtnl_filter *ret);

/* Reads an NLMSG_ERROR message: returns its error (0 for an acknowledgement, or
 * -errno), and copies the extended ack's NLMSGERR_ATTR_MSG, if any, into msg
 * (which is set to "" otherwise; may be NULL). -EBADMSG when malformed. Pure. */
int rtnl_parse_error(const struct nlmsghdr *h, char *msg, size_t msglen);
