/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_net_apply: the network fault's apply + revert, as the injector runs it
 * (validate, apply, revert of net_netem_fault_ops, in process), against tc doing
 * the same work. Runs as root in a throwaway machine (tests/bench/bench_net_vm.sh
 * boots one); it changes the qdiscs of the interfaces it is given and restores
 * them.
 *
 *   bench_net_apply one IFNAME N
 *       N cycles of one fault (delay 10ms) on IFNAME, against N cycles of
 *       fork/exec "tc qdisc add dev IFNAME root handle fa17: netem delay 10ms" and
 *       "tc qdisc del dev IFNAME root". Prints the medians and the ratio.
 *   bench_net_apply many PREFIX COUNT N
 *       the same fault on PREFIX0 .. PREFIX<COUNT-1> (as faults of at most 50
 *       interfaces: the injector's limit per fault is 64), applied then reverted,
 *       N times, against "tc -batch" with COUNT add lines, then COUNT del lines.
 *
 * Each side's result is checked (the qdisc is there after apply, gone after
 * revert) on the first round, so a fast failure cannot pass for speed.
 */
#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "time_util.h"

#define TC "/usr/sbin/tc"
#define PER_FAULT 50

extern char **environ;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_us(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2) / 1000.0;
}

static int run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The qdisc show of ifname mentions "fa17:". */
static int has_ours(const char *ifname)
{
	char cmd[128], line[512];
	int found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), TC " qdisc show dev %s", ifname);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		found |= strstr(line, " fa17: ") != NULL;
	pclose(p);
	return found;
}

/* One fault on names[0..n): validate + apply; revert in *undo. */
static int ours_apply(json_t *names, json_t **ret_undo)
{
	const struct fault_context ctx = { .self_pid = getpid() };
	json_t *params = json_pack("{s:O, s:{s:I}}", "interface", names, "netem", "delay_ns",
				   (json_int_t)10000000);
	json_t *plan = NULL;
	char err[512];
	int r;

	r = net_netem_fault_ops.validate(params, &ctx, &plan, err, sizeof(err));
	if (r >= 0)
		r = net_netem_fault_ops.apply(plan, ret_undo, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "apply: %s\n", err);
	json_decref(params);
	json_decref(plan);
	return r;
}

static int ours_revert(json_t *undo)
{
	char err[512];
	int r = net_netem_fault_ops.revert(undo, NULL, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "revert: %s\n", err);
	return r;
}

static int bench_one(const char *ifname, size_t n)
{
	uint64_t *a = calloc(n, sizeof(*a)), *b = calloc(n, sizeof(*b));
	char *add[] = { TC, "qdisc", "add", "dev", (char *)ifname, "root", "handle", "fa17:",
			"netem", "delay", "10ms", NULL };
	char *del[] = { TC, "qdisc", "del", "dev", (char *)ifname, "root", NULL };
	json_t *names = json_pack("[s]", ifname);
	double ma, mb;

	if (!a || !b || !names)
		return 1;
	for (size_t i = 0; i < n; i++) {
		json_t *undo = NULL;
		uint64_t t0 = now_monotonic_ns();
		if (ours_apply(names, &undo) < 0)
			return 1;
		if (i == 0 && has_ours(ifname) != 1) {
			fprintf(stderr, "faultline: no fa17: after apply\n");
			return 1;
		}
		uint64_t t1 = now_monotonic_ns();
		if (ours_revert(undo) < 0)
			return 1;
		a[i] = now_monotonic_ns() - t1 + (t1 - t0);
		json_decref(undo);
		if (i == 0 && has_ours(ifname) != 0) {
			fprintf(stderr, "faultline: fa17: left after revert\n");
			return 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = now_monotonic_ns();
		if (run(add) != 0 || (i == 0 && has_ours(ifname) != 1)) {
			fprintf(stderr, "tc add failed\n");
			return 1;
		}
		uint64_t t1 = now_monotonic_ns();
		if (run(del) != 0) {
			fprintf(stderr, "tc del failed\n");
			return 1;
		}
		b[i] = now_monotonic_ns() - t1 + (t1 - t0);
	}
	ma = median_us(a, n);
	mb = median_us(b, n);
	printf("one: %zu cycles on %s: faultline apply+revert median %.1f us, tc add+del "
	       "median %.1f us, ratio %.1fx\n",
	       n, ifname, ma, mb, mb / ma);
	json_decref(names);
	free(a);
	free(b);
	return 0;
}

static int write_batch(const char *path, const char *prefix, size_t count, bool add)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (add)
			fprintf(f, "qdisc add dev %s%zu root handle fa17: netem delay 10ms\n", prefix,
				i);
		else
			fprintf(f, "qdisc del dev %s%zu root\n", prefix, i);
	return fclose(f);
}

static int bench_many(const char *prefix, size_t count, size_t n)
{
	size_t nf = (count + PER_FAULT - 1) / PER_FAULT;
	uint64_t *a = calloc(n, sizeof(*a)), *b = calloc(n, sizeof(*b));
	json_t **names = calloc(nf, sizeof(*names)), **undo = calloc(nf, sizeof(*undo));
	char last[64], *add[] = { TC, "-batch", "/tmp/bench-add.tc", NULL },
		       *del[] = { TC, "-batch", "/tmp/bench-del.tc", NULL };
	double ma, mb;

	if (!a || !b || !names || !undo || write_batch(add[2], prefix, count, true) < 0 ||
	    write_batch(del[2], prefix, count, false) < 0)
		return 1;
	snprintf(last, sizeof(last), "%s%zu", prefix, count - 1);
	for (size_t f = 0; f < nf; f++) {
		names[f] = json_array();
		for (size_t i = f * PER_FAULT; i < count && i < (f + 1) * PER_FAULT; i++) {
			char name[64];
			snprintf(name, sizeof(name), "%s%zu", prefix, i);
			json_array_append_new(names[f], json_string(name));
		}
	}
	for (size_t r = 0; r < n; r++) {
		uint64_t t0 = now_monotonic_ns();
		for (size_t f = 0; f < nf; f++)
			if (ours_apply(names[f], &undo[f]) < 0)
				return 1;
		if (r == 0 && has_ours(last) != 1)
			return fprintf(stderr, "faultline: %s has no fa17:\n", last), 1;
		uint64_t t1 = now_monotonic_ns();
		for (size_t f = 0; f < nf; f++) {
			if (ours_revert(undo[f]) < 0)
				return 1;
			json_decref(undo[f]);
		}
		a[r] = now_monotonic_ns() - t1 + (t1 - t0);
		if (r == 0 && has_ours(last) != 0)
			return fprintf(stderr, "faultline: fa17: left on %s\n", last), 1;
	}
	for (size_t r = 0; r < n; r++) {
		uint64_t t0 = now_monotonic_ns();
		if (run(add) != 0 || (r == 0 && has_ours(last) != 1))
			return fprintf(stderr, "tc -batch add failed\n"), 1;
		uint64_t t1 = now_monotonic_ns();
		if (run(del) != 0)
			return fprintf(stderr, "tc -batch del failed\n"), 1;
		b[r] = now_monotonic_ns() - t1 + (t1 - t0);
	}
	ma = median_us(a, n);
	mb = median_us(b, n);
	printf("many: %zu interfaces (%zu faults), %zu rounds: faultline apply+revert median "
	       "%.1f ms, tc -batch add+del median %.1f ms, ratio %.2fx\n",
	       count, nf, n, ma / 1000, mb / 1000, mb / ma);
	for (size_t f = 0; f < nf; f++)
		json_decref(names[f]);
	free(names);
	free(undo);
	free(a);
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "one") == 0)
		return bench_one(argv[2], strtoul(argv[3], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "many") == 0)
		return bench_many(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
	fprintf(stderr, "usage: bench_net_apply one IFNAME N | many PREFIX COUNT N\n");
	return 2;
}
