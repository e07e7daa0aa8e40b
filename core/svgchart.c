/*
 * svgchart.c - server-rendered SVG charts; see svgchart.h.
 *
 * Geometry is computed in viewBox units; text widths are estimated at
 * 6.5 units per character of the 11px font the stylesheet sets (the
 * estimate only decides how many axis labels fit and where to cut long
 * ones, so being a little off is harmless).
 */
#include "svgchart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHAR_W   6.5
#define LEGEND_H 26
#define HBAR_ROW 26
#define HBAR_BAR 16

static const char *const default_colors[] = { "#3b5bdb", "#c92a2a", "#b35c00", "#2b8a3e", "#7048e8",
	"#0c8599", "#5c940d", "#868e96" };

/* ---- formatting ------------------------------------------------------- */

/* "12,345" for a non-negative or negative integer. */
static char *
fmt_int(char *out, size_t outlen, long long v)
{
	char digits[32];
	size_t n, k = 0, lead;
	int neg = v < 0;
	unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	n = (size_t)snprintf(digits, sizeof(digits), "%llu", u);
	if (outlen < n + n / 3 + 2) {
		snprintf(out, outlen, "%s%s", neg ? "-" : "", digits);
		return out;
	}
	if (neg)
		out[k++] = '-';
	lead = n % 3 ? n % 3 : 3;
	for (size_t i = 0; i < n; i++) {
		if (i >= lead && (i - lead) % 3 == 0)
			out[k++] = ',';
		out[k++] = digits[i];
	}
	out[k] = '\0';
	return out;
}

/* Trims a trailing ".0" that %.1f leaves on whole numbers. */
static void
trim_zero(char *s)
{
	size_t n = strlen(s);

	if (n > 2 && s[n - 2] == '.' && s[n - 1] == '0')
		s[n - 2] = '\0';
}

char *
anx_chart_fmt(char *out, size_t outlen, enum anx_chart_fmt fmt, double v)
{
	char num[32];

	if (isnan(v)) {
		snprintf(out, outlen, "\xe2\x80\x93"); /* – */
		return out;
	}
	switch (fmt) {
	case ANX_FMT_DURATION:
		if (v < 1)
			snprintf(out, outlen, "< 1 s");
		else if (v < 59.5)
			snprintf(out, outlen, "%.0f s", v);
		else if (v < 600)
			snprintf(out, outlen, "%.1f min", v / 60);
		else if (v < 3600)
			snprintf(out, outlen, "%.0f min", v / 60);
		else if (v < 86400)
			snprintf(out, outlen, "%.1f h", v / 3600);
		else
			snprintf(out, outlen, "%.1f d", v / 86400);
		return out;
	case ANX_FMT_PERCENT:
		snprintf(num, sizeof(num), "%.1f", v);
		trim_zero(num);
		snprintf(out, outlen, "%s %%", num);
		return out;
	case ANX_FMT_COUNT:
	default: return fmt_int(out, outlen, llround(v));
	}
}

char *
anx_chart_fmt_axis(char *out, size_t outlen, enum anx_chart_fmt fmt, double v)
{
	char num[32];

	switch (fmt) {
	case ANX_FMT_DURATION:
		if (v == 0)
			snprintf(out, outlen, "0");
		else if (v < 60)
			snprintf(out, outlen, "%.0f s", v);
		else if (v < 3600) {
			snprintf(num, sizeof(num), "%.1f", v / 60);
			trim_zero(num);
			snprintf(out, outlen, "%s min", num);
		} else if (v < 86400) {
			snprintf(num, sizeof(num), "%.1f", v / 3600);
			trim_zero(num);
			snprintf(out, outlen, "%s h", num);
		} else {
			snprintf(num, sizeof(num), "%.1f", v / 86400);
			trim_zero(num);
			snprintf(out, outlen, "%s d", num);
		}
		return out;
	case ANX_FMT_PERCENT:
		snprintf(num, sizeof(num), "%.1f", v);
		trim_zero(num);
		snprintf(out, outlen, "%s %%", num);
		return out;
	case ANX_FMT_COUNT:
	default:
		if (fabs(v) >= 1e6) {
			snprintf(num, sizeof(num), "%.1f", v / 1e6);
			trim_zero(num);
			snprintf(out, outlen, "%sM", num);
		} else if (fabs(v) >= 1e3) {
			snprintf(num, sizeof(num), "%.1f", v / 1e3);
			trim_zero(num);
			snprintf(out, outlen, "%sk", num);
		} else {
			snprintf(num, sizeof(num), "%.1f", v);
			trim_zero(num);
			snprintf(out, outlen, "%s", num);
		}
		return out;
	}
}

double
anx_chart_ticks(enum anx_chart_fmt fmt, double max, int max_ticks, double *top)
{
	/* Clock-friendly steps, in seconds. */
	static const double clock[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
		7200, 10800, 21600, 43200, 86400, 172800, 604800 };
	double step = 1, raw, mag;

	if (max_ticks < 1)
		max_ticks = 1;
	if (!(max > 0) || !isfinite(max)) {
		*top = 1;
		return 1;
	}
	raw = max / max_ticks;
	if (fmt == ANX_FMT_DURATION && raw <= clock[sizeof(clock) / sizeof(clock[0]) - 1]) {
		for (size_t i = 0; i < sizeof(clock) / sizeof(clock[0]); i++)
			if (clock[i] >= raw) {
				step = clock[i];
				break;
			}
	} else {
		mag = pow(10, floor(log10(raw)));
		if (raw <= mag)
			step = mag;
		else if (raw <= 2 * mag)
			step = 2 * mag;
		else if (raw <= 2.5 * mag && (fmt != ANX_FMT_COUNT || mag >= 10))
			step = 2.5 * mag;
		else if (raw <= 5 * mag)
			step = 5 * mag;
		else
			step = 10 * mag;
		/* Counts are whole: no 0.5 steps. */
		if (fmt == ANX_FMT_COUNT && step < 1)
			step = 1;
	}
	*top = ceil(max / step - 1e-9) * step;
	if (*top <= 0)
		*top = step;
	return step;
}

/* ---- output helpers --------------------------------------------------- */

static void
text(struct anx_buf *b, const char *s)
{
	anx_buf_html(b, s ? s : "", s ? strlen(s) : 0);
}

/* s cut to at most max code points, with "…" when cut, into out. */
static const char *
clip(char *out, size_t outlen, const char *s, size_t max)
{
	size_t chars = 0, i = 0;

	if (s == NULL)
		s = "";
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
	}
	if (s[i] == '\0' || max < 2) {
		snprintf(out, outlen, "%.*s", (int)i, s);
		return out;
	}
	/* Leave room for the ellipsis: drop one more code point. */
	while (i > 0 && ((unsigned char)s[--i] & 0xC0) == 0x80)
		;
	snprintf(out, outlen, "%.*s\xe2\x80\xa6", (int)i, s);
	return out;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int
valid_token(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
			    *s == '_'))
			return 0;
	return 1;
}

/* A colour for the fill/stroke attribute: "#" and hex digits only. */
static const char *
color_of(const struct anx_chart_series *s, size_t i)
{
	const char *c = s->color;

	if (c && c[0] == '#' && strlen(c) <= 9 &&
		strspn(c + 1, "0123456789abcdefABCDEF") == strlen(c) - 1)
		return c;
	return default_colors[i % (sizeof(default_colors) / sizeof(default_colors[0]))];
}

static double
val(const struct anx_chart *c, size_t s, size_t i)
{
	double v = c->series[s].values[i];

	return isfinite(v) ? v : NAN;
}

static const char *
tip_of(const struct anx_chart *c, size_t i)
{
	if (c->tips && c->tips[i])
		return c->tips[i];
	return c->labels[i] ? c->labels[i] : "";
}

/* The legend: one swatch and name per series, left to right. */
static void
legend(struct anx_buf *b, const struct anx_chart *c, double x, int line)
{
	anx_buf_puts(b, "<g class=\"legend\" aria-hidden=\"true\">");
	for (size_t s = 0; s < c->nseries; s++) {
		const char *name = c->series[s].name ? c->series[s].name : "";

		if (line)
			anx_buf_printf(b,
				"<line class=\"line s-%s\" x1=\"%.1f\" y1=\"13\" x2=\"%.1f\" "
				"y2=\"13\" "
				"stroke=\"%s\" stroke-width=\"2.5\"/>",
				c->series[s].cls, x, x + 12, color_of(&c->series[s], s));
		else
			anx_buf_printf(b,
				"<rect class=\"s-%s\" x=\"%.1f\" y=\"8\" width=\"10\" "
				"height=\"10\" "
				"rx=\"2\" fill=\"%s\"/>",
				c->series[s].cls, x, color_of(&c->series[s], s));
		anx_buf_printf(b, "<text x=\"%.1f\" y=\"17\">", x + 16);
		text(b, name);
		anx_buf_puts(b, "</text>");
		x += 16 + (double)utf8_chars(name) * CHAR_W + 18;
	}
	anx_buf_puts(b, "</g>");
}

static void
no_data(struct anx_buf *b, double x, double y)
{
	anx_buf_printf(b,
		"<text class=\"no-data\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">No data for "
		"this period</text>",
		x, y);
}

/* ---- vertical bars and lines ------------------------------------------ */

static void
draw_xy(struct anx_buf *b, const struct anx_chart *c, double w, double h)
{
	double max = 0, top, step, x0, x1, y0, y1, band, label_w, left;
	size_t every, longest = 1;
	char tick[32], v[32], cut[128];
	int any = 0, line = c->kind == ANX_CHART_LINE;

	for (size_t i = 0; i < c->n; i++) {
		double sum = 0;

		for (size_t s = 0; s < c->nseries; s++) {
			double x = val(c, s, i);

			if (isnan(x) || x < 0)
				continue;
			any |= x > 0;
			if (line)
				max = x > max ? x : max;
			else
				sum += x;
		}
		if (!line)
			max = sum > max ? sum : max;
		if (c->labels[i] && utf8_chars(c->labels[i]) > longest)
			longest = utf8_chars(c->labels[i]);
	}
	step = anx_chart_ticks(c->fmt, max, 4, &top);
	/* The widest axis label decides the left margin. */
	left = 0;
	for (double t = 0; t <= top + step / 2; t += step) {
		double lw = (double)utf8_chars(anx_chart_fmt_axis(tick, sizeof(tick), c->fmt, t));

		left = lw > left ? lw : left;
	}
	if (longest > 16)
		longest = 16;
	label_w = (double)longest * CHAR_W + 10;
	x0 = 14 + left * CHAR_W;
	/* Room for half of the last x label, centred on the last band. */
	x1 = w - (label_w / 2 > 10 ? label_w / 2 : 10);
	y0 = c->nseries > 1 ? LEGEND_H + 8 : 12;
	y1 = h - 26;
	if (c->nseries > 1)
		legend(b, c, x0, line);
	/* Gridlines and y labels. */
	anx_buf_puts(b, "<g class=\"y-axis\">");
	for (double t = 0; t <= top + step / 2; t += step) {
		double y = y1 - t / top * (y1 - y0);

		anx_buf_printf(b,
			"<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#e3e6ec\"/>",
			t == 0 ? "axis" : "grid", x0, x1, y, y);
		anx_buf_printf(
			b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 6, y + 4);
		text(b, anx_chart_fmt_axis(tick, sizeof(tick), c->fmt, t));
		anx_buf_puts(b, "</text>");
	}
	anx_buf_puts(b, "</g>");
	if (c->n == 0 || !any) {
		no_data(b, (x0 + x1) / 2, (y0 + y1) / 2);
		return;
	}
	band = (x1 - x0) / (double)c->n;
	/* x labels: as many as fit, always including the last (newest). */
	every = (size_t)ceil(label_w / band);
	if (every < 1)
		every = 1;
	anx_buf_puts(b, "<g class=\"x-axis\">");
	for (size_t i = 0; i < c->n; i++) {
		if ((c->n - 1 - i) % every != 0)
			continue;
		anx_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			x0 + band * ((double)i + 0.5), h - 8);
		text(b, clip(cut, sizeof(cut), c->labels[i], 16));
		anx_buf_puts(b, "</text>");
	}
	anx_buf_puts(b, "</g>");

	if (!line) {
		double bw = band * 0.72 > 44 ? 44 : band * 0.72;

		anx_buf_puts(b, "<g class=\"bars\">");
		for (size_t i = 0; i < c->n; i++) {
			double base = y1, total = 0;

			for (size_t s = 0; s < c->nseries; s++) {
				double x = val(c, s, i);

				total += isnan(x) || x < 0 ? 0 : x;
			}
			for (size_t s = 0; s < c->nseries; s++) {
				double x = val(c, s, i), bh;
				char tot[32];

				if (isnan(x) || x <= 0)
					continue;
				bh = x / top * (y1 - y0);
				anx_buf_printf(b,
					"<rect class=\"bar s-%s\" x=\"%.2f\" y=\"%.2f\" "
					"width=\"%.2f\" "
					"height=\"%.2f\" fill=\"%s\"><title>",
					c->series[s].cls, x0 + band * (double)i + (band - bw) / 2,
					base - bh, bw, bh, color_of(&c->series[s], s));
				text(b, tip_of(c, i));
				anx_buf_puts(b, " \xe2\x80\x94 ");
				text(b, c->series[s].name);
				anx_buf_puts(b, ": ");
				text(b, anx_chart_fmt(v, sizeof(v), c->fmt, x));
				if (c->nseries > 1) {
					anx_buf_puts(b, " of ");
					text(b, anx_chart_fmt(tot, sizeof(tot), c->fmt, total));
				}
				anx_buf_puts(b, "</title></rect>");
				base -= bh;
			}
		}
		anx_buf_puts(b, "</g>");
		return;
	}
	for (size_t s = 0; s < c->nseries; s++) {
		int pen = 0;

		anx_buf_printf(b,
			"<g class=\"series\"><path class=\"line s-%s\" fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"2\" stroke-linejoin=\"round\" d=\"",
			c->series[s].cls, color_of(&c->series[s], s));
		for (size_t i = 0; i < c->n; i++) {
			double x = val(c, s, i);

			if (isnan(x) || x < 0) {
				pen = 0;
				continue;
			}
			anx_buf_printf(b, "%s%.2f %.2f ", pen ? "L" : "M",
				x0 + band * ((double)i + 0.5),
				y1 - (x > top ? top : x) / top * (y1 - y0));
			pen = 1;
		}
		anx_buf_puts(b, "\"/>");
		for (size_t i = 0; i < c->n; i++) {
			double x = val(c, s, i);

			if (isnan(x) || x < 0)
				continue;
			anx_buf_printf(b,
				"<circle class=\"dot s-%s\" cx=\"%.2f\" cy=\"%.2f\" r=\"%s\" "
				"fill=\"%s\"><title>",
				c->series[s].cls, x0 + band * ((double)i + 0.5),
				y1 - (x > top ? top : x) / top * (y1 - y0), c->n > 45 ? "2" : "3",
				color_of(&c->series[s], s));
			text(b, tip_of(c, i));
			anx_buf_puts(b, " \xe2\x80\x94 ");
			text(b, c->series[s].name);
			anx_buf_puts(b, ": ");
			text(b, anx_chart_fmt(v, sizeof(v), c->fmt, x));
			anx_buf_puts(b, "</title></circle>");
		}
		anx_buf_puts(b, "</g>");
	}
}

/* ---- horizontal bars -------------------------------------------------- */

static void
draw_hbar(struct anx_buf *b, const struct anx_chart *c, double w, double h)
{
	double max = 0, x0, x1, y0, label_chars;
	size_t longest = 1;
	char v[32], cut[256], tot[32];

	for (size_t i = 0; i < c->n; i++) {
		double sum = 0;

		for (size_t s = 0; s < c->nseries; s++) {
			double x = val(c, s, i);

			sum += isnan(x) || x < 0 ? 0 : x;
		}
		max = sum > max ? sum : max;
		if (c->labels[i] && utf8_chars(c->labels[i]) > longest)
			longest = utf8_chars(c->labels[i]);
	}
	label_chars = (double)(longest > 28 ? 28 : longest);
	x0 = 10 + label_chars * CHAR_W + 10;
	if (x0 > w * 0.42)
		x0 = w * 0.42;
	x1 = w - 64;
	y0 = c->nseries > 1 ? LEGEND_H + 4 : 6;
	if (c->nseries > 1)
		legend(b, c, 10, 0);
	if (c->n == 0 || max <= 0) {
		no_data(b, w / 2, (y0 + h) / 2);
		return;
	}
	anx_buf_printf(b,
		"<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#e3e6ec\"/>",
		x0, x0, y0, y0 + HBAR_ROW * (double)c->n);
	for (size_t i = 0; i < c->n; i++) {
		double y = y0 + HBAR_ROW * (double)i, base = x0, total = 0;
		size_t fit = (size_t)((x0 - 20) / CHAR_W);

		anx_buf_printf(b,
			"<g class=\"row\"><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 8,
			y + HBAR_ROW / 2.0 + 4);
		text(b, clip(cut, sizeof(cut), c->labels[i], fit < 4 ? 4 : fit));
		anx_buf_puts(b, "<title>");
		text(b, tip_of(c, i));
		anx_buf_puts(b, "</title></text>");
		for (size_t s = 0; s < c->nseries; s++) {
			double x = val(c, s, i), bw;

			if (isnan(x) || x <= 0)
				continue;
			total += x;
			bw = x / max * (x1 - x0);
			anx_buf_printf(b,
				"<rect class=\"bar s-%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
				"height=\"%d\" fill=\"%s\"><title>",
				c->series[s].cls, base, y + (HBAR_ROW - HBAR_BAR) / 2.0, bw,
				HBAR_BAR, color_of(&c->series[s], s));
			text(b, tip_of(c, i));
			anx_buf_puts(b, " \xe2\x80\x94 ");
			text(b, c->series[s].name);
			anx_buf_puts(b, ": ");
			text(b, anx_chart_fmt(v, sizeof(v), c->fmt, x));
			anx_buf_puts(b, "</title></rect>");
			base += bw;
		}
		anx_buf_printf(b, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\">", base + 6,
			y + HBAR_ROW / 2.0 + 4);
		text(b, anx_chart_fmt(tot, sizeof(tot), c->fmt, total));
		anx_buf_puts(b, "</text></g>");
	}
}

int
anx_svg_chart(struct anx_buf *b, const struct anx_chart *c)
{
	double w, h;

	if (c == NULL || !valid_token(c->id) || c->n > ANX_CHART_MAX_LABELS || c->nseries < 1 ||
		c->nseries > ANX_CHART_MAX_SERIES || (c->n > 0 && c->labels == NULL))
		return -1;
	for (size_t s = 0; s < c->nseries; s++)
		if (!valid_token(c->series[s].cls) || (c->n > 0 && c->series[s].values == NULL))
			return -1;
	w = c->width > 0 ? c->width : 720;
	if (c->kind == ANX_CHART_HBAR)
		h = c->height > 0 ? c->height
				  : (c->nseries > 1 ? LEGEND_H + 4 : 6) +
					    HBAR_ROW * (double)(c->n ? c->n : 3) + 8;
	else
		h = c->height > 0 ? c->height : 260;

	anx_buf_printf(b,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart-svg chart-%s\" "
		"viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\"%s-t",
		c->kind == ANX_CHART_HBAR   ? "hbar"
		: c->kind == ANX_CHART_LINE ? "line"
					    : "bars",
		w, h, c->id);
	if (c->desc)
		anx_buf_printf(b, " %s-d", c->id);
	anx_buf_printf(b,
		"\" font-family=\"system-ui, sans-serif\" font-size=\"11\" fill=\"#5b6474\">"
		"<title id=\"%s-t\">",
		c->id);
	text(b, c->title);
	anx_buf_puts(b, "</title>");
	if (c->desc) {
		anx_buf_printf(b, "<desc id=\"%s-d\">", c->id);
		text(b, c->desc);
		anx_buf_puts(b, "</desc>");
	}
	if (c->kind == ANX_CHART_HBAR)
		draw_hbar(b, c, w, h);
	else
		draw_xy(b, c, w, h);
	anx_buf_puts(b, "</svg>");
	return anx_buf_failed(b) ? -1 : 0;
}
