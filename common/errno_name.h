/* SPDX-License-Identifier: Apache-2.0 */
/* Symbolic errno names for the wire protocol ("EINVAL"), both ways. */
#pragma once

/* Returns the symbolic name of a positive or negative errno, or "EUNKNOWN" for one
 * outside the table. The string is static. */
const char *errno_name(int err);

/* Returns the positive errno for a name such as "EPERM", or 0 when unknown. */
int errno_from_name(const char *name);
