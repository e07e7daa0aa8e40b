/*
 * svgchart.h - charts drawn by the server as inline SVG: vertical bars
 * (stacked), lines, and horizontal stacked bars for rankings, with axes,
 * gridlines, a legend and one <title> tooltip per mark.
 *
 * The SVG is meant to be pasted into an HTML page as is ({{{svg}}}):
 *   - it is accessible: role="img" with aria-labelledby naming its own
 *     <title> and <desc>; the page shows the same numbers as a table;
 *   - every piece of text (labels, series names, titles) is escaped here;
 *   - it has no script, no style element and no style attribute (the
 *     CSP allows neither): colours come from CSS classes (.s-<cls>, see
 *     static/app.css ".chart"), with a fill/stroke presentation attribute
 *     as the fallback when no stylesheet applies;
 *   - it scales: a viewBox and no fixed size.
 *
 * Numbers are formatted without the C locale's help (always "1,234").
 */
#ifndef ANX_SVGCHART_H
#define ANX_SVGCHART_H

#include <stddef.h>

#include "buf.h"

enum anx_chart_kind {
	ANX_CHART_BARS, /* one vertical bar per label, series stacked */
	ANX_CHART_LINE, /* one line per series; NaN values leave a gap */
	ANX_CHART_HBAR  /* one horizontal bar per label, series stacked */
};

/* How values are printed on the axis, in tooltips and by anx_chart_fmt. */
enum anx_chart_fmt {
	ANX_FMT_COUNT,    /* 12,345 (axis: 12k) */
	ANX_FMT_DURATION, /* seconds: 45 s, 12 min, 3.4 h, 2.1 d */
	ANX_FMT_PERCENT   /* 0..100: 87.5 % */
};

struct anx_chart_series {
	const char *name;     /* legend and tooltips, e.g. "approval required" */
	const char *cls;      /* CSS class suffix [a-z0-9_-]: "allow" -> .s-allow */
	const char *color;    /* fallback colour ("#2b8a3e"), or NULL */
	const double *values; /* n values (>= 0 for bars); NaN = no value */
};

struct anx_chart {
	enum anx_chart_kind kind;
	const char *id;            /* unique per page, [a-z0-9-]: element ids */
	const char *title;         /* accessible name, e.g. "Evaluations per day" */
	const char *desc;          /* a sentence describing it, or NULL */
	const char *const *labels; /* n category labels (x axis; y for HBAR) */
	const char *const *tips;   /* n longer labels for tooltips, or NULL */
	size_t n;
	const struct anx_chart_series *series;
	size_t nseries;
	enum anx_chart_fmt fmt;
	int width;  /* viewBox width; 0 = 720 */
	int height; /* viewBox height; 0 = 260 (HBAR: from n) */
};

/* Limits: more labels or series are refused (-1). */
#define ANX_CHART_MAX_LABELS 400
#define ANX_CHART_MAX_SERIES 8

/*
 * Appends the chart as one <svg> element to out. Returns 0, or -1 when
 * the chart is malformed (no id, too many labels or series, a class
 * outside [a-z0-9_-]) or out failed. With n == 0, or nothing but zeros
 * and NaNs, it draws the frame with "No data for this period".
 */
int anx_svg_chart(struct anx_buf *out, const struct anx_chart *c);

/*
 * Formats v for people into out (size outlen, >= 32): counts with
 * thousands separators ("12,345"), durations in the largest sensible
 * unit ("45 s", "12 min", "3.4 h", "2.1 d"), percentages with one decimal
 * ("87.5 %"). NaN prints as "–". Returns out.
 */
char *anx_chart_fmt(char *out, size_t outlen, enum anx_chart_fmt fmt, double v);

/* The compact form used on axes: "12k", "1.5M", "30 min", "2 h". */
char *anx_chart_fmt_axis(char *out, size_t outlen, enum anx_chart_fmt fmt, double v);

/*
 * Picks "nice" axis ticks for values up to max (> 0): a step of 1, 2, 2.5
 * or 5 times a power of ten (counts: whole steps only; percentages) or a clock-friendly step
 * (durations: 1 s … 7 d), so that at most max_ticks + 1 ticks (from 0)
 * cover max. Returns the step; *top receives the axis maximum (a multiple
 * of the step >= max). max <= 0 gives step 1 and top 1.
 */
double anx_chart_ticks(enum anx_chart_fmt fmt, double max, int max_ticks, double *top);

#endif
