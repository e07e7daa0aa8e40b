/*
 * listing.c - keyset cursors and filter values; see listing.h.
 */
#include "listing.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding (RFC 4648 §5) of in[0..n) into out (cap
 * bytes with the NUL). Returns the length, or -1 if cap is too small. */
static long
b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	if (cap < (n + 2) / 3 * 4 + 1)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[k++] = b64url[(v >> 18) & 63];
		out[k++] = b64url[(v >> 12) & 63];
		if (i + 1 < n)
			out[k++] = b64url[(v >> 6) & 63];
		if (i + 2 < n)
			out[k++] = b64url[v & 63];
	}
	out[k] = '\0';
	return (long)k;
}

static int
b64url_value(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;

	return p ? (int)(p - b64url) : -1;
}

/* Decodes unpadded base64url s into out (cap bytes, NUL added). Returns
 * the byte count or -1 (bad character, impossible length, non-zero
 * trailing bits, too long). */
static long
b64url_decode(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s), k = 0, i;
	unsigned acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64url_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k + 1 >= cap)
				return -1;
			out[k++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* Canonical encodings only: the leftover bits must be zero. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	out[k] = '\0';
	return (long)k;
}

static int
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int
anx_date_valid(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) ||
		!digits(s + 5, 2) || !digits(s + 8, 2))
		return 0;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

int
anx_ts_shape(const char *s)
{
	char date[11];

	if (s == NULL || strlen(s) != ANX_TS_LEN)
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!anx_date_valid(date) || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
		s[26] != 'Z' || !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2) ||
		!digits(s + 20, 6))
		return 0;
	return num(s + 11, 2) <= 23 && num(s + 14, 2) <= 59 && num(s + 17, 2) <= 59;
}

/* 1 if s is a bigint id: 1..19 digits, no leading zero, <= 2^63-1. */
static int
bigint_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 19 || !digits(s, n) || s[0] == '0')
		return 0;
	return n < 19 || strcmp(s, "9223372036854775807") <= 0;
}

static int
id_ok(const char *id, enum anx_cursor_id kind)
{
	return kind == ANX_CURSOR_UUID ? anx_uuid_valid(id) : bigint_id(id);
}

int
anx_cursor_encode(const struct anx_cursor *c, char out[ANX_CURSOR_MAX + 1])
{
	char raw[ANX_TS_LEN + 1 + 37 + 1];
	int n;

	out[0] = '\0';
	if (!anx_ts_shape(c->ts) || (!anx_uuid_valid(c->id) && !bigint_id(c->id)))
		return -1;
	n = snprintf(raw, sizeof(raw), "%s|%s", c->ts, c->id);
	if (n < 0 || (size_t)n >= sizeof(raw))
		return -1;
	return b64url_encode((const unsigned char *)raw, (size_t)n, out, ANX_CURSOR_MAX + 1) < 0
		       ? -1
		       : 0;
}

int
anx_cursor_decode(const char *s, enum anx_cursor_id kind, struct anx_cursor *c)
{
	char raw[ANX_CURSOR_MAX];
	const char *bar;
	long n;

	memset(c, 0, sizeof(*c));
	if (s == NULL || strlen(s) > ANX_CURSOR_MAX)
		return -1;
	if ((n = b64url_decode(s, raw, sizeof(raw))) < 0 || (size_t)n != strlen(raw))
		return -1;
	if ((bar = strchr(raw, '|')) == NULL || (size_t)(bar - raw) != ANX_TS_LEN ||
		strlen(bar + 1) > 36)
		return -1;
	memcpy(c->ts, raw, ANX_TS_LEN);
	c->ts[ANX_TS_LEN] = '\0';
	snprintf(c->id, sizeof(c->id), "%s", bar + 1);
	if (!anx_ts_shape(c->ts) || !id_ok(c->id, kind)) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return 0;
}

void
anx_cursor_first(enum anx_cursor_id kind, struct anx_cursor *c)
{
	snprintf(c->ts, sizeof(c->ts), "infinity");
	snprintf(c->id, sizeof(c->id), "%s",
		kind == ANX_CURSOR_UUID ? "ffffffff-ffff-ffff-ffff-ffffffffffff"
					: "9223372036854775807");
}

/* 1 if s (n bytes) has a C0 control, DEL or a C1 control (U+0080..9F). */
static int
has_control(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 1;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

static int
token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '*' || c == '-';
}

const char *
anx_filter_problem(const struct anx_filter_def *def, const char *v)
{
	size_t n = strlen(v), max = def->max ? def->max : ANX_FILTER_TEXT_MAX;
	struct anx_cursor c;

	switch (def->kind) {
	case ANX_FILTER_CHOICE:
		for (size_t i = 0; def->choices && def->choices[i]; i++)
			if (strcmp(v, def->choices[i]) == 0)
				return NULL;
		return "is not one of the choices";
	case ANX_FILTER_TEXT:
		if (n > max)
			return "is too long";
		if (!anx_utf8_valid(v, n) || has_control(v, n))
			return "has characters that are not allowed";
		return NULL;
	case ANX_FILTER_TOKEN:
		if (n > max)
			return "is too long";
		for (size_t i = 0; i < n; i++)
			if (!token_char(v[i]))
				return "may only contain letters, digits and _ . : * -";
		return NULL;
	case ANX_FILTER_DATE: return anx_date_valid(v) ? NULL : "must be a date (YYYY-MM-DD)";
	case ANX_FILTER_CURSOR:
		return anx_cursor_decode(v, def->cursor_id, &c) == 0
			       ? NULL
			       : "is not a valid page position; start again from the first page";
	case ANX_FILTER_UUID: return anx_uuid_valid(v) ? NULL : "must be an id (a UUID)";
	}
	return "is not accepted";
}

size_t
anx_filter_parse(const struct anx_filter_def *defs, size_t n, anx_filter_get_fn get, void *ctx,
	struct anx_arena *a, const char **out, struct anx_verrs *e)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		const char *v = get(ctx, defs[i].name), *why;
		size_t lo = 0, hi;
		char *t;

		out[i] = NULL;
		if (v == NULL)
			continue;
		hi = strlen(v);
		while (lo < hi && (v[lo] == ' ' || v[lo] == '\t'))
			lo++;
		while (hi > lo && (v[hi - 1] == ' ' || v[hi - 1] == '\t'))
			hi--;
		if (hi == lo)
			continue;
		if ((t = anx_arena_strndup(a, v + lo, hi - lo)) == NULL) {
			anx_verrs_add(e, defs[i].name, "could not be read (out of memory)");
			bad++;
			continue;
		}
		if ((why = anx_filter_problem(&defs[i], t)) != NULL) {
			anx_verrs_add(e, defs[i].name, "%s %s",
				defs[i].label ? defs[i].label : defs[i].name, why);
			bad++;
			continue;
		}
		out[i] = t;
		if (defs[i].kind == ANX_FILTER_CHOICE)
			for (size_t k = 0; defs[i].choices[k]; k++)
				if (strcmp(t, defs[i].choices[k]) == 0)
					out[i] = defs[i].choices[k];
	}
	return bad;
}

size_t
anx_filter_check_range(const char **v, size_t from, size_t to, struct anx_verrs *e)
{
	if (v[from] == NULL || v[to] == NULL || strcmp(v[from], v[to]) <= 0)
		return 0;
	anx_verrs_add(e, "to", "To must be on or after From");
	v[to] = NULL;
	return 1;
}
