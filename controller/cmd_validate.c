/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "cmd.h"

int cmd_validate(int argc, char **argv)
{
	fprintf(stderr, "faultline validate: not implemented yet\n");
	return EXIT_USAGE;
}
