/*
 * outbox_email.c - claiming, sending and recording email_outbox rows; see
 * outbox_email.h.
 */
#include "outbox_email.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "audit.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "mail.h"
#include "smtp.h"

#define SCRUBBED "[redacted after delivery]"

/*
 * Claims due messages: counts the attempt and leases them by moving
 * next_attempt_at (and lease_until) to the end of the lease, so the due
 * index alone finds messages whose worker died. One statement, so one
 * short transaction.
 */
static const char SQL_CLAIM[] =
	"WITH due AS ("
	" SELECT id FROM email_outbox"
	" WHERE status = 'pending' AND next_attempt_at <= now()"
	" ORDER BY next_attempt_at LIMIT $1::integer"
	" FOR UPDATE SKIP LOCKED)"
	" UPDATE email_outbox o SET attempts = o.attempts + 1,"
	" lease_until = now() + make_interval(secs => $2::integer),"
	" next_attempt_at = now() + make_interval(secs => $2::integer)"
	" FROM due WHERE o.id = due.id"
	" RETURNING o.id, o.kind, o.to_address, o.subject, o.text_body, o.html_body,"
	" o.attempts, o.max_attempts, o.lease_until";
enum { C_ID, C_KIND, C_TO, C_SUBJECT, C_TEXT, C_HTML, C_ATTEMPTS, C_MAX, C_LEASE };

static const char SQL_SENT[] =
	"UPDATE email_outbox SET status = 'sent', sent_at = now(), lease_until = NULL,"
	" last_error = NULL,"
	" text_body = CASE WHEN scrub_after_send THEN '" SCRUBBED "' ELSE text_body END,"
	" html_body = CASE WHEN scrub_after_send AND html_body IS NOT NULL"
	" THEN '" SCRUBBED "' ELSE html_body END"
	" WHERE id = ANY($1::uuid[]) AND status = 'pending'";

/* Failure updates hold only while our lease does: a message another
 * worker has claimed since is theirs to record. */
static const char SQL_RETRY[] =
	"UPDATE email_outbox SET last_error = $3, lease_until = NULL,"
	" next_attempt_at = now() + make_interval(secs => $4::integer)"
	" WHERE id = $1 AND lease_until = $2::timestamptz AND status = 'pending'";

static const char SQL_DEAD[] =
	"UPDATE email_outbox SET status = 'dead', last_error = $3, lease_until = NULL"
	" WHERE id = $1 AND lease_until = $2::timestamptz AND status = 'pending'"
	" RETURNING workspace_id, evaluation_id, kind, to_address, attempts";

static const char SQL_RESEND[] =
	"UPDATE email_outbox SET status = 'pending', attempts = 0, next_attempt_at = now(),"
	" lease_until = NULL, last_error = NULL"
	" WHERE id = $1::uuid AND status = 'dead'"
	" AND ($2::uuid IS NULL OR workspace_id = $2::uuid)"
	" RETURNING id";

static const char SQL_NOTIFY[] = "NOTIFY anx_outbox";

long
anx_email_backoff(int attempts, unsigned long rnd)
{
	long cap = ANX_EMAIL_BACKOFF_BASE;

	for (int i = 1; i < attempts && cap < ANX_EMAIL_BACKOFF_CAP; i++)
		cap *= 2;
	if (cap > ANX_EMAIL_BACKOFF_CAP)
		cap = ANX_EMAIL_BACKOFF_CAP;
	return 1 + (long)(rnd % (unsigned long)cap);
}

/* The host of APP_URL for Message-IDs ("agentnexus.invalid" if odd). */
static void
app_host(char *out, size_t n)
{
	const char *u = anx_cfg.app_url, *p;
	size_t len;

	snprintf(out, n, "agentnexus.invalid");
	if (u == NULL || (p = strstr(u, "://")) == NULL)
		return;
	p += 3;
	len = strcspn(p, ":/?#");
	if (len == 0 || len >= n)
		return;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '.')
			return;
	memcpy(out, p, len);
	out[len] = '\0';
}

/* SMTP settings, parsed once per configuration value. */
struct smtp_conf {
	const char *src_url;  /* the anx_cfg.smtp_url parsed */
	const char *src_from; /* the anx_cfg.mail_from parsed */
	int ok;
	struct anx_smtp_url url;
	char from_addr[256];
};

/* Returns 1 if mail can be sent; logs an unusable setting once. */
static int
smtp_ready(struct smtp_conf *c)
{
	static int said_unset;
	char err[256], name[256];

	if (anx_cfg.smtp_url == NULL) {
		if (!said_unset)
			anx_log(ANX_LOG_WARN, "email_smtp_unset",
				LF_STR("message", "SMTP_URL is not set; email stays queued"),
				ANX_LF_END);
		said_unset = 1;
		return 0;
	}
	if (c->src_url == anx_cfg.smtp_url && c->src_from == anx_cfg.mail_from)
		return c->ok;
	c->src_url = anx_cfg.smtp_url;
	c->src_from = anx_cfg.mail_from;
	c->ok = 0;
	anx_smtp_url_clear(&c->url);
	if (anx_smtp_url_parse(anx_cfg.smtp_url, &c->url, err, sizeof(err)) != 0) {
		anx_log(ANX_LOG_ERROR, "email_smtp_invalid", LF_STR("error", err),
			LF_STR("message", "email stays queued"), ANX_LF_END);
		return 0;
	}
	if (anx_smtp_parse_mailbox(anx_cfg.mail_from, c->from_addr, sizeof(c->from_addr), name,
		    sizeof(name)) != 0) {
		anx_log(ANX_LOG_ERROR, "email_mail_from_invalid",
			LF_STR("error", "MAIL_FROM must be addr@domain or Name <addr@domain>"),
			LF_STR("message", "email stays queued"), ANX_LF_END);
		return 0;
	}
	c->ok = 1;
	return 1;
}

/*
 * A circuit breaker for an unreachable server. libESMTP's connect() has
 * no timeout of its own, so a server that drops packets would hold every
 * round (and the jobs after it in `deliver`) for the kernel's connect
 * timeout. After a session that could not run at all, no message is
 * claimed for a while: 5 s, doubling to 5 minutes, reset by a session
 * that runs. The messages keep their own backoff.
 */
static struct {
	time_t until;
	long secs;
} breaker;

static int
breaker_open(void)
{
	return breaker.secs > 0 && time(NULL) < breaker.until;
}

static void
breaker_trip(const char *why)
{
	breaker.secs = breaker.secs ? breaker.secs * 2 : 5;
	if (breaker.secs > 300)
		breaker.secs = 300;
	breaker.until = time(NULL) + breaker.secs;
	anx_log(ANX_LOG_WARN, "email_smtp_unreachable", LF_STR("error", why),
		LF_INT("pause_seconds", breaker.secs), ANX_LF_END);
}

static void
breaker_reset(void)
{
	if (breaker.secs > 0)
		anx_log(ANX_LOG_INFO, "email_smtp_reachable", ANX_LF_END);
	breaker.secs = 0;
}

struct dead_ctx {
	const char *id;
	const char *lease;
	const char *error;
};

enum anx_err
anx_email_audit_failure(struct anx_db *db, const char *workspace_id, const char *evaluation_id,
	const char *email_id, const char *kind, const char *to, int attempts, const char *error)
{
	json_object *data;
	enum anx_err err;

	if (workspace_id == NULL)
		return ANX_OK;
	if ((data = json_object_new_object()) == NULL)
		return ANX_ERR_NOMEM;
	json_object_object_add(data, "email_id", json_object_new_string(email_id));
	json_object_object_add(data, "kind", json_object_new_string(kind));
	json_object_object_add(data, "to", json_object_new_string(to));
	json_object_object_add(data, "attempts", json_object_new_int(attempts));
	json_object_object_add(data, "error", json_object_new_string(error));
	err = anx_audit_record(db, workspace_id, "system", NULL,
		evaluation_id ? "approval_email_failed" : "email_failed",
		evaluation_id ? "evaluation" : "email", evaluation_id ? evaluation_id : email_id,
		data);
	json_object_put(data);
	return err;
}

/* Marks one message dead and audits it, in one transaction. */
static enum anx_err
dead_tx(struct anx_db *db, void *arg)
{
	struct dead_ctx *d = arg;
	const char *p[3] = { d->id, d->lease, d->error };
	PGresult *r;
	enum anx_err err;

	if ((err = anx_db_exec(db, SQL_DEAD, 3, p, &r)) != ANX_OK)
		return err;
	if (PQntuples(r) == 1) /* else the lease was lost: theirs to record */
		err = anx_email_audit_failure(db, PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0),
			PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1), d->id,
			PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), atoi(PQgetvalue(r, 0, 4)),
			d->error);
	PQclear(r);
	return err;
}

/* Records a failed attempt: retry later, or dead. */
static enum anx_err
record_failure(struct anx_db *db, PGresult *res, int row, const char *error, int permanent)
{
	const char *id = PQgetvalue(res, row, C_ID), *lease = PQgetvalue(res, row, C_LEASE);
	const char *kind = PQgetvalue(res, row, C_KIND);
	int attempts = atoi(PQgetvalue(res, row, C_ATTEMPTS));
	int max = atoi(PQgetvalue(res, row, C_MAX));
	unsigned long rnd = 0;
	char delay[24];
	long secs;

	if (permanent || attempts >= max) {
		struct dead_ctx d = { id, lease, error };

		anx_log(ANX_LOG_WARN, "email_dead", LF_STR("email_id", id), LF_STR("kind", kind),
			LF_INT("attempts", attempts), LF_BOOL("permanent", permanent),
			LF_STR("error", error), ANX_LF_END);
		return anx_db_tx(db, dead_tx, &d);
	}
	if (anx_random(&rnd, sizeof(rnd)) != 0)
		rnd = (unsigned long)time(NULL);
	secs = anx_email_backoff(attempts, rnd);
	snprintf(delay, sizeof(delay), "%ld", secs);
	anx_log(ANX_LOG_DEBUG, "email_retry", LF_STR("email_id", id), LF_STR("kind", kind),
		LF_INT("attempts", attempts), LF_INT("retry_in_seconds", secs),
		LF_STR("error", error), ANX_LF_END);
	{
		const char *p[4] = { id, lease, error, delay };

		return anx_db_exec(db, SQL_RETRY, 4, p, NULL);
	}
}

enum anx_err
anx_email_drain(struct anx_db *db, int *sent)
{
	static struct smtp_conf conf;
	PGresult *res = NULL;
	struct anx_smtp_msg *msgs = NULL;
	struct anx_buf *bufs = NULL, ids;
	int *row_of = NULL, n, k = 0, i, got;
	char host[256], msgid[320], batch[16], lease[16];
	const char *claim[2] = { batch, lease };
	enum anx_err err = ANX_OK;
	time_t now = time(NULL);

	*sent = 0;
	anx_buf_init(&ids, 0);
	if (!smtp_ready(&conf) || breaker_open())
		return ANX_OK;
	snprintf(batch, sizeof(batch), "%d", ANX_EMAIL_BATCH);
	snprintf(lease, sizeof(lease), "%d", ANX_EMAIL_LEASE_SECONDS);
	if ((err = anx_db_exec(db, SQL_CLAIM, 2, claim, &res)) != ANX_OK)
		return err;
	if ((n = PQntuples(res)) == 0)
		goto out;
	if ((msgs = calloc((size_t)n, sizeof(*msgs))) == NULL ||
		(bufs = calloc((size_t)n, sizeof(*bufs))) == NULL ||
		(row_of = calloc((size_t)n, sizeof(*row_of))) == NULL) {
		err = ANX_ERR_NOMEM; /* the leases run out and the rows come back */
		goto out;
	}
	app_host(host, sizeof(host));

	/* Build every message; the ones that cannot be built or have had
	 * all their attempts (a worker died mid-send each time) go dead. */
	for (i = 0; i < n; i++) {
		struct anx_smtp_envelope e;

		if (atoi(PQgetvalue(res, i, C_ATTEMPTS)) > atoi(PQgetvalue(res, i, C_MAX))) {
			if ((err = record_failure(db, res, i,
				     "gave up: every attempt's lease expired (worker died "
				     "mid-send?)",
				     1)) != ANX_OK)
				goto out;
			continue;
		}
		memset(&e, 0, sizeof(e));
		snprintf(msgid, sizeof(msgid), "%s@%s", PQgetvalue(res, i, C_ID), host);
		e.from = anx_cfg.mail_from;
		e.to = PQgetvalue(res, i, C_TO);
		e.subject = PQgetvalue(res, i, C_SUBJECT);
		e.text = PQgetvalue(res, i, C_TEXT);
		e.html = PQgetisnull(res, i, C_HTML) ? NULL : PQgetvalue(res, i, C_HTML);
		e.message_id = msgid;
		e.date = now;
		anx_buf_init(&bufs[k], 0);
		if (anx_smtp_build_message(&e, &bufs[k]) != 0) {
			int bad = !anx_smtp_addr_valid(e.to);

			anx_buf_free(&bufs[k]);
			if ((err = record_failure(db, res, i,
				     bad ? "invalid recipient address (not sent)"
					 : "could not build the message",
				     bad)) != ANX_OK)
				goto out;
			continue;
		}
		msgs[k].to = e.to;
		msgs[k].data = bufs[k].data;
		row_of[k++] = i;
	}
	if (k == 0)
		goto out;

	/* No message starts after half the lease, so even a slow server
	 * finishes well before another worker may claim these again. */
	got = anx_smtp_send(
		&conf.url, conf.from_addr, msgs, (size_t)k, ANX_EMAIL_LEASE_SECONDS / 2);
	if (got < 0)
		breaker_trip(msgs[0].error);
	else
		breaker_reset();

	/* Sent ones in one statement; failures one by one. */
	anx_buf_putc(&ids, '{');
	for (i = 0; i < k; i++) {
		if (!msgs[i].ok)
			continue;
		anx_buf_printf(&ids, "%s%s", *sent ? "," : "", PQgetvalue(res, row_of[i], C_ID));
		++*sent;
	}
	anx_buf_putc(&ids, '}');
	if (anx_buf_failed(&ids)) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	if (*sent > 0) {
		const char *p[1] = { ids.data };

		if ((err = anx_db_exec(db, SQL_SENT, 1, p, NULL)) != ANX_OK)
			goto out;
		anx_log(ANX_LOG_DEBUG, "email_sent", LF_INT("count", *sent), ANX_LF_END);
	}
	for (i = 0; i < k; i++)
		if (!msgs[i].ok && (err = record_failure(db, res, row_of[i], msgs[i].error,
					    msgs[i].permanent)) != ANX_OK)
			goto out;
	if (*sent < k) {
		for (i = 0; i < k && msgs[i].ok; i++)
			;
		anx_log(ANX_LOG_WARN, "email_batch_failures", LF_INT("failed", k - *sent),
			LF_INT("sent", *sent), LF_STR("first_error", msgs[i].error), ANX_LF_END);
	}
out:
	if (bufs != NULL)
		for (i = 0; i < k; i++)
			anx_buf_free(&bufs[i]);
	free(bufs);
	free(msgs);
	free(row_of);
	anx_buf_free(&ids);
	PQclear(res);
	return err;
}

enum anx_err
anx_email_resend(struct anx_db *db, const char *workspace_id, const char *id)
{
	const char *p[2] = { id, workspace_id };
	PGresult *r;
	enum anx_err err;
	int found;

	if (id == NULL)
		return ANX_ERR_INVALID;
	if ((err = anx_db_exec(db, SQL_RESEND, 2, p, &r)) != ANX_OK)
		return err;
	found = PQntuples(r) == 1;
	PQclear(r);
	if (!found)
		return ANX_ERR_NOT_FOUND;
	return anx_db_exec(db, SQL_NOTIFY, 0, NULL, NULL);
}
