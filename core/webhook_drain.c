/*
 * webhook_drain.c - the webhook outbox worker behind `agentnexus-cron
 * deliver`; see anx_webhook_drain() in webhook.h.
 *
 * A pipeline rather than batches: the process keeps one sender (a pool
 * of concurrent libcurl transfers) across calls. Each call records what
 * finished (one transaction for all of it), tops the pool up with due
 * deliveries (one statement: FOR UPDATE SKIP LOCKED plus a lease), and
 * drives the transfers for up to RUN_WAIT_MS. No transaction is open
 * while anything is on the network, and a receiver that never answers
 * holds one slot until its timeout while the others keep flowing.
 *
 * Leases: claiming moves next_attempt_at to the end of the lease and
 * stamps a lease_token. Results are recorded only while the token still
 * matches, so a worker that stalled past its lease cannot overwrite the
 * outcome of the worker that took over. A worker that dies leaves its
 * rows to be picked up when the lease ends (the receiver may then see the
 * same webhook-id twice, which is what the id is for).
 */
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "webhook_int.h"

#define DRAIN_SLOTS   64  /* concurrent transfers */
#define LEASE_SECONDS 120 /* > connect + total timeout, with margin */
#define RUN_WAIT_MS   100 /* longest a call drives transfers */

static const char SQL_CLAIM[] =
	"WITH c AS (SELECT id FROM webhook_deliveries"
	"  WHERE status = 'pending' AND next_attempt_at <= now()"
	"  ORDER BY next_attempt_at LIMIT $1::int FOR UPDATE SKIP LOCKED),"
	" u AS (UPDATE webhook_deliveries d"
	"  SET lease_until = now() + make_interval(secs => $2::int),"
	"  next_attempt_at = now() + make_interval(secs => $2::int),"
	"  lease_token = gen_random_uuid()"
	"  FROM c WHERE d.id = c.id"
	"  RETURNING d.id, d.workspace_id, d.msg_id, d.event_type, d.url, d.payload,"
	"  d.attempts, d.retry_base, d.lease_token)"
	" SELECT u.id, u.workspace_id, u.msg_id, u.event_type, u.url, u.payload, u.attempts,"
	" u.retry_base, u.lease_token, s.webhook_secret,"
	" CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_webhook_secret END,"
	" array_to_json(s.webhook_allowed_hostnames)::text"
	" FROM u LEFT JOIN workspace_integration_settings s ON s.workspace_id = u.workspace_id";

/* Records one attempt: the delivery's new state, the attempt row, and the
 * webhook.dead audit event when it died, in one statement. */
static const char SQL_RECORD[] =
	"WITH d AS (UPDATE webhook_deliveries SET attempts = attempts + 1, status = $3,"
	"  next_attempt_at = CASE WHEN $3 = 'pending'"
	"   THEN now() + make_interval(secs => $4::int) END,"
	"  lease_until = NULL, lease_token = NULL,"
	"  last_attempt_at = to_timestamp($5::bigint / 1000.0), last_status_code = $6::int,"
	"  last_error = NULLIF($7, ''),"
	"  delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,"
	"  dead_at = CASE WHEN $3 = 'dead' THEN now() END"
	"  WHERE id = $1 AND lease_token = $2::uuid"
	"  RETURNING id, workspace_id, evaluation_id, msg_id, event_type, attempts),"
	" a AS (INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code,"
	"  latency_ms, error, response_excerpt)"
	"  SELECT id, attempts, to_timestamp($5::bigint / 1000.0), $6::int, $8::int,"
	"  NULLIF($7, ''), NULLIF($9, '') FROM d),"
	" x AS (INSERT INTO audit_events (workspace_id, actor_type, event_type, subject_type,"
	"  subject_id, data)"
	"  SELECT workspace_id, 'system', 'webhook.dead', 'webhook_delivery', id::text,"
	"  jsonb_build_object('delivery_id', id, 'evaluation_id', evaluation_id, 'msg_id', msg_id,"
	"  'event_type', event_type, 'attempts', attempts, 'last_status_code', $6::int,"
	"  'last_error', NULLIF($7, '')) FROM d WHERE $3 = 'dead')"
	" SELECT attempts FROM d";

/* A claimed delivery on its way through the sender. */
struct item {
	struct anx_webhook_job job;
	char id[37];
	char ws[37];
	char lease[37];
	char msg_id[72];
	char event_type[24];
	char *url;
	char *payload;
	char *secret;
	char *previous;
	struct anx_webhook_allow allow;
	int attempts; /* before this attempt */
	int retry_base;
	const char *state; /* after the attempt: pending|delivered|dead */
	long delay;        /* seconds to the next attempt when pending */
	struct item *next;
};

/* Process-wide pipeline state (the cron worker is single-threaded). */
static struct anx_webhook_sender *sender;
static struct item *finished; /* attempted, not yet recorded */
static size_t nfinished;

static void
item_free(struct item *it)
{
	if (it == NULL)
		return;
	if (it->secret)
		anx_secure_zero(it->secret, strlen(it->secret));
	if (it->previous)
		anx_secure_zero(it->previous, strlen(it->previous));
	free(it->secret);
	free(it->previous);
	free(it->url);
	free(it->payload);
	anx_webhook_allow_free(&it->allow);
	free(it);
}

/* A copy of a column value, NULL for SQL NULL or on OOM. */
static char *
col_dup(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

/* Builds an item from claimed row i; NULL on OOM. */
static struct item *
item_from_row(PGresult *r, int i)
{
	struct item *it = calloc(1, sizeof(*it));

	if (it == NULL)
		return NULL;
	snprintf(it->id, sizeof(it->id), "%s", PQgetvalue(r, i, 0));
	snprintf(it->ws, sizeof(it->ws), "%s", PQgetvalue(r, i, 1));
	snprintf(it->msg_id, sizeof(it->msg_id), "%s", PQgetvalue(r, i, 2));
	snprintf(it->event_type, sizeof(it->event_type), "%s", PQgetvalue(r, i, 3));
	it->url = col_dup(r, i, 4);
	it->payload = col_dup(r, i, 5);
	it->attempts = atoi(PQgetvalue(r, i, 6));
	it->retry_base = atoi(PQgetvalue(r, i, 7));
	snprintf(it->lease, sizeof(it->lease), "%s", PQgetvalue(r, i, 8));
	/* The workspace's secret, else the deployment-wide one. */
	it->secret = PQgetisnull(r, i, 9)
			     ? (anx_cfg.webhook_secret ? strdup(anx_cfg.webhook_secret) : NULL)
			     : col_dup(r, i, 9);
	it->previous = col_dup(r, i, 10);
	anx_webhook_allow_parse(PQgetisnull(r, i, 11) ? NULL : PQgetvalue(r, i, 11), &it->allow);
	if (it->url == NULL || it->payload == NULL) {
		item_free(it);
		return NULL;
	}
	it->job.url = it->url;
	it->job.msg_id = it->msg_id;
	it->job.event_type = it->event_type;
	it->job.body = it->payload;
	it->job.body_len = strlen(it->payload);
	it->job.secret = it->secret;
	it->job.previous_secret = it->previous;
	it->job.policy.strict = anx_cfg.webhook_strict;
	it->job.policy.allow = it->allow.list;
	it->job.policy.nallow = it->allow.n;
	it->job.user = it;
	return it;
}

/* Claims up to want due deliveries and starts them. */
static enum anx_err
claim(struct anx_db *db, size_t want)
{
	char lim[24], lease[16];
	const char *p[2] = { lim, lease };
	PGresult *r;
	enum anx_err err;

	snprintf(lim, sizeof(lim), "%zu", want);
	snprintf(lease, sizeof(lease), "%d", LEASE_SECONDS);
	if ((err = anx_db_exec(db, SQL_CLAIM, 2, p, &r)) != ANX_OK)
		return err;
	for (int i = 0; i < PQntuples(r); i++) {
		struct item *it = item_from_row(r, i);

		/* On failure the row stays leased and is retried after the lease. */
		if (it == NULL || anx_webhook_sender_add(sender, &it->job) != 0) {
			anx_log(ANX_LOG_ERROR, "webhook_start_failed",
				LF_STR("delivery_id", PQgetvalue(r, i, 0)), ANX_LF_END);
			item_free(it);
		}
	}
	PQclear(r);
	return ANX_OK;
}

/* The state a finished attempt moves its delivery to, and the delay. */
static const char *
next_state(const struct item *it, long *delay)
{
	const struct anx_webhook_job *j = &it->job;
	int failures = it->attempts + 1 - it->retry_base;
	uint32_t rnd = 0;

	*delay = 0;
	if (j->delivered)
		return "delivered";
	if (j->permanent || failures >= ANX_WEBHOOK_MAX_ATTEMPTS)
		return "dead";
	anx_random(&rnd, sizeof(rnd));
	*delay = anx_webhook_backoff(failures, rnd);
	/* Retry-After (429/503) is honoured: never earlier than asked. */
	if (j->retry_after > *delay)
		*delay = j->retry_after;
	return "pending";
}

/* Takes finished jobs from the sender onto the finished list. */
static void
collect(int wait_ms)
{
	struct anx_webhook_job *out[DRAIN_SLOTS];
	size_t n;

	do {
		n = anx_webhook_sender_run(sender, wait_ms, out, DRAIN_SLOTS);
		for (size_t i = 0; i < n; i++) {
			struct item *it = out[i]->user;

			it->state = next_state(it, &it->delay);
			it->next = finished;
			finished = it;
			nfinished++;
		}
		wait_ms = 0;
	} while (n == DRAIN_SLOTS);
}

/* Records one finished attempt (see SQL_RECORD). */
static enum anx_err
record_one(struct anx_db *db, const struct item *it)
{
	const struct anx_webhook_job *j = &it->job;
	char delay_s[24], at[24], code[16], latency[24];
	const char *p[9];

	snprintf(delay_s, sizeof(delay_s), "%ld", it->delay);
	snprintf(at, sizeof(at), "%lld", j->attempted_ms);
	snprintf(code, sizeof(code), "%d", j->status_code);
	snprintf(latency, sizeof(latency), "%ld", j->latency_ms < 0 ? 0 : j->latency_ms);
	p[0] = it->id;
	p[1] = it->lease;
	p[2] = it->state;
	p[3] = delay_s;
	p[4] = at;
	p[5] = j->status_code > 0 ? code : NULL;
	p[6] = j->error;
	p[7] = latency;
	p[8] = j->excerpt;
	return anx_db_exec(db, SQL_RECORD, 9, p, NULL);
}

/* All finished attempts, or (arg != NULL) just that one. */
static enum anx_err
record_tx(struct anx_db *db, void *arg)
{
	enum anx_err err;

	if (arg)
		return record_one(db, arg);
	for (struct item *it = finished; it; it = it->next)
		if ((err = record_one(db, it)) != ANX_OK)
			return err;
	return ANX_OK;
}

static void
log_outcome(const struct item *it)
{
	if (strcmp(it->state, "dead") == 0)
		anx_log(ANX_LOG_WARN, "webhook_dead", LF_STR("delivery_id", it->id),
			LF_INT("status", it->job.status_code), LF_STR("error", it->job.error),
			ANX_LF_END);
	else
		anx_log(ANX_LOG_DEBUG, "webhook_attempt", LF_STR("delivery_id", it->id),
			LF_STR("state", it->state), LF_INT("status", it->job.status_code),
			LF_INT("latency_ms", it->job.latency_ms), ANX_LF_END);
}

/*
 * Records every finished attempt in one transaction, then logs and frees
 * them; *n is how many. While the database is unavailable they stay
 * queued for the next call. Any other failure is retried one attempt per
 * transaction, so a single row the database refuses cannot wedge the
 * worker: that attempt is logged and dropped, and its delivery is tried
 * again when its lease ends.
 */
static enum anx_err
record(struct anx_db *db, int *n)
{
	enum anx_err err;
	int each = 0;

	*n = 0;
	if (finished == NULL)
		return ANX_OK;
	if ((err = anx_db_tx(db, record_tx, NULL)) != ANX_OK) {
		if (err == ANX_ERR_UNAVAILABLE)
			return err;
		each = 1;
	}
	while (finished) {
		struct item *it = finished;

		if (each && (err = anx_db_tx(db, record_tx, it)) != ANX_OK) {
			if (err == ANX_ERR_UNAVAILABLE)
				return err;
			anx_log(ANX_LOG_ERROR, "webhook_record_failed",
				LF_STR("delivery_id", it->id), LF_STR("error", anx_err_code(err)),
				ANX_LF_END);
		} else {
			log_outcome(it);
			(*n)++;
		}
		finished = it->next;
		nfinished--;
		item_free(it);
	}
	return ANX_OK;
}

enum anx_err
anx_webhook_drain(struct anx_db *db, int *done)
{
	size_t cap;
	int recorded = 0, more = 0;
	enum anx_err err;

	*done = 0;
	if (sender == NULL && (sender = anx_webhook_sender_new(DRAIN_SLOTS)) == NULL)
		return ANX_ERR_INTERNAL;
	collect(0);
	if ((err = record(db, &recorded)) != ANX_OK)
		return err;
	cap = anx_webhook_sender_capacity(sender);
	/* Top up in batches, not one row per freed slot. */
	if (cap > 0 && (cap >= DRAIN_SLOTS / 4 || anx_webhook_sender_inflight(sender) == 0))
		if ((err = claim(db, cap)) != ANX_OK)
			return err;
	collect(RUN_WAIT_MS);
	if ((err = record(db, &more)) != ANX_OK)
		return err;
	*done = recorded + more + (int)anx_webhook_sender_inflight(sender);
	return ANX_OK;
}
