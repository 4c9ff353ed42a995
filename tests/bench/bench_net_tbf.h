/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The netem-to-tbf translation of bench_net_host (bench_net_tbf.c): lets the
 * network fault's own validate, apply and revert run, unchanged, on a kernel that
 * has sch_tbf but no sch_netem. A benchmark seam only: it is linked into the
 * benchmark program alone (with -Wl,--wrap=sendto,--wrap=recvmsg), never into
 * faultlined.
 */
#pragma once

#include <stdint.h>

/* What both sides of the benchmark add: tc's "tbf rate 1mbit burst 32kbit latency
 * 400ms", as tc 6.1 reads it (1mbit = 125,000 bytes per second; 32kbit = 4 KiB,
 * tc's sizes being binary). */
#define BENCH_TBF_RATE 125000U
#define BENCH_TBF_BURST 4096U
#define BENCH_TBF_LATENCY_US 400000U
#define BENCH_TBF_TC_ARGS "tbf", "rate", "1mbit", "burst", "32kbit", "latency", "400ms"

struct bench_tbf_stats {
	uint64_t ns; /* spent translating, both ways (part of faultline's figures) */
	uint64_t requests; /* requests rewritten from netem to tbf */
	uint64_t answers; /* qdiscs in the kernel's answers reported as netem */
};

/* Reads /proc/net/psched (the kernel's default clock if unreadable), to express
 * the burst in the kernel's ticks as tc does. Call once before any fault. */
void bench_tbf_init(void);

/* The counters so far. */
void bench_tbf_stats(struct bench_tbf_stats *ret);
