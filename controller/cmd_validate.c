/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultline validate FILE...: load every file with the real loader and report
 * every problem as "file:line:col: message" on stderr, or "FILE: ok (N faults)"
 * on stdout. CI runs it over scenarios/; editors can jump to the positions.
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "diag.h"
#include "scenario.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct scenario *, scenario_free);

static void validate_usage(FILE *out)
{
	fprintf(out, "Usage: faultline validate FILE...\n"
		     "\n"
		     "Checks scenario files without contacting an injector. Prints every\n"
		     "problem as file:line:col: message on stderr, or FILE: ok (N faults).\n"
		     "Exit code 0 when every file is valid, 2 otherwise.\n");
}

/* Returns true when path is a valid scenario. */
static bool validate_one(const char *path)
{
	_cleanup_(scenario_freep) struct scenario *s = NULL;
	struct diag_list diags = {};
	int r;

	r = scenario_load(path, &s, &diags);
	if (r < 0) {
		if (diags.n == 0) /* the loader promises a diag; never fail silently */
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
		diag_list_print(&diags, stderr);
		diag_list_clear(&diags);
		return false;
	}
	printf("%s: ok (%zu fault%s)\n", path, s->n_faults, s->n_faults == 1 ? "" : "s");
	diag_list_clear(&diags);
	return true;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool all_valid = true;
	int c;

	optind = 0; /* reset getopt: main.c may have parsed options before the verb */
	opterr = 0; /* its messages would name the program "validate" */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			validate_usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "faultline validate: unknown option '%s'\n",
				argv[optind - 1]);
			validate_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "faultline validate: expected at least one FILE, found none\n");
		validate_usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (!validate_one(argv[i]))
			all_valid = false;
	fflush(stdout);
	return all_valid ? EXIT_OK : EXIT_USAGE;
}
