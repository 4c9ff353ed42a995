/* SPDX-License-Identifier: Apache-2.0 */
/* The fake /proc, the signal stubs and the seccomp filter: see fuzz_sandbox.h. */
#include "fuzz_sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"
#include "proc_target.h"

#define PF_KTHREAD 0x00200000U

struct fake_proc {
	pid_t pid;
	const char *comm;
	char state;
	pid_t ppid, session;
	unsigned flags;
	unsigned long long starttime;
	unsigned uid;
	const char *cmdline; /* arguments separated by '|', written NUL-separated */
	const char *cgroup; /* /proc/PID/cgroup, one hierarchy per '|' */
	const char *nspid; /* the NSpid field: "4000050\t7" */
	bool container; /* in the second pid namespace */
};

/* Cgroups and units (but the root) are named so that none exists on a real machine. */
static const struct fake_proc fake_procs[] = {
	{ 1, "systemd", 'S', 0, 1, 0x400100, 5, 0, "/sbin/init|splash", "0::/fuzz-init.scope",
	  "1" },
	{ 2, "kthreadd", 'S', 0, 0, PF_KTHREAD | 0x8040, 5, 0, "", "0::/", "2" },
	{ FUZZ_SELF_PID, "faultlined", 'S', 1, FUZZ_SELF_PID, 0x400100, 90, 0,
	  "/usr/sbin/faultlined|--stdio", "0::/fuzz-faultline.slice/faultlined.service", NULL },
	{ FUZZ_SHELL_PID, "bash", 'S', 1, FUZZ_SHELL_PID, 0x400100, 100, 1000, "-bash",
	  "0::/fuzz-faultline.slice/user-1000.slice/session-1.scope", NULL },
	{ FUZZ_CONTROLLER_PID, "faultline", 'S', FUZZ_SHELL_PID, FUZZ_SHELL_PID, 0x400100, 110,
	  1000, "faultline|run|game-day.yaml",
	  "0::/fuzz-faultline.slice/user-1000.slice/session-1.scope", NULL },
	{ 4000003, "faultlined", 'S', 1, 4000003, 0x400100, 120, 0,
	  "/usr/sbin/faultlined|--socket|/run/faultline/faultlined.sock",
	  "0::/fuzz-faultline.slice/faultlined-other.service", NULL },
	{ 4000010, "sleep", 'S', FUZZ_SHELL_PID, FUZZ_SHELL_PID, 0x400000, 200, 1000, "sleep|1000",
	  "0::/fuzz-faultline.slice/fuzz-app.service", NULL },
	{ 4000011, "sleep", 'S', FUZZ_SHELL_PID, FUZZ_SHELL_PID, 0x400000, 201, 1000, "sleep|2000",
	  "0::/fuzz-faultline.slice/fuzz-app.service", NULL },
	{ 4000012, "sleep", 'T', FUZZ_SHELL_PID, FUZZ_SHELL_PID, 0x400000, 202, 1000, "sleep|3000",
	  "0::/fuzz-faultline.slice/fuzz-app.service", NULL },
	{ 4000013, "sleep", 'Z', FUZZ_SHELL_PID, FUZZ_SHELL_PID, 0x400000, 203, 1000, "",
	  "0::/fuzz-faultline.slice/fuzz-app.service", NULL },
	{ 4000020, "nginx", 'S', 1, 4000020, 0x400140, 300, 0,
	  "nginx: master process /usr/sbin/nginx -g daemon off;",
	  "0::/fuzz-faultline.slice/fuzz-nginx.service", NULL },
	{ 4000021, "nginx", 'S', 4000020, 4000020, 0x400140, 301, 33, "nginx: worker process",
	  "0::/fuzz-faultline.slice/fuzz-nginx.service", NULL },
	{ 4000022, "nginx", 'R', 4000020, 4000020, 0x400140, 302, 33, "nginx: worker process",
	  "0::/fuzz-faultline.slice/fuzz-nginx.service", NULL },
	{ 4000030, "java", 'S', 1, 4000030, 0x400000, 400, 1001,
	  "java|-jar|/opt/fuzz/server.jar|--port=8080",
	  "12:memory:/fuzz-faultline/app|11:cpu,cpuacct:/fuzz-faultline/app|0::/fuzz-faultline.slice/"
	  "fuzz-java.service",
	  NULL },
	{ 4000040, "a b) c", 'S', FUZZ_SHELL_PID, FUZZ_SHELL_PID, 0x400000, 500, 1000,
	  "./a b) c|--x", "0::/fuzz-faultline.slice/user-1000.slice/session-1.scope", NULL },
	{ 4000041, "\x1b[31mred", 'D', FUZZ_SHELL_PID, FUZZ_SHELL_PID, 0x400000, 501, 1000,
	  "\x1b[31mred", "0::/fuzz-faultline.slice/user-1000.slice/session-1.scope", NULL },
	{ 4000050, "postgres", 'S', 4000049, 4000049, 0x400000, 600, 70,
	  "postgres|-D|/var/lib/postgresql", "0::/fuzz-faultline.slice/fuzz-container.scope",
	  "4000050\t7", true },
	{ 4000051, "postgres", 'S', 4000050, 4000049, 0x400000, 601, 70, "postgres: writer",
	  "0::/fuzz-faultline.slice/fuzz-container.scope", "4000051\t8", true },
	{ 4000049, "tini", 'S', 1, 4000049, 0x400000, 599, 0, "/sbin/tini|--|postgres",
	  "0::/fuzz-faultline.slice/fuzz-container.scope", "4000049\t1", true },
};

static char root[256];
static bool initialized;
static uint64_t signals;
/* The pid each stub pidfd stands for, by descriptor. */
#define MAX_FD 4096
static pid_t pidfd_pid[MAX_FD];
/* Invented processes killed since the last fuzz_sandbox_reset(). */
static pid_t dead[64];
static size_t n_dead;

#define DIE(...)                                                                                   \
	do {                                                                                       \
		fprintf(stderr, "fuzz_sandbox: " __VA_ARGS__);                                     \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

static const struct fake_proc *fake_find(pid_t pid)
{
	for (size_t i = 0; i < sizeof(fake_procs) / sizeof(fake_procs[0]); i++)
		if (fake_procs[i].pid == pid)
			return &fake_procs[i];
	return NULL;
}

static bool fake_dead(pid_t pid)
{
	for (size_t i = 0; i < n_dead; i++)
		if (dead[i] == pid)
			return true;
	return false;
}

bool fuzz_sandbox_is_fake_pid(pid_t pid)
{
	return fake_find(pid) != NULL;
}

uint64_t fuzz_sandbox_signals(void)
{
	return signals;
}

/* The stubs. glibc declares both in <sys/pidfd.h>; the definitions here win for
 * everything linked statically into the fuzz binary. */
int pidfd_open(pid_t pid, unsigned int flags)
{
	(void)flags;
	if (!initialized)
		DIE("pidfd_open(%d) before the sandbox was set up", (int)pid);
	if (!fake_find(pid) || fake_dead(pid)) {
		errno = ESRCH;
		return -1;
	}
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fd < MAX_FD)
		pidfd_pid[fd] = pid;
	return fd;
}

/* Whether a process that does not handle sig dies of it. */
static bool sig_terminates(int sig)
{
	switch (sig) {
	case SIGHUP:
	case SIGINT:
	case SIGQUIT:
	case SIGABRT:
	case SIGKILL:
	case SIGUSR1:
	case SIGUSR2:
	case SIGSEGV:
	case SIGPIPE:
	case SIGALRM:
	case SIGTERM:
		return true;
	default:
		return false;
	}
}

int pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
	(void)info;
	(void)flags;
	if (pidfd < 0 || pidfd >= MAX_FD || !pidfd_pid[pidfd]) {
		errno = EBADF;
		return -1;
	}
	if (sig < 0 || sig > 64) {
		errno = EINVAL;
		return -1;
	}
	pid_t pid = pidfd_pid[pidfd];
	if (fake_dead(pid)) {
		errno = ESRCH;
		return -1;
	}
	signals++;
	/* The invented process dies: its /proc directory goes away until the next
	 * fuzz_sandbox_reset(), so exits, restarts and polling are exercised. */
	if (sig_terminates(sig) && n_dead < sizeof(dead) / sizeof(dead[0])) {
		char from[300], to[300];
		snprintf(from, sizeof(from), "%s/%d", root, (int)pid);
		snprintf(to, sizeof(to), "%s/.dead-%d", root, (int)pid);
		if (rename(from, to) < 0)
			DIE("rename %s: %s", from, strerror(errno));
		dead[n_dead++] = pid;
	}
	return 0;
}

void fuzz_sandbox_reset(void)
{
	while (n_dead > 0) {
		char from[300], to[300];
		pid_t pid = dead[--n_dead];
		snprintf(from, sizeof(from), "%s/.dead-%d", root, (int)pid);
		snprintf(to, sizeof(to), "%s/%d", root, (int)pid);
		if (rename(from, to) < 0)
			DIE("rename %s: %s", from, strerror(errno));
	}
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0)
		DIE("cannot write %s: %s", path, strerror(errno));
}

static void make_proc(const struct fake_proc *p)
{
	char dir[512], buf[2048], nsdir[600], link_from[600], nspid[32];
	size_t n;

	snprintf(dir, sizeof(dir), "%s/%d", root, (int)p->pid);
	if (mkdir(dir, 0755) < 0)
		DIE("mkdir %s: %s", dir, strerror(errno));

	/* Fields as proc(5) numbers them: pid comm state ppid pgrp session tty_nr
	 * tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
	 * priority nice num_threads itrealvalue starttime vsize rss. */
	n = (size_t)snprintf(buf, sizeof(buf),
			     "%d (%s) %c %d %d %d 0 -1 %u 0 0 0 0 0 0 0 0 20 0 1 0 %llu 1000 10\n",
			     (int)p->pid, p->comm, p->state, (int)p->ppid, (int)p->session,
			     (int)p->session, p->flags, p->starttime);
	write_file(dir, "stat", buf, n);

	if (p->nspid)
		snprintf(nspid, sizeof(nspid), "%s", p->nspid);
	else
		snprintf(nspid, sizeof(nspid), "%d", (int)p->pid);

	n = (size_t)snprintf(
		buf, sizeof(buf),
		"Name:\t%s\nUmask:\t0022\nState:\t%c\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		"PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
		"NSpid:\t%s\n",
		p->comm, p->state, (int)p->pid, (int)p->pid, (int)p->ppid, p->uid, p->uid, p->uid,
		p->uid, p->uid, p->uid, p->uid, p->uid, nspid);
	write_file(dir, "status", buf, n);

	n = strlen(p->cmdline);
	memcpy(buf, p->cmdline, n);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '|')
			buf[i] = '\0';
	if (n)
		buf[n++] = '\0';
	write_file(dir, "cmdline", buf, n);

	n = (size_t)snprintf(buf, sizeof(buf), "%s\n", p->cgroup);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '|')
			buf[i] = '\n';
	write_file(dir, "cgroup", buf, n);

	/* The pid namespace is known by the inode of ns/pid: hard links share it. */
	snprintf(nsdir, sizeof(nsdir), "%s/ns", dir);
	if (mkdir(nsdir, 0755) < 0)
		DIE("mkdir %s: %s", nsdir, strerror(errno));
	snprintf(link_from, sizeof(link_from), "%s/.pidns-%s", root,
		 p->container ? "container" : "host");
	snprintf(nsdir, sizeof(nsdir), "%s/ns/pid", dir);
	if (link(link_from, nsdir) < 0)
		DIE("link %s: %s", nsdir, strerror(errno));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_root(void)
{
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A crash ends the process without atexit(): remove the trees of fuzzers that
 * are gone (their pid is in the name). */
static void remove_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int pid;
		char rest[16];
		if (sscanf(de->d_name, "faultline-fuzz-proc.%d.%15s", &pid, rest) != 2 ||
		    pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(root, sizeof(root), "%s/%s", tmp, de->d_name);
		remove_root();
	}
	closedir(d);
}

static void make_fake_proc(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	remove_stale(tmp);
	snprintf(root, sizeof(root), "%s/faultline-fuzz-proc.%d.XXXXXX", tmp, (int)getpid());
	if (!mkdtemp(root))
		DIE("mkdtemp: %s", strerror(errno));
	atexit(remove_root);
	write_file(root, ".pidns-host", "", 0);
	write_file(root, ".pidns-container", "", 0);
	for (size_t i = 0; i < sizeof(fake_procs) / sizeof(fake_procs[0]); i++)
		make_proc(&fake_procs[i]);
	procfs_set_root(root);
}

static void add_rule(scmp_filter_ctx ctx, int syscall_nr, unsigned n,
		     const struct scmp_arg_cmp *cmp)
{
	int r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), syscall_nr, n, cmp);
	if (r < 0)
		DIE("seccomp_rule_add(%d): %s", syscall_nr, strerror(-r));
}

static void install_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	struct scmp_arg_cmp other_process = SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)getpid());
	struct scmp_arg_cmp netlink = SCMP_A0(SCMP_CMP_EQ, AF_NETLINK);

	if (!ctx)
		DIE("seccomp_init failed");
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0)
		DIE("cannot ask seccomp to cover every thread");
	add_rule(ctx, SCMP_SYS(pidfd_send_signal), 0, NULL);
	add_rule(ctx, SCMP_SYS(pidfd_open), 0, NULL);
	add_rule(ctx, SCMP_SYS(tkill), 0, NULL);
	add_rule(ctx, SCMP_SYS(kill), 1, &other_process);
	add_rule(ctx, SCMP_SYS(tgkill), 1, &other_process);
	add_rule(ctx, SCMP_SYS(rt_sigqueueinfo), 1, &other_process);
	add_rule(ctx, SCMP_SYS(rt_tgsigqueueinfo), 1, &other_process);
	add_rule(ctx, SCMP_SYS(openat2), 0, NULL);
	add_rule(ctx, SCMP_SYS(socket), 1, &netlink);
	add_rule(ctx, SCMP_SYS(setns), 0, NULL);
	add_rule(ctx, SCMP_SYS(unshare), 0, NULL);
	int r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		DIE("cannot load the seccomp filter (%s): refusing to fuzz the injector "
		    "without it",
		    strerror(-r));
}

static void self_check(void)
{
	const struct fake_proc *p = fake_find(4000010);
	uint64_t before = signals;

	/* Layer 3: the kernel refuses, whatever the libraries call. */
	if (syscall(SYS_pidfd_send_signal, -1, 0, NULL, 0) != -1 || errno != EPERM)
		DIE("seccomp does not refuse pidfd_send_signal (errno %d)", errno);
	if (syscall(SYS_kill, 1, 0) != -1 || errno != EPERM)
		DIE("seccomp does not refuse kill() of another process (errno %d)", errno);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd >= 0 || errno != EPERM)
		DIE("seccomp does not refuse netlink sockets (errno %d)", errno);
	/* Layers 1 and 2: the injector's own signalling path reaches the stub and
	 * reads the fake /proc. */
	int r = proc_target_signal(p->pid, p->starttime, SIGCONT);
	if (r != 0 || signals != before + 1)
		DIE("the injector's signals do not reach the stub (%d, %s)", r, strerror(-r));
	if (proc_target_signal(12345, 0, SIGCONT) != -ESRCH || signals != before + 1)
		DIE("a pid outside the fake /proc was not refused");
	struct proc_stat st;
	if (proc_target_signal(p->pid, p->starttime, SIGKILL) != 0 ||
	    procfs_read_stat(p->pid, &st) != -ESRCH)
		DIE("a killed invented process is still in the fake /proc");
	fuzz_sandbox_reset();
	if (procfs_read_stat(p->pid, &st) != 0)
		DIE("fuzz_sandbox_reset() did not bring the invented process back");
}

void fuzz_sandbox_init(void)
{
	if (initialized)
		return;
	make_fake_proc();
	install_seccomp();
	initialized = true;
	self_check();
}
