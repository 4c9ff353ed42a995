/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL

/* CLOCK_MONOTONIC in nanoseconds: for deadlines, leases and intervals. */
uint64_t now_monotonic_ns(void);

/* CLOCK_REALTIME in milliseconds since the epoch: for records people read. */
uint64_t now_realtime_ms(void);
