/*
 * webhook.c - signing, the evaluate-time URL check, queueing, replay,
 * secret rotation and the dashboard's views of deliveries; see webhook.h.
 * Sending lives in webhook_send.c, the outbox worker in webhook_drain.c.
 */
#include "webhook.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "config.h"
#include "crypto.h"
#include "demo.h"
#include "evaluation.h"
#include "json.h"
#include "log.h"
#include "timeutil.h"
#include "webhook_int.h"

#define MSGID_RANDOM 24 /* base62 characters after "msg_": ~142 bits */

static const char SQL_ALLOWLIST[] = "SELECT array_to_json(webhook_allowed_hostnames)::text"
				    " FROM workspace_integration_settings WHERE workspace_id = $1";

/* Timestamps as the API prints them (timeutil.h). */
#define TS_NOW       ANX_SQL_TS("now()")
#define TS_NEXT      ANX_SQL_TS("next_attempt_at")
#define TS_CREATED   ANX_SQL_TS("created_at")
#define TS_DELIVERED ANX_SQL_TS("delivered_at")
#define TS_DEAD      ANX_SQL_TS("dead_at")
#define TS_LAST      ANX_SQL_TS("last_attempt_at")
#define TS_ATTEMPTED ANX_SQL_TS("attempted_at")

static const char SQL_EVAL_URL[] =
	"SELECT webhook_url, " TS_NOW " FROM evaluations WHERE id = $1 AND workspace_id = $2";

static const char SQL_INSERT[] =
	"INSERT INTO webhook_deliveries (workspace_id, evaluation_id, event_type, msg_id, url,"
	" payload, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, now())";

static const char SQL_NOTIFY[] = "NOTIFY anx_outbox";

/*
 * Replay: every replayed row becomes due now with a fresh retry budget
 * (retry_base = attempts), and its webhook.replayed audit event is
 * written by the same statement. $1 ids or time, $2 workspace or NULL,
 * $3/$4 actor, $5 request id.
 */
static const char SQL_REPLAY_IDS[] =
	"WITH r AS (UPDATE webhook_deliveries"
	" SET status = 'pending', next_attempt_at = now(), lease_until = NULL,"
	" lease_token = NULL, retry_base = attempts, delivered_at = NULL, dead_at = NULL,"
	" replays = replays + 1"
	" WHERE id = ANY ($1::uuid[]) AND ($2::uuid IS NULL OR workspace_id = $2::uuid)"
	" RETURNING id, workspace_id, msg_id, evaluation_id, attempts),"
	" a AS (INSERT INTO audit_events (workspace_id, actor_type, actor_id, event_type,"
	"  subject_type, subject_id, data, request_id)"
	" SELECT workspace_id, $3, $4, 'webhook.replayed', 'webhook_delivery', id::text,"
	"  jsonb_build_object('delivery_id', id, 'msg_id', msg_id, 'evaluation_id',"
	"  evaluation_id, 'attempts', attempts), NULLIF($5, '') FROM r)"
	" SELECT id FROM r ORDER BY id";

/* "Failed": dead, or pending after a failed attempt in this budget. The
 * LIMIT is ANX_WEBHOOK_REPLAY_MAX. */
static const char SQL_REPLAY_FAILED[] =
	"WITH r AS (UPDATE webhook_deliveries"
	" SET status = 'pending', next_attempt_at = now(), lease_until = NULL,"
	" lease_token = NULL, retry_base = attempts, delivered_at = NULL, dead_at = NULL,"
	" replays = replays + 1"
	" WHERE id IN (SELECT id FROM webhook_deliveries"
	"  WHERE status <> 'delivered' AND attempts > retry_base"
	"  AND last_attempt_at >= $1::timestamptz"
	"  AND ($2::uuid IS NULL OR workspace_id = $2::uuid)"
	"  ORDER BY last_attempt_at LIMIT 1000 FOR UPDATE)"
	" RETURNING id, workspace_id, msg_id, evaluation_id, attempts),"
	" a AS (INSERT INTO audit_events (workspace_id, actor_type, actor_id, event_type,"
	"  subject_type, subject_id, data, request_id)"
	" SELECT workspace_id, $3, $4, 'webhook.replayed', 'webhook_delivery', id::text,"
	"  jsonb_build_object('delivery_id', id, 'msg_id', msg_id, 'evaluation_id',"
	"  evaluation_id, 'attempts', attempts), NULLIF($5, '') FROM r)"
	" SELECT id FROM r ORDER BY id";

static const char SQL_REPLAY_ADMIN_ONLY[] =
	"SELECT replay_admin_only FROM workspace_integration_settings WHERE workspace_id = $1";

static const char SQL_ROTATE[] =
	"INSERT INTO workspace_integration_settings (workspace_id, webhook_secret) VALUES ($1, $2)"
	" ON CONFLICT (workspace_id) DO UPDATE SET"
	" previous_webhook_secret = workspace_integration_settings.webhook_secret,"
	" previous_secret_expires_at = now() + make_interval(secs => $3::int),"
	" webhook_secret = EXCLUDED.webhook_secret, updated_at = now()";

/* Columns 0-14 of a delivery as delivery_json() reads them. */
#define DELIVERY_COLS                                                                              \
	"id, evaluation_id, event_type, msg_id, url, status, attempts, last_status_code,"          \
	" last_error, " TS_NEXT ", " TS_CREATED ", " TS_DELIVERED ", " TS_DEAD ", " TS_LAST        \
	", replays"

static const char SQL_LIST[] =
	"SELECT " DELIVERY_COLS " FROM webhook_deliveries"
	" WHERE workspace_id = $1 AND ($2::text IS NULL OR status = $2)"
	" AND ($3::uuid IS NULL OR (created_at, id) < (SELECT created_at, id"
	"  FROM webhook_deliveries WHERE id = $3::uuid AND workspace_id = $1))"
	" ORDER BY created_at DESC, id DESC LIMIT $4::int";

static const char SQL_GET[] =
	"SELECT " DELIVERY_COLS
	", payload FROM webhook_deliveries WHERE id = $1 AND workspace_id = $2";

static const char SQL_ATTEMPTS[] =
	"SELECT attempt, " TS_ATTEMPTED ", status_code, latency_ms, error, response_excerpt"
	" FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt, id";

_Static_assert(ANX_WEBHOOK_REPLAY_MAX == 1000, "SQL_REPLAY_FAILED spells the limit");

/* ---- Signing ----------------------------------------------------------- */

long
anx_webhook_key(const char *secret, unsigned char *key, size_t cap)
{
	char padded[4 * ANX_WEBHOOK_KEY_MAX / 3 + 8];
	size_t n;
	long len;

	if (secret == NULL || *secret == '\0')
		return -1;
	if (strncmp(secret, "whsec_", 6) != 0) {
		if ((n = strlen(secret)) > cap)
			return -1;
		memcpy(key, secret, n);
		return (long)n;
	}
	/* Standard Webhooks: base64 after the prefix; tolerate missing '='. */
	secret += 6;
	n = strlen(secret);
	if (n == 0 || n + 3 >= sizeof(padded))
		return -1;
	memcpy(padded, secret, n);
	while (n % 4 != 0)
		padded[n++] = '=';
	len = anx_base64_decode(padded, n, key, cap);
	anx_secure_zero(padded, sizeof(padded));
	return len > 0 ? len : -1;
}

/* HMAC-SHA256 under secret's key of the concatenation of parts. */
static int
mac(const char *secret, const char *const *parts, const size_t *lens, size_t nparts,
	unsigned char out[ANX_SHA256_LEN])
{
	unsigned char key[ANX_WEBHOOK_KEY_MAX];
	size_t total = 0, off = 0;
	char *msg = NULL;
	long keylen;
	int rc = -1;

	if ((keylen = anx_webhook_key(secret, key, sizeof(key))) < 0)
		goto out;
	for (size_t i = 0; i < nparts; i++) {
		if (lens[i] > SIZE_MAX - total - 1)
			goto out;
		total += lens[i];
	}
	if ((msg = malloc(total + 1)) == NULL)
		goto out;
	for (size_t i = 0; i < nparts; i++) {
		memcpy(msg + off, parts[i], lens[i]);
		off += lens[i];
	}
	rc = anx_hmac_sha256(key, (size_t)keylen, msg, total, out);
out:
	anx_secure_zero(key, sizeof(key));
	free(msg);
	return rc;
}

int
anx_webhook_sign(const char *secret, const char *msg_id, long long timestamp, const char *body,
	size_t n, char out[ANX_WEBHOOK_SIG_LEN + 1])
{
	unsigned char md[ANX_SHA256_LEN];
	char ts[24];
	const char *parts[5];
	size_t lens[5];
	int rc = -1;

	out[0] = '\0';
	/* The id must not contain the delimiter (Standard Webhooks). */
	if (msg_id == NULL || strchr(msg_id, '.') != NULL || (body == NULL && n != 0))
		return -1;
	snprintf(ts, sizeof(ts), "%lld", timestamp);
	parts[0] = msg_id, lens[0] = strlen(msg_id);
	parts[1] = ".", lens[1] = 1;
	parts[2] = ts, lens[2] = strlen(ts);
	parts[3] = ".", lens[3] = 1;
	parts[4] = body ? body : "", lens[4] = n;
	if (mac(secret, parts, lens, 5, md) != 0)
		goto out;
	memcpy(out, "v1,", 3);
	if (anx_base64_encode(md, sizeof(md), out + 3, ANX_WEBHOOK_SIG_LEN + 1 - 3) < 0)
		goto out;
	rc = 0;
out:
	anx_secure_zero(md, sizeof(md));
	if (rc != 0)
		out[0] = '\0';
	return rc;
}

int
anx_webhook_sign_header(const char *secret, const char *previous, const char *msg_id,
	long long timestamp, const char *body, size_t n, char out[ANX_WEBHOOK_SIGHDR_LEN + 1])
{
	char sig[ANX_WEBHOOK_SIG_LEN + 1];

	if (anx_webhook_sign(secret, msg_id, timestamp, body, n, out) != 0)
		return -1;
	if (previous == NULL || *previous == '\0' || strcmp(previous, secret) == 0)
		return 0;
	if (anx_webhook_sign(previous, msg_id, timestamp, body, n, sig) != 0)
		return 0; /* a malformed old secret only loses its overlap */
	snprintf(out + strlen(out), ANX_WEBHOOK_SIGHDR_LEN + 1 - strlen(out), " %s", sig);
	return 0;
}

int
anx_webhook_sign_hex(
	const char *secret, const char *body, size_t n, char out[ANX_WEBHOOK_HEXSIG_LEN + 1])
{
	unsigned char md[ANX_SHA256_LEN];
	const char *parts[1] = { body ? body : "" };
	size_t lens[1] = { n };

	out[0] = '\0';
	if ((body == NULL && n != 0) || mac(secret, parts, lens, 1, md) != 0)
		return -1;
	memcpy(out, "sha256=", 7);
	anx_hex_encode(md, sizeof(md), out + 7);
	anx_secure_zero(md, sizeof(md));
	return 0;
}

int
anx_webhook_verify(const char *secret, const char *msg_id, const char *timestamp,
	const char *sig_header, const char *body, size_t n, long long now, long tolerance)
{
	char expected[ANX_WEBHOOK_SIG_LEN + 1];
	const char *p;
	long long ts = 0;
	size_t explen;
	int ok = 0;

	if (secret == NULL || msg_id == NULL || timestamp == NULL || sig_header == NULL)
		return -1;
	if (*timestamp == '\0' || strlen(timestamp) > 18)
		return -1;
	for (p = timestamp; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		ts = ts * 10 + (*p - '0');
	}
	if (tolerance >= 0 && (ts < now - tolerance || ts > now + tolerance))
		return -1;
	if (anx_webhook_sign(secret, msg_id, ts, body, n, expected) != 0)
		return -1;
	explen = strlen(expected);
	/* Any space-separated entry may match; others (v1a, v2, old keys)
	 * are skipped. Each candidate is compared in constant time. */
	for (p = sig_header; *p;) {
		size_t len = strcspn(p, " ");

		if (len == explen && strncmp(p, "v1,", 3) == 0)
			ok |= anx_ct_equal(p, expected, explen);
		p += len;
		while (*p == ' ')
			p++;
	}
	anx_secure_zero(expected, sizeof(expected));
	return ok ? 0 : -1;
}

/* ---- Backoff ----------------------------------------------------------- */

long
anx_webhook_backoff(int failures, uint32_t rnd)
{
	long d = ANX_WEBHOOK_BACKOFF_BASE, half;

	for (int i = 1; i < failures && d < ANX_WEBHOOK_BACKOFF_CAP; i++)
		d *= 2;
	if (d > ANX_WEBHOOK_BACKOFF_CAP)
		d = ANX_WEBHOOK_BACKOFF_CAP;
	/* Jitter over the upper half: gaps still grow, attempts spread. */
	half = d / 2;
	return d - half + (long)(rnd % (uint32_t)(half + 1));
}

/* ---- Allowlist --------------------------------------------------------- */

void
anx_webhook_allow_parse(const char *json_text, struct anx_webhook_allow *a)
{
	size_t len;

	memset(a, 0, sizeof(*a));
	if (json_text == NULL || *json_text == '\0')
		return;
	if ((a->holder = json_tokener_parse(json_text)) == NULL)
		return;
	if (!json_object_is_type(a->holder, json_type_array))
		return;
	len = json_object_array_length(a->holder);
	for (size_t i = 0; i < len && a->n < ANX_WEBHOOK_ALLOW_MAX; i++) {
		json_object *v = json_object_array_get_idx(a->holder, i);

		if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
			a->list[a->n++] = json_object_get_string(v);
	}
}

void
anx_webhook_allow_free(struct anx_webhook_allow *a)
{
	if (a->holder)
		json_object_put(a->holder);
	memset(a, 0, sizeof(*a));
}

/* ---- The evaluate-time check ------------------------------------------- */

enum anx_err
anx_webhook_check_url(struct anx_db *db, const char *ws, const char *url, char *why, size_t whylen)
{
	struct anx_webhook_allow allow;
	struct anx_url_policy pol;
	char text[4096];
	const char *p[1];
	enum anx_err err;

	memset(&allow, 0, sizeof(allow));
	if (whylen > 0)
		why[0] = '\0';
	if (db && ws) {
		p[0] = ws;
		err = anx_db_value(db, SQL_ALLOWLIST, 1, p, text, sizeof(text));
		if (err == ANX_OK)
			anx_webhook_allow_parse(text, &allow);
		else if (err != ANX_ERR_NOT_FOUND)
			return err == ANX_ERR_INTERNAL ? ANX_ERR_INTERNAL : ANX_ERR_UNAVAILABLE;
	}
	pol.strict = anx_cfg.webhook_strict;
	pol.allow = allow.list;
	pol.nallow = allow.n;
	err = anx_url_check_resolved(url, &pol, ANX_URL_DNS_TIMEOUT_MS, NULL, why, whylen) ==
			      ANX_URL_OK
		      ? ANX_OK
		      : ANX_ERR_UNSAFE_URL;
	anx_webhook_allow_free(&allow);
	return err;
}

/* ---- Enqueue ----------------------------------------------------------- */

struct enqueue_ctx {
	const char *ws;
	const char *eval_id;
	const char *type;
};

static enum anx_err
enqueue_tx(struct anx_db *db, void *arg)
{
	struct enqueue_ctx *c = arg;
	char msg_id[ANX_WEBHOOK_MSGID_LEN + 1];
	const char *p[6];
	json_object *ev = NULL, *payload = NULL, *data;
	PGresult *res = NULL;
	char *body = NULL;
	enum anx_err err;

	p[0] = c->eval_id;
	p[1] = c->ws;
	if ((err = anx_db_exec(db, SQL_EVAL_URL, 2, p, &res)) != ANX_OK)
		goto out;
	if (PQntuples(res) != 1) {
		err = ANX_ERR_NOT_FOUND;
		goto out;
	}
	if (PQgetisnull(res, 0, 0) || *PQgetvalue(res, 0, 0) == '\0')
		goto out; /* no webhook for this evaluation */
	if ((err = anx_eval_get(db, c->ws, c->eval_id, &ev)) != ANX_OK)
		goto out;
	memcpy(msg_id, "msg_", 4);
	if (anx_random_base62(msg_id + 4, MSGID_RANDOM) != 0) {
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	payload = json_object_new_object();
	data = json_object_new_object();
	if (payload == NULL || data == NULL) {
		json_object_put(data);
		err = ANX_ERR_NOMEM;
		goto out;
	}
	json_object_object_add(payload, "id", json_object_new_string(msg_id));
	json_object_object_add(payload, "type", json_object_new_string(c->type));
	json_object_object_add(
		payload, "created_at", json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(data, "evaluation", ev);
	ev = NULL; /* owned by data now */
	json_object_object_add(payload, "data", data);
	if ((body = anx_json_dump(payload, NULL)) == NULL) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	p[0] = c->ws;
	p[1] = c->eval_id;
	p[2] = c->type;
	p[3] = msg_id;
	p[4] = PQgetvalue(res, 0, 0);
	p[5] = body;
	if ((err = anx_db_exec(db, SQL_INSERT, 6, p, NULL)) != ANX_OK)
		goto out;
	err = anx_db_exec(db, SQL_NOTIFY, 0, NULL, NULL);
out:
	PQclear(res);
	json_object_put(ev);
	json_object_put(payload);
	free(body);
	return err;
}

enum anx_err
anx_webhook_enqueue(struct anx_db *db, const char *ws, const char *eval_id, const char *event_type)
{
	struct enqueue_ctx c = { ws, eval_id, event_type };

	if (ws == NULL || eval_id == NULL || event_type == NULL ||
		(strcmp(event_type, "approval_required") != 0 &&
			strcmp(event_type, "terminal_outcome") != 0))
		return ANX_ERR_INVALID;
	return anx_db_tx(db, enqueue_tx, &c);
}

/* ---- Replay ------------------------------------------------------------ */

/* Two digits at s as a number, or -1. */
static int
two(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1])
		       ? (s[0] - '0') * 10 + (s[1] - '0')
		       : -1;
}

int
anx_webhook_time_valid(const char *s)
{
	size_t n;
	int mon, day;

	if (s == NULL || (n = strlen(s)) < 10 || n > 40)
		return 0;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	mon = two(s + 5);
	day = two(s + 8);
	if (s[4] != '-' || s[7] != '-' || mon < 1 || mon > 12 || day < 1 || day > 31)
		return 0;
	if (n == 10)
		return 1;
	s += 10;
	if ((*s != 'T' && *s != 't' && *s != ' ') || two(s + 1) < 0 || two(s + 1) > 23 ||
		s[3] != ':' || two(s + 4) < 0 || two(s + 4) > 59 || s[6] != ':' || two(s + 7) < 0 ||
		two(s + 7) > 60)
		return 0;
	s += 9;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		return 1;
	return (*s == '+' || *s == '-') && two(s + 1) >= 0 && two(s + 1) <= 23 && s[3] == ':' &&
	       two(s + 4) >= 0 && two(s + 4) <= 59 && s[6] == '\0';
}

struct replay_ctx {
	const char *ws;
	const char *ids_array; /* "{uuid,…}" or NULL */
	const char *since;
	const char *actor_type;
	const char *actor_id;
	int count;
	json_object *ids;
};

static enum anx_err
replay_tx(struct anx_db *db, void *arg)
{
	struct replay_ctx *c = arg;
	const char *p[5];
	PGresult *res = NULL;
	enum anx_err err;

	p[0] = c->ids_array ? c->ids_array : c->since;
	p[1] = c->ws;
	p[2] = c->actor_type;
	p[3] = c->actor_id;
	p[4] = anx_log_request_id();
	err = anx_db_exec(db, c->ids_array ? SQL_REPLAY_IDS : SQL_REPLAY_FAILED, 5, p, &res);
	if (err != ANX_OK)
		return err;
	c->count = PQntuples(res);
	if (c->ids) {
		json_object_put(c->ids); /* a retried transaction starts over */
		c->ids = NULL;
	}
	c->ids = json_object_new_array();
	for (int i = 0; i < c->count && c->ids; i++)
		json_object_array_add(c->ids, json_object_new_string(PQgetvalue(res, i, 0)));
	PQclear(res);
	if (c->ids == NULL)
		return ANX_ERR_NOMEM;
	return c->count > 0 ? anx_db_exec(db, SQL_NOTIFY, 0, NULL, NULL) : ANX_OK;
}

enum anx_err
anx_webhook_replay_by(struct anx_db *db, const char *ws, const char *const *ids, size_t n,
	const char *failed_since, const char *actor_type, const char *actor_id, int *count,
	json_object **ids_out)
{
	struct replay_ctx c;
	char *array = NULL;
	enum anx_err err;

	memset(&c, 0, sizeof(c));
	*count = 0;
	if (ids_out)
		*ids_out = NULL;
	if ((ws && !anx_uuid_valid(ws)) || (ids == NULL && !anx_webhook_time_valid(failed_since)) ||
		(ids && (n == 0 || n > ANX_WEBHOOK_REPLAY_MAX)))
		return ANX_ERR_VALIDATION;
	if (ids) {
		/* "{id,id,…}" of validated UUIDs, passed as one parameter. */
		if ((array = malloc(n * 37 + 3)) == NULL)
			return ANX_ERR_NOMEM;
		array[0] = '{';
		for (size_t i = 0; i < n; i++) {
			if (!anx_uuid_valid(ids[i])) {
				free(array);
				return ANX_ERR_VALIDATION;
			}
			memcpy(array + 1 + 37 * i, ids[i], 36);
			array[1 + 37 * i + 36] = i + 1 < n ? ',' : '}';
		}
		array[37 * n + 1] = '\0';
	}
	c.ws = ws;
	c.ids_array = array;
	c.since = failed_since;
	c.actor_type = actor_type ? actor_type : "system";
	c.actor_id = actor_id;
	err = anx_db_tx(db, replay_tx, &c);
	free(array);
	if (err != ANX_OK) {
		json_object_put(c.ids);
		if (err == ANX_ERR_INVALID)
			err = ANX_ERR_VALIDATION; /* e.g. a time PostgreSQL rejects */
		return err;
	}
	*count = c.count;
	anx_log(ANX_LOG_INFO, "webhook_replayed", LF_INT("count", c.count), ANX_LF_END);
	if (ids_out)
		*ids_out = c.ids;
	else
		json_object_put(c.ids);
	return ANX_OK;
}

enum anx_err
anx_webhook_replay(struct anx_db *db, const char *ws, const char *const *ids, size_t n,
	const char *failed_since, int *count)
{
	return anx_webhook_replay_by(db, ws, ids, n, failed_since, "system", NULL, count, NULL);
}

enum anx_err
anx_webhook_replay_permitted(struct anx_db *db, const char *ws, const char *role)
{
	const char *p[1] = { ws };
	char v[8];
	enum anx_err err;

	err = anx_db_value(db, SQL_REPLAY_ADMIN_ONLY, 1, p, v, sizeof(v));
	if (err == ANX_ERR_NOT_FOUND)
		return ANX_OK;
	if (err != ANX_OK)
		return err;
	if (strcmp(v, "t") != 0)
		return ANX_OK;
	return role && (strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0)
		       ? ANX_OK
		       : ANX_ERR_FORBIDDEN;
}

/* ---- Rotation ---------------------------------------------------------- */

struct rotate_ctx {
	const char *ws;
	const char *actor_type;
	const char *actor_id;
	const char *secret;
};

static enum anx_err
rotate_tx(struct anx_db *db, void *arg)
{
	struct rotate_ctx *c = arg;
	char secs[16];
	const char *p[3];
	json_object *data;
	enum anx_err err;

	snprintf(secs, sizeof(secs), "%d", ANX_WEBHOOK_ROTATION_SECONDS);
	p[0] = c->ws;
	p[1] = c->secret;
	p[2] = secs;
	if ((err = anx_db_exec(db, SQL_ROTATE, 3, p, NULL)) != ANX_OK)
		return err;
	data = json_object_new_object();
	json_object_object_add(
		data, "previous_valid_seconds", json_object_new_int(ANX_WEBHOOK_ROTATION_SECONDS));
	err = anx_audit_record(db, c->ws, c->actor_type, c->actor_id, "webhook_secret.rotated",
		"workspace", c->ws, data);
	json_object_put(data);
	return err;
}

enum anx_err
anx_webhook_rotate_secret(struct anx_db *db, const char *ws, const char *actor_type,
	const char *actor_id, char out[ANX_WEBHOOK_SECRET_TEXT_LEN + 1])
{
	struct rotate_ctx c = { ws, actor_type ? actor_type : "system", actor_id, out };
	enum anx_err err;

	_Static_assert(ANX_WEBHOOK_SECRET_TEXT_LEN == ANX_WEBHOOK_SECRET_LEN, "same format");
	if (ws == NULL || !anx_uuid_valid(ws))
		return ANX_ERR_VALIDATION;
	if (anx_webhook_secret_generate(out) != 0)
		return ANX_ERR_INTERNAL;
	if ((err = anx_db_tx(db, rotate_tx, &c)) != ANX_OK)
		anx_secure_zero(out, ANX_WEBHOOK_SECRET_TEXT_LEN + 1);
	return err;
}

/* ---- Dashboard views --------------------------------------------------- */

static json_object *
col_str(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : json_object_new_string(PQgetvalue(r, row, col));
}

static json_object *
col_int(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col)
		       ? NULL
		       : json_object_new_int64(strtoll(PQgetvalue(r, row, col), NULL, 10));
}

static json_object *
delivery_json(PGresult *r, int row)
{
	static const char *const names[] = { "id", "evaluation_id", "event_type", "msg_id", "url",
		"status", "attempts", "last_status_code", "last_error", "next_attempt_at",
		"created_at", "delivered_at", "dead_at", "last_attempt_at", "replays" };
	json_object *o = json_object_new_object();

	for (int i = 0; o && i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		int numeric = i == 6 || i == 7 || i == 14;

		json_object_object_add(
			o, names[i], numeric ? col_int(r, row, i) : col_str(r, row, i));
	}
	return o;
}

enum anx_err
anx_webhook_list(struct anx_db *db, const char *ws, const char *status, const char *before_id,
	int limit, json_object **out)
{
	const char *p[4];
	char lim[16];
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if (!anx_uuid_valid(ws) || (before_id && !anx_uuid_valid(before_id)) || limit < 1 ||
		limit > 200 ||
		(status && strcmp(status, "pending") != 0 && strcmp(status, "delivered") != 0 &&
			strcmp(status, "dead") != 0))
		return ANX_ERR_VALIDATION;
	snprintf(lim, sizeof(lim), "%d", limit);
	p[0] = ws;
	p[1] = status;
	p[2] = before_id;
	p[3] = lim;
	if ((err = anx_db_exec(db, SQL_LIST, 4, p, &res)) != ANX_OK)
		return err;
	if ((*out = json_object_new_array()) == NULL) {
		PQclear(res);
		return ANX_ERR_NOMEM;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_object_array_add(*out, delivery_json(res, i));
	PQclear(res);
	return ANX_OK;
}

enum anx_err
anx_webhook_get(struct anx_db *db, const char *ws, const char *id, json_object **out)
{
	const char *p[2];
	PGresult *res = NULL, *att = NULL;
	json_object *o = NULL, *log = NULL;
	enum anx_err err;

	*out = NULL;
	if (id == NULL || ws == NULL || !anx_uuid_valid(id) || !anx_uuid_valid(ws))
		return ANX_ERR_NOT_FOUND;
	p[0] = id;
	p[1] = ws;
	if ((err = anx_db_exec(db, SQL_GET, 2, p, &res)) != ANX_OK)
		goto out;
	if (PQntuples(res) != 1) {
		err = ANX_ERR_NOT_FOUND;
		goto out;
	}
	if ((err = anx_db_exec(db, SQL_ATTEMPTS, 1, p, &att)) != ANX_OK)
		goto out;
	if ((o = delivery_json(res, 0)) == NULL || (log = json_object_new_array()) == NULL) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	json_object_object_add(o, "payload", col_str(res, 0, 15));
	for (int i = 0; i < PQntuples(att); i++) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "attempt", col_int(att, i, 0));
		json_object_object_add(a, "attempted_at", col_str(att, i, 1));
		json_object_object_add(a, "status_code", col_int(att, i, 2));
		json_object_object_add(a, "latency_ms", col_int(att, i, 3));
		json_object_object_add(a, "error", col_str(att, i, 4));
		json_object_object_add(a, "response_excerpt", col_str(att, i, 5));
		json_object_array_add(log, a);
	}
	json_object_object_add(o, "attempts_log", log);
	log = NULL;
	*out = o;
	o = NULL;
out:
	PQclear(res);
	PQclear(att);
	json_object_put(o);
	json_object_put(log);
	return err;
}
