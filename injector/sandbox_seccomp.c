/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The injector's seccomp allow-list. Default deny, killing the process: a
 * syscall outside this list means the injector is doing something it was never
 * meant to, and the journal lets the next start undo whatever it held. In
 * FAULTLINE_SANITIZE builds the default is to log, since the sanitizers' runtimes
 * make syscalls of their own.
 *
 * The list was taken from what the injector does in the whole test suite (strace
 * over every integration test), plus the libc calls its paths can reach, grouped
 * by purpose below. socket() is limited to the address families the faults use.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/socket.h>

#include "macro.h"
#include "sandbox.h"

static const char *const allowed_syscalls[] = {
	/* memory, threads (the netns helper thread), time */
	"brk",
	"mmap",
	"munmap",
	"mremap",
	"mprotect",
	"madvise",
	"clone",
	"clone3",
	"exit",
	"exit_group",
	"futex",
	"set_robust_list",
	"rseq",
	"sched_yield",
	"sched_getaffinity",
	"gettid",
	"getpid",
	"getppid",
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
	"getgroups",
	"clock_gettime",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
	"getrandom",
	"prlimit64",
	"uname",
	"restart_syscall",
	/* files: the journal, /proc, cgroup files, pidfiles */
	"openat",
	"openat2",
	"open",
	"close",
	"close_range",
	"read",
	"pread64",
	"readv",
	"write",
	"pwrite64",
	"writev",
	"lseek",
	"fstat",
	"newfstatat",
	"stat",
	"lstat",
	"statx",
	"fstatfs",
	"statfs",
	"getdents64",
	"readlink",
	"readlinkat",
	"fcntl",
	"flock",
	"fsync",
	"fdatasync",
	"fchmod",
	"ftruncate",
	"unlink",
	"unlinkat",
	"rename",
	"renameat",
	"renameat2",
	"mkdir",
	"mkdirat",
	"fallocate",
	"dup",
	"dup2",
	"dup3",
	"access",
	"faccessat",
	"faccessat2",
	"ioctl",
	"getcwd",
	/* the event loop */
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"signalfd4",
	"timerfd_create",
	"timerfd_settime",
	"timerfd_gettime",
	"poll",
	"ppoll",
	"select",
	"pselect6",
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"sigaltstack",
	"pipe2",
	/* sockets: the daemon socket and its peers, netlink */
	"accept4",
	"bind",
	"listen",
	"connect",
	"getsockopt",
	"setsockopt",
	"getsockname",
	"getpeername",
	"sendto",
	"sendmsg",
	"recvfrom",
	"recvmsg",
	"shutdown",
	"socketpair",
	/* faults: signals through pidfds, network namespaces */
	"pidfd_open",
	"pidfd_send_signal",
	"kill",
	"tgkill",
	"setns",
	/* raising CAP_SYS_ADMIN in the thread that enters a namespace, and only
	 * there (sandbox_thread_raise_sys_admin) */
	"capget",
	"capset",
	/* disk.pressure: its rings (restricted to fixed reads and writes of
	 * registered files; io_uring operations do not pass through seccomp) and the
	 * space its files reserve */
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"fallocate",
	/* shutting down and the controller's own exit */
	"wait4",
	"waitid",
	"prctl",
};

static scmp_filter_ctx build_filter(uint32_t default_action)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (!ctx)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(allowed_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(allowed_syscalls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0) {
			seccomp_release(ctx);
			return NULL;
		}
	}
	/* socket(): unix (the daemon socket, the journal's peers) and netlink
	 * (qdiscs, the process connector) only. */
	static const int families[] = { AF_UNIX, AF_NETLINK };
	for (size_t i = 0; i < ARRAY_SIZE(families); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i])) < 0) {
			seccomp_release(ctx);
			return NULL;
		}
	return ctx;
}

static uint32_t default_action(void)
{
#ifdef FAULTLINE_SANITIZE
	return SCMP_ACT_LOG;
#else
	return SCMP_ACT_KILL_PROCESS;
#endif
}

int sandbox_load_seccomp(void)
{
	scmp_filter_ctx ctx = build_filter(default_action());
	if (!ctx)
		return -ENOMEM;
	int r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}

int sandbox_print_seccomp(FILE *out)
{
	scmp_filter_ctx ctx = build_filter(default_action());
	if (!ctx)
		return -ENOMEM;
	fflush(out);
	int r = seccomp_export_pfc(ctx, fileno(out));
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}
