/*
 * approval_view.c - loading approval requests and rendering approval
 * state as JSON (the approval page, evaluation stages, email contexts).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval_internal.h"
#include "auth.h"
#include "config.h"
#include "crypto.h"
#include "timeutil.h"

/* Locks the evaluation first, then reads the request afresh: in READ
 * COMMITTED a second statement after the lock sees every change committed
 * by whoever held it. */
static const char SQL_LOCK_BY_TOKEN[] =
	"SELECT e.id FROM evaluations e WHERE e.id ="
	" (SELECT evaluation_id FROM approval_requests WHERE token_hash = $1::bytea) FOR UPDATE";
static const char SQL_LOCK_BY_ID[] =
	"SELECT e.id FROM evaluations e WHERE e.id ="
	" (SELECT evaluation_id FROM approval_requests WHERE id = $1 AND user_id = $2) FOR UPDATE";
#define AREQ_COLS                                                                                  \
	"SELECT r.id, r.evaluation_id, r.workspace_id, r.user_id, r.status, r.stage_idx,"          \
	" s.status, s.otp, e.status, r.otp_verified_at IS NOT NULL, r.otp_locked_at IS NOT NULL,"  \
	" r.otp_failures, (r.otp_hash IS NULL OR r.otp_expires_at <= now()),"                      \
	" greatest(0, ceil(extract(epoch FROM (r.otp_sent_at + interval '30 seconds' - "           \
	"now()))))::int,"                                                                          \
	" r.otp_sends, coalesce(r.otp_hash, ''), u.email"                                          \
	" FROM approval_requests r"                                                                \
	" JOIN approval_stages s ON s.evaluation_id = r.evaluation_id AND s.idx = r.stage_idx"     \
	" JOIN evaluations e ON e.id = r.evaluation_id JOIN users u ON u.id = r.user_id"
static const char SQL_AREQ_BY_TOKEN[] = AREQ_COLS " WHERE r.token_hash = $1::bytea";
static const char SQL_AREQ_BY_ID[] = AREQ_COLS " WHERE r.id = $1 AND r.user_id = $2";

/* A link token is exactly 32 lowercase hex characters. */
static int
token_shape(const char *t)
{
	if (t == NULL || strlen(t) != ANX_TOKEN_HEX)
		return 0;
	for (size_t i = 0; i < ANX_TOKEN_HEX; i++)
		if (!isxdigit((unsigned char)t[i]) || isupper((unsigned char)t[i]))
			return 0;
	return 1;
}

/* Fills p[0..1] for a lookup by token or by dashboard reference. */
static int
ref_params(
	const struct anx_approver_ref *who, char hash[2 + ANX_SHA256_HEX_LEN + 1], const char *p[2])
{
	if (who->token) {
		if (!token_shape(who->token))
			return -1;
		anx_sha256_bytea(who->token, ANX_TOKEN_HEX, hash);
		p[0] = hash;
		p[1] = NULL;
		return 1;
	}
	if (!anx_uuid_valid(who->request_id) || !anx_uuid_valid(who->user_id))
		return -1;
	p[0] = who->request_id;
	p[1] = who->user_id;
	return 2;
}

static void
copy(char *dst, size_t n, PGresult *res, int c)
{
	snprintf(dst, n, "%s", PQgetvalue(res, 0, c));
}

static enum anx_err
read_areq(struct anx_db *db, const struct anx_approver_ref *who, int lock, struct anx_areq *r)
{
	char hash[2 + ANX_SHA256_HEX_LEN + 1];
	const char *p[2];
	PGresult *res;
	enum anx_err err;
	int n;

	memset(r, 0, sizeof(*r));
	if ((n = ref_params(who, hash, p)) < 0)
		return ANX_ERR_NOT_FOUND;
	if (lock) {
		if ((err = anx_db_exec(db, n == 1 ? SQL_LOCK_BY_TOKEN : SQL_LOCK_BY_ID, n, p,
			     &res)) != ANX_OK)
			return err;
		n = PQntuples(res) == 1 ? n : 0;
		PQclear(res);
		if (n == 0)
			return ANX_ERR_NOT_FOUND;
	}
	if ((err = anx_db_exec(db, who->token ? SQL_AREQ_BY_TOKEN : SQL_AREQ_BY_ID,
		     who->token ? 1 : 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	copy(r->id, sizeof(r->id), res, 0);
	copy(r->evaluation_id, sizeof(r->evaluation_id), res, 1);
	copy(r->workspace_id, sizeof(r->workspace_id), res, 2);
	copy(r->user_id, sizeof(r->user_id), res, 3);
	copy(r->status, sizeof(r->status), res, 4);
	r->stage_idx = atoi(PQgetvalue(res, 0, 5));
	copy(r->stage_status, sizeof(r->stage_status), res, 6);
	r->stage_otp = PQgetvalue(res, 0, 7)[0] == 't';
	copy(r->eval_status, sizeof(r->eval_status), res, 8);
	r->otp_verified = PQgetvalue(res, 0, 9)[0] == 't';
	r->otp_locked = PQgetvalue(res, 0, 10)[0] == 't';
	r->otp_failures = atoi(PQgetvalue(res, 0, 11));
	r->otp_expired = PQgetvalue(res, 0, 12)[0] == 't';
	r->otp_resend_wait = PQgetisnull(res, 0, 13) ? 0 : atoi(PQgetvalue(res, 0, 13));
	r->otp_sends = atoi(PQgetvalue(res, 0, 14));
	copy(r->otp_hash, sizeof(r->otp_hash), res, 15);
	copy(r->email, sizeof(r->email), res, 16);
	PQclear(res);
	return ANX_OK;
}

enum anx_err
anx_areq_load(struct anx_db *db, const struct anx_approver_ref *who, struct anx_areq *r)
{
	return read_areq(db, who, 1, r);
}

static const char SQL_EVAL_CTX[] =
	"SELECT e.id, e.summary, e.action, e.resource, e.amount::text, e.currency, e.agent_id,"
	" e.matched_rule, e.reason, e.action_hash, " ANX_SQL_TS(
		"e.expires_at") ", e.status,"
				" w.name, jsonb_pretty(e.context), " ANX_SQL_TS(
					"e.created_at") ","
							" greatest(0, extract(epoch FROM "
							"e.expires_at - now()))::bigint"
							" FROM evaluations e JOIN workspaces w ON "
							"w.id = e.workspace_id WHERE e.id = $1";

static json_object *
col(PGresult *res, int c)
{
	return PQgetisnull(res, 0, c) ? NULL : json_object_new_string(PQgetvalue(res, 0, c));
}

/* "3 hours", "1 day", "12 minutes": how long until expiry, for people. */
static void
human_duration(long long s, char *out, size_t n)
{
	if (s >= 2 * 86400)
		snprintf(out, n, "%lld days", s / 86400);
	else if (s >= 2 * 3600)
		snprintf(out, n, "%lld hours", s / 3600);
	else if (s >= 120)
		snprintf(out, n, "%lld minutes", s / 60);
	else
		snprintf(out, n, "less than 2 minutes");
}

enum anx_err
anx_approval_eval_ctx(struct anx_db *db, const char *eval_id, json_object **out)
{
	const char *p[1] = { eval_id };
	char left[32];
	json_object *o;
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_EVAL_CTX, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	o = json_object_new_object();
	json_object_object_add(o, "evaluation_id", col(res, 0));
	json_object_object_add(o, "summary", col(res, 1));
	json_object_object_add(o, "action", col(res, 2));
	json_object_object_add(o, "resource", col(res, 3));
	json_object_object_add(o, "amount", col(res, 4));
	json_object_object_add(o, "currency", col(res, 5));
	json_object_object_add(o, "agent_id", col(res, 6));
	json_object_object_add(o, "matched_rule", col(res, 7));
	json_object_object_add(o, "reason", col(res, 8));
	json_object_object_add(o, "action_hash", col(res, 9));
	json_object_object_add(o, "expires_at", col(res, 10));
	json_object_object_add(o, "status", col(res, 11));
	json_object_object_add(o, "workspace_name", col(res, 12));
	json_object_object_add(o, "context_pretty", col(res, 13));
	json_object_object_add(o, "created_at", col(res, 14));
	human_duration(strtoll(PQgetvalue(res, 0, 15), NULL, 10), left, sizeof(left));
	json_object_object_add(o, "expires_in", json_object_new_string(left));
	json_object_object_add(
		o, "app_url", json_object_new_string(anx_cfg.app_url ? anx_cfg.app_url : ""));
	PQclear(res);
	*out = o;
	return ANX_OK;
}

static const char SQL_STAGES[] =
	"SELECT idx, role, min_approvals, approvals, otp, status, assign, " ANX_SQL_TS(
		"activated_at") ", " ANX_SQL_TS("completed_at") " FROM approval_stages WHERE "
								"evaluation_id = $1 ORDER BY idx";
static const char SQL_ASKED[] =
	"SELECT r.stage_idx, u.email, u.display_name, r.status, " ANX_SQL_TS(
		"r.asked_at") ", " ANX_SQL_TS("r.decided_at") ", r.comment, r.via"
							      " FROM approval_requests r JOIN "
							      "users u ON u.id = r.user_id WHERE "
							      "r.evaluation_id = $1"
							      " ORDER BY r.stage_idx, r.asked_at, "
							      "u.email";

static json_object *
cell(PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? NULL : json_object_new_string(PQgetvalue(res, r, c));
}

enum anx_err
anx_approval_stages_json(struct anx_db *db, const char *eval_id, json_object **out)
{
	const char *p[1] = { eval_id };
	PGresult *st = NULL, *asked = NULL;
	json_object *arr;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_STAGES, 1, p, &st)) != ANX_OK ||
		(err = anx_db_exec(db, SQL_ASKED, 1, p, &asked)) != ANX_OK)
		goto out;
	arr = json_object_new_array();
	for (int r = 0; r < PQntuples(st); r++) {
		json_object *s = json_object_new_object(), *who = json_object_new_array();
		int idx = atoi(PQgetvalue(st, r, 0));

		json_object_object_add(s, "index", json_object_new_int(idx));
		json_object_object_add(s, "number", json_object_new_int(idx + 1));
		json_object_object_add(s, "role", cell(st, r, 1));
		json_object_object_add(
			s, "required", json_object_new_int(atoi(PQgetvalue(st, r, 2))));
		json_object_object_add(
			s, "approved", json_object_new_int(atoi(PQgetvalue(st, r, 3))));
		json_object_object_add(
			s, "otp", json_object_new_boolean(PQgetvalue(st, r, 4)[0] == 't'));
		json_object_object_add(s, "status", cell(st, r, 5));
		json_object_object_add(s, "assign", cell(st, r, 6));
		json_object_object_add(s, "activated_at", cell(st, r, 7));
		json_object_object_add(s, "completed_at", cell(st, r, 8));
		for (int a = 0; a < PQntuples(asked); a++) {
			json_object *x;

			if (atoi(PQgetvalue(asked, a, 0)) != idx)
				continue;
			x = json_object_new_object();
			json_object_object_add(x, "email", cell(asked, a, 1));
			json_object_object_add(x, "name", cell(asked, a, 2));
			json_object_object_add(x, "status", cell(asked, a, 3));
			json_object_object_add(x, "asked_at", cell(asked, a, 4));
			json_object_object_add(x, "decided_at", cell(asked, a, 5));
			json_object_object_add(x, "comment", cell(asked, a, 6));
			json_object_object_add(x, "via", cell(asked, a, 7));
			json_object_array_add(who, x);
		}
		json_object_object_add(s, "approvers", who);
		json_object_array_add(arr, s);
	}
	*out = arr;
out:
	PQclear(st);
	PQclear(asked);
	return err;
}

enum anx_err
anx_approval_view(struct anx_db *db, const struct anx_approver_ref *who, json_object **out)
{
	json_object *o, *req, *ev = NULL, *stages = NULL;
	struct anx_areq r;
	enum anx_err err;
	int open;

	*out = NULL;
	if ((err = read_areq(db, who, 0, &r)) != ANX_OK)
		return err;
	if ((err = anx_approval_eval_ctx(db, r.evaluation_id, &ev)) != ANX_OK ||
		(err = anx_approval_stages_json(db, r.evaluation_id, &stages)) != ANX_OK) {
		json_object_put(ev);
		return err;
	}
	open = strcmp(r.eval_status, "pending") == 0 && strcmp(r.status, "open") == 0 &&
	       strcmp(r.stage_status, "pending") == 0;
	req = json_object_new_object();
	json_object_object_add(req, "id", json_object_new_string(r.id));
	json_object_object_add(req, "status", json_object_new_string(r.status));
	json_object_object_add(req, "stage_index", json_object_new_int(r.stage_idx));
	json_object_object_add(req, "stage_number", json_object_new_int(r.stage_idx + 1));
	json_object_object_add(req, "open", json_object_new_boolean(open));
	json_object_object_add(req, "otp", json_object_new_boolean(r.stage_otp));
	json_object_object_add(req, "otp_verified", json_object_new_boolean(r.otp_verified));
	json_object_object_add(req, "otp_locked", json_object_new_boolean(r.otp_locked));
	json_object_object_add(req, "otp_sent", json_object_new_boolean(!r.otp_expired));
	json_object_object_add(req, "needs_otp",
		json_object_new_boolean(open && r.stage_otp && !r.otp_verified && !r.otp_locked));
	json_object_object_add(req, "can_decide",
		json_object_new_boolean(open && (!r.stage_otp || r.otp_verified)));
	json_object_object_add(req, "approver_email", json_object_new_string(r.email));
	json_object_object_add(ev, "stages", stages);
	o = json_object_new_object();
	json_object_object_add(o, "request", req);
	json_object_object_add(o, "evaluation", ev);
	*out = o;
	return ANX_OK;
}
