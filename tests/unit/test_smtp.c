/*
 * test_smtp.c - smtp.c: SMTP_URL parsing (valid and invalid URLs,
 * percent-decoding, the password never in an error), addresses and
 * MAIL_FROM, quoted-printable (RFC 2045 §6.7) and RFC 2047 header
 * encoding checked by decoding them back, the RFC 5322 date, the whole
 * message (headers, multipart boundaries, CRLF only, line lengths), and
 * sending: to a closed port, and to a scripted server in a child process
 * (per-message verdicts in one session, the session time budget).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "crypto.h"
#include "smtp.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ helpers */

/* Checks every line of s ends in CRLF (no bare CR or LF), is at most
 * max characters, and every byte is 7-bit. */
static void
assert_wire_lines(const char *s, size_t max)
{
	size_t col = 0;

	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		assert_true(c < 0x80);
		if (c == '\r') {
			assert_int_equal(s[i + 1], '\n');
			assert_true(col <= max);
			col = 0;
			i++;
			continue;
		}
		assert_int_not_equal(c, '\n');
		col++;
	}
	assert_true(col <= max);
}

static int
hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes quoted-printable into out: soft breaks vanish, hard CRLF
 * breaks become "\n". */
static void
qp_decode(const char *s, struct anx_buf *out)
{
	for (size_t i = 0; s[i];) {
		if (s[i] == '=' && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 3;
		} else if (s[i] == '=') {
			assert_true(hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0);
			anx_buf_putc(out, (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2])));
			i += 3;
		} else if (s[i] == '\r' && s[i + 1] == '\n') {
			anx_buf_putc(out, '\n');
			i += 2;
		} else {
			anx_buf_putc(out, s[i++]);
		}
	}
	anx_buf_add(out, "", 0);
}

/* Unfolds a header field value (after "Name: ") and decodes RFC 2047 B
 * encoded-words; whitespace between adjacent encoded-words is dropped. */
static void
header_decode(const char *field, struct anx_buf *out)
{
	const char *p = strchr(field, ':');
	int prev_ew = 0;

	assert_non_null(p);
	for (p += 2; *p;) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] == '\0')
				break;
			assert_true(p[2] == ' ' || p[2] == '\t');
			p += 2;
			continue;
		}
		if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
			const char *e = strstr(p + 10, "?=");
			unsigned char dec[128];
			long n;

			assert_non_null(e);
			assert_true(e + 2 - p <= 75);
			n = anx_base64_decode(p + 10, (size_t)(e - p - 10), dec, sizeof(dec));
			assert_true(n >= 0);
			/* Drop the separating space we copied after the last word. */
			if (prev_ew && out->len > 0 && out->data[out->len - 1] == ' ')
				out->len--;
			anx_buf_add(out, dec, (size_t)n);
			p = e + 2;
			prev_ew = 1;
			continue;
		}
		if (*p != ' ')
			prev_ew = 0;
		anx_buf_putc(out, *p++);
	}
	anx_buf_add(out, "", 0);
}

/* ------------------------------------------------------------ SMTP_URL */

static void
test_url_valid(void **state)
{
	static const struct {
		const char *url;
		const char *host, *port, *user, *pass;
		int auth;
		enum anx_smtp_tls tls;
	} t[] = {
		{ "smtp://mail.example.com", "mail.example.com", "587", "", "", 0,
			ANX_SMTP_TLS_OPPORTUNISTIC },
		{ "smtp://mail.example.com:2525/", "mail.example.com", "2525", "", "", 0,
			ANX_SMTP_TLS_OPPORTUNISTIC },
		{ "SMTP://localhost:1025", "localhost", "1025", "", "", 0,
			ANX_SMTP_TLS_OPPORTUNISTIC },
		{ "smtp://user:pass@smtp.example.com:587", "smtp.example.com", "587", "user",
			"pass", 1, ANX_SMTP_TLS_REQUIRED },
		{ "smtp://us%40er:p%3Ass%2F%25%20x@smtp.example.com", "smtp.example.com", "587",
			"us@er", "p:ss/% x", 1, ANX_SMTP_TLS_REQUIRED },
		{ "smtp://apikey:se@cret@smtp.example.com", "smtp.example.com", "587", "apikey",
			"se@cret", 1, ANX_SMTP_TLS_REQUIRED },
		{ "smtp://u:p@127.0.0.1:26001", "127.0.0.1", "26001", "u", "p", 1,
			ANX_SMTP_TLS_OPPORTUNISTIC },
		{ "smtp://u:p@LOCALHOST", "LOCALHOST", "587", "u", "p", 1,
			ANX_SMTP_TLS_OPPORTUNISTIC },
		{ "smtp://u@h.example", "h.example", "587", "u", "", 1, ANX_SMTP_TLS_REQUIRED },
		{ "smtp://u:@h.example:1", "h.example", "1", "u", "", 1, ANX_SMTP_TLS_REQUIRED },
		{ "smtp://mail_relay:65535", "mail_relay", "65535", "", "", 0,
			ANX_SMTP_TLS_OPPORTUNISTIC },
		{ "smtp://caf%C3%A9:%E2%82%AC@h", "h", "587", "caf\xc3\xa9", "\xe2\x82\xac", 1,
			ANX_SMTP_TLS_REQUIRED },
	};
	struct anx_smtp_url u;
	char err[256];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		if (anx_smtp_url_parse(t[i].url, &u, err, sizeof(err)) != 0)
			fail_msg("%s: %s", t[i].url, err);
		assert_string_equal(u.host, t[i].host);
		assert_string_equal(u.port, t[i].port);
		assert_string_equal(u.user, t[i].user);
		assert_string_equal(u.pass, t[i].pass);
		assert_int_equal(u.auth, t[i].auth);
		assert_int_equal(u.tls, t[i].tls);
		anx_smtp_url_clear(&u);
		assert_string_equal(u.pass, "");
	}
}

static void
test_url_invalid(void **state)
{
	static const struct {
		const char *url;
		const char *why; /* a substring of the error */
	} t[] = {
		{ "", "empty" },
		{ "smtps://u:s3cretpw@h:465", "smtps" },
		{ "http://h", "smtp://" },
		{ "mail.example.com:587", "smtp://" },
		{ "smtp://", "host" },
		{ "smtp://:25", "host" },
		{ "smtp://u:s3cretpw@", "host" },
		{ "smtp://h:0", "port" },
		{ "smtp://h:65536", "port" },
		{ "smtp://h:123456", "port" },
		{ "smtp://h:12a", "port" },
		{ "smtp://h:", "port" },
		{ "smtp://h:-1", "port" },
		{ "smtp://h/path", "path" },
		{ "smtp://h/?", "path" },
		{ "smtp://h?starttls=no", "path" },
		{ "smtp://h#frag", "path" },
		{ "smtp://[::1]:25", "IPv6" },
		{ "smtp://u:s3cretpw%zz@h", "percent" },
		{ "smtp://u:s3cretpw%2@h", "percent" },
		{ "smtp://u:s3cretpw%0d%0a@h", "password" },
		{ "smtp://u:s3cret pw@h", "password" },
		{ "smtp://:s3cretpw@h", "user" },
		{ "smtp://u%00:s3cretpw@h", "user" },
		{ "smtp://ho st", "host" },
		{ "smtp://-h", "host" },
		{ "smtp://h\r\n.example", "host" },
	};
	struct anx_smtp_url u;
	char err[256];

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		if (anx_smtp_url_parse(t[i].url, &u, err, sizeof(err)) == 0)
			fail_msg("accepted %s", t[i].url);
		if (strstr(err, t[i].why) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", t[i].url, err, t[i].why);
		assert_null(strstr(err, "s3cret"));
		assert_string_equal(u.pass, "");
		assert_string_equal(u.host, "");
	}
	/* A NULL URL is an error, not a crash. */
	assert_int_equal(anx_smtp_url_parse(NULL, &u, err, sizeof(err)), -1);
}

/* ---------------------------------------------------------- addresses */

static void
test_addresses(void **state)
{
	static const char *const valid[] = { "a@b.c", "first.last@example.com",
		"x+tag@sub.example.org", "o'brien@example.ie", "u_1-2@xn--bcher-kva.example",
		"finance1@example.test" };
	static const char *const invalid[] = { "", "a@", "@b.c", "ab", "a b@c.d", "a@b c.d",
		"a@@b.c", "a@b@c.d", "<a@b.c>", "a@b.c>", "a\r\n@b.c", "a@b.c\r\nBcc: x@y.z",
		".a@b.c", "a.@b.c", "a..b@c.d", "a@b..c", "a@.b.c", "a@b.c.", "a@-b.c", "a,b@c.d",
		"\"a\"@b.c", "a@b_c.d", "caf\xc3\xa9@b.c",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.c" };

	(void)state;
	for (size_t i = 0; i < NELEM(valid); i++)
		if (!anx_smtp_addr_valid(valid[i]))
			fail_msg("rejected %s", valid[i]);
	for (size_t i = 0; i < NELEM(invalid); i++)
		if (anx_smtp_addr_valid(invalid[i]))
			fail_msg("accepted %s", invalid[i]);
	assert_false(anx_smtp_addr_valid(NULL));
}

static void
test_mailbox(void **state)
{
	static const struct {
		const char *in, *addr, *name;
	} ok[] = {
		{ "noreply@example.com", "noreply@example.com", "" },
		{ "AgentNexus <noreply@agentnexus.test>", "noreply@agentnexus.test", "AgentNexus" },
		{ "\"Agent Nexus, Inc.\" <a@b.co>", "a@b.co", "Agent Nexus, Inc." },
		{ "  <a@b.co>  ", "a@b.co", "" },
		{ "Zoë <z@example.com>", "z@example.com", "Zoë" },
		{ "\"Say \\\"hi\\\"\" <a@b.co>", "a@b.co", "Say \"hi\"" },
	};
	static const char *const bad[] = { "", "Name", "Name <>", "Name <a@b.co", "Name <a@b.co> x",
		"Name\r\nBcc: x@y.z <a@b.co>", "<not an address>" };
	char addr[256], name[256];

	(void)state;
	for (size_t i = 0; i < NELEM(ok); i++) {
		assert_int_equal(
			anx_smtp_parse_mailbox(ok[i].in, addr, sizeof(addr), name, sizeof(name)),
			0);
		assert_string_equal(addr, ok[i].addr);
		assert_string_equal(name, ok[i].name);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
		if (anx_smtp_parse_mailbox(bad[i], addr, sizeof(addr), name, sizeof(name)) == 0)
			fail_msg("accepted %s", bad[i]);
}

/* --------------------------------------------------- quoted-printable */

static void
test_qp_table(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "", "" },
		{ "hello", "hello" },
		{ "a=b", "a=3Db" },
		{ "caf\xc3\xa9", "caf=C3=A9" },
		{ "line1\nline2", "line1\r\nline2" },
		{ "line1\r\nline2\rline3", "line1\r\nline2\r\nline3" },
		{ "trailing space \nx", "trailing space=20\r\nx" },
		{ "tab\t", "tab=09" },
		{ "From here\nFrom me", "=46rom here\r\n=46rom me" },
		{ "Fromage", "Fromage" },
		{ ".\n..", ".\r\n.." },
		{ "<script>", "<script>" },
		{ "\x01\x7f", "=01=7F" },
	};
	struct anx_buf b;

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		anx_buf_init(&b, 0);
		assert_int_equal(anx_smtp_qp_encode(&b, t[i].in, strlen(t[i].in)), 0);
		anx_buf_add(&b, "", 0);
		assert_string_equal(b.data, t[i].out);
		anx_buf_free(&b);
	}
}

/* Long lines, every byte value, and odd line endings round-trip, with no
 * encoded line over 76 characters. */
static void
test_qp_roundtrip(void **state)
{
	char in[4096], norm[4096];
	struct anx_buf enc, dec;
	size_t n = 0, m = 0;

	(void)state;
	for (int i = 0; i < 300; i++)
		in[n++] = (char)('a' + i % 26);
	for (int c = 1; c < 256; c++)
		in[n++] = (char)c;
	memcpy(in + n, "\r\n", 2);
	n += 2;
	for (int i = 0; i < 200; i++)
		in[n++] = i % 7 == 0 ? ' ' : '=';
	in[n++] = ' ';
	in[n] = '\0';
	/* The expected decoding: every line ending as "\n". */
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\r') {
			norm[m++] = '\n';
			if (in[i + 1] == '\n')
				i++;
		} else {
			norm[m++] = in[i];
		}
	}
	norm[m] = '\0';
	anx_buf_init(&enc, 0);
	anx_buf_init(&dec, 0);
	assert_int_equal(anx_smtp_qp_encode(&enc, in, n), 0);
	anx_buf_add(&enc, "", 0);
	assert_wire_lines(enc.data, 76);
	qp_decode(enc.data, &dec);
	assert_int_equal(dec.len, m);
	assert_memory_equal(dec.data, norm, m);
	anx_buf_free(&enc);
	anx_buf_free(&dec);
}

/* ------------------------------------------------------- header text */

static void
test_header_text(void **state)
{
	static const struct {
		const char *in;
		const char *decoded; /* after unfolding and decoding */
		int encoded;         /* expect encoded-words */
	} t[] = {
		{ "Approval needed: pay invoice 42", "Approval needed: pay invoice 42", 0 },
		{ "  spaced   out\t\ttext  ", "spaced out text", 0 },
		{ "Hi\r\nBcc: evil@example.com", "Hi Bcc: evil@example.com", 0 },
		{ "Zahlung über 1000 €", "Zahlung über 1000 €", 1 },
		{ "looks =?like?= an encoded word", "looks =?like?= an encoded word", 1 },
		{ "日本語の件名とても長い件名です。日本語の件名とても長い件名です。日本語の件名",
			"日本語の件名とても長い件名です。日本語の件名とても長い件名です。日本語の件"
			"名",
			1 },
		{ "bad \xff byte", "bad \xef\xbf\xbd byte", 1 },
		{ "", "", 0 },
		{ "Approval needed: transfer funds to the vendor account for the quarterly invoice "
		  "number 2026-Q3-000123 covering hosting and support services",
			"Approval needed: transfer funds to the vendor account for the quarterly "
			"invoice "
			"number 2026-Q3-000123 covering hosting and support services",
			0 },
		{ "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongwor"
		  "d",
			"averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryl"
			"ongword",
			1 },
	};
	struct anx_buf b, d;

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		anx_buf_init(&b, 0);
		anx_buf_init(&d, 0);
		assert_int_equal(anx_smtp_header_text(&b, "Subject", t[i].in), 0);
		assert_true(strncmp(b.data, "Subject: ", 9) == 0);
		assert_wire_lines(b.data, 78);
		/* One field: the only CRLF not followed by folding space is last. */
		for (char *p = strstr(b.data, "\r\n"); p; p = strstr(p + 2, "\r\n"))
			assert_true(p[2] == '\0' || p[2] == ' ');
		assert_int_equal(strstr(b.data, "=?UTF-8?B?") != NULL, t[i].encoded);
		header_decode(b.data, &d);
		if (strcmp(d.data, t[i].decoded) != 0)
			fail_msg("case %zu: got \"%s\"", i, d.data);
		anx_buf_free(&b);
		anx_buf_free(&d);
	}
}

static void
test_date(void **state)
{
	char d[32];

	(void)state;
	anx_smtp_rfc5322_date(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	anx_smtp_rfc5322_date(1700000000, d);
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 +0000");
	anx_smtp_rfc5322_date(951782400, d); /* leap day */
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 +0000");
}

/* ------------------------------------------------------------ message */

/* Returns the header block (up to the blank line) as a new string. */
static char *
headers_of(const char *msg)
{
	const char *e = strstr(msg, "\r\n\r\n");

	assert_non_null(e);
	return strndup(msg, (size_t)(e - msg) + 2);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_message_multipart(void **state)
{
	struct anx_smtp_envelope e = {
		.from = "AgentNexus <noreply@agentnexus.test>",
		.to = "finance1@example.test",
		.subject = "Approval needed: Zahlung über 1000 €",
		.text = "Hello,\n\nA line that is long enough to need a soft line break when it "
			"is encoded as quoted-printable, because it goes past seventy-six.\n"
			".leading dot\nFrom the agent\nprice = 5 €\n",
		.html = "<p style=\"margin:0\">Hello &amp; welcome</p>\n<p>caf\xc3\xa9</p>",
		.message_id = "0b7c6f0e-1f7a-4c7e-9e59-6d1d1b2a3c4d@anx.example.com",
		.date = 1700000000,
		.boundary = "=_anx_test",
	};
	struct anx_buf b, d;
	char *h, *p, *q, *part;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_smtp_build_message(&e, &b), 0);
	assert_wire_lines(b.data, 78);
	h = headers_of(b.data);
	assert_non_null(strstr(h, "From: \"AgentNexus\" <noreply@agentnexus.test>\r\n"));
	assert_non_null(strstr(h, "\r\nTo: finance1@example.test\r\n"));
	assert_non_null(strstr(h, "\r\nSubject: =?UTF-8?B?"));
	assert_non_null(strstr(h, "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(
		h, "\r\nMessage-ID: <0b7c6f0e-1f7a-4c7e-9e59-6d1d1b2a3c4d@anx.example.com>\r\n"));
	assert_non_null(strstr(h, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(h, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(
		h, "\r\nContent-Type: multipart/alternative;\r\n boundary=\"=_anx_test\"\r\n"));
	free(h);

	/* Exactly two parts and one close delimiter, each on its own line. */
	assert_int_equal(count(b.data, "\r\n--=_anx_test\r\n"), 2);
	assert_int_equal(count(b.data, "\r\n--=_anx_test--\r\n"), 1);
	assert_true(strstr(b.data, "\r\n--=_anx_test--\r\n")[18] == '\0');

	/* Part 1: text/plain, decodes back to the text. */
	p = strstr(b.data, "\r\n--=_anx_test\r\n") + 16;
	assert_true(strncmp(p,
			    "Content-Type: text/plain; charset=UTF-8\r\n"
			    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
			    88) == 0);
	q = strstr(p, "\r\n--=_anx_test\r\n");
	part = strndup(p + 88, (size_t)(q - p - 88));
	anx_buf_init(&d, 0);
	qp_decode(part, &d);
	assert_string_equal(d.data, e.text);
	assert_non_null(strstr(part, "\r\n=46rom the agent"));
	assert_non_null(strstr(part, "=3D 5 =E2=82=AC"));
	free(part);
	anx_buf_free(&d);

	/* Part 2: text/html. */
	p = q + 16;
	assert_true(strncmp(p,
			    "Content-Type: text/html; charset=UTF-8\r\n"
			    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
			    87) == 0);
	q = strstr(p, "\r\n--=_anx_test--");
	part = strndup(p + 87, (size_t)(q - p - 87));
	anx_buf_init(&d, 0);
	qp_decode(part, &d);
	assert_string_equal(d.data, e.html);
	free(part);
	anx_buf_free(&d);

	/* The subject decodes back. */
	h = strstr(b.data, "\r\nSubject: ") + 2;
	part = strndup(h, (size_t)(strstr(h, "\r\nDate:") - h) + 2);
	anx_buf_init(&d, 0);
	header_decode(part, &d);
	assert_string_equal(d.data, e.subject);
	free(part);
	anx_buf_free(&d);
	anx_buf_free(&b);
}

static void
test_message_text_only_and_random_boundary(void **state)
{
	struct anx_smtp_envelope e = {
		.from = "noreply@agentnexus.test",
		.to = "owner@example.test",
		.subject = "Your code",
		.text = "123456",
		.message_id = "id@host",
		.date = 0,
	};
	struct anx_buf b;
	char *h;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_smtp_build_message(&e, &b), 0);
	assert_wire_lines(b.data, 78);
	h = headers_of(b.data);
	assert_non_null(strstr(h, "From: noreply@agentnexus.test\r\n"));
	assert_non_null(strstr(h, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_null(strstr(h, "multipart"));
	free(h);
	assert_non_null(strstr(b.data, "\r\n\r\n123456\r\n"));
	anx_buf_free(&b);

	/* With HTML and no boundary given: a random "=_anx_" boundary, never
	 * the same twice. */
	e.html = "<p>x</p>";
	anx_buf_init(&b, 0);
	assert_int_equal(anx_smtp_build_message(&e, &b), 0);
	h = strstr(b.data, "boundary=\"=_anx_");
	assert_non_null(h);
	{
		char bnd[64], again[64];
		struct anx_buf b2;

		snprintf(bnd, sizeof(bnd), "%.38s", h + 10);
		assert_int_equal(strlen(bnd), 38);
		anx_buf_init(&b2, 0);
		assert_int_equal(anx_smtp_build_message(&e, &b2), 0);
		snprintf(again, sizeof(again), "%.38s", strstr(b2.data, "boundary=\"") + 10);
		assert_string_not_equal(bnd, again);
		anx_buf_free(&b2);
	}
	anx_buf_free(&b);
}

static void
test_message_display_names(void **state)
{
	static const struct {
		const char *from, *expect;
	} t[] = {
		{ "\"Say \\\"hi\\\"\" <a@b.co>", "From: \"Say \\\"hi\\\"\" <a@b.co>\r\n" },
		{ "Zoë Ops <z@example.com>", "From: =?UTF-8?B?Wm/DqyBPcHM=?= <z@example.com>\r\n" },
		{ "A Very Long Display Name That Keeps Going On And On Forever "
		  "<averylongaddress@example.com>",
			"From: \"A Very Long Display Name That Keeps Going On And On Forever\"\r\n "
			"<averylongaddress@example.com>\r\n" },
	};
	struct anx_smtp_envelope e = {
		.to = "x@y.zz", .subject = "s", .text = "t", .message_id = "i@h", .date = 0
	};
	struct anx_buf b;

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		e.from = t[i].from;
		anx_buf_init(&b, 0);
		assert_int_equal(anx_smtp_build_message(&e, &b), 0);
		if (strncmp(b.data, t[i].expect, strlen(t[i].expect)) != 0)
			fail_msg("%s: got %.120s", t[i].from, b.data);
		assert_wire_lines(b.data, 78);
		anx_buf_free(&b);
	}
}

static void
test_message_invalid(void **state)
{
	struct anx_smtp_envelope good = { .from = "a@b.co",
		.to = "c@d.co",
		.subject = "s",
		.text = "t",
		.html = NULL,
		.message_id = "i@h",
		.date = 0 };
	struct anx_smtp_envelope e;
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);
	e = good;
	e.to = "c@d.co\r\nBcc: x@y.z";
	assert_int_equal(anx_smtp_build_message(&e, &b), -1);
	e = good;
	e.from = "Name <not valid>";
	assert_int_equal(anx_smtp_build_message(&e, &b), -1);
	e = good;
	e.message_id = "a>b@c";
	assert_int_equal(anx_smtp_build_message(&e, &b), -1);
	e = good;
	e.message_id = "no-at-sign";
	assert_int_equal(anx_smtp_build_message(&e, &b), -1);
	e = good;
	e.text = NULL;
	assert_int_equal(anx_smtp_build_message(&e, &b), -1);
	e = good;
	e.boundary = "bad\"boundary";
	assert_int_equal(anx_smtp_build_message(&e, &b), -1);
	anx_buf_free(&b);
	assert_int_equal(anx_smtp_build_message(NULL, &b), -1);
	anx_buf_free(&b);
}

/* ------------------------------------------------------------ sending */

/* Nothing listens on port 1: the session fails and every message says
 * why, none marked sent or permanent. */
static void
test_send_refused(void **state)
{
	struct anx_smtp_url u;
	struct anx_smtp_msg m[2] = { { .to = "a@b.co", .data = "Subject: x\r\n\r\nbody\r\n" },
		{ .to = "c@d.co", .data = "Subject: y\r\n\r\nbody\r\n" } };
	char err[128];

	(void)state;
	assert_int_equal(anx_smtp_url_parse("smtp://127.0.0.1:1", &u, err, sizeof(err)), 0);
	assert_int_equal(anx_smtp_send(&u, "from@example.test", m, 2, 0), -1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(m[i].ok, 0);
		assert_int_equal(m[i].permanent, 0);
		assert_true(strlen(m[i].error) > 0);
	}
	assert_int_equal(anx_smtp_send(&u, "from@example.test", m, 0, 0), 0);
}

/*
 * A scripted SMTP server in a child process, for one connection on a
 * kernel-chosen loopback port: RCPT to bounce@… gets 550, busy@… 451,
 * anything else 250; the final reply to a message for slow@… comes after
 * 2.5 s. It writes what it accepted to fd out (one recipient a line).
 */
static int
fake_readline(int fd, char *buf, size_t cap, char *pending, size_t *plen)
{
	for (;;) {
		char *nl = memchr(pending, '\n', *plen);
		ssize_t n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - pending) + 1;

			if (len >= cap)
				return -1;
			memcpy(buf, pending, len);
			buf[len] = '\0';
			memmove(pending, nl + 1, *plen - len);
			*plen -= len;
			return 0;
		}
		if (*plen >= 4096)
			return -1;
		if ((n = recv(fd, pending + *plen, 4096 - *plen, 0)) <= 0)
			return -1;
		*plen += (size_t)n;
	}
}

static void
fake_say(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
		_exit(1);
}

static void
fake_serve(int lfd, int out)
{
	char line[1024], pending[4096], rcpt[256] = "";
	size_t plen = 0;
	int fd = accept(lfd, NULL, NULL), valid = 0;

	if (fd < 0)
		_exit(1);
	fake_say(fd, "220 fake ESMTP\r\n");
	while (fake_readline(fd, line, sizeof(line), pending, &plen) == 0) {
		if (strncmp(line, "EHLO", 4) == 0) {
			fake_say(fd, "250-fake\r\n250 8BITMIME\r\n");
		} else if (strncmp(line, "MAIL FROM:", 10) == 0) {
			valid = 0;
			fake_say(fd, "250 2.1.0 ok\r\n");
		} else if (strncmp(line, "RCPT TO:<", 9) == 0) {
			snprintf(rcpt, sizeof(rcpt), "%.*s", (int)strcspn(line + 9, ">"), line + 9);
			if (strncmp(rcpt, "bounce@", 7) == 0) {
				fake_say(fd, "550 5.1.1 no such user\r\n");
			} else if (strncmp(rcpt, "busy@", 5) == 0) {
				fake_say(fd, "451 4.3.0 try again later\r\n");
			} else {
				valid = 1;
				fake_say(fd, "250 2.1.5 ok\r\n");
			}
		} else if (strncmp(line, "DATA", 4) == 0) {
			if (!valid) {
				fake_say(fd, "554 5.5.1 no valid recipients\r\n");
				continue;
			}
			fake_say(fd, "354 go ahead\r\n");
			/* A client that hangs up mid-message delivers nothing. */
			for (;;) {
				if (fake_readline(fd, line, sizeof(line), pending, &plen) != 0)
					goto done;
				if (strcmp(line, ".\r\n") == 0)
					break;
			}
			if (strncmp(rcpt, "slow@", 5) == 0)
				usleep(2500 * 1000);
			if (dprintf(out, "%s\n", rcpt) < 0)
				_exit(1);
			fake_say(fd, "250 2.0.0 queued\r\n");
		} else if (strncmp(line, "RSET", 4) == 0) {
			fake_say(fd, "250 2.0.0 ok\r\n");
		} else if (strncmp(line, "QUIT", 4) == 0) {
			fake_say(fd, "221 2.0.0 bye\r\n");
			break;
		} else {
			fake_say(fd, "502 5.5.2 what?\r\n");
		}
	}
done:
	close(fd);
	_exit(0);
}

struct fake {
	pid_t pid;
	int out; /* read end: recipients the server accepted */
	struct anx_smtp_url url;
};

static void
fake_start(struct fake *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char err[128], url[64];
	int lfd, p[2];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(pipe(p), 0);
	assert_true((f->pid = fork()) >= 0);
	if (f->pid == 0) {
		close(p[0]);
		fake_serve(lfd, p[1]);
	}
	close(lfd);
	close(p[1]);
	f->out = p[0];
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	assert_int_equal(anx_smtp_url_parse(url, &f->url, err, sizeof(err)), 0);
}

/* Waits for the server and returns what it accepted. */
static void
fake_finish(struct fake *f, char *accepted, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	int status;

	while (n + 1 < cap && (r = read(f->out, accepted + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	accepted[n] = '\0';
	close(f->out);
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define FAKE_MSG "Subject: x\r\n\r\nbody\r\n.leading dot\r\n"

/* One session, four messages, each with its own verdict. */
static void
test_send_verdicts(void **state)
{
	struct anx_smtp_msg m[4] = { { .to = "ok1@example.test", .data = FAKE_MSG },
		{ .to = "bounce@example.test", .data = FAKE_MSG },
		{ .to = "busy@example.test", .data = FAKE_MSG },
		{ .to = "ok2@example.test", .data = FAKE_MSG } };
	struct fake f;
	char accepted[256];

	(void)state;
	fake_start(&f);
	assert_int_equal(anx_smtp_send(&f.url, "from@example.test", m, 4, 0), 2);
	fake_finish(&f, accepted, sizeof(accepted));
	assert_string_equal(accepted, "ok1@example.test\nok2@example.test\n");
	assert_true(m[0].ok && m[0].code == 250 && m[0].error[0] == '\0');
	assert_true(!m[1].ok && m[1].permanent && m[1].code == 550);
	assert_non_null(strstr(m[1].error, "smtp RCPT 550: 5.1.1 no such user"));
	assert_true(!m[2].ok && !m[2].permanent && m[2].code == 451);
	assert_non_null(strstr(m[2].error, "smtp RCPT 451"));
	assert_true(m[3].ok && m[3].code == 250);
}

/* With a 2 s budget, a slow first message uses it up: the second is not
 * started, and fails as retryable. */
static void
test_send_budget(void **state)
{
	struct anx_smtp_msg m[2] = { { .to = "slow@example.test", .data = FAKE_MSG },
		{ .to = "next@example.test", .data = FAKE_MSG } };
	struct fake f;
	char accepted[256];

	(void)state;
	fake_start(&f);
	assert_int_equal(anx_smtp_send(&f.url, "from@example.test", m, 2, 2), 1);
	fake_finish(&f, accepted, sizeof(accepted));
	assert_string_equal(accepted, "slow@example.test\n");
	assert_true(m[0].ok);
	assert_true(!m[1].ok && !m[1].permanent);
	assert_non_null(strstr(m[1].error, "time budget"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_valid),
		cmocka_unit_test(test_url_invalid),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_mailbox),
		cmocka_unit_test(test_qp_table),
		cmocka_unit_test(test_qp_roundtrip),
		cmocka_unit_test(test_header_text),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_message_multipart),
		cmocka_unit_test(test_message_text_only_and_random_boundary),
		cmocka_unit_test(test_message_display_names),
		cmocka_unit_test(test_message_invalid),
		cmocka_unit_test(test_send_refused),
		cmocka_unit_test(test_send_verdicts),
		cmocka_unit_test(test_send_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
