/* SPDX-License-Identifier: Apache-2.0 */
#include "net_control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"

static struct {
	bool known;
	struct net_cidr peer; /* a host: /32 or /128 */
	char text[INET6_ADDRSTRLEN];
	char how[24]; /* "tcp stdin", "ssh" */
} control;

int net_control_set_peer(const char *addr, const char *how)
{
	char err[160];

	control.known = false;
	if (!addr)
		return 0;
	if (net_cidr_parse(addr, &control.peer, err, sizeof(err)) < 0 ||
	    control.peer.prefix != (control.peer.family == AF_INET ? 32 : 128))
		return -EINVAL;
	snprintf(control.text, sizeof(control.text), "%s", addr);
	snprintf(control.how, sizeof(control.how), "%s", how);
	control.known = true;
	return 0;
}

/* The client address of SSH_CONNECTION in the environ file of pid; 0 if found. */
static int ssh_client_of(pid_t pid, char *buf, size_t len)
{
	char path[64], env[16384];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, env, sizeof(env) - 1);
	if (n <= 0)
		return -ENOENT;
	env[n] = '\0';
	for (char *p = env; p < env + n; p += strlen(p) + 1)
		if (strncmp(p, "SSH_CONNECTION=", 15) == 0 && sscanf(p + 15, "%45s", buf) == 1 &&
		    len > INET6_ADDRSTRLEN)
			return 0;
	return -ENOENT;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold anything */
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

void net_control_detect(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[INET6_ADDRSTRLEN + 1];
	pid_t pid = getpid();

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		const void *a = ss.ss_family == AF_INET ?
					(const void *)&((struct sockaddr_in *)&ss)->sin_addr :
					(const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
		if (inet_ntop(ss.ss_family, a, addr, sizeof(addr)) &&
		    net_control_set_peer(addr, "tcp stdin") == 0) {
			log_debug("control connection: TCP from %s", addr);
			return;
		}
	}
	for (int depth = 0; depth < 8 && pid > 1; depth++, pid = parent_of(pid))
		if (ssh_client_of(pid, addr, sizeof(addr)) == 0 &&
		    net_control_set_peer(addr, "ssh") == 0) {
			log_debug("control connection: ssh from %s (pid %d)", addr, (int)pid);
			return;
		}
}

static bool covers(const struct net_cidr *c, const struct net_cidr *host)
{
	if (c->family != host->family)
		return false;
	for (unsigned b = 0; b < c->prefix; b++)
		if ((c->addr[b / 8] ^ host->addr[b / 8]) & (0x80 >> (b % 8)))
			return false;
	return true;
}

static bool any_covers(const struct net_cidr *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (covers(&list[i], &control.peer))
			return true;
	return false;
}

/* Whether the side (dst for egress, src for ingress) keeps the peer out. */
static bool kept_out(const struct net_filter *f, bool dst)
{
	const struct net_filter_set *m = &f->match, *x = &f->exclude;

	if (f->has_exclude && !x->n_dport && !x->n_sport && !x->protocols &&
	    any_covers(dst ? x->dst : x->src, dst ? x->n_dst : x->n_src))
		return true;
	if (dst ? m->n_dst && !any_covers(m->dst, m->n_dst) :
		  m->n_src && !any_covers(m->src, m->n_src))
		return true;
	return false;
}

int net_control_check(const struct net_filter *filter, bool egress, bool ingress, bool own,
		      const char *const *ifnames, size_t n, char *err, size_t errlen)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	bool loopback, on_lo = false;

	if (!control.known || !own)
		return 0;
	loopback = control.peer.family == AF_INET ? control.peer.addr[0] == 127 :
						    memcmp(control.peer.addr, v6_loopback, 16) == 0;
	for (size_t i = 0; i < n; i++)
		on_lo |= streq(ifnames[i], "lo");
	if (loopback && !on_lo)
		return 0;
	if (filter && (!egress || kept_out(filter, true)) && (!ingress || kept_out(filter, false)))
		return 0;
	errbuf_set(err, errlen,
		   "the injector's control connection is %s from %s: a network fault in its own "
		   "namespace could cut it; keep it out with exclude: {%s: %s} (or a %s that "
		   "does not include it)",
		   control.how, control.text, egress ? "dst" : "src", control.text,
		   egress ? "dst" : "src");
	return -EPERM;
}
