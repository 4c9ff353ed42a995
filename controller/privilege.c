/* SPDX-License-Identifier: Apache-2.0 */
#include "privilege.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "macro.h"

/* SUDO_UID/SUDO_GID name the user who ran sudo; anything else means nobody. */
int privilege_target(uid_t *ret_uid, gid_t *ret_gid)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	char *end;

	if (su && sg && *su && *sg) {
		unsigned long u = strtoul(su, &end, 10);
		if (!*end) {
			unsigned long g = strtoul(sg, &end, 10);
			if (!*end && u > 0 && u < 0xffffffffUL && g < 0xffffffffUL) {
				*ret_uid = (uid_t)u;
				*ret_gid = (gid_t)g;
				return 0;
			}
		}
	}
	struct passwd *pw = getpwnam("nobody");
	*ret_uid = pw ? pw->pw_uid : 65534;
	*ret_gid = pw ? pw->pw_gid : 65534;
	return 0;
}

int privilege_drop(char *who, size_t wholen)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	privilege_target(&uid, &gid);
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return negative_errno();
	/* Make sure it cannot be undone. */
	if (setuid(0) == 0 || geteuid() == 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return negative_errno();
	errbuf_set(who, wholen, "uid %u gid %u", (unsigned)uid, (unsigned)gid);
	return 0;
}
