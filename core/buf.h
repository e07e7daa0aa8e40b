/*
 * buf.h - a growable byte buffer for building output (after redis sds and
 * kore_buf). Out-of-memory is sticky: once an append fails, every later
 * append is a no-op and anx_buf_failed() reports it, so callers check once.
 *
 * The buffer owns its storage; anx_buf_free() releases it. data is always
 * NUL-terminated when len > 0 or after any successful append.
 */
#ifndef ANX_BUF_H
#define ANX_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct anx_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 = unlimited; otherwise appends past max fail */
	int failed;
};

void anx_buf_init(struct anx_buf *b, size_t max);
void anx_buf_free(struct anx_buf *b);
void anx_buf_reset(struct anx_buf *b);
int anx_buf_failed(const struct anx_buf *b);

/* Appends; return 0 on success, -1 on failure (and the buffer is failed). */
int anx_buf_add(struct anx_buf *b, const void *p, size_t n);
int anx_buf_puts(struct anx_buf *b, const char *s);
int anx_buf_putc(struct anx_buf *b, char c);
int anx_buf_printf(struct anx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int anx_buf_vprintf(struct anx_buf *b, const char *fmt, va_list ap);

/* Appends s (n bytes) escaped as the inside of a JSON string (RFC 8259 §7). */
int anx_buf_json_str(struct anx_buf *b, const char *s, size_t n);

/* Appends s escaped for HTML text and attribute values (& < > " '). */
int anx_buf_html(struct anx_buf *b, const char *s, size_t n);

/* Detaches the storage: returns data (caller frees), buffer is reset. */
char *anx_buf_steal(struct anx_buf *b, size_t *len);

#endif
