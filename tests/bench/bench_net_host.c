/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_net_host: the network fault's apply + revert, as the injector runs it
 * (validate, apply and revert of net_netem_fault_ops, in process), against tc doing
 * the same work, on a host kernel that has sch_tbf but no sch_netem. Driven by
 * tests/bench/bench_net_host.sh, as root, in a network namespace of its own:
 * every qdisc it adds is on a veth of NETNS, and every one goes again.
 *
 * The injector asks for netem; bench_net_tbf.c turns that into tbf at the netlink
 * socket, and both sides add "tbf rate 1mbit burst 32kbit latency 400ms". What
 * is and is not exercised: docs/performance.md §2.
 *
 *   bench_net_host one NETNS IFNAME ROUNDS CYCLES
 *       per round, CYCLES cycles of each side, one after the other in turns:
 *       faultline's validate + apply, then revert, of a fault on IFNAME, and
 *       "tc -n NETNS qdisc add dev IFNAME root tbf ..." then "tc -n NETNS qdisc del
 *       dev IFNAME root", each a fork/exec.
 *   bench_net_host many NETNS PREFIX COUNT ROUNDS DIR
 *       per round: the fault on PREFIX0 .. PREFIX<COUNT-1> (as faults of at most 50
 *       interfaces: the injector takes 64), applied then reverted, and "tc -n NETNS
 *       -batch" of a file of COUNT add lines then one of COUNT del lines (written
 *       in DIR).
 *
 * A warm-up round comes first and is not counted; which side goes first alternates
 * from round to round. Each round checks both sides on its first cycle, with
 * `tc -n NETNS qdisc show` (untimed): the same tbf (ours with handle fa17:) is
 * there after the apply, and the qdiscs are as before after the revert. A failed
 * check ends the benchmark with status 1: it asserts correctness, never time.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_net_stats.h"
#include "bench_net_tbf.h"
#include "fault.h"
#include "macro.h"
#include "protocol.h"
#include "time_util.h"

#define TC "/usr/sbin/tc"
#define PER_FAULT 50
#define SHOW_MAX (256 * 1024)

extern char **environ;

static const char *netns;
/* The text tc shows after "refcnt N " for the tbf both sides add. */
static char expect_params[128];

/* A tc command line: TC, then "-n NETNS" when the namespace is named. */
struct tc_cmd {
	char *argv[16];
};

static struct tc_cmd tc_cmd(const char *first, ...)
{
	struct tc_cmd c = { .argv = { TC } };
	size_t n = 1;
	va_list ap;

	if (netns) {
		c.argv[n++] = "-n";
		c.argv[n++] = (char *)netns;
	}
	va_start(ap, first);
	for (const char *a = first; a && n < ARRAY_SIZE(c.argv) - 1; a = va_arg(ap, const char *))
		c.argv[n++] = (char *)a;
	va_end(ap);
	return c;
}

/* User + kernel time of ru. */
static uint64_t rusage_ns(const struct rusage *ru)
{
	return (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ULL;
}

/* The process's CPU time, its threads included (the injector's namespace helper
 * threads), its children not. */
static uint64_t self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return rusage_ns(&ru);
}

/* fork/exec of argv, as a tool that shells out to tc does; its CPU time (user +
 * kernel, exec and start-up included) in *ret_cpu_ns. Returns its exit status, or
 * -1. With out, its standard output is read into out (len bytes at most). */
static int run(char *const argv[], uint64_t *ret_cpu_ns, char *out, size_t len)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2] = { -1, -1 }, status;
	struct rusage ru;
	size_t got = 0;
	pid_t pid;
	int r;

	if (out && pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out) {
		close(pipefd[1]);
		for (ssize_t n = 1; r == 0 && n > 0 && got + 1 < len; got += n > 0 ? (size_t)n : 0)
			n = read(pipefd[0], out + got, len - 1 - got);
		out[got] = '\0';
		close(pipefd[0]);
	}
	if (r != 0)
		return -1;
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status))
		return -1;
	if (ret_cpu_ns)
		*ret_cpu_ns = rusage_ns(&ru);
	return WEXITSTATUS(status);
}

/* `tc -n NETNS qdisc show [dev IFNAME]` into out. */
static int show(const char *ifname, char *out, size_t len)
{
	struct tc_cmd c = tc_cmd("qdisc", "show", ifname ? "dev" : NULL, ifname, NULL);

	return run(c.argv, NULL, out, len) == 0 ? 0 : -1;
}

/* In one line of tc's qdisc show ("qdisc tbf fa17: [dev X ]root refcnt 2 rate ..."),
 * the kind, the handle, the device (or "") and what follows "refcnt N ". */
struct shown {
	char kind[16], handle[16], dev[16];
	const char *params;
	size_t params_len;
};

static bool parse_line(const char *line, size_t len, struct shown *ret)
{
	const char *p;
	int k = 0;

	ret->dev[0] = '\0';
	if (sscanf(line, "qdisc %15s %15s %n", ret->kind, ret->handle, &k) != 2 || k == 0)
		return false;
	if (strncmp(line + k, "dev ", 4) == 0 && sscanf(line + k, "dev %15s ", ret->dev) != 1)
		return false;
	p = strstr(line, " refcnt ");
	if (!p || (size_t)(p - line) > len || !strstr(line, " root "))
		return false;
	p += strlen(" refcnt ");
	p += strspn(p, "0123456789");
	p += strspn(p, " ");
	ret->params = p;
	ret->params_len = len - (size_t)(p - line);
	while (ret->params_len && (p[ret->params_len - 1] == ' ' || p[ret->params_len - 1] == '\n'))
		ret->params_len--;
	return true;
}

/* The root of ifname is a tbf with our parameters, and the handle fa17: when
 * ours, the kernel's own (not fa17:) when tc's. */
static bool root_is_tbf(const struct shown *s, bool ours)
{
	return streq(s->kind, "tbf") && streq(s->handle, "fa17:") == ours &&
	       s->params_len == strlen(expect_params) &&
	       strncmp(s->params, expect_params, s->params_len) == 0;
}

/* How many lines of text show our tbf (ours: handle fa17:; tc's: any other) at a
 * root: of PREFIX0 .. PREFIX<count-1>, or, with prefix NULL, lines that name no
 * device (the show of one device). */
static size_t count_tbf(const char *text, const char *prefix, size_t count, bool ours)
{
	size_t found = 0, plen = prefix ? strlen(prefix) : 0;

	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		struct shown s;
		char *tail;
		if (parse_line(line, (size_t)(end - line), &s) && root_is_tbf(&s, ours)) {
			if (!prefix) {
				found += s.dev[0] == '\0';
			} else if (strncmp(s.dev, prefix, plen) == 0 && s.dev[plen] >= '0' &&
				   s.dev[plen] <= '9') {
				unsigned long i = strtoul(s.dev + plen, &tail, 10);
				found += *tail == '\0' && i < count;
			}
		}
		line = *end ? end + 1 : end;
	}
	return found;
}

/* Learns what tc shows for the tbf, adding and deleting it once on ifname,
 * which must then be as before (untimed). */
static int learn_params(const char *ifname)
{
	struct tc_cmd add = tc_cmd("qdisc", "add", "dev", ifname, "root", BENCH_TBF_TC_ARGS, NULL);
	struct tc_cmd del = tc_cmd("qdisc", "del", "dev", ifname, "root", NULL);
	_cleanup_free_ char *before = malloc(4096), *now = malloc(4096);
	struct shown s;

	if (!before || !now || show(ifname, before, 4096) < 0 ||
	    run(add.argv, NULL, NULL, 0) != 0 || show(ifname, now, 4096) < 0)
		return -1;
	if (!parse_line(now, strcspn(now, "\n"), &s) || !streq(s.kind, "tbf") ||
	    s.params_len >= sizeof(expect_params))
		return fprintf(stderr, "tc added no tbf to %s: %s\n", ifname, now), -1;
	memcpy(expect_params, s.params, s.params_len);
	expect_params[s.params_len] = '\0';
	if (run(del.argv, NULL, NULL, 0) != 0 || show(ifname, now, 4096) < 0 || !streq(now, before))
		return fprintf(stderr, "tc left %s changed: %s\n", ifname, now), -1;
	printf("tc shows the tbf as: %s\n", expect_params);
	return 0;
}

/* One fault on names[0..n): validate + apply; the undo state in *ret_undo. */
static int ours_apply(json_t *names, json_t **ret_undo)
{
	const struct fault_context ctx = { .self_pid = getpid() };
	_cleanup_json_ json_t *params =
		json_pack("{s:O, s:s?, s:{s:I}}", "interface", names, "netns", netns, "netem",
			  "delay_ns", (json_int_t)10000000);
	_cleanup_json_ json_t *plan = NULL;
	char err[512];
	int r;

	if (!params)
		return -ENOMEM;
	r = net_netem_fault_ops.validate(params, &ctx, &plan, err, sizeof(err));
	if (r >= 0)
		r = net_netem_fault_ops.apply(plan, ret_undo, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "faultline apply: %s\n", err);
	return r;
}

static int ours_revert(json_t *undo)
{
	char err[512];
	int r = net_netem_fault_ops.revert(undo, NULL, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "faultline revert: %s\n", err);
	return r;
}

/* The time since t0 and the CPU time since c0, added to the cycle's. */
static void account(uint64_t t0, uint64_t c0, uint64_t *wall, uint64_t *cpu)
{
	*wall = now_monotonic_ns() - t0;
	*cpu += self_cpu_ns() - c0;
}

/* One cycle of faultline: the fault on names (one fault per element of faults),
 * applied then reverted. check: after the apply, count_tbf() must find want
 * interfaces; after the revert, the qdiscs must be shown as before. */
static int cycle_ours(json_t **faults, size_t nf, const char *dev, const char *prefix, size_t want,
		      const char *before, bool check, struct cycle *ret)
{
	_cleanup_free_ char *now = check ? malloc(SHOW_MAX) : NULL;
	_cleanup_free_ json_t **undo = calloc(nf, sizeof(*undo));
	struct bench_tbf_stats s0, s1;
	uint64_t t0, c0;
	size_t applied = 0;
	int r = 0, r2;

	if ((check && !now) || !undo)
		return -ENOMEM;
	*ret = (struct cycle){ 0 };
	bench_tbf_stats(&s0);
	c0 = self_cpu_ns();
	t0 = now_monotonic_ns();
	for (; applied < nf && r >= 0; applied += r >= 0)
		r = ours_apply(faults[applied], &undo[applied]);
	account(t0, c0, &ret->first, &ret->cpu);
	if (r >= 0 && check &&
	    (show(dev, now, SHOW_MAX) < 0 || count_tbf(now, prefix, want, true) != want)) {
		fprintf(stderr, "faultline: not every interface has the tbf fa17: after apply:\n%s",
			now);
		r = -EIO;
	}
	c0 = self_cpu_ns();
	t0 = now_monotonic_ns();
	for (size_t f = 0; f < applied; f++) {
		r2 = ours_revert(undo[f]);
		r = r < 0 ? r : r2;
		json_decref(undo[f]);
	}
	account(t0, c0, &ret->second, &ret->cpu);
	bench_tbf_stats(&s1);
	ret->shim = s1.ns - s0.ns;
	if (r >= 0 && check && (show(dev, now, SHOW_MAX) < 0 || !streq(now, before))) {
		fprintf(stderr, "faultline: the qdiscs are not as before after revert:\n%s", now);
		r = -EIO;
	}
	return r;
}

/* One cycle of tc: add then del (two commands, or two batch files), checked as
 * cycle_ours() is. */
static int cycle_tc(char *const add[], char *const del[], const char *dev, const char *prefix,
		    size_t want, const char *before, bool check, struct cycle *ret)
{
	_cleanup_free_ char *now = check ? malloc(SHOW_MAX) : NULL;
	uint64_t t0, cpu = 0;
	int r;

	if (check && !now)
		return -ENOMEM;
	*ret = (struct cycle){ 0 };
	t0 = now_monotonic_ns();
	r = run(add, &ret->cpu, NULL, 0);
	ret->first = now_monotonic_ns() - t0;
	if (r != 0) {
		fprintf(stderr, "tc add failed (%d)\n", r);
		return -EIO;
	}
	if (check &&
	    (show(dev, now, SHOW_MAX) < 0 || count_tbf(now, prefix, want, false) != want)) {
		fprintf(stderr, "tc: not every interface has the tbf after add:\n%s", now);
		r = -EIO;
	}
	t0 = now_monotonic_ns();
	r = run(del, &cpu, NULL, 0) == 0 ? r : -EIO;
	ret->second = now_monotonic_ns() - t0;
	ret->cpu += cpu;
	if (r >= 0 && check && (show(dev, now, SHOW_MAX) < 0 || !streq(now, before))) {
		fprintf(stderr, "tc: the qdiscs are not as before after del:\n%s", now);
		r = -EIO;
	}
	return r;
}

/* What run_rounds() runs: its rounds of both tools, a warm-up round first, the
 * tool going first alternating between rounds. */
struct plan {
	json_t **faults;
	size_t nf;
	char *const *add, *const *del;
	const char *dev, *prefix; /* dev NULL: the whole namespace is shown */
	size_t want;
	size_t rounds, cycles;
};

static int run_rounds(const struct plan *p, struct series *ours, struct series *tc)
{
	_cleanup_free_ char *before = malloc(SHOW_MAX);
	struct cycle c;
	int r;

	if (!before || show(p->dev, before, SHOW_MAX) < 0)
		return -EIO;
	for (size_t round = 0; round <= p->rounds; round++) {
		for (size_t i = 0; i < p->cycles; i++) {
			for (int side = 0; side < 2; side++) {
				bool mine = (side == 0) == (round % 2 == 0);
				bool check = i == 0;
				r = mine ? cycle_ours(p->faults, p->nf, p->dev, p->prefix, p->want,
						      before, check, &c) :
					   cycle_tc(p->add, p->del, p->dev, p->prefix, p->want,
						    before, check, &c);
				if (r < 0)
					return r;
				if (round > 0 && series_add(mine ? ours : tc, &c) < 0)
					return -ENOMEM;
			}
		}
		if (round > 0) {
			series_end_round(ours);
			series_end_round(tc);
		}
	}
	return 0;
}

static int bench_one(const char *ifname, size_t rounds, size_t cycles)
{
	struct tc_cmd add = tc_cmd("qdisc", "add", "dev", ifname, "root", BENCH_TBF_TC_ARGS, NULL);
	struct tc_cmd del = tc_cmd("qdisc", "del", "dev", ifname, "root", NULL);
	_cleanup_json_ json_t *names = json_pack("[s]", ifname);
	struct series ours = { 0 }, tc = { 0 };
	struct plan p = {
		.faults = &names,
		.nf = 1,
		.add = add.argv,
		.del = del.argv,
		.dev = ifname,
		.prefix = NULL,
		.want = 1,
		.rounds = rounds,
		.cycles = cycles,
	};
	char title[160];
	int r;

	if (!names || learn_params(ifname) < 0)
		return -EIO;
	r = run_rounds(&p, &ours, &tc);
	if (r >= 0) {
		snprintf(title, sizeof(title), "one: %s in netns %s, %zu rounds of %zu cycles",
			 ifname, netns ?: "(its own)", rounds, cycles);
		series_report(title, &ours, &tc, "us");
	}
	series_free(&ours);
	series_free(&tc);
	return r;
}

static int write_batch(const char *path, const char *prefix, size_t count, bool add)
{
	_cleanup_fclose_ FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	for (size_t i = 0; i < count; i++)
		if (add)
			fprintf(f,
				"qdisc add dev %s%zu root tbf rate 1mbit burst 32kbit latency 400ms\n",
				prefix, i);
		else
			fprintf(f, "qdisc del dev %s%zu root\n", prefix, i);
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

static int bench_many(const char *prefix, size_t count, size_t rounds, const char *dir)
{
	size_t nf = (count + PER_FAULT - 1) / PER_FAULT;
	char add_path[4096], del_path[4096], first[64], title[160];
	struct tc_cmd add = tc_cmd("-batch", add_path, NULL);
	struct tc_cmd del = tc_cmd("-batch", del_path, NULL);
	_cleanup_free_ json_t **faults = calloc(nf, sizeof(*faults));
	struct series ours = { 0 }, tc = { 0 };
	struct plan p = {
		.faults = faults,
		.nf = nf,
		.add = add.argv,
		.del = del.argv,
		.dev = NULL,
		.prefix = prefix,
		.want = count,
		.rounds = rounds,
		.cycles = 1,
	};
	int r = -ENOMEM;

	snprintf(add_path, sizeof(add_path), "%s/add.tc", dir);
	snprintf(del_path, sizeof(del_path), "%s/del.tc", dir);
	snprintf(first, sizeof(first), "%s0", prefix);
	if (!faults || count == 0)
		return -EINVAL;
	if (write_batch(add_path, prefix, count, true) < 0 ||
	    write_batch(del_path, prefix, count, false) < 0 || learn_params(first) < 0)
		return -EIO;
	for (size_t f = 0; f < nf; f++) {
		faults[f] = json_array();
		if (!faults[f])
			goto out;
		for (size_t i = f * PER_FAULT; i < count && i < (f + 1) * PER_FAULT; i++) {
			char name[64];
			snprintf(name, sizeof(name), "%s%zu", prefix, i);
			if (json_array_append_new(faults[f], json_string(name)) < 0)
				goto out;
		}
	}
	r = run_rounds(&p, &ours, &tc);
	if (r >= 0) {
		snprintf(title, sizeof(title),
			 "many: %s0..%s%zu in netns %s (%zu faults), %zu rounds", prefix, prefix,
			 count - 1, netns ?: "(its own)", nf, rounds);
		series_report(title, &ours, &tc, "ms");
	}
out:
	for (size_t f = 0; f < nf; f++)
		json_decref(faults[f]);
	series_free(&ours);
	series_free(&tc);
	return r;
}

static bool number(const char *s, size_t min, size_t max, size_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/* NETNS is NAME (the benchmark runs outside, and both tools name the namespace:
 * tc -n NAME, "netns": NAME), or in:NAME (it runs inside NAME, through ip netns
 * exec, and both tools use their own namespace, as tc without -n and a fault
 * without netns do). in:NAME is checked, so that the host's interfaces are never
 * the ones changed. */
static int pick_netns(const char *arg)
{
	char path[PATH_MAX];
	struct stat self, want;

	if (strncmp(arg, "in:", 3) != 0) {
		netns = arg;
		return 0;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", arg + 3);
	if (stat("/proc/self/ns/net", &self) < 0 || stat(path, &want) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (self.st_dev != want.st_dev || self.st_ino != want.st_ino) {
		fprintf(stderr, "NETNS %s: I do not run in %s (ip netns exec %s ...)\n", arg, path,
			arg + 3);
		return -EPERM;
	}
	netns = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	size_t a, b;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_tbf_init();
	if (argc == 6 && streq(argv[1], "one") && number(argv[4], 1, 64, &a) &&
	    number(argv[5], 1, 10000, &b)) {
		r = pick_netns(argv[2]);
		if (r >= 0)
			r = bench_one(argv[3], a, b);
	} else if (argc == 7 && streq(argv[1], "many") && number(argv[4], 1, 10000, &a) &&
		   number(argv[5], 1, 64, &b)) {
		r = pick_netns(argv[2]);
		if (r >= 0)
			r = bench_many(argv[3], a, b, argv[6]);
	} else {
		fprintf(stderr, "usage: bench_net_host one NETNS IFNAME ROUNDS CYCLES\n"
				"       bench_net_host many NETNS PREFIX COUNT ROUNDS DIR\n");
		return 2;
	}
	return r < 0 ? 1 : 0;
}
