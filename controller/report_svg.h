/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inline SVG line charts over run time, for the HTML report. No script and no
 * external reference: the chart is plain elements with a fixed viewBox.
 *
 * Machine-readable hooks (tests count them, docs/report.md lists them): the <svg>
 * carries class="chart" and data-chart; each series is a <g class="series"> with
 * data-series and data-points (the number of points drawn); a point is a pair in a
 * <polyline>'s points or, when isolated between gaps, a <circle class="pt">.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A shaded time window (a fault), in seconds from the run's start. */
struct svg_band {
	double x0, x1;
	const char *label;
};

/* A vertical line at x seconds (a phase boundary, the abort, the recovery). */
struct svg_marker {
	double x;
	const char *label;
	const char *css_class; /* "phase", "abort", "recovered" */
};

/* One line: n points (x[i] seconds, y[i]); a NaN or infinite y is a gap. */
struct svg_series {
	const char *name;
	const double *x, *y;
	size_t n;
};

struct svg_chart {
	const char *kind; /* data-chart: "latency", "error_rate", "throughput", "value" */
	const char *title; /* untrusted: escaped */
	const char *y_unit; /* "ms", "%", "/s" or "" */
	double x_max; /* the run's length in seconds */
	const struct svg_band *bands;
	size_t n_bands;
	const struct svg_marker *markers;
	size_t n_markers;
	const struct svg_series *series;
	size_t n_series;
};

/* Writes the chart as one <svg> element. Returns the number of points drawn. */
size_t svg_chart_write(FILE *f, const struct svg_chart *c);
