/*
 * log.c - JSON-lines logging with secret redaction; see log.h.
 */
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define LINE_MAX_BYTES 16384

static const char *level_names[] = {
	"debug", /* ANX_LOG_DEBUG */
	"info",  /* ANX_LOG_INFO */
	"warn",  /* ANX_LOG_WARN */
	"error", /* ANX_LOG_ERROR */
};

static const char *secret_keys[] = {
	"pass",
	"secret",
	"token",
	"authorization",
	"cookie",
	"otp",
	"signature",
	"session",
	"api_key",
	"apikey",
	"database_url",
	"smtp_url",
	"credential",
	"private",
};

static char program[32] = "agentnexus";
static enum anx_log_level min_level = ANX_LOG_INFO;
static int out_fd = 2;
static char request_id[65];

void
anx_log_init(const char *prog, enum anx_log_level min, int fd)
{
	if (prog)
		snprintf(program, sizeof(program), "%s", prog);
	min_level = min;
	out_fd = fd;
}

int
anx_log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (s && strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
anx_log_set_request_id(const char *rid)
{
	snprintf(request_id, sizeof(request_id), "%s", rid ? rid : "");
}

const char *
anx_log_request_id(void)
{
	return request_id;
}

int
anx_log_key_is_secret(const char *key)
{
	char low[64];
	size_t i;

	for (i = 0; i < sizeof(low) - 1 && key[i]; i++)
		low[i] = (char)tolower((unsigned char)key[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
		if (strstr(low, secret_keys[i]) != NULL)
			return 1;
	return 0;
}

static int
is_b62(char c)
{
	return isalnum((unsigned char)c);
}

/*
 * Writes value as a JSON string with credential-looking parts masked:
 * anx_<key>, whsec_<secret>, "Bearer <x>", and URL userinfo (scheme://u:p@).
 */
static void
put_masked(struct anx_buf *b, const char *v)
{
	size_t i = 0, n = strlen(v), start = 0;

	anx_buf_putc(b, '"');
	while (i < n) {
		size_t skip = 0;

		if (strncmp(v + i, "anx_", 4) == 0 || strncmp(v + i, "whsec_", 6) == 0) {
			size_t j = i + (v[i] == 'a' ? 4 : 6);
			while (j < n && (is_b62(v[j]) || v[j] == '+' || v[j] == '/' || v[j] == '='))
				j++;
			if (j - i >= 16)
				skip = j - i;
		} else if (strncasecmp(v + i, "bearer ", 7) == 0) {
			size_t j = i + 7;
			while (j < n && !isspace((unsigned char)v[j]) && v[j] != '"')
				j++;
			skip = j - i;
		} else if (strncmp(v + i, "://", 3) == 0) {
			size_t j = i + 3;
			while (j < n && v[j] != '@' && v[j] != '/' && v[j] != ' ')
				j++;
			if (j < n && v[j] == '@') {
				anx_buf_json_str(b, v + start, i + 3 - start);
				anx_buf_puts(b, "[redacted]");
				i = start = j;
				continue;
			}
		}
		if (skip) {
			anx_buf_json_str(b, v + start, i - start);
			anx_buf_puts(b, "[redacted]");
			i += skip;
			start = i;
			continue;
		}
		i++;
	}
	anx_buf_json_str(b, v + start, n - start);
	anx_buf_putc(b, '"');
}

static void
format_line(struct anx_buf *b, const char *when, enum anx_log_level level, const char *event,
	va_list ap)
{
	int type;

	anx_buf_puts(b, "{\"time\":\"");
	anx_buf_puts(b, when);
	anx_buf_printf(b, "\",\"level\":\"%s\",\"program\":",
		level_names[level <= ANX_LOG_ERROR ? level : ANX_LOG_ERROR]);
	put_masked(b, program);
	anx_buf_printf(b, ",\"pid\":%ld", (long)getpid());
	if (request_id[0]) {
		anx_buf_puts(b, ",\"request_id\":");
		put_masked(b, request_id);
	}
	anx_buf_puts(b, ",\"event\":");
	put_masked(b, event ? event : "");
	while ((type = va_arg(ap, int)) != ANX_LF_END) {
		const char *key = va_arg(ap, const char *);
		int secret = anx_log_key_is_secret(key);

		anx_buf_putc(b, ',');
		put_masked(b, key);
		anx_buf_putc(b, ':');
		switch (type) {
		case ANX_LF_STR: {
			const char *v = va_arg(ap, const char *);
			if (v == NULL)
				anx_buf_puts(b, "null");
			else if (secret)
				anx_buf_puts(b, "\"[redacted]\"");
			else
				put_masked(b, v);
			break;
		}
		case ANX_LF_INT: {
			long long v = va_arg(ap, long long);
			if (secret)
				anx_buf_puts(b, "\"[redacted]\"");
			else
				anx_buf_printf(b, "%lld", v);
			break;
		}
		case ANX_LF_DBL: {
			double v = va_arg(ap, double);
			anx_buf_printf(b, "%.3f", v);
			break;
		}
		case ANX_LF_BOOL: anx_buf_puts(b, va_arg(ap, int) ? "true" : "false"); break;
		default: anx_buf_puts(b, "null"); goto done;
		}
	}
done:
	anx_buf_puts(b, "}\n");
}

static void
now_iso(char *out, size_t n)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
		(tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		tm.tm_sec % 100, (int)(tv.tv_usec / 1000) % 1000);
}

void
anx_log(enum anx_log_level level, const char *event, ...)
{
	struct anx_buf b;
	char when[64];
	va_list ap;
	ssize_t w;
	size_t off = 0;

	if (level < min_level)
		return;
	now_iso(when, sizeof(when));
	anx_buf_init(&b, LINE_MAX_BYTES);
	va_start(ap, event);
	format_line(&b, when, level, event, ap);
	va_end(ap);
	if (anx_buf_failed(&b)) {
		anx_buf_reset(&b);
		anx_buf_printf(&b,
			"{\"time\":\"%s\",\"level\":\"error\",\"event\":\"log_line_too_long\"}\n",
			when);
	}
	while (off < b.len) {
		w = write(out_fd, b.data + off, b.len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	anx_buf_free(&b);
}

int
anx_log_format_for_test(char *out, unsigned n, enum anx_log_level level, const char *event, ...)
{
	struct anx_buf b;
	va_list ap;
	int len;

	anx_buf_init(&b, LINE_MAX_BYTES);
	va_start(ap, event);
	format_line(&b, "2026-01-01T00:00:00.000Z", level, event, ap);
	va_end(ap);
	len = snprintf(out, n, "%s", b.data ? b.data : "");
	anx_buf_free(&b);
	return len;
}
