/*
 * test_svgchart.c - server-rendered SVG charts (svgchart.c) and the
 * analytics helpers that feed them (analytics.c): value formatting as
 * tables, "nice" axis ticks, the SVG's accessibility and escaping (every
 * label and series name hostile), no script/style anywhere, empty data,
 * malformed charts refused, and latency-histogram percentiles against
 * exact ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analytics.h"
#include "svgchart.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	enum anx_chart_fmt fmt;
	double v;
	const char *want, *axis;
} fmts[] = {
	{ ANX_FMT_COUNT, 0, "0", "0" },
	{ ANX_FMT_COUNT, 7, "7", "7" },
	{ ANX_FMT_COUNT, 999, "999", "999" },
	{ ANX_FMT_COUNT, 1000, "1,000", "1k" },
	{ ANX_FMT_COUNT, 1500, "1,500", "1.5k" },
	{ ANX_FMT_COUNT, 123456, "123,456", "123.5k" },
	{ ANX_FMT_COUNT, 1000000, "1,000,000", "1M" },
	{ ANX_FMT_COUNT, -4200, "-4,200", "-4.2k" },
	{ ANX_FMT_DURATION, 0.4, "< 1 s", "0.4 s" },
	{ ANX_FMT_DURATION, 45, "45 s", "45 s" },
	{ ANX_FMT_DURATION, 90, "1.5 min", "1.5 min" },
	{ ANX_FMT_DURATION, 1500, "25 min", "25 min" },
	{ ANX_FMT_DURATION, 3600, "1.0 h", "1 h" },
	{ ANX_FMT_DURATION, 8280, "2.3 h", "2.3 h" },
	{ ANX_FMT_DURATION, 86400 * 2.5, "2.5 d", "2.5 d" },
	{ ANX_FMT_PERCENT, 71.5, "71.5 %", "71.5 %" },
	{ ANX_FMT_PERCENT, 100, "100 %", "100 %" },
};

static void
test_format(void **state)
{
	char out[48];

	(void)state;
	for (size_t i = 0; i < NELEM(fmts); i++) {
		assert_string_equal(
			anx_chart_fmt(out, sizeof(out), fmts[i].fmt, fmts[i].v), fmts[i].want);
		if (fmts[i].fmt != ANX_FMT_DURATION || fmts[i].v >= 1)
			assert_string_equal(
				anx_chart_fmt_axis(out, sizeof(out), fmts[i].fmt, fmts[i].v),
				fmts[i].axis);
	}
	assert_string_equal(anx_chart_fmt(out, sizeof(out), ANX_FMT_COUNT, NAN), "\xe2\x80\x93");
}

static const struct {
	enum anx_chart_fmt fmt;
	double max, step, top;
} ticks[] = {
	{ ANX_FMT_COUNT, 0, 1, 1 },
	{ ANX_FMT_COUNT, 3, 1, 3 },
	{ ANX_FMT_COUNT, 9, 5, 10 },
	{ ANX_FMT_COUNT, 730, 200, 800 },
	{ ANX_FMT_COUNT, 1000, 250, 1000 },
	{ ANX_FMT_COUNT, 12345, 5000, 15000 },
	{ ANX_FMT_PERCENT, 0.6, 0.2, 0.6 },
	{ ANX_FMT_COUNT, 90, 25, 100 },
	{ ANX_FMT_DURATION, 50, 15, 60 },
	{ ANX_FMT_DURATION, 3000, 900, 3600 },
	{ ANX_FMT_DURATION, 13000, 3600, 14400 },
	{ ANX_FMT_DURATION, 200000, 86400, 259200 },
};

static void
test_ticks(void **state)
{
	double top;

	(void)state;
	for (size_t i = 0; i < NELEM(ticks); i++) {
		double step = anx_chart_ticks(ticks[i].fmt, ticks[i].max, 4, &top);

		assert_float_equal(step, ticks[i].step, 1e-9);
		assert_float_equal(top, ticks[i].top, 1e-9);
		assert_true(top >= ticks[i].max);
		assert_true(top / step <= 5 + 1e-9);
	}
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The number of "M" (move to) commands in every path's d attribute. */
static int
path_moves(const char *svg)
{
	int n = 0;

	for (const char *p = svg; (p = strstr(p, " d=\"")) != NULL;) {
		for (p += 4; *p && *p != '"'; p++)
			n += *p == 'M';
	}
	return n;
}

/* Nothing a CSP or an HTML parser would object to, and no raw '<' from data. */
static void
assert_clean_svg(const char *svg)
{
	assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, "role=\"img\""));
	assert_non_null(strstr(svg, "aria-labelledby=\""));
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "<style"));
	assert_null(strstr(svg, "style="));
	assert_null(strstr(svg, "javascript:"));
	assert_null(strstr(svg, "onload"));
	assert_null(strstr(svg, "<img"));
	assert_int_equal(count(svg, "<svg"), 1);
	assert_int_equal(count(svg, "</svg>"), 1);
	assert_int_equal(count(svg, "<title"), count(svg, "</title>"));
}

static void
test_bars(void **state)
{
	const char *labels[] = { "Nov 26", "Nov 27", "<script>alert(1)</script>" };
	const char *tips[] = { "Wed 26 Nov", "Thu 27 Nov", "\"><img src=x onerror=alert(1)>" };
	const double a[] = { 10, 0, 5 }, b[] = { 3, NAN, 1 }, c[] = { 0, 2, 0 };
	const struct anx_chart_series s[] = {
		{ "allow", "allow", "#2b8a3e", a },
		{ "deny & <friends>", "deny", NULL, b },
		{ "approval", "approval", "red\" onload=\"x", c },
	};
	struct anx_chart ch = {
		.kind = ANX_CHART_BARS,
		.id = "chart-volume",
		.title = "Evaluations <per> day",
		.desc = "A \"description\" & more",
		.labels = labels,
		.tips = tips,
		.n = 3,
		.series = s,
		.nseries = 3,
		.fmt = ANX_FMT_COUNT,
	};
	struct anx_buf b2;

	(void)state;
	anx_buf_init(&b2, 0);
	assert_int_equal(anx_svg_chart(&b2, &ch), 0);
	assert_clean_svg(b2.data);
	assert_non_null(strstr(b2.data, "aria-labelledby=\"chart-volume-t chart-volume-d\""));
	assert_non_null(strstr(
		b2.data, "<title id=\"chart-volume-t\">Evaluations &lt;per&gt; day</title>"));
	assert_non_null(strstr(b2.data,
		"<desc id=\"chart-volume-d\">A &quot;description&quot; &amp; more</desc>"));
	/* Hostile labels and names come out as text. */
	assert_null(strstr(b2.data, "<script>"));
	assert_non_null(strstr(b2.data, "&lt;script&gt;"));
	assert_non_null(strstr(b2.data, "deny &amp; &lt;friends&gt;"));
	assert_non_null(strstr(b2.data, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
	/* A colour that is not "#hex" falls back to the palette. */
	assert_null(strstr(b2.data, "onload=\"x"));
	/* One rect per positive value (10, 5, 3, 1, 2), each with a tooltip. */
	assert_int_equal(count(b2.data, "<rect class=\"bar "), 5);
	assert_non_null(strstr(b2.data, "<title>Wed 26 Nov \xe2\x80\x94 allow: 10 of 13</title>"));
	assert_non_null(strstr(b2.data, "class=\"bar s-deny\""));
	/* The legend names every series. */
	assert_int_equal(count(b2.data, "<g class=\"legend\""), 1);
	anx_buf_free(&b2);
}

static void
test_line_and_gaps(void **state)
{
	const char *labels[] = { "a", "b", "c", "d" };
	const double m[] = { 60, NAN, 120, 180 }, p[] = { NAN, NAN, NAN, 3600 };
	const struct anx_chart_series s[] = {
		{ "median", "median", NULL, m },
		{ "p90", "p90", NULL, p },
	};
	struct anx_chart ch = {
		.kind = ANX_CHART_LINE,
		.id = "chart-latency",
		.title = "Time to decision",
		.labels = labels,
		.n = 4,
		.series = s,
		.nseries = 2,
		.fmt = ANX_FMT_DURATION,
	};
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_svg_chart(&b, &ch), 0);
	assert_clean_svg(b.data);
	/* The gap at "b" starts a new sub-path. */
	assert_int_equal(count(b.data, "<path "), 2);
	assert_int_equal(path_moves(b.data), 3); /* median: 2 pieces, p90: 1 */
	assert_int_equal(count(b.data, "<circle "), 4);
	assert_non_null(strstr(b.data, "<title>d \xe2\x80\x94 p90: 1.0 h</title>"));
	/* Duration axis labels. */
	assert_non_null(strstr(b.data, ">1 h</text>"));
	anx_buf_free(&b);
}

static void
test_hbar(void **state)
{
	const char *labels[] = { "no-secret-reads",
		"a-rule-with-a-very-long-name-that-will-not-fit-in-the-label-column", "" };
	const double d[] = { 924, 0, 5 }, r[] = { 0, 306, 1 };
	const struct anx_chart_series s[] = {
		{ "denied", "deny", NULL, d },
		{ "rejected", "rejected-human", NULL, r },
	};
	struct anx_chart ch = {
		.kind = ANX_CHART_HBAR,
		.id = "chart-rules",
		.title = "Rejections by rule",
		.labels = labels,
		.n = 3,
		.series = s,
		.nseries = 2,
	};
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_svg_chart(&b, &ch), 0);
	assert_clean_svg(b.data);
	assert_int_equal(count(b.data, "<g class=\"row\">"), 3);
	/* Long labels are cut with an ellipsis; the full one is the tooltip. */
	assert_non_null(strstr(b.data, "\xe2\x80\xa6<title>a-rule-with-a-very-long-name"));
	assert_non_null(strstr(b.data, ">924</text>"));
	assert_non_null(strstr(b.data, ">306</text>"));
	anx_buf_free(&b);
}

static void
test_empty_and_invalid(void **state)
{
	const char *labels[] = { "x", "y" };
	const double z[] = { 0, NAN };
	struct anx_chart_series s = { "allow", "allow", NULL, z };
	struct anx_chart ch = {
		.kind = ANX_CHART_BARS,
		.id = "chart-x",
		.title = "t",
		.labels = labels,
		.n = 2,
		.series = &s,
		.nseries = 1,
	};
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_svg_chart(&b, &ch), 0);
	assert_non_null(strstr(b.data, "No data for this period"));
	assert_null(strstr(b.data, "<rect class=\"bar"));
	anx_buf_reset(&b);
	ch.kind = ANX_CHART_HBAR;
	ch.n = 0;
	assert_int_equal(anx_svg_chart(&b, &ch), 0);
	assert_non_null(strstr(b.data, "No data for this period"));
	anx_buf_reset(&b);

	/* Refused: ids and classes outside [a-z0-9_-], too many series. */
	ch.n = 2;
	ch.id = "chart\"x";
	assert_int_equal(anx_svg_chart(&b, &ch), -1);
	ch.id = NULL;
	assert_int_equal(anx_svg_chart(&b, &ch), -1);
	ch.id = "ok";
	s.cls = "a b";
	assert_int_equal(anx_svg_chart(&b, &ch), -1);
	s.cls = "allow";
	ch.nseries = ANX_CHART_MAX_SERIES + 1;
	assert_int_equal(anx_svg_chart(&b, &ch), -1);
	ch.nseries = 0;
	assert_int_equal(anx_svg_chart(&b, &ch), -1);
	ch.nseries = 1;
	ch.n = ANX_CHART_MAX_LABELS + 1;
	assert_int_equal(anx_svg_chart(&b, &ch), -1);
	anx_buf_free(&b);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* percentile_cont over a sorted array. */
static double
exact(const double *v, size_t n, double q)
{
	double r = q * (double)(n - 1), f = floor(r);
	size_t i = (size_t)f;

	return i + 1 < n ? v[i] + (r - f) * (v[i + 1] - v[i]) : v[i];
}

static void
test_hist_quantile(void **state)
{
	static double v[20000];
	long long hist[256] = { 0 };
	const double qs[] = { 0.1, 0.5, 0.9, 0.99 };
	unsigned seed = 42;

	(void)state;
	assert_true(isnan(anx_analytics_hist_quantile(hist, 256, 0.5)));
	/* Log-normal latencies around 25 minutes, as in the bench seed. */
	for (size_t i = 0; i < NELEM(v); i++) {
		double u1 = (rand_r(&seed) + 1.0) / ((double)RAND_MAX + 2.0);
		double u2 = (rand_r(&seed) + 1.0) / ((double)RAND_MAX + 2.0);
		double x = exp(log(1500) + 1.3 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
		int b = (int)floor(12 * log(x < 1 ? 1 : x));

		v[i] = x;
		hist[b < 0 ? 0 : b > 255 ? 255 : b]++;
	}
	qsort(v, NELEM(v), sizeof(v[0]), cmp_double);
	for (size_t i = 0; i < NELEM(qs); i++) {
		double want = exact(v, NELEM(v), qs[i]);
		double got = anx_analytics_hist_quantile(hist, 256, qs[i]);

		/* Within half a bucket (8.7 % wide) of the exact value. */
		assert_true(fabs(got - want) / want < 0.045);
	}
	/* One value: the quantile lies in its bucket. */
	memset(hist, 0, sizeof(hist));
	hist[(int)floor(12 * log(600.0))] = 1;
	{
		double got = anx_analytics_hist_quantile(hist, 256, 0.5);

		assert_true(got >= exp(floor(12 * log(600.0)) / 12) &&
			    got < exp((floor(12 * log(600.0)) + 1) / 12));
	}
}

static void
test_range_parse(void **state)
{
	int d = 0;

	(void)state;
	assert_int_equal(anx_analytics_range_parse("7d", &d), 0);
	assert_int_equal(d, 7);
	assert_int_equal(anx_analytics_range_parse("30d", &d), 0);
	assert_int_equal(d, 30);
	assert_int_equal(anx_analytics_range_parse("90d", &d), 0);
	assert_int_equal(d, 90);
	assert_int_equal(anx_analytics_range_parse("365d", &d), -1);
	assert_int_equal(anx_analytics_range_parse("", &d), -1);
	assert_int_equal(anx_analytics_range_parse(NULL, &d), -1);
	assert_int_equal(anx_analytics_range_parse("7", &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_bars),
		cmocka_unit_test(test_line_and_gaps),
		cmocka_unit_test(test_hbar),
		cmocka_unit_test(test_empty_and_invalid),
		cmocka_unit_test(test_hist_quantile),
		cmocka_unit_test(test_range_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
