/* SPDX-License-Identifier: Apache-2.0 */
/* faultline: the unprivileged controller. Dispatches to one function per verb. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "macro.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline [--log-level LEVEL] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  validate FILE...        check scenario files; every error as file:line:col\n"
		"  run [OPTIONS] FILE      run a scenario: apply, measure, revert, report\n"
		"  plan [OPTIONS] FILE     dry run: the exact operations and the blast radius\n"
		"  status [OPTIONS]        list the faults the injector holds\n"
		"  revert --all [OPTIONS]  the kill switch: revert every fault of every session\n"
		"  recover [OPTIONS]       replay the injector's journal and undo what is left\n"
		"  version                 print the version\n"
		"\n"
		"Exit codes: 0 ok, 1 SLO violated, 2 usage or invalid scenario, 3 aborted,\n"
		"4 injection or infrastructure failed, 5 cleanup failed.\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} verbs[] = {
		{ "validate", cmd_validate }, { "run", cmd_run },	{ "plan", cmd_plan },
		{ "status", cmd_status },     { "revert", cmd_revert }, { "recover", cmd_recover },
	};
	int i = 1;

	log_set_program("faultline");
	/* A vanished injector must cost an EPIPE, not the controller's life. */
	signal(SIGPIPE, SIG_IGN);
	while (i < argc && argv[i][0] == '-') {
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (streq(argv[i], "--version")) {
			printf("faultline %s\n", FAULTLINE_VERSION);
			return EXIT_OK;
		} else if (streq(argv[i], "--log-level") && i + 1 < argc) {
			enum log_level level;
			if (log_level_from_string(argv[i + 1], &level) < 0) {
				fprintf(stderr, "faultline: unknown log level '%s'\n", argv[i + 1]);
				return EXIT_USAGE;
			}
			log_set_max_level(level);
			i += 2;
		} else {
			fprintf(stderr, "faultline: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (streq(argv[i], "version")) {
		printf("faultline %s\n", FAULTLINE_VERSION);
		return EXIT_OK;
	}
	for (size_t v = 0; v < ARRAY_SIZE(verbs); v++)
		if (streq(argv[i], verbs[v].name))
			return verbs[v].fn(argc - i, argv + i);

	fprintf(stderr, "faultline: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return EXIT_USAGE;
}
