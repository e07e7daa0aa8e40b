/*
 * smtp.c - SMTP_URL parsing, the RFC 5322 / MIME message builder, and the
 * libESMTP sender; see smtp.h.
 */
#include "smtp.h"

#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <dlfcn.h>

/* OpenSSL for its types and constants only (before libesmtp.h, which then
 * declares smtp_starttls_set_ctx); see tls12_ctx(). */
#include <openssl/ssl.h>

#include <auth-client.h>
#include <libesmtp.h>

#include "crypto.h"

#define LINE_MAX_CHARS   78  /* RFC 5322 §2.1.1 SHOULD */
#define QP_LINE_MAX      76  /* RFC 2045 §6.7 rule 5, including the '=' */
#define EW_MAX_BYTES     39  /* UTF-8 bytes per encoded-word: 52 base64 chars */
#define HEADER_TEXT_MAX  900 /* bytes of a header's text after cleaning */
#define DISPLAY_NAME_MAX 128
#define TIMEOUT_STEP_MS  30000L
#define TIMEOUT_FINAL_MS 60000L

/* ---------------------------------------------------------------- URL */

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes s[0..n) (RFC 3986 §2.1) into out (cap bytes incl. NUL).
 * Rejects malformed escapes, raw or decoded control characters, raw
 * spaces, and results that do not fit. Returns 0 or -1.
 */
static int
pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == ' ') {
			return -1;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int
host_valid(const char *h, size_t n)
{
	if (n == 0 || n > ANX_SMTP_HOST_MAX || h[0] == '.' || h[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
			return 0;
	return 1;
}

static int
host_is_loopback(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0;
}

void
anx_smtp_url_clear(struct anx_smtp_url *u)
{
	anx_secure_zero(u, sizeof(*u));
}

int
anx_smtp_url_parse(const char *url, struct anx_smtp_url *u, char *err, size_t errlen)
{
	const char *p, *end, *at, *colon, *hp;
	size_t alen, plen;
	long port = 587;

	memset(u, 0, sizeof(*u));
	if (url == NULL || *url == '\0') {
		seterr(err, errlen, "SMTP_URL is empty");
		return -1;
	}
	if (strncasecmp(url, "smtps://", 8) == 0) {
		seterr(err, errlen,
			"SMTP_URL: smtps:// (implicit TLS) is not supported by libESMTP;"
			" use smtp://host:587, which upgrades with STARTTLS");
		return -1;
	}
	if (strncasecmp(url, "smtp://", 7) != 0) {
		seterr(err, errlen, "SMTP_URL must start with smtp://");
		return -1;
	}
	p = url + 7;
	alen = strcspn(p, "/?#");
	end = p + alen;
	if (*end != '\0' && strcmp(end, "/") != 0) {
		seterr(err, errlen, "SMTP_URL must not have a path, query or fragment");
		return -1;
	}
	/* The last '@' ends the userinfo: a raw '@' in a password is a
	 * common mistake that this still reads as intended. */
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (pct_decode(p, (size_t)((colon ? colon : at) - p), u->user, sizeof(u->user)) !=
				0 ||
			u->user[0] == '\0') {
			seterr(err, errlen, "SMTP_URL user name is empty or badly percent-encoded");
			goto fail;
		}
		if (colon != NULL && pct_decode(colon + 1, (size_t)(at - colon - 1), u->pass,
					     sizeof(u->pass)) != 0) {
			seterr(err, errlen,
				"SMTP_URL password is badly percent-encoded or too long");
			goto fail;
		}
		u->auth = 1;
	}
	hp = at ? at + 1 : p;
	if (hp < end && *hp == '[') {
		seterr(err, errlen,
			"SMTP_URL: IPv6 address literals are not supported; use a host name");
		goto fail;
	}
	colon = memchr(hp, ':', (size_t)(end - hp));
	plen = (size_t)((colon ? colon : end) - hp);
	if (!host_valid(hp, plen)) {
		seterr(err, errlen, "SMTP_URL host is missing or invalid");
		goto fail;
	}
	memcpy(u->host, hp, plen);
	u->host[plen] = '\0';
	if (colon != NULL) {
		const char *d = colon + 1;
		size_t dn = (size_t)(end - d);

		port = 0;
		if (dn == 0 || dn > 5)
			port = -1;
		for (size_t i = 0; port >= 0 && i < dn; i++) {
			if (!isdigit((unsigned char)d[i]))
				port = -1;
			else
				port = port * 10 + (d[i] - '0');
		}
		if (port < 1 || port > 65535) {
			seterr(err, errlen, "SMTP_URL port must be a number from 1 to 65535");
			goto fail;
		}
	}
	snprintf(u->port, sizeof(u->port), "%ld", port);
	u->tls = u->auth && !host_is_loopback(u->host) ? ANX_SMTP_TLS_REQUIRED
						       : ANX_SMTP_TLS_OPPORTUNISTIC;
	return 0;
fail:
	anx_smtp_url_clear(u);
	return -1;
}

/* ---------------------------------------------------------- addresses */

int
anx_smtp_addr_valid(const char *s)
{
	const char *at;
	size_t n, local, i;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 3 || n > 254 || (at = strchr(s, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return 0;
	for (i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("()<>[]:;,\\\"@", c) != NULL)
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	if (n - local - 1 == 0 || at[1] == '.' || at[1] == '-' || s[n - 1] == '.' ||
		s[n - 1] == '-')
		return 0;
	for (i = local + 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '.')
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

int
anx_smtp_parse_mailbox(const char *from, char *addr, size_t addrlen, char *name, size_t namelen)
{
	const char *b, *e, *lt, *nb, *ne;
	size_t n = 0;

	if (from == NULL || addrlen == 0 || namelen == 0)
		return -1;
	addr[0] = name[0] = '\0';
	for (const char *q = from; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return -1;
	b = from;
	e = from + strlen(from);
	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if (e > b && e[-1] == '>') {
		/* Name <addr>: the display name is what precedes the last '<',
		 * trimmed, with a quoted-string's quotes and escapes removed. */
		for (lt = e - 1; lt > b && *lt != '<'; lt--)
			;
		if (*lt != '<')
			return -1;
		nb = b;
		ne = lt;
		while (ne > nb && isspace((unsigned char)ne[-1]))
			ne--;
		if (ne - nb >= 2 && *nb == '"' && ne[-1] == '"') {
			for (nb++, ne--; nb < ne; nb++) {
				if (*nb == '\\' && nb + 1 < ne)
					nb++;
				if (n + 1 >= namelen)
					return -1;
				name[n++] = *nb;
			}
		} else {
			if ((size_t)(ne - nb) >= namelen)
				return -1;
			memcpy(name, nb, (size_t)(ne - nb));
			n = (size_t)(ne - nb);
		}
		name[n] = '\0';
		b = lt + 1;
		e--;
	}
	n = (size_t)(e - b);
	if (n >= addrlen)
		return -1;
	memcpy(addr, b, n);
	addr[n] = '\0';
	return anx_smtp_addr_valid(addr) ? 0 : -1;
}

/* ------------------------------------------------------- header text */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid
 * (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
			(s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Cleans header text into out: control characters and runs of
 * whitespace become one space, invalid UTF-8 becomes U+FFFD, the ends
 * are trimmed, and the text is cut at a character boundary to max bytes.
 */
static int
clean_text(struct anx_buf *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	int space = 0;

	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == ' ') {
			space = 1;
			i++;
			continue;
		}
		k = utf8_seq(p + i, n - i);
		if (out->len + (space && out->len) + (k ? k : 3) > max)
			break;
		if (space && out->len)
			anx_buf_putc(out, ' ');
		space = 0;
		if (k == 0) {
			anx_buf_add(out, "\xef\xbf\xbd", 3);
			i++;
		} else {
			anx_buf_add(out, p + i, k);
			i += k;
		}
	}
	if (out->len == 0)
		anx_buf_add(out, "", 0);
	return anx_buf_failed(out) ? -1 : 0;
}

/* Appends s folded at spaces after "name: " if it is printable ASCII
 * with no "=?" and every word fits on a line; returns 1 if it did, 0 if
 * the text needs encoded-words (nothing appended then). */
static int
fold_ascii(struct anx_buf *out, const char *name, const char *s)
{
	size_t col, wlen, n = strlen(s);
	const char *w;

	if (strstr(s, "=?") != NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	/* Every word must fit on a line of its own. */
	for (w = s; *w; w += wlen + (w[wlen] == ' ')) {
		wlen = strcspn(w, " ");
		if ((w == s ? strlen(name) + 2 : 1) + wlen > LINE_MAX_CHARS)
			return 0;
	}
	anx_buf_printf(out, "%s: ", name);
	col = strlen(name) + 2;
	for (w = s; *w; w += wlen + (w[wlen] == ' ')) {
		wlen = strcspn(w, " ");
		if (w != s) {
			if (col + 1 + wlen > LINE_MAX_CHARS) {
				anx_buf_puts(out, "\r\n");
				col = 0;
			}
			anx_buf_putc(out, ' ');
			col++;
		}
		anx_buf_add(out, w, wlen);
		col += wlen;
	}
	anx_buf_puts(out, "\r\n");
	return 1;
}

/* Appends s as RFC 2047 B encoded-words of at most EW_MAX_BYTES bytes
 * each, split at character boundaries, one per line after the first. */
static void
encoded_words(struct anx_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, take, k;
	char b64[64];
	int first = 1;

	do {
		take = 0;
		while (i + take < n) {
			k = utf8_seq(p + i + take, n - i - take);
			if (k == 0)
				k = 1; /* clean_text already replaced invalid bytes */
			if (take + k > EW_MAX_BYTES)
				break;
			take += k;
		}
		anx_base64_encode(p + i, take, b64, sizeof(b64));
		anx_buf_printf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
		first = 0;
		i += take;
	} while (i < n);
}

int
anx_smtp_header_text(struct anx_buf *out, const char *name, const char *value)
{
	struct anx_buf t;
	int rc = -1;

	anx_buf_init(&t, 0);
	if (clean_text(&t, value ? value : "", HEADER_TEXT_MAX) != 0)
		goto out;
	if (!fold_ascii(out, name, t.data)) {
		anx_buf_printf(out, "%s: ", name);
		encoded_words(out, t.data);
		anx_buf_puts(out, "\r\n");
	}
	rc = anx_buf_failed(out) ? -1 : 0;
out:
	anx_buf_free(&t);
	return rc;
}

/* -------------------------------------------------- quoted-printable */

int
anx_smtp_qp_encode(struct anx_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0, i = 0;
	char tok[3];
	size_t tlen;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		int eol;

		if (c == '\r' || c == '\n') {
			anx_buf_puts(out, "\r\n");
			col = 0;
			i += (c == '\r' && i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		eol = i + 1 == n || s[i + 1] == '\r' || s[i + 1] == '\n';
		if (((c == ' ' || c == '\t') && !eol) ||
			(c >= 33 && c <= 126 && c != '=' &&
				!(col == 0 && c == 'F' && n - i >= 5 &&
					memcmp(s + i, "From ", 5) == 0))) {
			tok[0] = (char)c;
			tlen = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			tlen = 3;
		}
		/* Leave room for the soft break's '=' (rule 5). */
		if (col + tlen > QP_LINE_MAX - 1) {
			anx_buf_puts(out, "=\r\n");
			col = 0;
		}
		anx_buf_add(out, tok, tlen);
		col += tlen;
		i++;
	}
	return anx_buf_failed(out) ? -1 : 0;
}

/* ------------------------------------------------------------ message */

void
anx_smtp_rfc5322_date(time_t t, char out[32])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, 32, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	/* The unsigned remainders bound every field's width for the compiler. */
	snprintf(out, 32, "%s, %02u %s %04u %02u:%02u:%02u +0000", days[(unsigned)tm.tm_wday % 7],
		(unsigned)tm.tm_mday % 100, months[(unsigned)tm.tm_mon % 12],
		(unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 100,
		(unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}

static int
msgid_valid(const char *id)
{
	size_t n;
	const char *at;

	if (id == NULL || (n = strlen(id)) < 3 || n > 200 || (at = strchr(id, '@')) == NULL ||
		at == id || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f ||
			strchr("<>()[]\\\",;:", id[i]) != NULL)
			return 0;
	return 1;
}

/* RFC 2046 §5.1.1 bchars, 1..70 of them, not ending in a space. */
static int
boundary_valid(const char *b)
{
	size_t n = strlen(b);

	if (n == 0 || n > 70 || b[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)b[i]) && strchr("'()+_,-./:=? ", b[i]) == NULL)
			return 0;
	return 1;
}

/* Appends "From: " with the display name as a quoted-string (printable
 * ASCII) or as encoded-words, then the address. */
static void
from_header(struct anx_buf *out, const char *name, const char *addr)
{
	struct anx_buf t;
	int ascii = 1;

	if (name[0] == '\0') {
		anx_buf_printf(out, "From: %s\r\n", addr);
		return;
	}
	anx_buf_init(&t, 0);
	clean_text(&t, name, DISPLAY_NAME_MAX);
	for (size_t i = 0; i < t.len; i++)
		if ((unsigned char)t.data[i] > 0x7e)
			ascii = 0;
	if (ascii && strstr(t.data, "=?") == NULL) {
		anx_buf_puts(out, "From: \"");
		for (size_t i = 0; i < t.len; i++) {
			if (t.data[i] == '"' || t.data[i] == '\\')
				anx_buf_putc(out, '\\');
			anx_buf_putc(out, t.data[i]);
		}
		anx_buf_puts(out, "\"");
	} else {
		anx_buf_puts(out, "From: ");
		encoded_words(out, t.data);
	}
	/* Fold before the address if the line would be long. */
	{
		const char *nl = out->data, *q;
		size_t col;

		for (q = out->data; q && (q = strstr(q, "\r\n")) != NULL; q += 2)
			nl = q + 2;
		col = out->len - (size_t)(nl - out->data);
		anx_buf_printf(out, "%s<%s>\r\n",
			col + 3 + strlen(addr) > LINE_MAX_CHARS ? "\r\n " : " ", addr);
	}
	anx_buf_free(&t);
}

int
anx_smtp_build_message(const struct anx_smtp_envelope *e, struct anx_buf *out)
{
	char addr[256], name[DISPLAY_NAME_MAX * 2], date[32], rnd[33], bnd[80];
	const char *b;

	if (e == NULL || e->text == NULL ||
		anx_smtp_parse_mailbox(e->from, addr, sizeof(addr), name, sizeof(name)) != 0 ||
		!anx_smtp_addr_valid(e->to) || !msgid_valid(e->message_id))
		return -1;
	if (e->boundary != NULL) {
		if (!boundary_valid(e->boundary))
			return -1;
		b = e->boundary;
	} else {
		/* "=_" never occurs in quoted-printable text, so the boundary
		 * cannot collide with a part's content (RFC 2045 §6.7). */
		if (anx_random_hex(rnd, 16) != 0)
			return -1;
		snprintf(bnd, sizeof(bnd), "=_anx_%s", rnd);
		b = bnd;
	}
	anx_smtp_rfc5322_date(e->date, date);

	from_header(out, name, addr);
	anx_buf_printf(out, "To: %s\r\n", e->to);
	if (anx_smtp_header_text(out, "Subject", e->subject) != 0)
		return -1;
	anx_buf_printf(out, "Date: %s\r\n", date);
	anx_buf_printf(out, "Message-ID: <%s>\r\n", e->message_id);
	anx_buf_puts(out, "MIME-Version: 1.0\r\n");
	anx_buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	if (e->html == NULL) {
		anx_buf_puts(out, "Content-Type: text/plain; charset=UTF-8\r\n"
				  "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		anx_smtp_qp_encode(out, e->text, strlen(e->text));
		anx_buf_puts(out, "\r\n");
		return anx_buf_failed(out) ? -1 : 0;
	}
	anx_buf_printf(out,
		"Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n"
		"\r\n"
		"This is a multi-part message in MIME format.\r\n"
		"\r\n--%s\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		b, b);
	anx_smtp_qp_encode(out, e->text, strlen(e->text));
	anx_buf_printf(out,
		"\r\n--%s\r\n"
		"Content-Type: text/html; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		b);
	anx_smtp_qp_encode(out, e->html, strlen(e->html));
	anx_buf_printf(out, "\r\n--%s--\r\n", b);
	return anx_buf_failed(out) ? -1 : 0;
}

/* ------------------------------------------------------------ sending */

struct send_ctx {
	const struct anx_smtp_url *url;
	char tls_error[96];
	char last_refusal[128];   /* the server's last 4xx/5xx reply line */
	struct timespec deadline; /* no message starts after this */
	int budget;               /* 1 if deadline is set */
	int out_of_time;          /* 1 once a message was refused for it */
};

/* A message's data for message_cb(). */
struct msg_arg {
	const char *data;
	struct send_ctx *ctx;
};

/* Where message_cb() is in a message; malloc'd, libESMTP frees it. */
struct msg_pos {
	const char *p;
	size_t left;
};

static int
past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/*
 * libESMTP's message reader (smtp_set_messagecb): len NULL rewinds,
 * otherwise it returns the rest of the message in one piece, then NULL.
 * Once the session's time budget is spent it refuses to start another
 * message: returning NULL with errno set makes libESMTP drop the
 * connection before the message is complete, so the server discards it
 * and the remaining messages keep their lease-bounded retry.
 */
static const char *
message_cb(void **state, int *len, void *arg)
{
	struct msg_arg *m = arg;
	struct msg_pos *pos = *state;
	const char *out;

	if (pos == NULL) {
		if ((pos = malloc(sizeof(*pos))) == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		*state = pos;
		pos->p = NULL;
		pos->left = 0;
	}
	if (len == NULL) {
		pos->p = m->data;
		pos->left = strlen(m->data);
		return NULL;
	}
	if (pos->p == m->data && m->ctx->budget && past(&m->ctx->deadline)) {
		m->ctx->out_of_time = 1;
		*len = 0;
		errno = ETIMEDOUT;
		return NULL;
	}
	if (pos->left == 0) {
		*len = 0;
		return NULL;
	}
	out = pos->p;
	*len = pos->left > INT_MAX ? INT_MAX : (int)pos->left;
	pos->p += *len;
	pos->left -= (size_t)*len;
	return out;
}

/*
 * The SSL_CTX for STARTTLS: TLS 1.2 only, the system's CA store (or
 * SSL_CERT_FILE / SSL_CERT_DIR), created once per process.
 *
 * Why not TLS 1.3: libESMTP 1.1 mishandles TLS 1.3 post-handshake
 * messages. Most servers (Postfix, Exchange Online, anything on OpenSSL)
 * send NewSessionTicket records right after the handshake; when they
 * arrive before libESMTP flushes the EHLO it queued after STARTTLS, its
 * loop reads first and waits for the reply to a command it has not sent,
 * until the 30 s timeout. TLS 1.2 has no post-handshake messages.
 *
 * libESMTP links OpenSSL itself; the few functions needed are looked up
 * in the process at run time, so this program needs no OpenSSL link
 * flags (the rest of AgentNexus uses GnuTLS). NULL if they are missing:
 * libESMTP then uses its own context.
 */
static SSL_CTX *
tls12_ctx(void)
{
	typedef const SSL_METHOD *(*method_fn)(void);
	typedef SSL_CTX *(*new_fn)(const SSL_METHOD *);
	typedef long (*ctrl_fn)(SSL_CTX *, int, long, void *);
	typedef int (*paths_fn)(SSL_CTX *);
	typedef void (*free_fn)(SSL_CTX *);
	static SSL_CTX *ctx;
	static int tried;
	method_fn method;
	new_fn ctx_new;
	ctrl_fn ctrl;
	paths_fn paths;
	free_fn ctx_free;

	if (tried)
		return ctx;
	tried = 1;
	method = (method_fn)dlsym(RTLD_DEFAULT, "TLS_client_method");
	ctx_new = (new_fn)dlsym(RTLD_DEFAULT, "SSL_CTX_new");
	ctrl = (ctrl_fn)dlsym(RTLD_DEFAULT, "SSL_CTX_ctrl");
	paths = (paths_fn)dlsym(RTLD_DEFAULT, "SSL_CTX_set_default_verify_paths");
	ctx_free = (free_fn)dlsym(RTLD_DEFAULT, "SSL_CTX_free");
	if (method == NULL || ctx_new == NULL || ctrl == NULL || paths == NULL ||
		ctx_free == NULL || (ctx = ctx_new(method())) == NULL)
		return NULL;
	/* The server's certificate is verified during the handshake and the
	 * result checked by libESMTP, which also matches the host name. */
	if (ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL) != 1 ||
		ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, TLS1_2_VERSION, NULL) != 1 ||
		paths(ctx) != 1) {
		ctx_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* Supplies the user name and password to libESMTP's SASL mechanisms. */
static int
interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	const struct anx_smtp_url *u = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = (char *)(uintptr_t)u->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = (char *)(uintptr_t)u->pass;
		else
			result[i] = (char *)(uintptr_t) "";
	}
	return 1;
}

/*
 * Sets TCP_NODELAY on the socket libESMTP just connected to the server.
 * libESMTP writes a message in 2 KiB pieces and keeps its socket to
 * itself; with Nagle's algorithm on, the last piece of every message
 * waits for the server's delayed ACK (40 ms on Linux), which caps a
 * session at about 20 messages a second. The socket is found as the
 * stream socket whose peer port is the server's; setting the option on
 * any other such socket would be harmless.
 */
static void
nodelay_server_socket(const struct anx_smtp_url *u)
{
	long max = sysconf(_SC_OPEN_MAX);
	unsigned port = (unsigned)atoi(u->port);
	int one = 1;

	if (max < 0 || max > 4096)
		max = 4096;
	for (int fd = 3; fd < (int)max; fd++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer), tlen;
		int type;

		tlen = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM ||
			getpeername(fd, (struct sockaddr *)&peer, &len) != 0)
			continue;
		if ((peer.ss_family == AF_INET &&
			    ntohs(((struct sockaddr_in *)&peer)->sin_port) == port) ||
			(peer.ss_family == AF_INET6 &&
				ntohs(((struct sockaddr_in6 *)&peer)->sin6_port) == port))
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
}

/* Notes why TLS failed (the certificate events pass an int *ok that we
 * leave at 0, so libESMTP refuses the connection), and turns Nagle's
 * algorithm off once connected. */
static void
on_event(smtp_session_t session, int event, void *arg, ...)
{
	struct send_ctx *c = arg;
	const char *why = NULL;

	(void)session;
	if (event == SMTP_EV_CONNECT) {
		nodelay_server_socket(c->url);
		return;
	}
	switch (event) {
	case SMTP_EV_EXTNA_STARTTLS: why = "server does not offer STARTTLS"; break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: why = "invalid server certificate"; break;
	case SMTP_EV_NO_PEER_CERTIFICATE: why = "server sent no certificate"; break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE: why = "certificate does not match host"; break;
	case SMTP_EV_WEAK_CIPHER: why = "weak cipher"; break;
	case SMTP_EV_UNUSABLE_CA_LIST: why = "unusable CA list"; break;
	default: break;
	}
	if (why != NULL && c->tls_error[0] == '\0')
		snprintf(c->tls_error, sizeof(c->tls_error), "tls: %s", why);
}

/*
 * Keeps the server's last refusal (a 4xx or 5xx reply line) to explain a
 * session that ended early, e.g. "535 5.7.8 Authentication failed".
 * Only what the server sends is looked at, never what we write (AUTH
 * carries the password); libESMTP does not monitor message data.
 */
static void
on_monitor(const char *buf, int len, int writing, void *arg)
{
	struct send_ctx *c = arg;
	const char *p = buf, *end = buf + (len > 0 ? len : 0), *nl;
	size_t n;

	if (writing != SMTP_CB_READING)
		return;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((*p == '4' || *p == '5') && nl - p > 3) {
			n = (size_t)(nl - p);
			if (n >= sizeof(c->last_refusal))
				n = sizeof(c->last_refusal) - 1;
			for (size_t i = 0; i < n; i++)
				c->last_refusal[i] = (unsigned char)p[i] < 0x20 ? ' ' : p[i];
			while (n > 0 && c->last_refusal[n - 1] == ' ')
				n--;
			c->last_refusal[n] = '\0';
		}
		if (nl == end)
			break;
	}
}

/* Copies a server reply into msg->error as "smtp <code>: <text>", with
 * control characters replaced and the length bounded. */
static void
status_error(struct anx_smtp_msg *msg, const char *stage, const smtp_status_t *st)
{
	char text[160];
	size_t i = 0;

	if (st->text != NULL) {
		for (; i < sizeof(text) - 1 && st->text[i]; i++)
			text[i] = (unsigned char)st->text[i] < 0x20 ? ' ' : st->text[i];
	}
	while (i > 0 && text[i - 1] == ' ')
		i--;
	text[i] = '\0';
	msg->code = st->code;
	snprintf(msg->error, sizeof(msg->error), "smtp %s %d: %s", stage, st->code, text);
}

/* Decides one message's outcome from the statuses libESMTP recorded. */
static void
message_outcome(struct anx_smtp_msg *msg, smtp_message_t m, smtp_recipient_t r, const char *why)
{
	const smtp_status_t *mail = smtp_reverse_path_status(m);
	const smtp_status_t *rcpt = smtp_recipient_status(r);
	const smtp_status_t *data = smtp_message_transfer_status(m);

	msg->ok = 0;
	msg->permanent = 0;
	msg->code = 0;
	msg->error[0] = '\0';
	if (data && data->code / 100 == 2 && rcpt && rcpt->code / 100 == 2) {
		msg->ok = 1;
		msg->code = data->code;
		return;
	}
	if (mail && mail->code >= 400) {
		/* A refused sender is a configuration problem (authentication,
		 * MAIL_FROM): retry, so mail flows once it is fixed. */
		status_error(msg, "MAIL", mail);
	} else if (rcpt && rcpt->code >= 400) {
		status_error(msg, "RCPT", rcpt);
		msg->permanent = rcpt->code >= 500;
	} else if (data && data->code >= 400) {
		status_error(msg, "DATA", data);
		msg->permanent = data->code >= 500;
	} else {
		snprintf(msg->error, sizeof(msg->error), "%s", why);
	}
}

int
anx_smtp_send(const struct anx_smtp_url *u, const char *from_addr, struct anx_smtp_msg *msgs,
	size_t n, long budget_seconds)
{
	static int auth_ready;
	smtp_session_t session = NULL;
	auth_context_t authctx = NULL;
	smtp_message_t *ms = NULL;
	smtp_recipient_t *rs = NULL;
	struct msg_arg *args = NULL;
	struct send_ctx ctx;
	char hostport[ANX_SMTP_HOST_MAX + 8], why[ANX_SMTP_ERROR_MAX], ebuf[128];
	int started, replied = 0, accepted = -1;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.url = u;
	if (budget_seconds > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ctx.deadline);
		ctx.deadline.tv_sec += budget_seconds;
		ctx.budget = 1;
	}
	snprintf(why, sizeof(why), "smtp: could not set up the session");
	for (i = 0; i < n; i++) {
		msgs[i].ok = msgs[i].permanent = msgs[i].code = 0;
		msgs[i].error[0] = '\0';
	}
	if (n == 0)
		return 0;
	if ((ms = calloc(n, sizeof(*ms))) == NULL || (rs = calloc(n, sizeof(*rs))) == NULL ||
		(args = calloc(n, sizeof(*args))) == NULL)
		goto out;
	if ((session = smtp_create_session()) == NULL)
		goto out;
	snprintf(hostport, sizeof(hostport), "%s:%s", u->host, u->port);
	if (tls12_ctx() != NULL && !smtp_starttls_set_ctx(session, tls12_ctx()))
		goto out;
	if (!smtp_set_server(session, hostport) ||
		!smtp_starttls_enable(session,
			u->tls == ANX_SMTP_TLS_REQUIRED ? Starttls_REQUIRED : Starttls_ENABLED) ||
		!smtp_set_eventcb(session, on_event, &ctx) ||
		!smtp_set_monitorcb(session, on_monitor, &ctx, 0))
		goto out;
	smtp_set_timeout(
		session, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, TIMEOUT_STEP_MS);
	smtp_set_timeout(
		session, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, TIMEOUT_STEP_MS);
	smtp_set_timeout(session, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, TIMEOUT_STEP_MS);
	smtp_set_timeout(
		session, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, TIMEOUT_STEP_MS);
	smtp_set_timeout(
		session, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, TIMEOUT_FINAL_MS);
	if (u->auth) {
		if (!auth_ready) {
			auth_client_init();
			auth_ready = 1;
		}
		if ((authctx = auth_create_context()) == NULL)
			goto out;
		/* PLAIN and LOGIN send the password as is: allowed because TLS
		 * is required off loopback (see anx_smtp_url_parse). */
		auth_set_mechanism_flags(authctx, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(authctx, interact, (void *)(uintptr_t)u);
		if (!smtp_auth_set_context(session, authctx))
			goto out;
	}
	for (i = 0; i < n; i++) {
		if ((ms[i] = smtp_add_message(session)) == NULL ||
			!smtp_set_reverse_path(ms[i], from_addr) ||
			(rs[i] = smtp_add_recipient(ms[i], msgs[i].to)) == NULL ||
			!smtp_set_messagecb(ms[i], message_cb, &args[i]))
			goto out;
		args[i].data = msgs[i].data;
		args[i].ctx = &ctx;
	}
	started = smtp_start_session(session);
	if (ctx.tls_error[0])
		snprintf(why, sizeof(why), "%s", ctx.tls_error);
	else if (!started)
		snprintf(why, sizeof(why), "smtp session: %s",
			smtp_strerror(smtp_errno(), ebuf, sizeof(ebuf)) ? ebuf : "failed");
	else if (ctx.out_of_time)
		snprintf(why, sizeof(why), "smtp: session time budget (%lds) used up",
			budget_seconds);
	else if (ctx.last_refusal[0])
		snprintf(why, sizeof(why), "smtp: session ended after \"%s\"", ctx.last_refusal);
	else
		snprintf(why, sizeof(why), "smtp: no reply for this message (connection lost)");
	accepted = 0;
	for (i = 0; i < n; i++) {
		message_outcome(&msgs[i], ms[i], rs[i], why);
		accepted += msgs[i].ok;
		replied |= msgs[i].code != 0;
	}
	if (!replied)
		accepted = -1;
out:
	if (accepted < 0)
		for (i = 0; i < n; i++)
			if (!msgs[i].ok && msgs[i].error[0] == '\0')
				snprintf(msgs[i].error, sizeof(msgs[i].error), "%s", why);
	if (session != NULL)
		smtp_destroy_session(session);
	if (authctx != NULL)
		auth_destroy_context(authctx);
	free(ms);
	free(rs);
	free(args);
	return accepted;
}
