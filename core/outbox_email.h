/*
 * outbox_email.h - draining email_outbox (sql/0004_email_outbox.sql) to
 * the SMTP server in SMTP_URL; run by `agentnexus-cron deliver`.
 *
 * A drain claims up to ANX_EMAIL_BATCH due messages in one short
 * statement (FOR UPDATE SKIP LOCKED), counting the attempt and leasing
 * them for ANX_EMAIL_LEASE_SECONDS by moving next_attempt_at (and
 * lease_until) to the end of the lease, then commits. It sends them
 * outside any transaction in one SMTP session and records each outcome:
 *
 *   accepted    status sent, sent_at; bodies scrubbed if flagged.
 *   refused     (temporary, or a connection failure) attempts stays
 *               counted, last_error, next_attempt_at = now + backoff;
 *               after max_attempts: dead.
 *   5xx on RCPT or after DATA (permanent): dead at once.
 *
 * Dead workspace messages are audited in the same transaction that marks
 * them dead (approval_email_failed with the evaluation as subject, or
 * email_failed when there is no evaluation) and logged at warn level
 * (email_dead); a batch with failures logs one warn line
 * (email_batch_failures), each retry a debug line (email_retry).
 * Several deliver processes on several hosts never send one message
 * twice while a lease holds; a worker that dies mid-send leaves its
 * messages to be claimed again when the lease ends (its attempt counted,
 * so a message that keeps crashing workers goes dead too). When a whole
 * session fails (server unreachable, TLS refused), the drain pauses
 * claiming for 5 s, doubling to 5 minutes, so one blackholed server does
 * not hold every round of `deliver` for the connect timeout.
 *
 * Delivery is at least once: if the process dies after the server
 * accepted a message but before it is marked sent, the message goes out
 * again when its lease ends, with the same Message-ID (<outbox id>@<APP_URL
 * host>), which lets receiving systems drop the duplicate.
 */
#ifndef ANX_OUTBOX_EMAIL_H
#define ANX_OUTBOX_EMAIL_H

#include "db.h"
#include "err.h"

#define ANX_EMAIL_BATCH         100  /* messages per claim and SMTP session */
#define ANX_EMAIL_LEASE_SECONDS 300  /* a claim's lease */
#define ANX_EMAIL_BACKOFF_BASE  10   /* seconds before the first retry, at most */
#define ANX_EMAIL_BACKOFF_CAP   3600 /* seconds, the longest wait */

/*
 * One drain round: claims, sends and records at most one batch. *sent is
 * the number the server accepted. Returns ANX_OK (SMTP failures are
 * recorded per message, not returned) or the database's error. When
 * SMTP_URL is unset (development) or invalid, messages stay pending and
 * this says so once in the log.
 */
enum anx_err anx_email_drain(struct anx_db *db, int *sent);

/*
 * Moves a dead message back to pending with a fresh attempt budget, for
 * the dashboard's "resend", and wakes deliver. workspace_id limits it to
 * that workspace's messages (NULL: any message, for operators).
 * ANX_ERR_NOT_FOUND if there is no such dead message; ANX_ERR_INVALID for
 * a malformed id. Runs in the caller's transaction if there is one.
 */
enum anx_err anx_email_resend(struct anx_db *db, const char *workspace_id, const char *id);

/*
 * Records that a workspace message will never be delivered, in the
 * caller's transaction: approval_email_failed about the evaluation, or
 * email_failed about the message when there is no evaluation; data
 * {email_id, kind, to, attempts, error}. Does nothing for account mail
 * (workspace_id NULL: there is no workspace log to write to).
 */
enum anx_err anx_email_audit_failure(struct anx_db *db, const char *workspace_id,
	const char *evaluation_id, const char *email_id, const char *kind, const char *to,
	int attempts, const char *error);

/*
 * Seconds to wait after the attempts-th failed attempt (attempts >= 1):
 * "full jitter" - uniform over 1..min(ANX_EMAIL_BACKOFF_CAP,
 * ANX_EMAIL_BACKOFF_BASE * 2^(attempts-1)), drawn from rnd.
 */
long anx_email_backoff(int attempts, unsigned long rnd);

#endif
