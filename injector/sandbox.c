/* SPDX-License-Identifier: Apache-2.0 */
#include "sandbox.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"
#include "macro.h"

/* What the faults need, and why (docs/security.md has the table):
 * - CAP_KILL: signal processes of any user (process.kill, process.pause)
 * - CAP_NET_ADMIN: qdiscs over netlink (network); the process connector
 *   (restart detection) and its larger receive buffer
 * - CAP_SYS_ADMIN: setns into a target's network namespace; kept permitted but not
 *   effective, and raised only in the short-lived thread that calls setns
 * - CAP_SYS_PTRACE: read /proc/PID/ns/pid and /proc/PID/exe of other users'
 *   processes (pid namespaces, recognising injectors by executable)
 * - CAP_DAC_OVERRIDE: write cgroup files (cgroup.freeze) a cgroup delegation
 *   may have given to another owner */
static const cap_value_t kept[] = {
	CAP_KILL, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_OVERRIDE,
};

const char *sandbox_kept_capabilities(void)
{
	return "cap_kill,cap_net_admin,cap_sys_ptrace,cap_dac_override=ep cap_sys_admin=p";
}

/* Capabilities are per thread: cap_set_proc() changes the calling thread only. */
static int set_sys_admin_effective(cap_flag_value_t value)
{
	static const cap_value_t sys_admin[] = { CAP_SYS_ADMIN };
	cap_t caps = cap_get_proc();
	int r = 0;

	if (!caps)
		return negative_errno();
	if (cap_set_flag(caps, CAP_EFFECTIVE, 1, sys_admin, value) < 0 || cap_set_proc(caps) < 0)
		r = negative_errno();
	cap_free(caps);
	return r;
}

int sandbox_thread_raise_sys_admin(void)
{
	cap_flag_value_t permitted = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return negative_errno();
	(void)cap_get_flag(caps, CAP_SYS_ADMIN, CAP_PERMITTED, &permitted);
	cap_free(caps);
	/* Not root (tests, or a process that never dropped): nothing to raise; the
	 * setns that follows says EPERM itself. */
	if (permitted != CAP_SET)
		return 0;
	return set_sys_admin_effective(CAP_SET);
}

int sandbox_thread_lower_sys_admin(void)
{
	return set_sys_admin_effective(CAP_CLEAR);
}

int sandbox_drop_capabilities(void)
{
	cap_t caps = NULL;
	int r = 0;

	if (!CAP_IS_SUPPORTED(CAP_SETPCAP) || prctl(PR_CAPBSET_READ, CAP_SETPCAP) != 1) {
		log_warning("cannot drop capabilities here (no CAP_SETPCAP in the bounding set)");
		return 0;
	}
	/* Empty the bounding set of everything not kept, so that nothing we exec
	 * (we exec nothing today) could ever gain it back. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		bool keep = false;
		for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
			keep = keep || kept[i] == c;
		if (!keep && prctl(PR_CAPBSET_READ, c) == 1 && cap_drop_bound(c) < 0)
			return log_debug_errno(
				errno, "cannot drop capability %d from the bounding set", (int)c);
	}
	/* CAP_SYS_ADMIN is the broadest of the five: permitted, so that the
	 * namespace thread can raise it, but not effective anywhere else. */
	static const cap_value_t sys_admin[] = { CAP_SYS_ADMIN };
	caps = cap_init();
	if (!caps)
		return -ENOMEM;
	if (cap_set_flag(caps, CAP_PERMITTED, (int)ARRAY_SIZE(kept), kept, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, (int)ARRAY_SIZE(kept), kept, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 1, sys_admin, CAP_CLEAR) < 0 ||
	    cap_set_proc(caps) < 0)
		r = negative_errno();
	cap_free(caps);
	if (r < 0)
		return r;
	/* No ambient capabilities, and no way back through setuid binaries. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return negative_errno();
	return 0;
}
