/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL

/* Whole milliseconds, rounded up, so that a duration never shrinks to 0 on the
 * wire (the protocol carries milliseconds). */
static inline uint64_t ns_to_ms_ceil(uint64_t ns)
{
	return ns / NSEC_PER_MSEC + (ns % NSEC_PER_MSEC != 0);
}

/* CLOCK_MONOTONIC in nanoseconds: for deadlines, leases and intervals. */
uint64_t now_monotonic_ns(void);

/* CLOCK_REALTIME in milliseconds since the epoch: for records people read. */
uint64_t now_realtime_ms(void);
