/* SPDX-License-Identifier: Apache-2.0 */
#include "proc_target.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "macro.h"
#include "proc_targets_json.h"
#include "protocol.h"

static bool proc_runs_our_executable(pid_t pid)
{
	static dev_t self_dev;
	static ino_t self_ino;
	static bool known;
	char path[64];
	struct stat st;

	if (!known) {
		if (stat("/proc/self/exe", &st) < 0)
			return false;
		self_dev = st.st_dev;
		self_ino = st.st_ino;
		known = true;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return stat(path, &st) == 0 && st.st_dev == self_dev && st.st_ino == self_ino;
}

const char *proc_blast_radius_refusal(const struct proc_stat *st, const struct fault_context *ctx)
{
	if (st->pid == 1)
		return "pid 1 (init) is never a target";
	if (st->pid == ctx->self_pid)
		return "the injector itself is never a target";
	/* Another injector holds its own sessions' faults; killing or pausing it
	 * would strand them until its restart. Known by name, or by running our
	 * very executable under another name. */
	if (streq(st->comm, "faultlined") || proc_runs_our_executable(st->pid))
		return "an injector (faultlined) is never a target";
	if (st->pid == ctx->peer_pid || st->pid == ctx->declared_controller_pid)
		return "the controller of this session is never a target";
	/* The shell the operator started the controller from: killing it would take
	 * the controller (and the operator's terminal) down with it. */
	if (st->pid > 1 && (st->pid == ctx->peer_session || st->pid == ctx->controller_session))
		return "the session leader of the controller's terminal is never a target";
	if (proc_stat_is_kernel_thread(st))
		return "kernel threads are never targets";
	return NULL;
}

int proc_target_entry(const json_t *entry, pid_t *ret_pid, uint64_t *ret_starttime)
{
	uint64_t pid, starttime;

	if (protocol_get_uint(entry, "pid", 2, PROC_PID_MAX, &pid) != 1 ||
	    protocol_get_uint(entry, "starttime", 0, INT64_MAX, &starttime) != 1)
		return -EINVAL;
	*ret_pid = (pid_t)pid;
	*ret_starttime = starttime;
	return 0;
}

int proc_target_open(pid_t pid, uint64_t starttime, struct proc_stat *ret_stat)
{
	struct proc_stat st;
	int r;

	_cleanup_close_ int fd = pidfd_open(pid, 0);
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : negative_errno();
	/* The pidfd pins the process now: if /proc still shows the start time we
	 * recorded, the fd refers to the process we chose, not a successor. */
	r = procfs_read_stat(pid, &st);
	if (r < 0)
		return r;
	if (st.starttime != starttime)
		return -ESTALE;
	if (proc_stat_is_dead(&st))
		return -ESRCH;
	if (ret_stat)
		*ret_stat = st;
	return TAKE_FD(fd);
}

int proc_target_signal(pid_t pid, uint64_t starttime, int sig)
{
	_cleanup_close_ int fd = proc_target_open(pid, starttime, NULL);
	if (fd < 0)
		return fd;
	if (pidfd_send_signal(fd, sig, NULL, 0) < 0)
		return negative_errno();
	return 0;
}

int proc_target_signal_entry(const json_t *entry, int sig, char *why, size_t whylen)
{
	const char *comm = json_string_value(json_object_get(entry, "comm"));
	struct proc_stat st;
	pid_t pid;
	uint64_t starttime;

	if (proc_target_entry(entry, &pid, &starttime) < 0) {
		errbuf_set(why, whylen, "malformed target entry");
		return -EINVAL;
	}
	_cleanup_close_ int fd = proc_target_open(pid, starttime, &st);
	if (fd == -ESTALE) {
		struct proc_stat now;
		if (procfs_read_stat(pid, &now) == 0)
			errbuf_set(why, whylen,
				   "pid %d was reused between selection and signal: its start time "
				   "changed from %llu to %llu, so it was not signalled",
				   (int)pid, (unsigned long long)starttime,
				   (unsigned long long)now.starttime);
		else
			errbuf_set(why, whylen, "pid %d changed between selection and signal",
				   (int)pid);
		return fd;
	}
	if (fd < 0) {
		errbuf_set(why, whylen, "pid %d: %s", (int)pid, strerror(-fd));
		return fd;
	}
	/* Same process, but another program: what was selected is gone. */
	if (comm && !streq(comm, st.comm)) {
		errbuf_set(why, whylen,
			   "pid %d changed its name from \"%s\" to \"%s\" between selection and "
			   "signal, so it was not signalled",
			   (int)pid, comm, st.comm);
		return -ESTALE;
	}
	if (pidfd_send_signal(fd, sig, NULL, 0) < 0) {
		int r = negative_errno();
		errbuf_set(why, whylen, "pid %d: %s", (int)pid, strerror(-r));
		return r;
	}
	return 0;
}

static const struct {
	int sig;
	const char *name;
} signal_table[] = {
	{ SIGHUP, "HUP" },   { SIGINT, "INT" },	  { SIGQUIT, "QUIT" }, { SIGABRT, "ABRT" },
	{ SIGKILL, "KILL" }, { SIGUSR1, "USR1" }, { SIGUSR2, "USR2" }, { SIGSEGV, "SEGV" },
	{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" }, { SIGCONT, "CONT" },
	{ SIGSTOP, "STOP" }, { SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" }, { SIGTTOU, "TTOU" },
};

int signal_from_name(const char *name)
{
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
		if (streq(signal_table[i].name, name))
			return signal_table[i].sig;
	return -EINVAL;
}

const char *signal_to_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
		if (signal_table[i].sig == sig)
			return signal_table[i].name;
	return "?";
}

json_t *proc_targets_copy(const json_t *plan)
{
	json_t *targets = json_object_get(plan, "targets");
	if (!json_is_array(targets))
		return NULL;
	return json_deep_copy(targets);
}

char *proc_targets_describe(const char *action, const json_t *state)
{
	json_t *targets = json_object_get(state, "targets");
	size_t n = json_array_size(targets), i;
	json_t *entry;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s %zu process%s:", action, n, n == 1 ? "" : "es");
	json_array_foreach(targets, i, entry) {
		if (i == 8) {
			fprintf(f, " and %zu more", n - i);
			break;
		}
		fprintf(f, "%s %d (%s)", i ? "," : "",
			(int)json_integer_value(json_object_get(entry, "pid")),
			json_string_value(json_object_get(entry, "comm")) ?: "?");
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
