/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "cmd.h"

int cmd_status(int argc, char **argv)
{
	fprintf(stderr, "faultline status: not implemented yet\n");
	return EXIT_USAGE;
}

int cmd_revert(int argc, char **argv)
{
	fprintf(stderr, "faultline revert: not implemented yet\n");
	return EXIT_USAGE;
}

int cmd_recover(int argc, char **argv)
{
	fprintf(stderr, "faultline recover: not implemented yet\n");
	return EXIT_USAGE;
}
