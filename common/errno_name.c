/* SPDX-License-Identifier: Apache-2.0 */
#include "errno_name.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "macro.h"

#define E(x)                                                                                       \
	{                                                                                          \
		x, #x                                                                              \
	}
static const struct {
	int code;
	const char *name;
} errno_table[] = {
	E(EPERM),     E(ENOENT),       E(ESRCH),	   E(EINTR),	    E(EIO),
	E(ENXIO),     E(E2BIG),	       E(ENOEXEC),	   E(EBADF),	    E(ECHILD),
	E(EAGAIN),    E(ENOMEM),       E(EACCES),	   E(EFAULT),	    E(EBUSY),
	E(EEXIST),    E(EXDEV),	       E(ENODEV),	   E(ENOTDIR),	    E(EISDIR),
	E(EINVAL),    E(ENFILE),       E(EMFILE),	   E(ENOTTY),	    E(EFBIG),
	E(ENOSPC),    E(ESPIPE),       E(EROFS),	   E(EMLINK),	    E(EPIPE),
	E(EDOM),      E(ERANGE),       E(EDEADLK),	   E(ENAMETOOLONG), E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP),	       E(ENOMSG),	   E(ENODATA),	    E(ETIME),
	E(EPROTO),    E(EBADMSG),      E(EOVERFLOW),	   E(EILSEQ),	    E(EUSERS),
	E(ENOTSOCK),  E(EMSGSIZE),     E(EPROTONOSUPPORT), E(EOPNOTSUPP),   E(EADDRINUSE),
	E(ENETDOWN),  E(ECONNRESET),   E(ENOBUFS),	   E(EISCONN),	    E(ENOTCONN),
	E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTUNREACH),	   E(EALREADY),	    E(EINPROGRESS),
	E(ECANCELED), E(EOWNERDEAD),   E(ENOTRECOVERABLE), E(ENOTSUP),	    E(ESTALE),
};
#undef E

const char *errno_name(int err)
{
	if (err == INT_MIN)
		return "EUNKNOWN";
	err = abs(err);
	for (size_t i = 0; i < ARRAY_SIZE(errno_table); i++)
		if (errno_table[i].code == err)
			return errno_table[i].name;
	return "EUNKNOWN";
}

int errno_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_table); i++)
		if (streq(errno_table[i].name, name))
			return errno_table[i].code;
	return 0;
}
