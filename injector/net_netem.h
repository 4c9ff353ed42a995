/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The netem encoding layer: validated parameters in, TCA_OPTIONS bytes out.
 *
 * This file does no socket I/O and knows no interface: the caller owns the
 * RTM_NEWQDISC message and its sending. What it owns is the part that is easy to
 * get subtly wrong:
 *
 *   - the JSON parameters, checked at the privilege boundary;
 *   - netem's TCA_OPTIONS, which is not a standard nested attribute but a
 *     struct tc_netem_qopt followed by TCA_NETEM_* attributes, without
 *     NLA_F_NESTED (the kernel's netem_change()/parse_attr() skip the struct and
 *     parse what follows);
 *   - psched ticks, the unit of the struct's delay fields (1 tick = 64 ns on
 *     current kernels), read from /proc/net/psched.
 *
 * We do not use libnl-route's rtnl_netem (design §7): it cannot express delays in
 * nanoseconds, rates above 4 GB/s or a table it computed itself, and it can call
 * exit(). The bytes match what iproute2's tc sends for the same settings, plus
 * the 64-bit attributes (the tests/data/netem fixtures are captures of tc 6.1).
 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "net_dist.h"

struct nl_msg;

#define NETEM_LIMIT_DEFAULT 1000U /* packets, as tc */
#define NETEM_LIMIT_MAX (1U << 31)
#define NETEM_DELAY_MAX_NS (3600ULL * 1000000000ULL) /* one hour */
/* The kernel caps jitter at INT_MAX ns (tabledist() takes an s32): refuse more
 * rather than apply less than was asked. */
#define NETEM_JITTER_MAX_NS ((uint64_t)INT32_MAX)
#define NETEM_RATE_MAX (1ULL << 40) /* bytes per second, about 8.8 Tbit/s */

/* One netem configuration. Percentages are 0..100; 0 means "not set", as does a
 * 0 delay, jitter, gap or rate. */
struct netem_params {
	uint64_t delay_ns, jitter_ns;
	double delay_corr; /* correlation of successive jitter draws */
	enum netem_dist dist; /* shape of the jitter; uniform by default */
	double loss, loss_corr;
	double duplicate, duplicate_corr;
	double corrupt, corrupt_corr;
	double reorder, reorder_corr; /* share of packets sent at once, without the delay */
	uint32_t gap; /* reorder: 0 means 1, every packet may be reordered */
	uint64_t rate_bytes_per_sec;
	uint32_t limit; /* queue length in packets */
};

/* The kernel's packet scheduler clock, the four hex fields of /proc/net/psched. */
struct psched {
	uint32_t t2us; /* NSEC_PER_USEC on current kernels */
	uint32_t us2t; /* PSCHED_TICKS2NS(1): nanoseconds per tick, 64 */
	uint32_t clock_res; /* 1000000 */
	uint32_t hz; /* NSEC_PER_SEC / hrtimer resolution; 0 if the file has 3 fields */
};

/* What every kernel since 2.6.31 reports: 1 tick = 64 ns. */
extern const struct psched psched_default;

/* Sets p to no impairment, a uniform distribution and the default limit. */
void netem_params_init(struct netem_params *p);

/* Reads the netem part of a network fault's parameters: a JSON object with the
 * optional keys
 *
 *   delay_ns, jitter_ns                     integers, nanoseconds
 *   delay_corr_pct                          number, 0..100
 *   distribution                            "uniform" | "normal" | "pareto" | "paretonormal"
 *   loss_pct, loss_corr_pct                 numbers, 0..100
 *   duplicate_pct, duplicate_corr_pct       numbers, 0..100
 *   corrupt_pct, corrupt_corr_pct           numbers, 0..100
 *   reorder_pct, reorder_corr_pct           numbers, 0..100
 *   gap                                     integer, packets
 *   rate_bytes_per_sec                      integer, bytes (not bits) per second
 *   limit                                   integer, packets, 1..2^31 (default 1000)
 *
 * and nothing else. Returns 0 and fills *ret, or -EINVAL with a message naming
 * the offending key in err (which may be NULL). *ret is untouched on failure. */
int netem_params_from_json(const json_t *params, struct netem_params *ret, char *err,
			   size_t errlen);

/* Checks the rules netem_params_from_json() enforces beyond JSON types: ranges,
 * and settings that mean nothing without another (jitter without delay, a
 * correlation without its probability, ...). Returns 0 or -EINVAL with a message. */
int netem_params_check(const struct netem_params *p, char *err, size_t errlen);

/* A percentage as netem's u32 probability: pct / 100 * UINT32_MAX, rounded to
 * nearest with ties to even, as tc's rint() does (30% is 0x4ccccccc). Values
 * outside 0..100, and NaN, are clamped. */
uint32_t netem_percent_to_u32(double pct);

/* The bytes netem_put_options() appends for p: the whole TCA_OPTIONS attribute,
 * header and padding included. Size messages with it: a distribution table alone
 * is 8 KiB, more than libnl's default message size. p must pass
 * netem_params_check(). */
size_t netem_options_size(const struct netem_params *p);

/* Appends netem's TCA_OPTIONS to msg, an RTM_NEWQDISC request whose struct tcmsg
 * (and TCA_KIND "netem") are already in place:
 *
 *   struct tc_netem_qopt       latency and jitter in ticks (saturated at
 *                              UINT32_MAX), limit, loss, gap, duplicate
 *   TCA_NETEM_CORR             when any correlation is set
 *   TCA_NETEM_REORDER          when reorder is set (the qopt gap is then at least 1)
 *   TCA_NETEM_CORRUPT          when corrupt is set
 *   TCA_NETEM_RATE64           when the rate exceeds UINT32_MAX bytes/s
 *   TCA_NETEM_RATE             when a rate is set (rate ~0U when RATE64 carries it)
 *   TCA_NETEM_DELAY_DIST       the s16 table, unless the distribution is uniform
 *   TCA_NETEM_LATENCY64        the delay in ns, when set (overrides the ticks)
 *   TCA_NETEM_JITTER64         the jitter in ns, when set
 *
 * ps converts to ticks; NULL means psched_default. Returns 0; -EINVAL when p fails
 * netem_params_check(); -EMSGSIZE when msg has less than netem_options_size(p)
 * bytes of room. On failure msg is left exactly as it was. Never blocks.
 *
 * The encoding describes a complete configuration for a new qdisc. On a change of
 * an existing netem the kernel keeps the old value of every attribute that is
 * absent, so replace with delete and add, not with NLM_F_REPLACE. */
int netem_put_options(struct nl_msg *msg, const struct netem_params *p, const struct psched *ps);

/* Parses the contents of /proc/net/psched: three or four hex fields, e.g.
 * "000003e8 00000040 000f4240 3b9aca00\n". Returns 0 and fills *ret, or -EINVAL
 * when the text is malformed or a divisor is 0; *ret is untouched on failure. */
int psched_parse(const char *text, struct psched *ret);

/* Reads and parses /proc/net/psched, or the file at path. Returns 0, -EINVAL if
 * malformed, or the -errno of open/read. psched_read() reads /proc/net/psched once per
 * process (the values are fixed at boot) and answers from that since. */
int psched_read(struct psched *ret);
int psched_read_path(const char *path, struct psched *ret);

/* Nanoseconds to ticks as iproute2's tc_core does (time in us x ticks per us),
 * rounded down and saturated at UINT64_MAX. */
uint64_t psched_ns_to_ticks(const struct psched *ps, uint64_t ns);

/* Ticks to nanoseconds, rounded down and saturated: the inverse, for dumps. */
uint64_t psched_ticks_to_ns(const struct psched *ps, uint64_t ticks);
