/* SPDX-License-Identifier: Apache-2.0 */
#include "recovery.h"

#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>

#include "fault.h"
#include "log.h"
#include "macro.h"
#include "procfs.h"

static int undo_record(const json_t *record, void *userdata)
{
	const char *fault = json_string_value(json_object_get(record, "fault"));
	const char *kind = json_string_value(json_object_get(record, "kind"));
	const char *rec = json_string_value(json_object_get(record, "rec"));
	const json_t *data = json_object_get(record, "data");
	const struct fault_ops *ops = kind ? fault_ops_find(kind) : NULL;
	char err[512] = "";

	if (!ops) {
		log_error("journal: fault %s has unknown kind \"%s\"; cannot undo it",
			  fault ? fault : "?", kind ? kind : "?");
		return -EINVAL;
	}
	int r = ops->revert(data, NULL, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "recovery: cannot revert fault %s (%s): %s",
				       fault ? fault : "?", kind, err);
	log_info("recovery: fault %s (%s) reverted from its %s record", fault ? fault : "?", kind,
		 rec ? rec : "?");
	return 0;
}

int recovery_replay(const char *state_dir, struct journal_recovery_stats *ret_stats)
{
	struct journal_recovery_stats stats = { 0 };
	int r = journal_recover(state_dir, undo_record, NULL, &stats);

	if (stats.torn)
		log_warning("recovery: skipped %u torn journal record(s) left by a crash",
			    stats.torn);
	if (stats.journals)
		log_info("recovery: %u orphan journal(s), %u fault(s) reverted, %u failed",
			 stats.journals, stats.undone, stats.failed);
	if (ret_stats)
		*ret_stats = stats;
	return r;
}

unsigned recovery_signal_other_instances(const char *state_dir, pid_t self)
{
	int pids[64];
	unsigned signalled = 0;
	int n = journal_live_instances(state_dir, pids, ARRAY_SIZE(pids));

	for (int i = 0; i < n; i++) {
		struct proc_stat st;
		if (pids[i] == self)
			continue;
		/* The journal's name gives the pid; check it is still an injector before
		 * signalling, in case the pid was reused. */
		_cleanup_close_ int fd = pidfd_open(pids[i], 0);
		if (fd < 0 || procfs_read_stat(pids[i], &st) < 0 || !streq(st.comm, "faultlined"))
			continue;
		if (pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0) {
			log_info("asked injector pid %d to revert its faults and exit", pids[i]);
			signalled++;
		}
	}
	return signalled;
}
