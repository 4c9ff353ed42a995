/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultline plan FILE: the dry run. Every fault of the scenario is resolved by
 * the injector exactly as an apply would be (same checks, same refusals, same
 * selection), and the exact operations and the blast radius are printed. Nothing
 * is changed or journaled.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "diag.h"
#include "injector_client.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "protocol.h"
#include "scenario.h"
#include "time_util.h"

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static long long int_of(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "?";
}

/* The operations of one plan, by kind; returns how many objects it touches. */
static size_t print_operations(const char *kind, const json_t *plan)
{
	size_t i, n = 0;
	json_t *t;

	if (streq(kind, "network") || streq(kind, "network.partition")) {
		json_t *netns = json_object_get(plan, "netns");
		printf("    in netns %s (inode %lld):\n", str_of(netns, "label"),
		       int_of(netns, "inode"));
		const char *root = json_object_get(plan, "filter") ?
					   "prio handle fa17: with netem fa18: on band 4 and u32 "
					   "filters" :
					   "netem handle fa17:";
		json_array_foreach(json_object_get(plan, "interfaces"), i, t) {
			json_t *before = json_object_get(t, "before");
			bool egress = !json_is_false(json_object_get(t, "egress"));
			if (egress && json_is_true(json_object_get(t, "shared")))
				printf("      %s (ifindex %lld): share faultline's prio fa17: at the "
				       "root with the filtered faults already there: slot %lld, "
				       "netem %llx: on band %lld (fa17:%llx), u32 filters at pref "
				       "%lld to %lld; remove them on revert, and the root with the "
				       "last fault\n",
				       str_of(t, "ifname"), int_of(t, "ifindex"), int_of(t, "slot"),
				       int_of(t, "netem_handle") >> 16, int_of(t, "band"),
				       int_of(t, "band"), int_of(t, "slot") * 4 + 1,
				       int_of(t, "slot") * 4 + 4);
			else if (egress && json_object_get(t, "slot"))
				printf("      %s (ifindex %lld): replace root qdisc %s (handle %llx:) "
				       "with prio handle fa17:, slot %lld: netem %llx: on band %lld "
				       "(fa17:%llx) and u32 filters at pref %lld to %lld; restore "
				       "it on revert\n",
				       str_of(t, "ifname"), int_of(t, "ifindex"),
				       str_of(before, "kind"), int_of(before, "handle") >> 16,
				       int_of(t, "slot"), int_of(t, "netem_handle") >> 16,
				       int_of(t, "band"), int_of(t, "band"),
				       int_of(t, "slot") * 4 + 1, int_of(t, "slot") * 4 + 4);
			else if (egress)
				printf("      %s (ifindex %lld): replace root qdisc %s (handle %llx:) "
				       "with %s, restore it on revert\n",
				       str_of(t, "ifname"), int_of(t, "ifindex"),
				       str_of(before, "kind"), int_of(before, "handle") >> 16,
				       root);
			if (json_is_true(json_object_get(t, "ifb_shared")))
				printf("      %s (ifindex %lld): ingress: share faultline's IFB %s, its "
				       "ingress qdisc and redirect with the filtered faults already "
				       "there: slot %lld of its prio fa17:, netem %llx: on band "
				       "%lld, u32 filters at pref %lld to %lld; remove them on "
				       "revert, and the IFB with the last fault\n",
				       str_of(t, "ifname"), int_of(t, "ifindex"), str_of(t, "ifb"),
				       int_of(t, "ifb_slot"), 0xfa18 + int_of(t, "ifb_slot"),
				       4 + int_of(t, "ifb_slot"), int_of(t, "ifb_slot") * 4 + 1,
				       int_of(t, "ifb_slot") * 4 + 4);
			else if (json_object_get(t, "ifb"))
				printf("      %s (ifindex %lld): ingress: create IFB device %s with %s "
				       "at its root, add ingress qdisc ffff: and a mirred redirect "
				       "to it; remove all three on revert\n",
				       str_of(t, "ifname"), int_of(t, "ifindex"), str_of(t, "ifb"),
				       root);
			n++;
		}
		return n;
	}
	if (streq(kind, "disk.throttle")) {
		json_t *move = json_object_get(plan, "move");
		if (move)
			printf("    create cgroup %s and move pid %lld (%s) there from %s; move it "
			       "back and remove the cgroup on revert\n",
			       str_of(plan, "cgroup"), int_of(move, "pid"), str_of(move, "comm"),
			       str_of(move, "from"));
		printf("    set the limits of device %s in cgroup %s (cgroup v%lld), restore the "
		       "previous ones on revert\n",
		       str_of(plan, "device"), str_of(plan, "cgroup"), int_of(plan, "version"));
		return 1;
	}
	if (streq(kind, "disk.fill")) {
		printf("    create %s/%s (%lld bytes) on a filesystem of %lld bytes with %lld "
		       "available; remove it on revert\n",
		       str_of(plan, "path"), str_of(plan, "name"), int_of(plan, "bytes"),
		       int_of(plan, "fs_bytes"), int_of(plan, "avail_before"));
		return 1;
	}
	if (streq(kind, "disk.pressure")) {
		json_array_foreach(json_object_get(plan, "files"), i, t) {
			printf("    create %s/%s (%lld bytes, mode 0600), write it once, then the "
			       "I/O; remove it on revert\n",
			       str_of(plan, "dir"), json_string_value(t) ?: "?",
			       int_of(plan, "size"));
			n++;
		}
		if (json_is_string(json_object_get(plan, "file")))
			printf("    read %s (not ours: only read, never written)\n",
			       str_of(plan, "path"));
		return n;
	}
	if (json_object_get(plan, "cgroup")) {
		printf("    freeze cgroup %s%s\n", str_of(plan, "cgroup"),
		       json_is_true(json_object_get(plan, "was_frozen")) ?
			       " (already frozen: left alone)" :
			       "");
	}
	json_array_foreach(json_object_get(plan, "targets"), i, t) {
		printf("    %s pid %lld comm %s starttime %lld uid %lld cgroup %s%s\n",
		       streq(kind, "process.kill") ? "signal" : "stop", int_of(t, "pid"),
		       str_of(t, "comm"), int_of(t, "starttime"), int_of(t, "uid"),
		       str_of(t, "cgroup"),
		       json_is_true(json_object_get(t, "already_stopped")) ?
			       " (already stopped: left alone)" :
			       "");
		n++;
	}
	if (json_object_get(plan, "targets_total"))
		n = (size_t)int_of(plan, "targets_total");
	return n;
}

int cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "injector", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct injector_spec spec = { .kind = INJECTOR_AUTO };
	struct diag_list diags = { 0 };
	struct injector_client client;
	struct scenario *s = NULL;
	char **argv_storage = NULL;
	bool json_out = false;
	int c, r, code = EXIT_OK;
	size_t processes = 0, interfaces = 0, disks = 0, files = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case 'i':
			free_argv(argv_storage);
			if (injector_spec_parse(optarg, &spec, &argv_storage) < 0) {
				fprintf(stderr,
					"faultline plan: --injector: expected auto, unix:/PATH "
					"or exec:COMMAND\n");
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json_out = true;
			break;
		case 'h':
			printf("Usage: faultline plan [--injector SPEC] [--json] FILE\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "faultline plan: expected exactly one scenario file\n");
		free_argv(argv_storage);
		return EXIT_USAGE;
	}
	if (scenario_load(argv[optind], &s, &diags) < 0) {
		diag_list_print(&diags, stderr);
		diag_list_clear(&diags);
		free_argv(argv_storage);
		return EXIT_USAGE;
	}
	if (!argv_storage) {
		spec.kind = s->transport;
		spec.unix_path = s->unix_path;
		spec.exec_argv = s->exec_argv;
	}
	r = injector_client_open(&client, &spec, 5000, NULL, NULL);
	if (r < 0) {
		log_error("%s", client.error);
		scenario_free(s);
		free_argv(argv_storage);
		return EXIT_INFRA;
	}

	json_t *all = json_array();
	if (!json_out)
		printf("plan for scenario %s (dry run: nothing is changed)\n", s->name);
	for (size_t i = 0; i < s->n_faults; i++) {
		const struct scenario_fault *f = &s->faults[i];
		json_t *result = NULL;
		char at[32], dur[32];
		json_t *fields =
			json_pack("{s:{s:s, s:s, s:I, s:O}}", "fault", "name", f->name, "kind",
				  f->type, "duration_ms", (json_int_t)ns_to_ms_ceil(f->duration_ns),
				  "params", f->params);

		format_duration(s->baseline_ns + f->at_ns, at, sizeof(at));
		format_duration(f->duration_ns, dur, sizeof(dur));
		r = injector_client_call(&client, "plan", fields, CLIENT_CALL_TIMEOUT_MS, &result);
		if (r < 0) {
			code = EXIT_INFRA;
			if (json_out)
				json_array_append_new(all, json_pack("{s:s, s:s}", "name", f->name,
								     "error", client.error));
			else
				printf("\n%s (%s) at +%s for %s: WOULD FAIL: %s:%u:%u: %s\n",
				       f->name, f->type, at, dur, s->path, f->line, f->col,
				       client.error);
			if (r == -EPIPE || r == -ETIMEDOUT)
				break;
			continue;
		}
		if (json_out) {
			json_object_set_new(result, "name", json_string(f->name));
			json_array_append_new(all, result);
			continue;
		}
		printf("\n%s (%s) at +%s for %s: %s\n", f->name, f->type, at, dur,
		       str_of(result, "description"));
		json_t *plan = json_object_get(result, "plan");
		if (json_object_get(plan, "seed"))
			printf("    %lld of %lld matching process(es), seed %lld\n",
			       (long long)(json_object_get(plan, "targets_total") ?
						   int_of(plan, "targets_total") :
						   (long long)json_array_size(
							   json_object_get(plan, "targets"))),
			       int_of(plan, "matched"), int_of(plan, "seed"));
		size_t n = print_operations(f->type, plan);
		if (strncmp(f->type, "network", 7) == 0)
			interfaces += n;
		else if (streq(f->type, "disk.pressure"))
			files += n;
		else if (strncmp(f->type, "disk.", 5) == 0)
			disks += n;
		else
			processes += n;
		json_decref(result);
	}
	if (json_out) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("\nblast radius: %zu process(es), %zu interface(s)", processes, interfaces);
		if (disks)
			printf(", %zu cgroup(s) or filesystem(s)", disks);
		if (files)
			printf(", %zu file(s) created", files);
		printf("%s\n", code == EXIT_OK ? "" : "; some faults would fail (see above)");
	}
	json_decref(all);
	injector_client_close(&client, 10000);
	scenario_free(s);
	free_argv(argv_storage);
	return code;
}
