/* SPDX-License-Identifier: Apache-2.0 */
/*
 * process.kill against the pid-reuse race. Between selection and signal the pid
 * may come to name another process; the seam at the /proc reader (procfs root)
 * makes /proc report a different start time, or a different comm, for the very
 * process selected. Nothing may be signalled, and the error must say why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "macro.h"
#include "procfs.h"
#include "protocol.h"

struct fixture {
	pid_t child;
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct stat self, now;
	char exe[64];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/faultline-kill-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sleep", "sleep", "600", (char *)NULL);
		_exit(127);
	}
	/* Wait until it runs sleep, not a copy of this test. */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)f->child);
	assert_int_equal(stat("/proc/self/exe", &self), 0);
	for (int i = 0; i < 2000; i++) {
		if (stat(exe, &now) == 0 && now.st_ino != self.st_ino)
			break;
		usleep(1000);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	procfs_set_root(NULL);
	kill(f->child, SIGKILL);
	waitpid(f->child, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Copies the child's real stat line into the fake /proc, with its start time
 * moved by delta or its comm replaced. */
static void fake_stat(struct fixture *f, long long delta, const char *comm)
{
	char path[128], line[1024], out[1200];
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)f->child);
	in = fopen(path, "re");
	assert_non_null(in);
	assert_non_null(fgets(line, sizeof(line), in));
	fclose(in);

	char *close_paren = strrchr(line, ')');
	assert_non_null(close_paren);
	/* Field 22 (starttime) is the 20th after ") ". */
	char *p = close_paren + 2, *fields[64] = { 0 };
	int n = 0;
	for (char *tok = strtok(p, " \n"); tok && n < 64; tok = strtok(NULL, " \n"))
		fields[n++] = tok;
	assert_true(n > 20);
	char start[32];
	snprintf(start, sizeof(start), "%lld", atoll(fields[19]) + delta);
	fields[19] = start;

	size_t off =
		(size_t)snprintf(out, sizeof(out), "%d (%s)", (int)f->child, comm ? comm : "sleep");
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, " %s", fields[i]);
	snprintf(out + off, sizeof(out) - off, "\n");

	snprintf(path, sizeof(path), "%s/%d", f->dir, (int)f->child);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/stat", f->dir, (int)f->child);
	FILE *o = fopen(path, "we");
	assert_non_null(o);
	fputs(out, o);
	fclose(o);
}

static json_t *kill_plan(struct fixture *f)
{
	const struct fault_context ctx = { .self_pid = getpid() };
	json_t *params =
		json_pack("{s:{s:i}, s:s}", "target", "pid", (int)f->child, "signal", "KILL");
	json_t *plan = NULL;
	char err[256] = "";

	assert_int_equal(proc_kill_ops.validate(params, &ctx, &plan, err, sizeof(err)), 0);
	json_decref(params);
	return plan;
}

/* The child is alive and was not signalled: still sleeping, not reaped. */
static void assert_untouched(struct fixture *f)
{
	struct proc_stat st;
	usleep(50000);
	assert_int_equal(waitpid(f->child, NULL, WNOHANG), 0);
	assert_int_equal(procfs_read_stat(f->child, &st), 0);
	assert_int_equal(st.state, 'S');
}

static void test_start_time_changed(void **state)
{
	struct fixture *f = *state;
	_cleanup_json_ json_t *plan = kill_plan(f), *undo = NULL;
	char err[512] = "";

	fake_stat(f, +1, NULL);
	procfs_set_root(f->dir);
	int r = proc_kill_ops.apply(plan, &undo, err, sizeof(err));
	procfs_set_root(NULL);

	assert_int_equal(r, -ESTALE);
	assert_null(undo);
	assert_non_null(strstr(err, "was reused between selection and signal"));
	assert_non_null(strstr(err, "start time changed"));
	assert_non_null(strstr(err, "not signalled"));
	assert_untouched(f);
}

static void test_comm_changed(void **state)
{
	struct fixture *f = *state;
	_cleanup_json_ json_t *plan = kill_plan(f), *undo = NULL;
	char err[512] = "";

	fake_stat(f, 0, "impostor");
	procfs_set_root(f->dir);
	int r = proc_kill_ops.apply(plan, &undo, err, sizeof(err));
	procfs_set_root(NULL);

	assert_int_equal(r, -ESTALE);
	assert_null(undo);
	assert_non_null(strstr(err, "changed its name from \"sleep\" to \"impostor\""));
	assert_untouched(f);
}

/* The control: with /proc telling the truth the same plan kills the child. */
static void test_unchanged_is_signalled(void **state)
{
	struct fixture *f = *state;
	_cleanup_json_ json_t *plan = kill_plan(f), *undo = NULL;
	char err[512] = "";
	int status = 0;

	assert_int_equal(proc_kill_ops.apply(plan, &undo, err, sizeof(err)), 0);
	assert_non_null(undo);
	assert_true(json_is_true(
		json_object_get(json_array_get(json_object_get(undo, "targets"), 0), "signalled")));
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_time_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comm_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_is_signalled, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
