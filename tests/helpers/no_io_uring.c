/* SPDX-License-Identifier: Apache-2.0 */
/*
 * no_io_uring ERRNO COMMAND [ARGS...]: runs COMMAND with io_uring_setup() refused
 * with ERRNO (EPERM or ENOSYS) by a seccomp filter, as a container runtime's
 * default profile does. Everything else is allowed. The filter is inherited by
 * every child (the injector the controller spawns).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: no_io_uring EPERM|ENOSYS COMMAND [ARGS...]\n");
		return 2;
	}
	err = strcmp(argv[1], "ENOSYS") == 0 ? ENOSYS : EPERM;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(io_uring_setup), 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0) {
		perror("no_io_uring: cannot load the filter");
		return 1;
	}
	seccomp_release(ctx);
	execvp(argv[2], argv + 2);
	perror("no_io_uring: exec");
	return 127;
}
