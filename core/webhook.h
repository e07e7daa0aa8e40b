/*
 * webhook.h - integrator webhooks (DESIGN.md "Webhooks"; the integrator's
 * view is docs/WEBHOOKS.md).
 *
 * An evaluation with a webhook_url gets one delivery per event
 * (approval_required for each pending stage, terminal_outcome once). The
 * event is queued as a webhook_deliveries row in the same transaction as
 * the change (anx_webhook_enqueue) with a frozen payload snapshot, and
 * `agentnexus-cron deliver` sends it (anx_webhook_drain): concurrently
 * over libcurl's multi interface, signed per attempt (Standard Webhooks
 * headers plus X-AgentNexus-Signature), with the URL re-checked before
 * every attempt and on every socket (url_safety.h), retried with
 * exponential backoff until delivered or dead. The webhook-id (msg_…) is
 * fixed at enqueue and kept across retries and replays.
 *
 * Signing keys: a "whsec_<base64>" secret signs with its decoded bytes;
 * any other secret (INTEGRATION_WEBHOOK_HMAC_SECRET) with its raw bytes.
 */
#ifndef ANX_WEBHOOK_H
#define ANX_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "db.h"
#include "url_safety.h"

#define ANX_WEBHOOK_MSGID_LEN          28                            /* "msg_" + 24 base62 */
#define ANX_WEBHOOK_SIG_LEN            47                            /* "v1," + 44 base64 */
#define ANX_WEBHOOK_SIGHDR_LEN         (2 * ANX_WEBHOOK_SIG_LEN + 1) /* "v1,new v1,old" */
#define ANX_WEBHOOK_HEXSIG_LEN         71                            /* "sha256=" + 64 hex */
#define ANX_WEBHOOK_KEY_MAX            512                           /* bytes of signing key */
#define ANX_WEBHOOK_EXCERPT_MAX        1024                          /* bytes of response kept */
#define ANX_WEBHOOK_MAX_ATTEMPTS       13                            /* first try + 12 retries */
#define ANX_WEBHOOK_BACKOFF_BASE       30    /* seconds before the first retry */
#define ANX_WEBHOOK_BACKOFF_CAP        86400 /* longest gap, seconds */
#define ANX_WEBHOOK_CONNECT_TIMEOUT_MS 5000
#define ANX_WEBHOOK_TOTAL_TIMEOUT_MS   15000
#define ANX_WEBHOOK_ROTATION_SECONDS   86400 /* old secret keeps signing */
#define ANX_WEBHOOK_REPLAY_MAX         1000  /* deliveries per replay call */
#define ANX_WEBHOOK_SECRET_TEXT_LEN    50    /* "whsec_" + base64 of 32 bytes */

/* ---- Signing (pure) ---------------------------------------------------- */

/*
 * The HMAC key for secret into key (cap bytes): the base64-decoded part
 * after "whsec_", or the secret's bytes when it has no such prefix.
 * Returns the key length, or -1 (malformed whsec_, empty, too long). The
 * caller zeroes key.
 */
long anx_webhook_key(const char *secret, unsigned char *key, size_t cap);

/*
 * Standard Webhooks v1 signature: "v1," + base64(HMAC-SHA256(key,
 * "{msg_id}.{timestamp}.{body}")). Returns 0 or -1.
 */
int anx_webhook_sign(const char *secret, const char *msg_id, long long timestamp, const char *body,
	size_t n, char out[ANX_WEBHOOK_SIG_LEN + 1]);

/* The webhook-signature header: the secret's signature, then during a
 * rotation (previous != NULL) the previous secret's, space-separated. */
int anx_webhook_sign_header(const char *secret, const char *previous, const char *msg_id,
	long long timestamp, const char *body, size_t n, char out[ANX_WEBHOOK_SIGHDR_LEN + 1]);

/* X-AgentNexus-Signature: "sha256=" + hex(HMAC-SHA256(key, body)). */
int anx_webhook_sign_hex(
	const char *secret, const char *body, size_t n, char out[ANX_WEBHOOK_HEXSIG_LEN + 1]);

/*
 * Verifies a delivery as a receiver would (Standard Webhooks): timestamp
 * a decimal integer within tolerance seconds of now (tolerance < 0: not
 * checked), and any "v1,<base64>" entry of the space-separated
 * sig_header matching, compared in constant time. 0 valid, -1 not.
 */
int anx_webhook_verify(const char *secret, const char *msg_id, const char *timestamp,
	const char *sig_header, const char *body, size_t n, long long now, long tolerance);

/* ---- Queueing, URL checks, replay (database) --------------------------- */

/*
 * The evaluate-time check of a webhook URL for workspace ws: syntax,
 * policy (anx_cfg.webhook_strict), the workspace's hostname allowlist
 * (when db and ws are given) and, under strict, DNS resolution with a
 * timeout where every address must be public. ANX_OK, or
 * ANX_ERR_UNSAFE_URL with the reason in why (whylen bytes);
 * ANX_ERR_UNAVAILABLE if the allowlist cannot be read.
 */
enum anx_err anx_webhook_check_url(
	struct anx_db *db, const char *ws, const char *url, char *why, size_t whylen);

/*
 * Queues event_type ("approval_required" | "terminal_outcome") for
 * evaluation eval_id of ws inside the caller's transaction. No-op (ANX_OK)
 * when the evaluation has no webhook_url. Otherwise snapshots the payload
 * {id: "msg_…", type, created_at, data: {evaluation}} (the evaluation as
 * anx_eval_get() sees it in this transaction), inserts the delivery due
 * now and NOTIFYs anx_outbox (delivered at commit).
 */
enum anx_err anx_webhook_enqueue(
	struct anx_db *db, const char *ws, const char *eval_id, const char *event_type);

/*
 * Replays deliveries: ids[0..n) (UUIDs), or when ids is NULL every
 * delivery that failed (dead, or pending after a failed attempt) with a
 * failed attempt at or after failed_since (RFC 3339), at most
 * ANX_WEBHOOK_REPLAY_MAX per call. ws (may be NULL) restricts to one
 * workspace. Each becomes pending and due now with its attempt history,
 * webhook-id and payload kept and a fresh retry budget; each is audited
 * as webhook.replayed. *count is the number replayed. ANX_ERR_VALIDATION
 * for a malformed id or time.
 */
enum anx_err anx_webhook_replay(struct anx_db *db, const char *ws, const char *const *ids, size_t n,
	const char *failed_since, int *count);

/* The same with the actor recorded in the audit events (actor_type as
 * anx_audit_record) and, when ids_out is not NULL, a new JSON array of the
 * replayed delivery ids. */
enum anx_err anx_webhook_replay_by(struct anx_db *db, const char *ws, const char *const *ids,
	size_t n, const char *failed_since, const char *actor_type, const char *actor_id,
	int *count, json_object **ids_out);

/* Whether a member with dashboard role (owner|admin|viewer) may replay
 * ws's deliveries: everyone unless the workspace set replay_admin_only.
 * ANX_OK or ANX_ERR_FORBIDDEN. */
enum anx_err anx_webhook_replay_permitted(struct anx_db *db, const char *ws, const char *role);

/*
 * Rotates ws's signing secret: the current one becomes the previous one
 * (it keeps signing for ANX_WEBHOOK_ROTATION_SECONDS) and a new
 * "whsec_…" is stored and written to out (shown once; caller zeroes).
 * Audited as webhook_secret.rotated.
 */
enum anx_err anx_webhook_rotate_secret(struct anx_db *db, const char *ws, const char *actor_type,
	const char *actor_id, char out[ANX_WEBHOOK_SECRET_TEXT_LEN + 1]);

/*
 * Dashboard views. anx_webhook_list: ws's deliveries newest first, status
 * filter (NULL or "pending|delivered|dead"), keyset after the delivery
 * before_id (NULL for the first page), at most limit (1..200); *out is a
 * new array of {id, evaluation_id, event_type, msg_id, url, status,
 * attempts, last_status_code, last_error, next_attempt_at, created_at,
 * delivered_at, dead_at}. anx_webhook_get: one delivery with "payload"
 * and "attempts_log" ([{attempted_at, status_code, latency_ms, error,
 * response_excerpt}]); ANX_ERR_NOT_FOUND for another workspace's id.
 */
enum anx_err anx_webhook_list(struct anx_db *db, const char *ws, const char *status,
	const char *before_id, int limit, json_object **out);
enum anx_err anx_webhook_get(struct anx_db *db, const char *ws, const char *id, json_object **out);

/* 1 if s is an RFC 3339 date-time ("2026-01-31T12:00:00Z", fractions and
 * ±hh:mm offsets allowed) or a full date ("2026-01-31"). */
int anx_webhook_time_valid(const char *s);

/* ---- Delivery ---------------------------------------------------------- */

/*
 * One round of the outbox worker (cron deliver): records finished
 * attempts, claims due deliveries (FOR UPDATE SKIP LOCKED, leased), and
 * drives the concurrent transfers for up to ~100 ms. *done is the number
 * of attempts recorded plus the number still in flight, so callers loop
 * while it is positive. Transfers run outside any transaction; a slow
 * receiver holds only its own slot. ANX_ERR_UNAVAILABLE when the database
 * is down (finished results are kept and recorded later).
 */
enum anx_err anx_webhook_drain(struct anx_db *db, int *done);

/* Seconds until the next attempt after `failures` failed attempts in
 * this retry budget (1 = after the first failure): nominal
 * min(CAP, BASE * 2^(failures-1)) with jitter in its upper half, taken
 * from rnd. */
long anx_webhook_backoff(int failures, uint32_t rnd);

/* One HTTP attempt, for the sender below. The caller owns everything and
 * keeps it alive until the job comes back from anx_webhook_sender_run. */
struct anx_webhook_job {
	/* in */
	const char *url;
	const char *msg_id;
	const char *event_type;
	const char *body;
	size_t body_len;
	const char *secret;          /* signing secret (NULL: attempt fails) */
	const char *previous_secret; /* during a rotation, or NULL */
	struct anx_url_policy policy;
	void *user; /* the caller's */
	/* out */
	int status_code; /* HTTP status, 0 when none arrived */
	long latency_ms;
	long retry_after;                          /* seconds asked by Retry-After, 0 none */
	int permanent;                             /* 1: do not retry (410 Gone, unsafe URL) */
	int delivered;                             /* 1: 2xx */
	char error[256];                           /* "" when delivered */
	char excerpt[ANX_WEBHOOK_EXCERPT_MAX + 1]; /* response body start, UTF-8 */
	long long attempted_at;                    /* unix time of the attempt (signed) */
	long long attempted_ms;                    /* the same, in milliseconds */
};

/*
 * A pool of concurrent transfers over one curl multi handle (connections
 * are reused between jobs). At most max_inflight at a time; each has a
 * ANX_WEBHOOK_CONNECT_TIMEOUT_MS connect and ANX_WEBHOOK_TOTAL_TIMEOUT_MS
 * total timeout, http/https only, no redirects, no proxy, no signals.
 */
struct anx_webhook_sender;
struct anx_webhook_sender *anx_webhook_sender_new(int max_inflight);
void anx_webhook_sender_free(struct anx_webhook_sender *s);
size_t anx_webhook_sender_inflight(const struct anx_webhook_sender *s);
size_t anx_webhook_sender_capacity(const struct anx_webhook_sender *s);

/* Starts job: re-checks the URL (anx_url_check against job->policy),
 * signs with the current time and queues the transfer. A job refused
 * before any network I/O comes back from the next run with its error.
 * Returns 0, or -1 when the sender is full or out of memory. */
int anx_webhook_sender_add(struct anx_webhook_sender *s, struct anx_webhook_job *job);

/* Drives transfers, waiting up to wait_ms for progress, and returns
 * finished jobs (at most max) in out. */
size_t anx_webhook_sender_run(
	struct anx_webhook_sender *s, int wait_ms, struct anx_webhook_job **out, size_t max);

#endif
