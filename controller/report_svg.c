/* SPDX-License-Identifier: Apache-2.0 */
#include "report_svg.h"

#include <math.h>

#include "report_text.h"

/* Geometry of every chart, in SVG user units. */
#define W 880.0
#define H 240.0
#define ML 64.0 /* left margin: y labels */
#define MR 16.0
#define MT 30.0 /* top margin: title and legend */
#define MB 34.0 /* bottom margin: x labels */
#define PW (W - ML - MR)
#define PH (H - MT - MB)

static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd" };

/* The smallest of 1, 2, 5 x 10^k at or above v (v > 0). */
static double nice_ceil(double v)
{
	double p = pow(10.0, floor(log10(v)));

	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	if (v <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static double px(const struct svg_chart *c, double x)
{
	double v = ML + (c->x_max > 0 ? x / c->x_max : 0) * PW;

	return v < ML ? ML : v > ML + PW ? ML + PW : v;
}

/* The y range [lo, hi] of a chart: from 0 (or below, for negative values) to a
 * round number at or above the largest value. */
struct yrange {
	double lo, hi;
};

static double py(double y, struct yrange r)
{
	return MT + PH - ((y - r.lo) / (r.hi - r.lo)) * PH;
}

static void put_axes(FILE *f, const struct svg_chart *c, struct yrange yr)
{
	double step = c->x_max > 0 ? nice_ceil(c->x_max / 10.0) : 1;

	/* Horizontal grid with y labels: five steps. */
	for (int i = 0; i <= 5; i++) {
		double y = yr.lo + (yr.hi - yr.lo) * i / 5.0;
		fprintf(f,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" />"
			"<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">%g</text>\n",
			ML, py(y, yr), ML + PW, py(y, yr), ML - 6, py(y, yr) + 4, y);
	}
	for (double x = 0; x <= c->x_max + 1e-9; x += step)
		fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%.1f\">%gs</text>\n", px(c, x),
			H - MB + 16, x);
	fprintf(f,
		"<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" />\n"
		"<text class=\"unit\" x=\"%.1f\" y=\"%.1f\">",
		ML, MT, PW, PH, 4.0, MT - 8);
	report_put_xml(f, c->y_unit, false);
	fputs("</text>\n", f);
}

static void put_bands(FILE *f, const struct svg_chart *c)
{
	for (size_t i = 0; i < c->n_bands; i++) {
		const struct svg_band *b = &c->bands[i];
		double x0 = px(c, b->x0), x1 = px(c, b->x1);

		if (x1 - x0 < 2)
			x1 = x0 + 2; /* an instant stays visible */
		fprintf(f,
			"<g class=\"fault\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" /><text x=\"%.1f\" y=\"%.1f\">",
			x0, MT, x1 - x0, PH, x0 + 3, MT + 12 + 12 * (double)(i % 3));
		report_put_xml(f, b->label, false);
		fputs("</text><title>fault ", f);
		report_put_xml(f, b->label, false);
		fprintf(f, ": %.3f s to %.3f s</title></g>\n", b->x0, b->x1);
	}
}

static void put_markers(FILE *f, const struct svg_chart *c)
{
	for (size_t i = 0; i < c->n_markers; i++) {
		const struct svg_marker *m = &c->markers[i];
		double x = px(c, m->x);

		fprintf(f,
			"<g class=\"marker %s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" />",
			m->css_class, x, MT, x, MT + PH);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 3,
			MT + PH - 6 - 12 * (double)(i % 2));
		report_put_xml(f, m->label, false);
		fprintf(f, "</text><title>%.3f s: ", m->x);
		report_put_xml(f, m->label, false);
		fputs("</title></g>\n", f);
	}
}

/* The series as polylines broken at gaps; isolated points as circles. */
static size_t put_series(FILE *f, const struct svg_chart *c, size_t k, struct yrange yr)
{
	const struct svg_series *s = &c->series[k];
	const char *color = palette[k % (sizeof(palette) / sizeof(palette[0]))];
	size_t drawn = 0, i = 0;

	for (size_t j = 0; j < s->n; j++)
		drawn += isfinite(s->y[j]);
	fprintf(f, "<g class=\"series\" data-series=\"");
	report_put_xml(f, s->name, true);
	fprintf(f, "\" data-points=\"%zu\" stroke=\"%s\" fill=\"%s\"><title>", drawn, color, color);
	report_put_xml(f, s->name, false);
	fputs("</title>\n", f);
	while (i < s->n) {
		size_t a, z;

		while (i < s->n && !isfinite(s->y[i]))
			i++;
		a = i;
		while (i < s->n && isfinite(s->y[i]))
			i++;
		z = i;
		if (z - a == 1) {
			fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" />\n",
				px(c, s->x[a]), py(s->y[a], yr));
		} else if (z > a) {
			fputs("<polyline points=\"", f);
			for (size_t j = a; j < z; j++)
				fprintf(f, "%s%.1f,%.1f", j > a ? " " : "", px(c, s->x[j]),
					py(s->y[j], yr));
			fputs("\" />\n", f);
		}
	}
	fputs("</g>\n", f);
	return drawn;
}

static void put_legend(FILE *f, const struct svg_chart *c)
{
	double x = ML + 220;

	for (size_t k = 0; k < c->n_series; k++) {
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\" />",
			x, MT - 19, palette[k % (sizeof(palette) / sizeof(palette[0]))]);
		fprintf(f, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", x + 14, MT - 10);
		report_put_xml(f, c->series[k].name, false);
		fputs("</text>\n", f);
		x += 90;
	}
}

size_t svg_chart_write(FILE *f, const struct svg_chart *c)
{
	struct yrange yr = { 0, 0 };
	size_t drawn = 0;

	for (size_t k = 0; k < c->n_series; k++)
		for (size_t j = 0; j < c->series[k].n; j++) {
			double y = c->series[k].y[j];
			if (isfinite(y) && y > yr.hi)
				yr.hi = y;
			if (isfinite(y) && y < yr.lo)
				yr.lo = y;
		}
	yr.hi = yr.hi > 0 ? nice_ceil(yr.hi) : yr.lo < 0 ? 0 : 1;
	if (yr.lo < 0)
		yr.lo = -nice_ceil(-yr.lo);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"%s\" "
		"viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n<title>",
		c->kind, W, H, W, H);
	report_put_xml(f, c->title, false);
	fputs("</title>\n<text class=\"title\" x=\"64\" y=\"14\">", f);
	report_put_xml(f, c->title, false);
	fputs("</text>\n", f);
	put_bands(f, c);
	put_axes(f, c, yr);
	put_markers(f, c);
	put_legend(f, c);
	for (size_t k = 0; k < c->n_series; k++)
		drawn += put_series(f, c, k, yr);
	fputs("</svg>\n", f);
	return drawn;
}
