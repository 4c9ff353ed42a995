/* SPDX-License-Identifier: Apache-2.0 */
#include "net_nlerr.h"

#include <errno.h>
#include <netlink/errno.h>
#include <stdlib.h>

#include "macro.h"

/* Indexed by NLE_* code. Entries left at 0 are codes libnl never defined. */
static const int nle_errno[NLE_MAX + 1] = {
	[NLE_SUCCESS] = 0,
	[NLE_FAILURE] = EIO, /* "Unspecific failure": an errno libnl did not know */
	[NLE_INTR] = EINTR,
	[NLE_BAD_SOCK] = EBADF,
	[NLE_AGAIN] = EAGAIN,
	[NLE_NOMEM] = ENOMEM,
	[NLE_EXIST] = EEXIST,
	[NLE_INVAL] = EINVAL,
	[NLE_RANGE] = ERANGE,
	[NLE_MSGSIZE] = EMSGSIZE,
	[NLE_OPNOTSUPP] = EOPNOTSUPP,
	[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
	[NLE_OBJ_NOTFOUND] = ENOENT,
	[NLE_NOATTR] = ENODATA, /* an attribute the caller asked for is absent */
	[NLE_MISSING_ATTR] = EINVAL,
	[NLE_AF_MISMATCH] = EAFNOSUPPORT,
	[NLE_SEQ_MISMATCH] = EPROTO,
	[NLE_MSG_OVERFLOW] = EOVERFLOW,
	[NLE_MSG_TRUNC] = EMSGSIZE,
	[NLE_NOADDR] = EADDRNOTAVAIL,
	[NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
	[NLE_MSG_TOOSHORT] = EBADMSG,
	[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
	[NLE_OBJ_MISMATCH] = EINVAL,
	[NLE_NOCACHE] = ENOENT,
	[NLE_BUSY] = EBUSY,
	[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
	[NLE_NOACCESS] = EACCES,
	[NLE_PERM] = EPERM,
	[NLE_PKTLOC_FILE] = ENOENT,
	[NLE_PARSE_ERR] = EBADMSG,
	[NLE_NODEV] = ENODEV,
	[NLE_IMMUTABLE] = EPERM,
	[NLE_DUMP_INTR] = EAGAIN, /* the dump changed under us: the caller may retry */
	[NLE_ATTRSIZE] = EINVAL,
};

int nl_error_to_errno(int nle)
{
	/* abs(INT_MIN) is undefined; nothing that large is a libnl code anyway. */
	if (nle == 0)
		return 0;
	if (nle < -NLE_MAX || nle > NLE_MAX)
		return -EIO;
	int code = abs(nle);
	return nle_errno[code] ? -nle_errno[code] : -EIO;
}
