/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runner: executes a scenario's timeline against an injector. Each fault is
 * applied at baseline + at and reverted after its duration; heartbeats keep the
 * session's lease; Ctrl-C (SIGINT) or SIGTERM reverts everything at once.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "transport.h"

struct runner_options {
	struct injector_spec injector;
	uint64_t heartbeat_ms;
	FILE *out; /* progress lines */
	/* Report files (docs/report.md), or NULL; "-" is stdout. Written atomically at
	 * the end, as the user the controller dropped to. */
	const char *json_path;
	const char *junit_path;
	const char *html_path;
	const char *samples_path;
};

/* Runs s. Blocks until the scenario ends. Returns an exit code of cmd.h. */
int runner_run(const struct scenario *s, const struct runner_options *o);
