/*
 * smtp.h - outgoing mail on the wire: SMTP_URL parsing, building the
 * RFC 5322 / MIME message, and submitting a batch of messages in one SMTP
 * session with libESMTP.
 *
 * SMTP_URL is smtp://[user[:pass]@]host[:port][/] (RFC 3986 syntax;
 * user and pass are percent-decoded; port defaults to 587, the submission
 * port of RFC 6409). The session uses STARTTLS (RFC 3207) whenever the
 * server offers it, and requires it when credentials are present and the
 * host is not a loopback address, so a password never crosses a network
 * in clear. TLS is 1.2 (libESMTP 1.1 stalls on TLS 1.3 session tickets;
 * see smtp.c), the server certificate must chain to the system CA store
 * (SSL_CERT_FILE / SSL_CERT_DIR override it) and match the host name,
 * or nothing is sent. smtps:// (implicit TLS, port 465) is rejected:
 * libESMTP only speaks STARTTLS. IPv6 literals are rejected too
 * (libESMTP splits host:port at the first colon).
 *
 * Messages are built entirely here, 7-bit clean with CRLF line endings:
 * headers From, To, Subject (RFC 2047 encoded-words when not plain ASCII),
 * Date, Message-ID, MIME-Version, Auto-Submitted (RFC 3834), and a
 * multipart/alternative body (RFC 2046 §5.1.4) of text/plain and text/html
 * parts in UTF-8, quoted-printable (RFC 2045 §6.7). libESMTP passes the
 * headers through and dot-stuffs the data (RFC 5321 §4.5.2).
 *
 * Nothing here logs: the caller decides what to record, and never the
 * password or a message body.
 */
#ifndef ANX_SMTP_H
#define ANX_SMTP_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define ANX_SMTP_HOST_MAX  253
#define ANX_SMTP_CRED_MAX  255
#define ANX_SMTP_ERROR_MAX 256

enum anx_smtp_tls {
	ANX_SMTP_TLS_OPPORTUNISTIC, /* opportunistic: STARTTLS if offered */
	ANX_SMTP_TLS_REQUIRED       /* required: quit if not offered */
};

/* A parsed SMTP_URL. user and pass are decoded; clear the struct with
 * anx_smtp_url_clear() when done so the password does not linger. */
struct anx_smtp_url {
	char host[ANX_SMTP_HOST_MAX + 1];
	char port[6];
	char user[ANX_SMTP_CRED_MAX + 1];
	char pass[ANX_SMTP_CRED_MAX + 1];
	int auth; /* 1 if a user name was given */
	enum anx_smtp_tls tls;
};

/*
 * Parses url into u. Returns 0, or -1 with a one-line reason in err
 * (size errlen) that never contains the password.
 */
int anx_smtp_url_parse(const char *url, struct anx_smtp_url *u, char *err, size_t errlen);

/* Zeroes u, password included. */
void anx_smtp_url_clear(struct anx_smtp_url *u);

/*
 * Splits a MAIL_FROM value, either "addr@example.com" or
 * "Display Name <addr@example.com>", into its address (copied into addr,
 * size addrlen) and display name (into name, size namelen; "" if none;
 * surrounding quotes removed). Returns 0, or -1 if the value is malformed
 * or the address is not a plain addr-spec (anx_smtp_addr_valid).
 */
int anx_smtp_parse_mailbox(
	const char *from, char *addr, size_t addrlen, char *name, size_t namelen);

/*
 * 1 if s is an addr-spec we send to: 3..254 bytes, one '@', a non-empty
 * local part of at most 64 bytes made of printable ASCII other than
 * whitespace and the specials ()<>[]:;,\" (and no leading, trailing or
 * doubled dot), and a domain of letters, digits, '-' and '.' labels.
 */
int anx_smtp_addr_valid(const char *s);

/* The input of anx_smtp_build_message(). All strings are UTF-8. */
struct anx_smtp_envelope {
	const char *from;       /* MAIL_FROM: "Name <addr>" or "addr" */
	const char *to;         /* a plain address (anx_smtp_addr_valid) */
	const char *subject;    /* control characters become spaces */
	const char *text;       /* the text/plain part (required) */
	const char *html;       /* the text/html part, or NULL for text only */
	const char *message_id; /* "local@host", without angle brackets */
	time_t date;            /* the Date header, in UTC */
	const char *boundary;   /* MIME boundary, or NULL for a random one */
};

/*
 * Appends the complete message for e to out (CRLF line endings, no line
 * longer than 78 characters, 7-bit). Returns 0, or -1 if an input is
 * invalid (bad From or To, message_id with spaces or angle brackets) or
 * the buffer failed.
 */
int anx_smtp_build_message(const struct anx_smtp_envelope *e, struct anx_buf *out);

/*
 * Building blocks, exposed for tests. anx_smtp_qp_encode appends s[0..n)
 * quoted-printable (line breaks of any style become CRLF hard breaks;
 * soft breaks keep lines at 76 characters). anx_smtp_header_text appends
 * "Name: value" folded for a header field (RFC 5322 §2.2.3), as plain
 * ASCII if possible and as RFC 2047 B encoded-words otherwise, ending in
 * CRLF. anx_smtp_rfc5322_date formats t as "Thu, 01 Jan 1970 00:00:00
 * +0000" into out (32 bytes).
 */
int anx_smtp_qp_encode(struct anx_buf *out, const char *s, size_t n);
int anx_smtp_header_text(struct anx_buf *out, const char *name, const char *value);
void anx_smtp_rfc5322_date(time_t t, char out[32]);

/* One message of a batch: input fields and, after anx_smtp_send(), the
 * outcome. data is the built message, NUL-terminated, kept alive by the
 * caller until anx_smtp_send() returns. */
struct anx_smtp_msg {
	const char *to;                 /* envelope recipient */
	const char *data;               /* the message (anx_smtp_build_message) */
	int ok;                         /* 1 once the server accepted it (250 after DATA) */
	int permanent;                  /* 1 if the server refused it for good (5xx) */
	int code;                       /* the deciding SMTP reply code, 0 if none */
	char error[ANX_SMTP_ERROR_MAX]; /* "" when ok */
};

/*
 * Submits msgs[0..n) in one SMTP session to the server u names, with
 * from_addr as the envelope sender, filling each message's outcome: a
 * dropped connection fails only the messages not yet accepted. Returns
 * the number accepted, or -1 if the session failed before any message
 * got a reply of its own (server unreachable, TLS refused, greeting or
 * authentication refused); every message then carries the reason, e.g.
 * "smtp session: Connection refused" or "smtp: session ended after
 * \"535 5.7.8 Authentication failed\"" (the server's last refusal).
 * Timeouts are 30 s per protocol step (60 s for the final reply). With
 * budget_seconds > 0 no message starts after that many seconds from the
 * call (the connection is dropped before its data completes, so the
 * server discards it, and it fails with a "time budget" error): a caller
 * holding a lease can bound the session to budget + about 2 minutes.
 */
int anx_smtp_send(const struct anx_smtp_url *u, const char *from_addr, struct anx_smtp_msg *msgs,
	size_t n, long budget_seconds);

#endif
