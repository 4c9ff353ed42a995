/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libnl reports failures as -NLE_* codes (netlink/errno.h), not errno. Everything
 * in faultline speaks -errno, so libnl codes are translated once, at the call
 * that returned them, and never travel further.
 */
#pragma once

/* Maps a libnl error code to a negative errno. Accepts -NLE_* (what libnl returns)
 * or NLE_*; 0 (NLE_SUCCESS) maps to 0, and a code libnl does not define maps to
 * -EIO. Pure; never blocks.
 *
 * The mapping is the inverse of libnl's nl_syserr2nlerr() where that is one to
 * one. libnl folds several errno values into one code (ENOENT and ESRCH become
 * NLE_OBJ_NOTFOUND, ENOMEM and ENOBUFS become NLE_NOMEM, EINVAL, EFAULT and
 * ENOPROTOOPT become NLE_INVAL, EBADF and ENOTSOCK become NLE_BAD_SOCK, EEXIST and
 * EADDRINUSE become NLE_EXIST); the most common member of each group is
 * returned. Any errno libnl does not know arrives as NLE_FAILURE and is returned
 * as -EIO: the kernel's own errno is lost inside libnl by then. */
int nl_error_to_errno(int nle);
