/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One function per CLI verb. Each takes the verb's own argv (argv[0] is the verb)
 * and returns the process exit code of design.md §6; main.c exits with it.
 */
#pragma once

enum exit_code {
	EXIT_OK = 0, /* every SLO held, or the command succeeded */
	EXIT_SLO_VIOLATED = 1,
	EXIT_USAGE = 2, /* usage error or invalid scenario */
	EXIT_ABORTED = 3, /* aborted by an abort condition or interrupted by the operator */
	EXIT_INFRA = 4, /* the injection or the infrastructure failed */
	EXIT_CLEANUP = 5, /* cleanup failed, and something may be left behind */
};

int cmd_validate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_revert(int argc, char **argv);
int cmd_recover(int argc, char **argv);
