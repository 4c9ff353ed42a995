/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netem parameters, their TCA_OPTIONS encoding and the psched clock.
 *
 * The layout follows the kernel's net/sched/sch_netem.c: netem_change() reads a
 * struct tc_netem_qopt at the start of TCA_OPTIONS, and parse_attr() parses the
 * attributes that start NLA_ALIGN(sizeof(qopt)) bytes later, with the lenient
 * (deprecated) parser, so NLA_F_NESTED must not and need not be set. Attribute
 * order does not matter to the kernel; we keep tc's (q_netem.c) so that our bytes
 * can be compared with tc's, and append the 64-bit times that tc 6.1 never sends.
 */
#include "net_netem.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "macro.h"
#include "net_nlerr.h"
#include "protocol.h"

#define NSEC_PER_USEC 1000ULL
#define USEC_PER_SEC 1000000ULL

const struct psched psched_default = {
	.t2us = 1000,
	.us2t = 64,
	.clock_res = 1000000,
	.hz = 1000000000,
};

/* ---- parameters ----------------------------------------------------------------- */

void netem_params_init(struct netem_params *p)
{
	*p = (struct netem_params){
		.dist = NETEM_DIST_UNIFORM,
		.limit = NETEM_LIMIT_DEFAULT,
	};
}

uint32_t netem_percent_to_u32(double pct)
{
	if (!(pct > 0)) /* also NaN */
		return 0;
	if (pct >= 100)
		return UINT32_MAX;
	/* Same operations, in the same order, as tc's get_percent(): the result is then
	 * bit for bit tc's. rint() rounds half to even in the default rounding mode,
	 * which this process never changes. */
	return (uint32_t)rint(pct / 100. * UINT32_MAX);
}

/* A percentage field: in range, and not so small that the kernel would see 0. */
static int check_percent(const char *key, double v, char *err, size_t errlen)
{
	if (!isfinite(v) || v < 0 || v > 100) {
		errbuf_set(err, errlen, "%s must be a number from 0 to 100", key);
		return -EINVAL;
	}
	if (v > 0 && netem_percent_to_u32(v) == 0) {
		errbuf_set(err, errlen,
			   "%s %g is below the smallest step netem can express (100/2^32 %%)", key,
			   v);
		return -EINVAL;
	}
	return 0;
}

/* A correlation means nothing without the probability it correlates. */
static int check_pair(const char *base_key, double base, const char *corr_key, double corr,
		      char *err, size_t errlen)
{
	int r = check_percent(base_key, base, err, errlen);
	if (r < 0)
		return r;
	r = check_percent(corr_key, corr, err, errlen);
	if (r < 0)
		return r;
	if (corr > 0 && !(base > 0)) {
		errbuf_set(err, errlen, "%s requires %s", corr_key, base_key);
		return -EINVAL;
	}
	return 0;
}

int netem_params_check(const struct netem_params *p, char *err, size_t errlen)
{
	int r;

	if (p->delay_ns > NETEM_DELAY_MAX_NS) {
		errbuf_set(err, errlen, "delay_ns must be at most %llu (1 hour)",
			   (unsigned long long)NETEM_DELAY_MAX_NS);
		return -EINVAL;
	}
	if (p->jitter_ns > NETEM_JITTER_MAX_NS) {
		errbuf_set(err, errlen,
			   "jitter_ns must be at most %" PRIu64
			   " (about 2.1 s): the kernel caps larger jitter",
			   NETEM_JITTER_MAX_NS);
		return -EINVAL;
	}
	if (p->jitter_ns > 0 && p->delay_ns == 0) {
		errbuf_set(err, errlen, "jitter_ns requires delay_ns");
		return -EINVAL;
	}
	r = check_percent("delay_corr_pct", p->delay_corr, err, errlen);
	if (r < 0)
		return r;
	if (p->delay_corr > 0 && p->jitter_ns == 0) {
		errbuf_set(err, errlen,
			   "delay_corr_pct requires jitter_ns: it correlates the random jitter");
		return -EINVAL;
	}
	if ((unsigned)p->dist >= _NETEM_DIST_MAX) {
		errbuf_set(err, errlen, "unknown distribution %d", (int)p->dist);
		return -EINVAL;
	}
	if (p->dist != NETEM_DIST_UNIFORM && p->jitter_ns == 0) {
		errbuf_set(err, errlen, "distribution requires jitter_ns: it shapes the jitter");
		return -EINVAL;
	}

	r = check_pair("loss_pct", p->loss, "loss_corr_pct", p->loss_corr, err, errlen);
	if (r < 0)
		return r;
	r = check_pair("duplicate_pct", p->duplicate, "duplicate_corr_pct", p->duplicate_corr, err,
		       errlen);
	if (r < 0)
		return r;
	r = check_pair("corrupt_pct", p->corrupt, "corrupt_corr_pct", p->corrupt_corr, err, errlen);
	if (r < 0)
		return r;
	r = check_pair("reorder_pct", p->reorder, "reorder_corr_pct", p->reorder_corr, err, errlen);
	if (r < 0)
		return r;
	/* netem reorders by sending a packet at once while the others wait out the
	 * delay: with no delay there is nothing to overtake. */
	if (p->reorder > 0 && p->delay_ns == 0) {
		errbuf_set(err, errlen,
			   "reorder_pct requires delay_ns: netem reorders by sending some "
			   "packets without the delay");
		return -EINVAL;
	}
	/* Alone, a gap makes the kernel reorder every gap-th packet with probability 1
	 * (its compatibility rule): say what is meant instead. */
	if (p->gap > 0 && !(p->reorder > 0)) {
		errbuf_set(err, errlen, "gap requires reorder_pct");
		return -EINVAL;
	}

	if (p->rate_bytes_per_sec > NETEM_RATE_MAX) {
		errbuf_set(err, errlen, "rate_bytes_per_sec must be at most %llu (2^40)",
			   (unsigned long long)NETEM_RATE_MAX);
		return -EINVAL;
	}
	if (p->limit < 1 || p->limit > NETEM_LIMIT_MAX) {
		errbuf_set(err, errlen, "limit must be from 1 to %u packets", NETEM_LIMIT_MAX);
		return -EINVAL;
	}

	if (p->delay_ns == 0 && !(p->loss > 0) && !(p->duplicate > 0) && !(p->corrupt > 0) &&
	    p->rate_bytes_per_sec == 0) {
		errbuf_set(err, errlen,
			   "no impairment: set at least one of delay_ns, loss_pct, "
			   "duplicate_pct, corrupt_pct, rate_bytes_per_sec");
		return -EINVAL;
	}
	return 0;
}

/* An optional unsigned integer no larger than max (INT64_MAX: any JSON integer). */
static int json_uint(const json_t *obj, const char *key, uint64_t max, uint64_t *ret, char *err,
		     size_t errlen)
{
	int r = protocol_get_uint(obj, key, 0, max, ret);
	if (r < 0 && max == INT64_MAX)
		errbuf_set(err, errlen, "%s must be a non-negative integer", key);
	else if (r < 0)
		errbuf_set(err, errlen, "%s must be an integer from 0 to %" PRIu64, key, max);
	return r;
}

/* An optional percentage: any JSON number here, ranges are netem_params_check()'s. */
static int json_percent(const json_t *obj, const char *key, double *ret, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	/* jansson cannot hold NaN or infinities, but this is the boundary: check. */
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		errbuf_set(err, errlen, "%s must be a number from 0 to 100", key);
		return -EINVAL;
	}
	*ret = json_number_value(v);
	return 1;
}

int netem_params_from_json(const json_t *params, struct netem_params *ret, char *err, size_t errlen)
{
	/*
	 * Trust boundary. These values come from the unprivileged controller and end
	 * up in the kernel's packet scheduler, where a wrong value is not an error
	 * but a different fault: a delay read in the wrong unit, a correlation that
	 * silently does nothing, a jitter the kernel clamps. So every key is known,
	 * every number is range checked, and every combination that the kernel would
	 * ignore or reinterpret is refused with a message that names the key.
	 */
	static const char *const keys[] = {
		"delay_ns",    "jitter_ns",	     "delay_corr_pct", "distribution",
		"loss_pct",    "loss_corr_pct",	     "duplicate_pct",  "duplicate_corr_pct",
		"corrupt_pct", "corrupt_corr_pct",   "reorder_pct",    "reorder_corr_pct",
		"gap",	       "rate_bytes_per_sec", "limit",	       NULL,
	};
	static const struct {
		const char *key;
		size_t offset;
	} percents[] = {
		{ "delay_corr_pct", offsetof(struct netem_params, delay_corr) },
		{ "loss_pct", offsetof(struct netem_params, loss) },
		{ "loss_corr_pct", offsetof(struct netem_params, loss_corr) },
		{ "duplicate_pct", offsetof(struct netem_params, duplicate) },
		{ "duplicate_corr_pct", offsetof(struct netem_params, duplicate_corr) },
		{ "corrupt_pct", offsetof(struct netem_params, corrupt) },
		{ "corrupt_corr_pct", offsetof(struct netem_params, corrupt_corr) },
		{ "reorder_pct", offsetof(struct netem_params, reorder) },
		{ "reorder_corr_pct", offsetof(struct netem_params, reorder_corr) },
	};
	struct netem_params p;
	uint64_t u;
	const char *dist = NULL;
	int r;

	if (!json_is_object(params)) {
		errbuf_set(err, errlen, "netem parameters must be a JSON object");
		return -EINVAL;
	}
	r = protocol_check_keys(params, keys, err, errlen);
	if (r < 0)
		return r;

	netem_params_init(&p);
	/* The JSON ranges only keep values representable; netem_params_check() has
	 * the real bounds and the messages that explain them. */
	r = json_uint(params, "delay_ns", INT64_MAX, &p.delay_ns, err, errlen);
	if (r >= 0)
		r = json_uint(params, "jitter_ns", INT64_MAX, &p.jitter_ns, err, errlen);
	if (r >= 0)
		r = json_uint(params, "rate_bytes_per_sec", INT64_MAX, &p.rate_bytes_per_sec, err,
			      errlen);
	if (r < 0)
		return r;
	r = json_uint(params, "gap", UINT32_MAX, &u, err, errlen);
	if (r < 0)
		return r;
	if (r > 0)
		p.gap = (uint32_t)u;
	r = protocol_get_uint(params, "limit", 1, NETEM_LIMIT_MAX, &u);
	if (r < 0) {
		errbuf_set(err, errlen, "limit must be an integer from 1 to %u packets",
			   NETEM_LIMIT_MAX);
		return r;
	}
	if (r > 0)
		p.limit = (uint32_t)u;

	for (size_t i = 0; i < ARRAY_SIZE(percents); i++) {
		double *field = (double *)((char *)&p + percents[i].offset);
		r = json_percent(params, percents[i].key, field, err, errlen);
		if (r < 0)
			return r;
	}

	r = protocol_get_string(params, "distribution", 32, &dist);
	if (r > 0)
		r = netem_dist_from_string(dist, &p.dist);
	if (r < 0) {
		errbuf_set(err, errlen,
			   "distribution must be one of uniform, normal, pareto, paretonormal");
		return -EINVAL;
	}
	/* Even "uniform": a distribution without jitter is a mistake in the request. */
	if (dist && p.jitter_ns == 0) {
		errbuf_set(err, errlen, "distribution requires jitter_ns: it shapes the jitter");
		return -EINVAL;
	}

	r = netem_params_check(&p, err, errlen);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

/* ---- encoding ------------------------------------------------------------------- */

/* Everything netem_put_options() will write, decided once so that the size and
 * the bytes cannot disagree. */
struct netem_wire {
	struct tc_netem_qopt qopt;
	struct tc_netem_corr corr;
	struct tc_netem_reorder reorder;
	struct tc_netem_corrupt corrupt;
	struct tc_netem_rate rate;
	uint64_t rate64;
	int64_t latency64, jitter64;
	bool has_corr, has_reorder, has_corrupt, has_rate, has_rate64, has_dist;
	bool has_latency64, has_jitter64;
};

static uint32_t saturate_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void netem_wire_build(const struct netem_params *p, const struct psched *ps,
			     struct netem_wire *w)
{
	*w = (struct netem_wire){
		.qopt = {
			/* Kernels since 4.15 take the 64-bit attributes below instead;
			 * older ones saturate here, after about 275 s. */
			.latency = saturate_u32(psched_ns_to_ticks(ps, p->delay_ns)),
			.jitter = saturate_u32(psched_ns_to_ticks(ps, p->jitter_ns)),
			.limit = p->limit,
			.loss = netem_percent_to_u32(p->loss),
			.duplicate = netem_percent_to_u32(p->duplicate),
			.gap = p->gap,
		},
		.corr = {
			.delay_corr = netem_percent_to_u32(p->delay_corr),
			.loss_corr = netem_percent_to_u32(p->loss_corr),
			.dup_corr = netem_percent_to_u32(p->duplicate_corr),
		},
		.reorder = {
			.probability = netem_percent_to_u32(p->reorder),
			.correlation = netem_percent_to_u32(p->reorder_corr),
		},
		.corrupt = {
			.probability = netem_percent_to_u32(p->corrupt),
			.correlation = netem_percent_to_u32(p->corrupt_corr),
		},
		.latency64 = (int64_t)p->delay_ns,
		.jitter64 = (int64_t)p->jitter_ns,
	};

	/* The kernel reorders only while gap > 0; tc turns a bare reorder into gap 1. */
	w->has_reorder = w->reorder.probability != 0;
	if (w->has_reorder && w->qopt.gap == 0)
		w->qopt.gap = 1;
	w->has_corrupt = w->corrupt.probability != 0;
	/* Like tc, whenever any correlation is given, even one that travels in
	 * REORDER or CORRUPT: an all-zero CORR is what the kernel assumes anyway. */
	w->has_corr = w->corr.delay_corr || w->corr.loss_corr || w->corr.dup_corr ||
		      w->reorder.correlation || w->corrupt.correlation;

	w->has_rate = p->rate_bytes_per_sec > 0;
	w->has_rate64 = p->rate_bytes_per_sec > UINT32_MAX;
	w->rate64 = p->rate_bytes_per_sec;
	w->rate.rate = saturate_u32(p->rate_bytes_per_sec);

	w->has_dist = p->dist != NETEM_DIST_UNIFORM;
	w->has_latency64 = p->delay_ns > 0;
	w->has_jitter64 = p->jitter_ns > 0;
}

static size_t netem_wire_size(const struct netem_wire *w)
{
	size_t n = nla_total_size(sizeof(w->qopt));

	n += w->has_corr ? nla_total_size(sizeof(w->corr)) : 0;
	n += w->has_reorder ? nla_total_size(sizeof(w->reorder)) : 0;
	n += w->has_corrupt ? nla_total_size(sizeof(w->corrupt)) : 0;
	n += w->has_rate64 ? nla_total_size(sizeof(w->rate64)) : 0;
	n += w->has_rate ? nla_total_size(sizeof(w->rate)) : 0;
	n += w->has_dist ? nla_total_size(NETEM_DIST_SIZE * sizeof(int16_t)) : 0;
	n += w->has_latency64 ? nla_total_size(sizeof(w->latency64)) : 0;
	n += w->has_jitter64 ? nla_total_size(sizeof(w->jitter64)) : 0;
	return n;
}

size_t netem_options_size(const struct netem_params *p)
{
	struct netem_wire w;

	netem_wire_build(p, &psched_default, &w);
	return netem_wire_size(&w);
}

int netem_put_options(struct nl_msg *msg, const struct netem_params *p, const struct psched *ps)
{
	int16_t table[NETEM_DIST_SIZE];
	struct netem_wire w;
	int r;

	if (!msg || !p)
		return -EINVAL;
	r = netem_params_check(p, NULL, 0);
	if (r < 0)
		return r;
	netem_wire_build(p, ps ? ps : &psched_default, &w);
	if (w.has_dist) {
		r = netem_dist_table(p->dist, table);
		if (r < 0)
			return r;
	}

	/* Check the room first: libnl never grows a message, and a half-written
	 * TCA_OPTIONS must never be sent. */
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	const uint32_t saved_len = hdr->nlmsg_len;
	const size_t start = NLMSG_ALIGN(saved_len);
	const size_t size = netem_wire_size(&w);
	if (size > UINT16_MAX || start + size > nlmsg_get_max_size(msg))
		return -EMSGSIZE;

	/* TCA_OPTIONS starts as an attribute holding only the qopt struct; the
	 * TCA_NETEM_* attributes follow in the message and its length is patched at
	 * the end. nla_reserve() sets no NLA_F_NESTED, matching tc. */
	struct nlattr *opts = nla_reserve(msg, TCA_OPTIONS, sizeof(w.qopt));
	if (!opts) {
		r = -EMSGSIZE;
		goto fail;
	}
	memcpy(nla_data(opts), &w.qopt, sizeof(w.qopt));
	const size_t opts_offset = (size_t)((char *)opts - (char *)hdr);

	r = 0;
	if (r >= 0 && w.has_corr)
		r = nla_put(msg, TCA_NETEM_CORR, sizeof(w.corr), &w.corr);
	if (r >= 0 && w.has_reorder)
		r = nla_put(msg, TCA_NETEM_REORDER, sizeof(w.reorder), &w.reorder);
	if (r >= 0 && w.has_corrupt)
		r = nla_put(msg, TCA_NETEM_CORRUPT, sizeof(w.corrupt), &w.corrupt);
	if (r >= 0 && w.has_rate64)
		r = nla_put(msg, TCA_NETEM_RATE64, sizeof(w.rate64), &w.rate64);
	if (r >= 0 && w.has_rate)
		r = nla_put(msg, TCA_NETEM_RATE, sizeof(w.rate), &w.rate);
	if (r >= 0 && w.has_dist)
		r = nla_put(msg, TCA_NETEM_DELAY_DIST, sizeof(table), table);
	if (r >= 0 && w.has_latency64)
		r = nla_put(msg, TCA_NETEM_LATENCY64, sizeof(w.latency64), &w.latency64);
	if (r >= 0 && w.has_jitter64)
		r = nla_put(msg, TCA_NETEM_JITTER64, sizeof(w.jitter64), &w.jitter64);
	if (r < 0) {
		r = nl_error_to_errno(r);
		goto fail;
	}

	hdr = nlmsg_hdr(msg);
	opts = (struct nlattr *)((char *)hdr + opts_offset);
	opts->nla_len = (uint16_t)(hdr->nlmsg_len - opts_offset);
	return 0;

fail:
	nlmsg_hdr(msg)->nlmsg_len = saved_len;
	return r;
}

/* ---- psched --------------------------------------------------------------------- */

int psched_parse(const char *text, struct psched *ret)
{
	uint32_t field[4] = { 0 };
	unsigned n = 0;
	const char *s = text;

	if (!text)
		return -EINVAL;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		if (n == ARRAY_SIZE(field))
			return -EINVAL;
		/* The kernel prints %08x: at most eight hex digits, no sign, no 0x. */
		uint64_t v = 0;
		unsigned digits = 0;
		for (; isxdigit((unsigned char)*s); s++, digits++) {
			if (digits == 8)
				return -EINVAL;
			int c = tolower((unsigned char)*s);
			v = v * 16 + (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
		}
		if (digits == 0 || (*s != '\0' && !isspace((unsigned char)*s)))
			return -EINVAL;
		field[n++] = (uint32_t)v;
	}
	/* iproute2 reads three fields; kernels since 2.6.23 print a fourth. */
	if (n < 3)
		return -EINVAL;
	if (field[0] == 0 || field[1] == 0 || field[2] == 0)
		return -EINVAL;

	*ret = (struct psched){
		.t2us = field[0],
		.us2t = field[1],
		.clock_res = field[2],
		.hz = field[3],
	};
	return 0;
}

int psched_read_path(const char *path, struct psched *ret)
{
	char buf[128];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	buf[n] = '\0';
	return psched_parse(buf, ret);
}

int psched_read(struct psched *ret)
{
	/* The clock's parameters are fixed at boot (and the same in every netns):
	 * once read, the answer is kept, which saves an open of a proc file on every
	 * apply. A failed read is not kept: the next call tries again. Called from
	 * the event loop's thread only. */
	static struct psched cached;
	static bool have;
	int r;

	if (!have) {
		r = psched_read_path("/proc/net/psched", &cached);
		if (r < 0)
			return r;
		have = true;
	}
	*ret = cached;
	return 0;
}

/* tc_core's rule: with a clock resolution of 1 GHz the kernel advertises t2us for
 * old tools' sake, and the real factor is us2t. */
static uint32_t psched_t2us(const struct psched *ps)
{
	return ps->clock_res == 1000000000U ? ps->us2t : ps->t2us;
}

/* floor(x * m1 * m2 / den), saturated at UINT64_MAX, for den > 0. Callers keep
 * x * m1 below 2^107 and m2 below 2^33; splitting the second product around den
 * then keeps every intermediate below 2^128. */
static uint64_t mul_div(uint64_t x, uint64_t m1, uint64_t m2, unsigned __int128 den)
{
	unsigned __int128 q = (unsigned __int128)x * m1;
	unsigned __int128 t = q / den * m2 + q % den * m2 / den;

	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

uint64_t psched_ns_to_ticks(const struct psched *ps, uint64_t ns)
{
	/* ticks = us * (t2us / us2t) * (clock_res / 1e6), in exact integer arithmetic:
	 * tc's doubles agree for whole microseconds, and we also take nanoseconds. */
	unsigned __int128 den = (unsigned __int128)NSEC_PER_USEC * ps->us2t * USEC_PER_SEC;

	return den ? mul_div(ns, psched_t2us(ps), ps->clock_res, den) : 0;
}

uint64_t psched_ticks_to_ns(const struct psched *ps, uint64_t ticks)
{
	unsigned __int128 den = (unsigned __int128)psched_t2us(ps) * ps->clock_res;

	return den ? mul_div(ticks, NSEC_PER_USEC * ps->us2t, USEC_PER_SEC, den) : 0;
}
