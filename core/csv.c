/*
 * csv.c - RFC 4180 fields with formula neutralisation; see csv.h.
 */
#include "csv.h"

#include <string.h>

int
anx_csv_formula_start(const char *s, size_t n)
{
	return n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
				s[0] == '\r');
}

int
anx_csv_field(struct anx_buf *b, const char *s, size_t n, int first)
{
	int quote = 0;

	if (!first)
		anx_buf_putc(b, ',');
	if (s == NULL)
		return anx_buf_failed(b) ? -1 : 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (quote)
		anx_buf_putc(b, '"');
	if (anx_csv_formula_start(s, n))
		anx_buf_putc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		const char *q = memchr(s + i, '"', n - i);
		size_t run = q ? (size_t)(q - (s + i)) : n - i;

		anx_buf_add(b, s + i, run);
		i += run;
		if (i < n)
			anx_buf_add(b, "\"\"", 2);
	}
	if (quote)
		anx_buf_putc(b, '"');
	return anx_buf_failed(b) ? -1 : 0;
}

int
anx_csv_record(struct anx_buf *b, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		anx_csv_field(b, v[i], v[i] ? strlen(v[i]) : 0, i == 0);
	anx_buf_add(b, "\r\n", 2);
	return anx_buf_failed(b) ? -1 : 0;
}
