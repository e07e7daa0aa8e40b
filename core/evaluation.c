/*
 * evaluation.c - deciding, recording and reading evaluations; see
 * evaluation.h.
 *
 * The allow/deny path is one statement: the evaluation row and its audit
 * event are inserted together by a data-modifying CTE, so they commit
 * atomically without a BEGIN/COMMIT round trip. With an Idempotency-Key
 * the insert is ON CONFLICT DO NOTHING on (workspace_id, idempotency_key):
 * a concurrent first request with the same key waits for the other's
 * commit and then finds its row, so exactly one evaluation is created and
 * the loser replays it.
 */
#include "evaluation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "crypto.h"
#include "jcs.h"
#include "log.h"
#include "policy.h"
#include "policy_cache.h"
#include "timeutil.h"
#include "webhook.h"

/*
 * The whole allow/deny path in one statement, so one round trip:
 * k   confirms the principal the request was decided for (the key is not
 *     revoked, its workspace not archived, the policy decided with is still
 *     current); when it does not hold nothing is written and the caller
 *     authenticates again (a principal may come from the worker's key cache);
 * ins the evaluation (with an Idempotency-Key: ON CONFLICT DO NOTHING, then a
 *     replay; without one a plain insert, which spares the speculative
 *     insertion and its extra WAL record);
 * aud its audit event, in the same transaction and with the same created_at;
 *     the audit sealer counts the evaluation for analytics, on that day,
 *     when it seals the event (sql/0013).
 * Result: principal confirmed (0/1), evaluation inserted (0/1).
 */
#define EVAL_INSERT(on_conflict)                                                                   \
	"WITH k AS ("                                                                              \
	" SELECT 1 FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id"                     \
	" WHERE k.id = $3::uuid AND k.workspace_id = $2::uuid AND k.revoked_at IS NULL"            \
	"  AND w.archived_at IS NULL AND w.current_policy_id IS NOT DISTINCT FROM $13::uuid),"     \
	" ins AS ("                                                                                \
	" INSERT INTO evaluations (id, workspace_id, api_key_id, created_at, action, agent_id,"    \
	"  resource, amount, currency, summary, context, webhook_url, policy_id, policy_version,"  \
	"  matched_rule, matched_rule_index, reason, decision, status, action_hash, approval,"     \
	"  expires_at, decided_at, idempotency_key, idempotency_fingerprint, response_body)"       \
	" SELECT $1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5, $6, $7, $8::numeric, $9, $10," \
	"  coalesce($11::jsonb, '{}'), $12, $13::uuid, $14::int, $15, $16::int, $17, $18::text,"   \
	"  $19::text, $20, $21::jsonb, $22::timestamptz,"                                          \
	"  CASE WHEN $19::text IN ('allowed', 'denied') THEN $4::timestamptz END,"                 \
	"  NULLIF($23, ''), NULLIF($24, ''), CASE WHEN $23 <> '' THEN $25 END FROM k" on_conflict  \
	" RETURNING id),"                                                                          \
	" aud AS ("                                                                                \
	" INSERT INTO audit_events (workspace_id, created_at, actor_type, actor_id, event_type,"   \
	"  subject_type, subject_id, data, request_id)"                                            \
	" SELECT $2::uuid, $4::timestamptz, 'api_key', $3, 'evaluation.created', 'evaluation',"    \
	"  ins.id::text, $26::jsonb, NULLIF($27, '') FROM ins)"                                    \
	" SELECT (SELECT count(*) FROM k) || ' ' || (SELECT count(*) FROM ins)"
static const char SQL_INSERT[] = EVAL_INSERT("");
static const char SQL_INSERT_IDEM[] = EVAL_INSERT(" ON CONFLICT (workspace_id, idempotency_key) "
						  "WHERE idempotency_key IS NOT NULL DO NOTHING");

static const char SQL_IDEM_LOOKUP[] =
	"SELECT idempotency_fingerprint, response_body FROM evaluations"
	" WHERE workspace_id = $1 AND idempotency_key = $2";

static const char *
effect_decision(enum anx_effect e)
{
	return e == ANX_EFFECT_ALLOW  ? "allow"
	       : e == ANX_EFFECT_DENY ? "deny"
				      : "approval_required";
}

static const char *
effect_status(enum anx_effect e)
{
	return e == ANX_EFFECT_ALLOW ? "allowed" : e == ANX_EFFECT_DENY ? "denied" : "pending";
}

static json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* The approval configuration kept on the evaluation (what issue-time
 * policy asked for), so later policy edits cannot change a pending one. */
static json_object *
approval_snapshot(const struct anx_policy_approval *a)
{
	json_object *o = json_object_new_object(), *stages = json_object_new_array();

	for (size_t i = 0; i < a->nstages; i++) {
		const struct anx_policy_stage *s = &a->stages[i];
		json_object *st = json_object_new_object();

		json_object_object_add(st, "role", json_object_new_string(s->role));
		json_object_object_add(st, "min_approvals", json_object_new_int(s->min_approvals));
		json_object_object_add(st, "otp", json_object_new_boolean(s->otp));
		json_object_object_add(st, "assign",
			json_object_new_string(
				s->assign == ANX_ASSIGN_ROUND_ROBIN ? "round_robin" : "all"));
		if (s->assign == ANX_ASSIGN_ROUND_ROBIN)
			json_object_object_add(st, "reassign_after_seconds",
				json_object_new_int64(s->reassign_after_seconds));
		json_object_array_add(stages, st);
	}
	json_object_object_add(o, "stages", stages);
	json_object_object_add(o, "timeout_seconds", json_object_new_int64(a->timeout_seconds));
	if (a->reminder_before_seconds >= 0)
		json_object_object_add(o, "reminder_before_seconds",
			json_object_new_int64(a->reminder_before_seconds));
	json_object_object_add(
		o, "separation_of_duties", json_object_new_boolean(a->separation_of_duties));
	return o;
}

/*
 * The public "approval" member from a snapshot: each stage with its
 * progress. approved counts and statuses come from the caller (NULL: a
 * fresh evaluation, first stage pending, the rest waiting).
 */
static json_object *
approval_view(
	json_object *snap, const char *expires_at, const int *approved, const char *const *statuses)
{
	json_object *o = json_object_new_object(), *out = json_object_new_array(), *stages;

	if (json_object_object_get_ex(snap, "stages", &stages)) {
		for (size_t i = 0; i < json_object_array_length(stages); i++) {
			json_object *s = json_object_array_get_idx(stages, i), *v, *st;

			st = json_object_new_object();
			json_object_object_add(st, "index", json_object_new_int((int)i));
			json_object_object_get_ex(s, "role", &v);
			json_object_object_add(st, "role", json_object_get(v));
			json_object_object_get_ex(s, "min_approvals", &v);
			json_object_object_add(st, "required", json_object_get(v));
			json_object_object_add(
				st, "approved", json_object_new_int(approved ? approved[i] : 0));
			json_object_object_get_ex(s, "otp", &v);
			json_object_object_add(st, "otp", json_object_get(v));
			json_object_object_add(st, "status",
				json_object_new_string(
					statuses ? statuses[i] : (i == 0 ? "pending" : "waiting")));
			json_object_array_add(out, st);
		}
	}
	json_object_object_add(o, "stages", out);
	json_object_object_add(o, "expires_at", jstr(expires_at));
	return o;
}

struct eval_record {
	char id[37];
	char created_at[ANX_TS_LEN + 1];
	char expires_at[ANX_TS_LEN + 1];
	char action_hash[65];
	char version[16];
	const char *policy_id;
	struct anx_policy_decision dec;
	json_object *snapshot;
};

/* The evaluate response: the public view of a fresh evaluation. */
static json_object *
response_json(const struct eval_record *r)
{
	json_object *o = json_object_new_object(), *pol = NULL;

	json_object_object_add(o, "evaluation_id", json_object_new_string(r->id));
	json_object_object_add(
		o, "decision", json_object_new_string(effect_decision(r->dec.effect)));
	json_object_object_add(o, "status", json_object_new_string(effect_status(r->dec.effect)));
	if (r->policy_id) {
		pol = json_object_new_object();
		json_object_object_add(pol, "id", json_object_new_string(r->policy_id));
		json_object_object_add(pol, "version", json_object_new_int(atoi(r->version)));
	}
	json_object_object_add(o, "policy", pol);
	json_object_object_add(o, "matched_rule", jstr(r->dec.rule_name));
	json_object_object_add(o, "reason", json_object_new_string(r->dec.reason));
	json_object_object_add(o, "approval",
		r->snapshot ? approval_view(r->snapshot, r->expires_at, NULL, NULL) : NULL);
	json_object_object_add(o, "action_hash", json_object_new_string(r->action_hash));
	json_object_object_add(o, "created_at", json_object_new_string(r->created_at));
	return o;
}

static const char NO_POLICY_REASON[] =
	"No policy is published for this workspace; every action is denied until one is";

/* Decides with the workspace's current policy (deny when there is none). */
static enum anx_err
decide(struct anx_db *db, const struct anx_principal *p, const struct anx_eval_input *in,
	struct eval_record *r)
{
	const struct anx_policy *pol;
	struct anx_policy_input pin;
	enum anx_err err;
	int version;

	memset(&r->dec, 0, sizeof(r->dec));
	if (p->current_policy_id[0] == '\0') {
		r->dec.effect = ANX_EFFECT_DENY;
		r->dec.rule_index = -1;
		r->dec.reason = NO_POLICY_REASON;
		return ANX_OK;
	}
	if ((err = anx_policy_cache_get(db, p->current_policy_id, &pol, &version)) != ANX_OK)
		return err == ANX_ERR_NOT_FOUND ? ANX_ERR_INTERNAL : err;
	memset(&pin, 0, sizeof(pin));
	pin.action = in->action;
	pin.resource = in->resource;
	pin.agent_id = in->agent_id;
	pin.currency = in->currency;
	pin.has_amount = in->has_amount;
	pin.amount = in->amount;
	pin.context = in->context;
	anx_policy_decide(pol, &pin, &r->dec);
	r->policy_id = p->current_policy_id;
	snprintf(r->version, sizeof(r->version), "%d", version);
	return ANX_OK;
}

/* Looks up the stored response for an idempotency key after a conflict. */
static enum anx_err
replay(struct anx_db *db, const char *ws, const char *key, const char *fingerprint,
	struct anx_buf *out)
{
	const char *params[2] = { ws, key };
	PGresult *res;
	enum anx_err err;

	if ((err = anx_db_exec(db, SQL_IDEM_LOOKUP, 2, params, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		/* The other request rolled back between our insert and this
		 * read: it is neither done nor stored. */
		err = ANX_ERR_IDEM_IN_PROGRESS;
	} else if (strcmp(PQgetvalue(res, 0, 0), fingerprint) != 0) {
		err = ANX_ERR_IDEM_REUSED;
	} else {
		anx_buf_reset(out);
		err = anx_buf_puts(out, PQgetvalue(res, 0, 1)) == 0 ? ANX_OK : ANX_ERR_NOMEM;
	}
	PQclear(res);
	return err;
}

static json_object *
audit_data(const struct eval_record *r, const struct anx_eval_input *in)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "action", json_object_new_string(in->action));
	json_object_object_add(
		d, "decision", json_object_new_string(effect_decision(r->dec.effect)));
	json_object_object_add(d, "status", json_object_new_string(effect_status(r->dec.effect)));
	json_object_object_add(d, "matched_rule", jstr(r->dec.rule_name));
	json_object_object_add(
		d, "policy_version", r->policy_id ? json_object_new_int(atoi(r->version)) : NULL);
	json_object_object_add(d, "action_hash", json_object_new_string(r->action_hash));
	return d;
}

struct insert_ctx {
	const char *sql; /* SQL_INSERT, or SQL_INSERT_IDEM with an Idempotency-Key */
	const char *const *params;
	const char *ws, *id;
	const struct anx_policy_approval *approval;
	int notify;      /* queue terminal_outcome for an immediate decision */
	char result[24]; /* "<principal confirmed> <inserted>" */
	int confirmed, inserted;
};

/* The insert (and, for approvals, the start of the approval flow) in one
 * transaction; allow/deny need no explicit transaction: the single
 * statement commits atomically. */
static enum anx_err
insert_tx(struct anx_db *db, void *arg)
{
	struct insert_ctx *c = arg;
	enum anx_err err;

	if ((err = anx_db_value(db, c->sql, 27, c->params, c->result, sizeof(c->result))) != ANX_OK)
		return err;
	if (sscanf(c->result, "%d %d", &c->confirmed, &c->inserted) != 2)
		return ANX_ERR_INTERNAL;
	if (!c->inserted)
		return ANX_OK;
	if (c->approval)
		return anx_approval_start(db, c->ws, c->id, c->approval);
	if (c->notify)
		return anx_webhook_enqueue(db, c->ws, c->id, "terminal_outcome");
	return ANX_OK;
}

/* One attempt of anx_evaluate; *stale = 1 (nothing written) when p no
 * longer holds. */
static enum anx_err
evaluate_once(struct anx_db *db, const struct anx_principal *p, json_object *body,
	const struct anx_eval_input *in, const char *idem_key, struct anx_buf *out, int *replayed,
	int *stale)
{
	char fingerprint[65] = "", rule_index[16];
	int confirmed = 0, inserted = 0;
	struct eval_record r;
	json_object *resp = NULL, *audit = NULL;
	char *snapshot_text = NULL, *context_text = NULL, *audit_text = NULL;
	const char *resp_text;
	struct anx_buf canon;
	enum anx_err err;
	size_t resp_len;

	*replayed = 0;
	*stale = 0;
	memset(&r, 0, sizeof(r));
	anx_buf_init(&canon, 0);
	if (idem_key[0]) {
		if (anx_jcs_serialize(body, &canon) != 0 ||
			anx_sha256_hex(canon.data, canon.len, fingerprint) != 0) {
			err = ANX_ERR_INTERNAL;
			goto out;
		}
	}
	if ((err = decide(db, p, in, &r)) != ANX_OK)
		goto out;
	if (anx_uuid_v7(r.id) != 0 || anx_eval_action_hash(in, r.action_hash) != 0) {
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	anx_ts_now(r.created_at, 0);
	if (r.dec.effect == ANX_EFFECT_REQUIRE_APPROVAL && r.dec.approval) {
		anx_ts_now(r.expires_at, r.dec.approval->timeout_seconds);
		r.snapshot = approval_snapshot(r.dec.approval);
		snapshot_text = anx_json_dump(r.snapshot, NULL);
	}
	resp = response_json(&r);
	resp_text = json_object_to_json_string_length(
		resp, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &resp_len);
	if (in->context)
		context_text = anx_json_dump(in->context, NULL);
	audit = audit_data(&r, in);
	audit_text = anx_json_dump(audit, NULL);
	if (resp_text == NULL || audit_text == NULL || (in->context && context_text == NULL) ||
		(r.snapshot && snapshot_text == NULL)) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	snprintf(rule_index, sizeof(rule_index), "%d", r.dec.rule_index);
	{
		const char *params[27] = {
			r.id,
			p->workspace_id,
			p->key_id,
			r.created_at,
			in->action,
			in->agent_id,
			in->resource,
			in->has_amount ? in->amount_text : NULL,
			in->currency,
			in->summary,
			context_text,
			in->webhook_url,
			r.policy_id,
			r.policy_id ? r.version : NULL,
			r.dec.rule_name,
			r.dec.rule_index >= 0 ? rule_index : NULL,
			r.dec.reason,
			effect_decision(r.dec.effect),
			effect_status(r.dec.effect),
			r.action_hash,
			snapshot_text,
			r.expires_at[0] ? r.expires_at : NULL,
			idem_key,
			fingerprint,
			resp_text,
			audit_text,
			anx_log_request_id(),
		};
		struct insert_ctx ic = { idem_key[0] ? SQL_INSERT_IDEM : SQL_INSERT, params,
			p->workspace_id, r.id, NULL, 0, "", 0, 0 };

		/* Every evaluation with a webhook_url gets exactly one
		 * terminal_outcome: at once for allow/deny, after the approval
		 * flow otherwise. */
		if (r.dec.effect == ANX_EFFECT_REQUIRE_APPROVAL && r.dec.approval)
			ic.approval = r.dec.approval;
		else
			ic.notify = in->webhook_url != NULL;
		if (ic.approval || ic.notify)
			err = anx_db_tx(db, insert_tx, &ic);
		else
			err = insert_tx(db, &ic);
		confirmed = ic.confirmed;
		inserted = ic.inserted;
	}
	if (err == ANX_ERR_CONFLICT) /* id collision: 74 random bits within one millisecond */
		err = ANX_ERR_INTERNAL;
	if (err != ANX_OK) {
		if (strcmp(anx_db_sqlstate(db), "55P03") == 0)
			err = ANX_ERR_IDEM_IN_PROGRESS; /* lock_timeout behind the twin */
		goto out;
	}
	if (!confirmed) {
		*stale = 1;
		goto out;
	}
	if (!inserted) {
		*replayed = 1;
		err = replay(db, p->workspace_id, idem_key, fingerprint, out);
		goto out;
	}
	anx_buf_reset(out);
	err = anx_buf_add(out, resp_text, resp_len) == 0 ? ANX_OK : ANX_ERR_NOMEM;
out:
	json_object_put(resp);
	json_object_put(audit);
	json_object_put(r.snapshot);
	free(snapshot_text);
	free(context_text);
	free(audit_text);
	anx_buf_free(&canon);
	return err;
}

enum anx_err
anx_evaluate(struct anx_db *db, struct anx_principal *p, json_object *body,
	const struct anx_eval_input *in, const char *idem_key, struct anx_buf *out, int *replayed,
	const char **why)
{
	enum anx_err err;
	int stale;

	*why = NULL;
	/* A principal that no longer holds (a cached key since revoked, a
	 * workspace archived, a policy published) is read again and the
	 * request decided again; three changes in a row are a busy workspace. */
	for (int attempt = 0;; attempt++) {
		err = evaluate_once(db, p, body, in, idem_key, out, replayed, &stale);
		if (err != ANX_OK || !stale)
			return err;
		if (attempt == 2)
			return ANX_ERR_UNAVAILABLE;
		if ((err = anx_auth_reload(db, ANX_SCOPE_AGENT, p, why)) != ANX_OK)
			return err;
	}
}

static const char SQL_GET[] =
	"SELECT e.id, e.decision, e.status, e.policy_id, e.policy_version, e.matched_rule,"
	" e.reason, e.action_hash, " ANX_SQL_TS("e.created_at") ", " ANX_SQL_TS(
		"e.expires_at") ","
				" " ANX_SQL_TS(
					"e.decided_at") ", e.action, e.agent_id, e.resource, "
							"e.amount::text,"
							" e.currency, e.summary, e.context::text, "
							"e.webhook_url, e.approval::text,"
							" r.outcome, r.details::text, "
							"r.action_hash, r.hash_match, " ANX_SQL_TS(
								"r.created_at") " FROM evaluations "
										"e LEFT JOIN "
										"receipts r ON "
										"r.evaluation_id = "
										"e.id"
										" WHERE e.id = $1 "
										"AND "
										"e.workspace_id = "
										"$2";
enum {
	G_ID,
	G_DECISION,
	G_STATUS,
	G_POLICY,
	G_VERSION,
	G_RULE,
	G_REASON,
	G_HASH,
	G_CREATED,
	G_EXPIRES,
	G_DECIDED,
	G_ACTION,
	G_AGENT,
	G_RESOURCE,
	G_AMOUNT,
	G_CURRENCY,
	G_SUMMARY,
	G_CONTEXT,
	G_WEBHOOK,
	G_APPROVAL,
	G_R_OUTCOME,
	G_R_DETAILS,
	G_R_HASH,
	G_R_MATCH,
	G_R_CREATED
};

static json_object *
col_str(PGresult *res, int c)
{
	return PQgetisnull(res, 0, c) ? NULL : json_object_new_string(PQgetvalue(res, 0, c));
}

static json_object *
col_json(PGresult *res, int c)
{
	return PQgetisnull(res, 0, c) ? NULL : json_tokener_parse(PQgetvalue(res, 0, c));
}

/* Stage statuses of a snapshot for an evaluation that has no per-stage
 * rows: derived from the evaluation's status. */
static json_object *
approval_from_row(PGresult *res, json_object *snap)
{
	const char *status = PQgetvalue(res, 0, G_STATUS);
	const char *statuses[16];
	json_object *stages;
	size_t n = 0;

	if (json_object_object_get_ex(snap, "stages", &stages))
		n = json_object_array_length(stages);
	if (n > 16)
		n = 16;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(status, "pending") == 0)
			statuses[i] = i == 0 ? "pending" : "waiting";
		else
			statuses[i] = status;
	}
	return approval_view(snap,
		PQgetisnull(res, 0, G_EXPIRES) ? NULL : PQgetvalue(res, 0, G_EXPIRES), NULL,
		statuses);
}

enum anx_err
anx_eval_get(struct anx_db *db, const char *ws, const char *id, json_object **out)
{
	const char *params[2] = { id, ws };
	json_object *o, *pol = NULL, *receipt = NULL, *snap;
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if (!anx_uuid_valid(id))
		return ANX_ERR_NOT_FOUND;
	if ((err = anx_db_exec(db, SQL_GET, 2, params, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	o = json_object_new_object();
	json_object_object_add(o, "evaluation_id", col_str(res, G_ID));
	json_object_object_add(o, "decision", col_str(res, G_DECISION));
	json_object_object_add(o, "status", col_str(res, G_STATUS));
	if (!PQgetisnull(res, 0, G_POLICY)) {
		pol = json_object_new_object();
		json_object_object_add(pol, "id", col_str(res, G_POLICY));
		json_object_object_add(
			pol, "version", json_object_new_int(atoi(PQgetvalue(res, 0, G_VERSION))));
	}
	json_object_object_add(o, "policy", pol);
	json_object_object_add(o, "matched_rule", col_str(res, G_RULE));
	json_object_object_add(o, "reason", col_str(res, G_REASON));
	snap = col_json(res, G_APPROVAL);
	if (snap) {
		json_object *ap = approval_from_row(res, snap), *stages = NULL;

		/* Live stage progress with who was asked when, when recorded. */
		if ((err = anx_approval_stages_json(db, id, &stages)) != ANX_OK) {
			json_object_put(ap);
			json_object_put(snap);
			json_object_put(o);
			PQclear(res);
			return err;
		}
		if (json_object_array_length(stages) > 0)
			json_object_object_add(ap, "stages", stages);
		else
			json_object_put(stages);
		json_object_object_add(o, "approval", ap);
	} else
		json_object_object_add(o, "approval", NULL);
	json_object_put(snap);
	json_object_object_add(o, "action_hash", col_str(res, G_HASH));
	json_object_object_add(o, "created_at", col_str(res, G_CREATED));
	json_object_object_add(o, "decided_at", col_str(res, G_DECIDED));
	json_object_object_add(o, "action", col_str(res, G_ACTION));
	json_object_object_add(o, "agent_id", col_str(res, G_AGENT));
	json_object_object_add(o, "resource", col_str(res, G_RESOURCE));
	json_object_object_add(o, "amount",
		PQgetisnull(res, 0, G_AMOUNT)
			? NULL
			: json_object_new_double_s(strtod(PQgetvalue(res, 0, G_AMOUNT), NULL),
				  PQgetvalue(res, 0, G_AMOUNT)));
	json_object_object_add(o, "currency", col_str(res, G_CURRENCY));
	json_object_object_add(o, "summary", col_str(res, G_SUMMARY));
	json_object_object_add(o, "context", col_json(res, G_CONTEXT));
	json_object_object_add(o, "webhook_url", col_str(res, G_WEBHOOK));
	if (!PQgetisnull(res, 0, G_R_OUTCOME)) {
		receipt = json_object_new_object();
		json_object_object_add(receipt, "outcome", col_str(res, G_R_OUTCOME));
		json_object_object_add(receipt, "details", col_json(res, G_R_DETAILS));
		json_object_object_add(receipt, "action_hash", col_str(res, G_R_HASH));
		json_object_object_add(receipt, "hash_match",
			PQgetisnull(res, 0, G_R_MATCH)
				? NULL
				: json_object_new_boolean(PQgetvalue(res, 0, G_R_MATCH)[0] == 't'));
		json_object_object_add(receipt, "created_at", col_str(res, G_R_CREATED));
	}
	json_object_object_add(o, "receipt", receipt);
	PQclear(res);
	*out = o;
	return ANX_OK;
}
