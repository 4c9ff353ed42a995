/* SPDX-License-Identifier: Apache-2.0 */
/* The operator's verbs: status, revert --all (the kill switch), and recover. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "cmd.h"
#include "injector_client.h"
#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "time_util.h"

struct admin_options {
	struct injector_spec injector;
	char **argv_storage;
	bool all;
	bool json;
};

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static int parse_admin(int argc, char **argv, struct admin_options *o, bool want_all)
{
	static const struct option longopts[] = {
		{ "injector", required_argument, NULL, 'i' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct admin_options){ .injector.kind = INJECTOR_AUTO };
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case 'i':
			free_argv(o->argv_storage);
			if (injector_spec_parse(optarg, &o->injector, &o->argv_storage) < 0) {
				fprintf(stderr,
					"faultline %s: --injector: expected auto, unix:/PATH "
					"or exec:COMMAND\n",
					argv[0]);
				return -EINVAL;
			}
			break;
		case 'a':
			if (!want_all)
				return -EINVAL;
			o->all = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			printf("Usage: faultline %s [--injector SPEC]%s [--json]\n", argv[0],
			       want_all ? " --all" : "");
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "faultline %s: unexpected argument '%s'\n", argv[0], argv[optind]);
		return -EINVAL;
	}
	return 1;
}

/* Opens a session, calls op, prints the result, closes. Returns an exit code. */
static int admin_call(struct admin_options *o, const char *op, json_t **ret_result)
{
	struct injector_client client;
	int r = injector_client_open(&client, &o->injector, 5000, NULL, NULL);

	if (r < 0) {
		log_error("%s", client.error);
		return EXIT_INFRA;
	}
	r = injector_client_call(&client, op, NULL, 30000, ret_result);
	if (r < 0)
		log_error("%s failed: %s", op, client.error);
	injector_client_close(&client, 10000);
	return r < 0 ? EXIT_INFRA : EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	struct admin_options o;
	json_t *result = NULL;
	size_t i;
	json_t *f;

	int r = parse_admin(argc, argv, &o, false);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	int code = admin_call(&o, "status", &result);
	free_argv(o.argv_storage);
	if (code != EXIT_OK)
		return code;

	if (o.json) {
		json_dumpf(result, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		json_t *faults = json_object_get(result, "faults");
		printf("injector pid %lld, %s, state in %s\n",
		       (long long)json_integer_value(json_object_get(result, "pid")),
		       json_string_value(json_object_get(result, "server")) ?: "?",
		       json_string_value(json_object_get(result, "state_dir")) ?: "?");
		printf("%zu active fault(s)\n", json_array_size(faults));
		json_array_foreach(faults, i, f)
			printf("  %-16s %-20s %-14s session %lld, expires in %lld ms: %s\n",
			       json_string_value(json_object_get(f, "fault")) ?: "?",
			       json_string_value(json_object_get(f, "name")) ?: "-",
			       json_string_value(json_object_get(f, "kind")) ?: "?",
			       (long long)json_integer_value(json_object_get(f, "session")),
			       (long long)json_integer_value(json_object_get(f, "expires_in_ms")),
			       json_string_value(json_object_get(f, "description")) ?: "");
	}
	json_decref(result);
	return EXIT_OK;
}

int cmd_revert(int argc, char **argv)
{
	struct admin_options o;
	json_t *result = NULL;

	int r = parse_admin(argc, argv, &o, true);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	if (!o.all) {
		fprintf(stderr, "faultline revert: only --all is supported: it reverts every "
				"fault of every session (the kill switch)\n");
		free_argv(o.argv_storage);
		return EXIT_USAGE;
	}
	if (geteuid() != 0 && o.injector.kind != INJECTOR_EXEC) {
		fprintf(stderr, "faultline revert --all: the kill switch needs root (a session of "
				"your own owns no faults to revert): run it with sudo\n");
		free_argv(o.argv_storage);
		return EXIT_USAGE;
	}
	int code = admin_call(&o, "revert_all", &result);
	free_argv(o.argv_storage);
	if (code != EXIT_OK)
		return code;

	int failed = (int)json_integer_value(json_object_get(result, "failed"));
	if (o.json) {
		json_dumpf(result, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("reverted %lld fault(s)%s; %lld other injector(s) told to revert; %lld "
		       "recovered from journals; %d failed\n",
		       (long long)json_integer_value(json_object_get(result, "reverted")),
		       json_is_true(json_object_get(result, "all_sessions")) ?
			       " of every session" :
			       " of this session only (not root)",
		       (long long)json_integer_value(
			       json_object_get(result, "instances_signalled")),
		       (long long)json_integer_value(json_object_get(result, "recovered")), failed);
	}
	json_decref(result);
	return failed ? EXIT_CLEANUP : EXIT_OK;
}

/* Recovery replays journals that only root can read, so it runs faultlined
 * --recover directly rather than asking a daemon. */
int cmd_recover(int argc, char **argv)
{
	struct admin_options o;
	char bin[PATH_MAX];
	int status;

	int r = parse_admin(argc, argv, &o, false);
	free_argv(o.argv_storage);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	if (geteuid() != 0) {
		fprintf(stderr, "faultline recover: needs root (the journals are root's): run it "
				"with sudo\n");
		return EXIT_USAGE;
	}
	transport_find_injector(bin, sizeof(bin));
	pid_t pid = fork();
	if (pid < 0)
		return log_error_errno(errno, "cannot fork"), EXIT_INFRA;
	if (pid == 0) {
		execlp(bin, bin, "--recover", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return EXIT_INFRA;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
		log_error("cannot run %s --recover", bin);
		return EXIT_INFRA;
	}
	if (WEXITSTATUS(status) != 0) {
		printf("recovery left something in place; see the messages above\n");
		return EXIT_CLEANUP;
	}
	printf("recovery complete: nothing faultline applied is left\n");
	return EXIT_OK;
}
