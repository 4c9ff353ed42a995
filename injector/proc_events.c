/* SPDX-License-Identifier: Apache-2.0 */
#include "proc_events.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"

#define PROC_EVENTS_RCVBUF (4 * 1024 * 1024)

struct proc_events {
	struct event_loop *loop;
	int fd;
	proc_event_fn fn;
	void *userdata;
	unsigned long overruns;
};

/* The connector's request: listen or ignore. Laid out byte by byte (header, cn_msg,
 * then the op as its payload), since cn_msg ends in a flexible array. */
static int send_mcast_op(int fd, enum proc_cn_mcast_op op)
{
	char msg[sizeof(struct nlmsghdr) + sizeof(struct cn_msg) + sizeof(op)]
		__attribute__((aligned(NLMSG_ALIGNTO))) = { 0 };
	struct nlmsghdr nl = { .nlmsg_len = sizeof(msg), .nlmsg_type = NLMSG_DONE };
	struct cn_msg cn = { .id = { .idx = CN_IDX_PROC, .val = CN_VAL_PROC }, .len = sizeof(op) };

	memcpy(msg, &nl, sizeof(nl));
	memcpy(msg + sizeof(nl), &cn, sizeof(cn));
	memcpy(msg + sizeof(nl) + sizeof(cn), &op, sizeof(op));
	return send(fd, msg, sizeof(msg), MSG_NOSIGNAL) < 0 ? negative_errno() : 0;
}

static void deliver(struct proc_events *pe, const struct process_event *raw, bool overrun)
{
	pe->fn(raw, overrun, pe->userdata);
}

static int on_readable(struct event_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct proc_events *pe = userdata;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool overrun = false;

	/* Bounded: at most 64 reads per wakeup, so a fork storm cannot starve the
	 * rest of the loop; what is left is read at the next one. */
	for (int round = 0; round < 64; round++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				pe->overruns++;
				overrun = true;
				continue;
			}
			break;
		}
		for (struct nlmsghdr *nl = (struct nlmsghdr *)buf; NLMSG_OK(nl, (size_t)n);
		     nl = NLMSG_NEXT(nl, n)) {
			if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_NOOP)
				continue;
			struct cn_msg *cn = NLMSG_DATA(nl);
			if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
			    cn->len < offsetof(struct proc_event, event_data))
				continue;
			/* The payload sits 4-aligned after the headers; copy it out
			 * before reading its 64-bit fields. */
			struct proc_event copy = { 0 };
			memcpy(&copy, cn->data, cn->len < sizeof(copy) ? cn->len : sizeof(copy));
			const struct proc_event *kev = &copy;
			struct process_event ev = { .ts_ns = kev->timestamp_ns };
			switch (kev->what) {
			case PROC_EVENT_FORK:
				ev.kind = PROCESS_FORK;
				ev.pid = kev->event_data.fork.child_pid;
				ev.tgid = kev->event_data.fork.child_tgid;
				ev.parent_tgid = kev->event_data.fork.parent_tgid;
				break;
			case PROC_EVENT_EXEC:
				ev.kind = PROCESS_EXEC;
				ev.pid = kev->event_data.exec.process_pid;
				ev.tgid = kev->event_data.exec.process_tgid;
				break;
			case PROC_EVENT_EXIT:
				ev.kind = PROCESS_EXIT;
				ev.pid = kev->event_data.exit.process_pid;
				ev.tgid = kev->event_data.exit.process_tgid;
				ev.parent_tgid = kev->event_data.exit.parent_tgid;
				break;
			default:
				continue;
			}
			deliver(pe, &ev, overrun);
			overrun = false;
		}
	}
	if (overrun)
		deliver(pe, &(struct process_event){ .kind = PROCESS_EXIT }, true);
	return 0;
}

int proc_events_open(struct event_loop *loop, proc_event_fn fn, void *userdata,
		     struct proc_events **ret)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	int rcvbuf = PROC_EVENTS_RCVBUF, r;

	_cleanup_close_ int fd =
		socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	if (fd < 0)
		return negative_errno();
	/* Best effort: a larger buffer makes overruns rarer under fork storms. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return negative_errno();
	r = send_mcast_op(fd, PROC_CN_MCAST_LISTEN);
	if (r < 0)
		return r;

	struct proc_events *pe = calloc(1, sizeof(*pe));
	if (!pe)
		return -ENOMEM;
	*pe = (struct proc_events){ .loop = loop, .fd = -1, .fn = fn, .userdata = userdata };
	r = event_loop_add(loop, fd, EPOLLIN, on_readable, pe);
	if (r < 0) {
		free(pe);
		return r;
	}
	pe->fd = TAKE_FD(fd);
	*ret = pe;
	return 0;
}

struct proc_events *proc_events_close(struct proc_events *pe)
{
	if (!pe)
		return NULL;
	if (pe->fd >= 0) {
		send_mcast_op(pe->fd, PROC_CN_MCAST_IGNORE);
		event_loop_remove(pe->loop, pe->fd);
		safe_close(pe->fd);
	}
	if (pe->overruns)
		log_debug("process connector: %lu overruns", pe->overruns);
	free(pe);
	return NULL;
}
