/* SPDX-License-Identifier: Apache-2.0 */
/* faultline run: load, validate, and execute a scenario. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "diag.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "runner.h"
#include "scenario.h"
#include "time_util.h"

static void free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "injector", required_argument, NULL, 'i' },
		{ "heartbeat", required_argument, NULL, 'H' },
		{ "json", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "html", required_argument, NULL, 'T' },
		{ "samples", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct runner_options o = { .heartbeat_ms = 1000, .out = stdout };
	struct diag_list diags = { 0 };
	struct scenario *s = NULL;
	const char *injector_override = NULL;
	char **argv_storage = NULL;
	char err[512];
	uint64_t ns;
	int c, r, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case 'i':
			injector_override = optarg;
			break;
		case 'H':
			if (parse_duration_ns(optarg, &ns, err, sizeof(err)) < 0 ||
			    ns < 100 * NSEC_PER_MSEC || ns > 60 * NSEC_PER_SEC) {
				fprintf(stderr,
					"faultline run: --heartbeat: expected 100ms to 60s\n");
				return EXIT_USAGE;
			}
			o.heartbeat_ms = ns / NSEC_PER_MSEC;
			break;
		case 'j':
			o.json_path = optarg;
			break;
		case 'J':
			o.junit_path = optarg;
			break;
		case 'T':
			o.html_path = optarg;
			break;
		case 'S':
			o.samples_path = optarg;
			break;
		case 'h':
			printf("Usage: faultline run [--injector auto|unix:PATH|exec:CMD] "
			       "[--heartbeat DURATION] [--json FILE] [--junit FILE] [--html FILE] "
			       "[--samples FILE] FILE\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "faultline run: expected exactly one scenario file\n");
		return EXIT_USAGE;
	}

	r = scenario_load(argv[optind], &s, &diags);
	if (r < 0) {
		diag_list_print(&diags, stderr);
		diag_list_clear(&diags);
		return EXIT_USAGE;
	}

	if (injector_override) {
		if (injector_spec_parse(injector_override, &o.injector, &argv_storage) < 0) {
			fprintf(stderr,
				"faultline run: --injector: expected auto, unix:/PATH or "
				"exec:COMMAND, found \"%s\"\n",
				injector_override);
			scenario_free(s);
			return EXIT_USAGE;
		}
	} else {
		o.injector.kind = s->transport;
		o.injector.unix_path = s->unix_path;
		o.injector.exec_argv = s->exec_argv;
	}

	code = runner_run(s, &o);
	free_argv(argv_storage);
	scenario_free(s);
	return code;
}
