/*
 * buf.c - growable buffer; see buf.h.
 */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
anx_buf_init(struct anx_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
anx_buf_free(struct anx_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
anx_buf_reset(struct anx_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

int
anx_buf_failed(const struct anx_buf *b)
{
	return b->failed;
}

/* Makes room for n more bytes plus a NUL; checks every size for overflow. */
static int
reserve(struct anx_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (b->failed)
		return -1;
	if (n > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + n + 1;
	if (b->max && need - 1 > b->max)
		goto fail;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			goto fail;
		ncap *= 2;
	}
	if ((p = realloc(b->data, ncap)) == NULL)
		goto fail;
	b->data = p;
	b->cap = ncap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

int
anx_buf_add(struct anx_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
anx_buf_puts(struct anx_buf *b, const char *s)
{
	return anx_buf_add(b, s, strlen(s));
}

int
anx_buf_putc(struct anx_buf *b, char c)
{
	return anx_buf_add(b, &c, 1);
}

int
anx_buf_vprintf(struct anx_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->failed)
		return -1;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || reserve(b, (size_t)n) == -1) {
		b->failed = 1;
		return -1;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
anx_buf_printf(struct anx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = anx_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
anx_buf_json_str(struct anx_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;
	char esc[7];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		size_t rlen = 2;

		switch (c) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		case '\b': rep = "\\b"; break;
		case '\f': rep = "\\f"; break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				rep = esc;
				rlen = 6;
			}
		}
		if (rep == NULL)
			continue;
		anx_buf_add(b, s + start, i - start);
		anx_buf_add(b, rep, rlen);
		start = i + 1;
	}
	anx_buf_add(b, s + start, n - start);
	return b->failed ? -1 : 0;
}

int
anx_buf_html(struct anx_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		anx_buf_add(b, s + start, i - start);
		anx_buf_puts(b, rep);
		start = i + 1;
	}
	anx_buf_add(b, s + start, n - start);
	return b->failed ? -1 : 0;
}

char *
anx_buf_steal(struct anx_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (p == NULL && !b->failed)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
