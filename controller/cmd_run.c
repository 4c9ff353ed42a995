/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "cmd.h"

int cmd_run(int argc, char **argv)
{
	fprintf(stderr, "faultline run: not implemented yet\n");
	return EXIT_USAGE;
}
