/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filter bites: a child loads the injector's real allow-list, then
 * makes a call the list forbids. In a normal build the kernel kills it with
 * SIGSYS before the call returns; allowed calls (a netlink socket, the fault
 * syscalls) still work under the same filter. Sanitizer builds only log (their
 * runtimes make syscalls of their own), which this test cannot observe without
 * the audit log, so it skips there and says so.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/netlink.h>

#include "sandbox.h"

enum forbidden_call {
	CALL_NONE, /* only allowed calls: the child must exit 0 */
	CALL_INET_SOCKET,
	CALL_EXECVE,
	CALL_PTRACE,
};

/* Forks a child that loads the filter and makes call. Returns the wait status. */
static int run_child(enum forbidden_call call)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (sandbox_load_seccomp() < 0)
			_exit(90);
		/* Allowed under the filter: what the network faults use. */
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0)
			_exit(91);
		close(fd);
		switch (call) {
		case CALL_NONE:
			break;
		case CALL_INET_SOCKET:
			(void)socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			break;
		case CALL_EXECVE: {
			char *const argv[] = { "/bin/true", NULL };
			execve("/bin/true", argv, NULL);
			break;
		}
		case CALL_PTRACE:
			(void)syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
			break;
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_allowed_calls_survive(void **state)
{
	(void)state;
	int status = run_child(CALL_NONE);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void assert_killed_by_sigsys(enum forbidden_call call)
{
	int status = run_child(call);
	if (!WIFSIGNALED(status))
		fail_msg("the child was not killed: exit status %d", WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_inet_socket_kills(void **state)
{
	(void)state;
	assert_killed_by_sigsys(CALL_INET_SOCKET);
}

static void test_execve_kills(void **state)
{
	(void)state;
	assert_killed_by_sigsys(CALL_EXECVE);
}

static void test_ptrace_kills(void **state)
{
	(void)state;
	assert_killed_by_sigsys(CALL_PTRACE);
}

int main(void)
{
#ifdef FAULTLINE_SANITIZE
	printf("SKIP: sanitizer builds load the filter in log-only mode, which only the audit "
	       "log shows\n");
	return 77;
#endif
	if (geteuid() != 0) {
		/* Without the capability drop's no_new_privs, an unprivileged process
		 * may not load a filter. */
		printf("SKIP: loading the filter needs root here\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_calls_survive),
		cmocka_unit_test(test_inet_socket_kills),
		cmocka_unit_test(test_execve_kills),
		cmocka_unit_test(test_ptrace_kills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
