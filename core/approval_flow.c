/*
 * approval_flow.c - starting approvals, asking approvers, deciding, and
 * finishing evaluations; see approval.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval_internal.h"
#include "json.h"
#include "audit.h"
#include "crypto.h"
#include "log.h"
#include "timeutil.h"
#include "webhook.h"

static const char SQL_STAGE_INSERT[] =
	"INSERT INTO approval_stages (evaluation_id, idx, workspace_id, role, min_approvals, otp,"
	" assign, reassign_after_seconds, status)"
	" VALUES ($1, $2::int, $3, $4, $5::int, $6::boolean, $7, $8::int, 'waiting')";
static const char SQL_STAGE_ACTIVATE[] =
	"UPDATE approval_stages SET status = 'pending', activated_at = now()"
	" WHERE evaluation_id = $1 AND idx = $2::int AND status = 'waiting' RETURNING role, "
	"assign, otp,"
	" (SELECT count(*) FROM approval_stages c WHERE c.evaluation_id = $1)";
static const char SQL_EVAL_STAGE[] = "UPDATE evaluations SET current_stage = $2::int WHERE id = $1";
static const char SQL_HOLDERS[] =
	"SELECT u.id, u.email FROM workspace_members m JOIN users u ON u.id = m.user_id"
	" WHERE m.workspace_id = $1 AND $2 = ANY (m.approval_roles) AND u.disabled_at IS NULL"
	" ORDER BY u.id";
/* Round robin: holders that may still be asked for this stage (not asked
 * yet, not barred by separation of duties). */
static const char SQL_RR_ELIGIBLE[] =
	"SELECT u.id, u.email FROM workspace_members m JOIN users u ON u.id = m.user_id"
	" WHERE m.workspace_id = $1 AND $2 = ANY (m.approval_roles) AND u.disabled_at IS NULL"
	" AND NOT EXISTS (SELECT 1 FROM approval_requests r WHERE r.evaluation_id = $3"
	"  AND r.stage_idx = $4::int AND r.user_id = u.id)"
	" AND NOT EXISTS (SELECT 1 FROM approval_requests r JOIN evaluations e ON e.id = "
	"r.evaluation_id"
	"  WHERE r.evaluation_id = $3 AND r.status = 'approved' AND r.user_id = u.id"
	"  AND coalesce((e.approval->>'separation_of_duties')::boolean, true))"
	" AND NOT EXISTS (SELECT 1 FROM evaluations e JOIN api_keys k ON k.id = e.api_key_id"
	"  WHERE e.id = $3 AND k.created_by = u.id"
	"  AND coalesce((e.approval->>'separation_of_duties')::boolean, true))"
	" ORDER BY u.id";
static const char SQL_RR_CURSOR_INIT[] = "INSERT INTO approval_rr_cursors (workspace_id, role) "
					 "VALUES ($1, $2) ON CONFLICT DO NOTHING";
static const char SQL_RR_CURSOR_NEXT[] =
	"UPDATE approval_rr_cursors SET next_index = next_index + 1"
	" WHERE workspace_id = $1 AND role = $2 RETURNING next_index - 1";
static const char SQL_ASK[] = "INSERT INTO approval_requests (evaluation_id, stage_idx, "
			      "workspace_id, user_id, token_hash)"
			      " VALUES ($1, $2::int, $3, $4, $5::bytea) RETURNING id";

enum anx_err
anx_approval_start(
	struct anx_db *db, const char *ws, const char *eval_id, const struct anx_policy_approval *a)
{
	enum anx_err err;

	for (size_t i = 0; i < a->nstages; i++) {
		const struct anx_policy_stage *s = &a->stages[i];
		char idx[24], min[16], reassign[24];
		const char *p[8] = { eval_id, idx, ws, s->role, min, s->otp ? "true" : "false",
			s->assign == ANX_ASSIGN_ROUND_ROBIN ? "round_robin" : "all",
			s->assign == ANX_ASSIGN_ROUND_ROBIN ? reassign : NULL };

		snprintf(idx, sizeof(idx), "%zu", i);
		snprintf(min, sizeof(min), "%d", s->min_approvals);
		snprintf(reassign, sizeof(reassign), "%ld", s->reassign_after_seconds);
		if ((err = anx_db_exec(db, SQL_STAGE_INSERT, 8, p, NULL)) != ANX_OK)
			return err;
	}
	return anx_approval_activate(db, ws, eval_id, 0);
}

/* Adds stage context ("Stage 1 of 2: manager", whether it needs a
 * one-time code) to an email context. */
static void
stage_ctx(json_object *ctx, int idx, const char *role, int count, int otp)
{
	json_object_object_add(ctx, "stage_number", json_object_new_int(idx + 1));
	json_object_object_add(ctx, "stage_count", json_object_new_int(count));
	json_object_object_add(ctx, "stage_role", json_object_new_string(role));
	json_object_object_add(ctx, "otp", json_object_new_boolean(otp));
}

int
anx_approval_token_new(char token[ANX_TOKEN_HEX + 1], char hash[ANX_SHA256_BYTEA_LEN + 1])
{
	unsigned char raw[ANX_TOKEN_HEX / 2];
	int rc = -1;

	if (anx_random(raw, sizeof(raw)) != 0)
		goto out;
	anx_hex_encode(raw, sizeof(raw), token);
	rc = anx_sha256_bytea(token, ANX_TOKEN_HEX, hash);
out:
	anx_secure_zero(raw, sizeof(raw));
	return rc;
}

enum anx_err
anx_approval_ask(struct anx_db *db, const char *ws, const char *eval_id, int idx,
	const char *user_id, const char *email, json_object *ctx)
{
	char token[ANX_TOKEN_HEX + 1], hash[ANX_SHA256_BYTEA_LEN + 1], sidx[16], rid[37];
	const char *p[5] = { eval_id, sidx, ws, user_id, hash };
	enum anx_err err;

	if (anx_approval_token_new(token, hash) != 0)
		return ANX_ERR_INTERNAL;
	snprintf(sidx, sizeof(sidx), "%d", idx);
	if ((err = anx_db_value(db, SQL_ASK, 5, p, rid, sizeof(rid))) != ANX_OK)
		goto out;
	json_object_object_add(ctx, "token", json_object_new_string(token));
	err = anx_approval_mail(db, "approval_request", ws, eval_id, email, ctx, 0);
	json_object_object_del(ctx, "token");
out:
	anx_secure_zero(token, sizeof(token));
	return err;
}

/* Asks the next eligible round-robin holder; 0 asked when none is left. */
static enum anx_err
ask_round_robin(struct anx_db *db, const char *ws, const char *eval_id, int idx, const char *role,
	json_object *ctx, int *asked)
{
	char sidx[16], cursor[24];
	const char *p[4] = { ws, role, eval_id, sidx };
	PGresult *res = NULL;
	enum anx_err err;
	int n, pick;

	*asked = 0;
	snprintf(sidx, sizeof(sidx), "%d", idx);
	if ((err = anx_db_exec(db, SQL_RR_ELIGIBLE, 4, p, &res)) != ANX_OK)
		return err;
	if ((n = PQntuples(res)) == 0)
		goto out;
	if ((err = anx_db_exec(db, SQL_RR_CURSOR_INIT, 2, p, NULL)) != ANX_OK ||
		(err = anx_db_value(db, SQL_RR_CURSOR_NEXT, 2, p, cursor, sizeof(cursor))) !=
			ANX_OK)
		goto out;
	pick = (int)(strtoll(cursor, NULL, 10) % n);
	err = anx_approval_ask(
		db, ws, eval_id, idx, PQgetvalue(res, pick, 0), PQgetvalue(res, pick, 1), ctx);
	*asked = err == ANX_OK;
out:
	PQclear(res);
	return err;
}

enum anx_err
anx_approval_rr_next(struct anx_db *db, const char *ws, const char *eval_id, int idx, int *asked)
{
	static const char SQL_ROLE[] =
		"SELECT role, otp, (SELECT count(*) FROM approval_stages c WHERE c.evaluation_id = "
		"$1)"
		" FROM approval_stages WHERE evaluation_id = $1 AND idx = $2::int";
	char sidx[16], role[128];
	const char *p[2] = { eval_id, sidx };
	json_object *ctx = NULL;
	PGresult *res = NULL;
	enum anx_err err;

	*asked = 0;
	snprintf(sidx, sizeof(sidx), "%d", idx);
	if ((err = anx_db_exec(db, SQL_ROLE, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	if ((err = anx_approval_eval_ctx(db, eval_id, &ctx)) != ANX_OK) {
		PQclear(res);
		return err;
	}
	snprintf(role, sizeof(role), "%s", PQgetvalue(res, 0, 0));
	stage_ctx(ctx, idx, role, atoi(PQgetvalue(res, 0, 2)), PQgetvalue(res, 0, 1)[0] == 't');
	PQclear(res);
	err = ask_round_robin(db, ws, eval_id, idx, role, ctx, asked);
	json_object_put(ctx);
	return err;
}

enum anx_err
anx_approval_activate(struct anx_db *db, const char *ws, const char *eval_id, int idx)
{
	char sidx[16], role[128], assign[16];
	const char *p[2] = { eval_id, sidx };
	json_object *ctx = NULL;
	PGresult *res = NULL;
	enum anx_err err;
	int asked = 0, otp, count;

	snprintf(sidx, sizeof(sidx), "%d", idx);
	if ((err = anx_db_exec(db, SQL_STAGE_ACTIVATE, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_APPROVAL_CLOSED;
	}
	snprintf(role, sizeof(role), "%s", PQgetvalue(res, 0, 0));
	snprintf(assign, sizeof(assign), "%s", PQgetvalue(res, 0, 1));
	otp = PQgetvalue(res, 0, 2)[0] == 't';
	count = atoi(PQgetvalue(res, 0, 3));
	PQclear(res);
	res = NULL;
	if ((err = anx_db_exec(db, SQL_EVAL_STAGE, 2, p, NULL)) != ANX_OK ||
		(err = anx_approval_eval_ctx(db, eval_id, &ctx)) != ANX_OK)
		goto out;
	stage_ctx(ctx, idx, role, count, otp);
	if (strcmp(assign, "round_robin") == 0) {
		if ((err = ask_round_robin(db, ws, eval_id, idx, role, ctx, &asked)) != ANX_OK)
			goto out;
	} else {
		const char *hp[2] = { ws, role };

		if ((err = anx_db_exec(db, SQL_HOLDERS, 2, hp, &res)) != ANX_OK)
			goto out;
		for (int r = 0; r < PQntuples(res); r++) {
			err = anx_approval_ask(db, ws, eval_id, idx, PQgetvalue(res, r, 0),
				PQgetvalue(res, r, 1), ctx);
			if (err != ANX_OK)
				goto out;
			asked++;
		}
	}
	if (asked == 0) {
		/* Nobody can approve: the evaluation stays pending until it
		 * expires; the log and the audit trail say why. */
		json_object *d = json_object_new_object();

		anx_log(ANX_LOG_WARN, "approval_no_approvers", LF_STR("evaluation_id", eval_id),
			LF_STR("role", role), ANX_LF_END);
		json_object_object_add(d, "stage", json_object_new_int(idx));
		json_object_object_add(d, "role", json_object_new_string(role));
		err = anx_audit_record(
			db, ws, "system", NULL, "approval.no_approvers", "evaluation", eval_id, d);
		json_object_put(d);
		if (err != ANX_OK)
			goto out;
	}
	err = anx_webhook_enqueue(db, ws, eval_id, "approval_required");
out:
	PQclear(res);
	json_object_put(ctx);
	return err;
}

static const char SQL_FINISH_EVAL[] = "UPDATE evaluations SET status = $2, decided_at = now() "
				      "WHERE id = $1 AND status = 'pending'"
				      " RETURNING id";
static const char SQL_FINISH_STAGES[] =
	"UPDATE approval_stages SET completed_at = coalesce(completed_at, now()), status = CASE"
	" WHEN status = 'pending' AND $2 = 'rejected' THEN 'rejected'"
	" WHEN status IN ('pending', 'waiting') AND $2 = 'expired' THEN 'expired'"
	" WHEN status = 'waiting' THEN 'cancelled' ELSE status END"
	" WHERE evaluation_id = $1";
static const char SQL_CLOSE_REQUESTS[] = "UPDATE approval_requests SET status = 'closed' WHERE "
					 "evaluation_id = $1 AND status = 'open'";
static const char SQL_ASKED_EMAILS[] =
	"SELECT DISTINCT u.email FROM approval_requests r JOIN users u ON u.id = r.user_id"
	" WHERE r.evaluation_id = $1";
/* The decision that finished it: who, and their comment. */
static const char SQL_DECIDER[] =
	"SELECT coalesce(NULLIF(u.display_name, ''), u.email), r.comment FROM approval_requests r"
	" JOIN users u ON u.id = r.user_id WHERE r.evaluation_id = $1 AND r.user_id = $2::uuid"
	" AND r.status IN ('approved', 'rejected') ORDER BY r.decided_at DESC LIMIT 1";

enum anx_err
anx_approval_finish(struct anx_db *db, const char *ws, const char *eval_id, const char *status,
	const char *actor_type, const char *actor_id)
{
	const char *p[2] = { eval_id, status };
	char event[48], got[37];
	json_object *ctx = NULL, *d;
	PGresult *res = NULL;
	enum anx_err err;

	if ((err = anx_db_value(db, SQL_FINISH_EVAL, 2, p, got, sizeof(got))) != ANX_OK)
		return err == ANX_ERR_NOT_FOUND ? ANX_ERR_APPROVAL_CLOSED : err;
	if ((err = anx_db_exec(db, SQL_FINISH_STAGES, 2, p, NULL)) != ANX_OK ||
		(err = anx_db_exec(db, SQL_CLOSE_REQUESTS, 1, p, NULL)) != ANX_OK)
		return err;
	snprintf(event, sizeof(event), "evaluation.%s", status);
	d = json_object_new_object();
	json_object_object_add(d, "status", json_object_new_string(status));
	err = anx_audit_record(db, ws, actor_type, actor_id, event, "evaluation", eval_id, d);
	json_object_put(d);
	if (err != ANX_OK)
		return err;
	if ((err = anx_approval_eval_ctx(db, eval_id, &ctx)) != ANX_OK)
		goto out;
	json_object_object_add(ctx, "outcome", json_object_new_string(status));
	if (actor_id != NULL && strcmp(actor_type, "approver") == 0) {
		const char *dp[2] = { eval_id, actor_id };

		if ((err = anx_db_exec(db, SQL_DECIDER, 2, dp, &res)) != ANX_OK)
			goto out;
		if (PQntuples(res) == 1) {
			json_object_object_add(
				ctx, "decided_by", json_object_new_string(PQgetvalue(res, 0, 0)));
			/* A rejection says why; an approval's last comment alone
			 * would misrepresent the others'. */
			if (strcmp(status, "rejected") == 0 && !PQgetisnull(res, 0, 1))
				json_object_object_add(ctx, "comment",
					json_object_new_string(PQgetvalue(res, 0, 1)));
		}
		PQclear(res);
		res = NULL;
	}
	if ((err = anx_db_exec(db, SQL_ASKED_EMAILS, 1, p, &res)) != ANX_OK)
		goto out;
	for (int r = 0; r < PQntuples(res); r++)
		if ((err = anx_approval_mail(
			     db, "outcome", ws, eval_id, PQgetvalue(res, r, 0), ctx, 0)) != ANX_OK)
			goto out;
	err = anx_webhook_enqueue(db, ws, eval_id, "terminal_outcome");
out:
	PQclear(res);
	json_object_put(ctx);
	return err;
}

static const char SQL_SOD_OTHER_STAGE[] =
	"SELECT count(*) FROM approval_requests r JOIN evaluations e ON e.id = r.evaluation_id"
	" WHERE r.evaluation_id = $1 AND r.user_id = $2"
	" AND r.status = 'approved' AND r.stage_idx <> $3::int"
	" AND coalesce((e.approval->>'separation_of_duties')::boolean, true)";
static const char SQL_SOD_KEY_CREATOR[] =
	"SELECT count(*) FROM evaluations e JOIN api_keys k ON k.id = e.api_key_id"
	" WHERE e.id = $1 AND k.created_by = $2"
	" AND coalesce((e.approval->>'separation_of_duties')::boolean, true)";
static const char SQL_MARK_REQUEST[] =
	"UPDATE approval_requests SET status = $2, decided_at = now(), comment = NULLIF($3, ''),"
	" via = $4 WHERE id = $1 AND status = 'open'";
static const char SQL_STAGE_COUNT[] =
	"UPDATE approval_stages SET approvals = approvals + 1 WHERE evaluation_id = $1"
	" AND idx = $2::int RETURNING approvals >= min_approvals";
static const char SQL_STAGE_DONE[] =
	"UPDATE approval_stages SET status = 'approved', completed_at = now()"
	" WHERE evaluation_id = $1 AND idx = $2::int";
static const char SQL_STAGE_CLOSE_OPEN[] =
	"UPDATE approval_requests SET status = 'closed' WHERE evaluation_id = $1"
	" AND stage_idx = $2::int AND status = 'open'";
/* A round-robin stage short of its quorum with nobody left to decide. */
static const char SQL_RR_NEEDS_NEXT[] =
	"SELECT count(*) FROM approval_stages s WHERE s.evaluation_id = $1 AND s.idx = $2::int"
	" AND s.assign = 'round_robin' AND NOT EXISTS (SELECT 1 FROM approval_requests q"
	"  WHERE q.evaluation_id = s.evaluation_id AND q.stage_idx = s.idx AND q.status = 'open')";
static const char SQL_NEXT_STAGE[] =
	"SELECT idx FROM approval_stages WHERE evaluation_id = $1 AND status = 'waiting'"
	" ORDER BY idx LIMIT 1";

struct decide_ctx {
	const struct anx_approver_ref *who;
	enum anx_decision d;
	const char *comment;
	char *result;
	enum anx_err refusal; /* committed refusal to report after the tx */
};

/* Records a refused attempt (committed with the transaction). */
static enum anx_err
refuse(struct anx_db *db, struct decide_ctx *c, const struct anx_areq *r, enum anx_err why,
	const char *reason)
{
	json_object *d = json_object_new_object();
	enum anx_err err;

	json_object_object_add(d, "stage", json_object_new_int(r->stage_idx));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	err = anx_audit_record(db, r->workspace_id, "approver", r->user_id, "approval.refused",
		"evaluation", r->evaluation_id, d);
	json_object_put(d);
	c->refusal = why;
	return err;
}

static enum anx_err
decide_tx(struct anx_db *db, void *arg)
{
	struct decide_ctx *c = arg;
	struct anx_areq r;
	char sidx[16], count[24], done[8], next[16];
	const char *p[4];
	json_object *d;
	enum anx_err err;

	c->refusal = ANX_OK;
	if ((err = anx_areq_load(db, c->who, &r)) != ANX_OK)
		return err;
	snprintf(c->result, 16, "%s", r.eval_status);
	if (strcmp(r.eval_status, "pending") != 0 || strcmp(r.status, "open") != 0 ||
		strcmp(r.stage_status, "pending") != 0)
		return ANX_ERR_APPROVAL_CLOSED;
	snprintf(sidx, sizeof(sidx), "%d", r.stage_idx);
	if (c->d == ANX_DECIDE_APPROVE) {
		if (r.stage_otp && !r.otp_verified)
			return ANX_ERR_OTP_REQUIRED;
		p[0] = r.evaluation_id;
		p[1] = r.user_id;
		p[2] = sidx;
		if ((err = anx_db_value(db, SQL_SOD_OTHER_STAGE, 3, p, count, sizeof(count))) !=
			ANX_OK)
			return err;
		if (strcmp(count, "0") != 0)
			return refuse(db, c, &r, ANX_ERR_SOD,
				"approved another stage of this evaluation");
		if ((err = anx_db_value(db, SQL_SOD_KEY_CREATOR, 2, p, count, sizeof(count))) !=
			ANX_OK)
			return err;
		if (strcmp(count, "0") != 0)
			return refuse(db, c, &r, ANX_ERR_SOD,
				"created the API key that requested this action");
	}
	p[0] = r.id;
	p[1] = c->d == ANX_DECIDE_APPROVE ? "approved" : "rejected";
	p[2] = c->comment ? c->comment : "";
	p[3] = c->who->token ? "email" : "dashboard";
	if ((err = anx_db_exec(db, SQL_MARK_REQUEST, 4, p, NULL)) != ANX_OK)
		return err;
	d = json_object_new_object();
	json_object_object_add(d, "stage", json_object_new_int(r.stage_idx));
	json_object_object_add(d, "via", json_object_new_string(p[3]));
	if (c->comment && *c->comment)
		json_object_object_add(d, "comment", json_object_new_string(c->comment));
	err = anx_audit_record(db, r.workspace_id, "approver", r.user_id,
		c->d == ANX_DECIDE_APPROVE ? "approval.approved" : "approval.rejected",
		"evaluation", r.evaluation_id, d);
	json_object_put(d);
	if (err != ANX_OK)
		return err;
	if (c->d == ANX_DECIDE_REJECT) {
		snprintf(c->result, 16, "rejected");
		return anx_approval_finish(
			db, r.workspace_id, r.evaluation_id, "rejected", "approver", r.user_id);
	}
	p[0] = r.evaluation_id;
	p[1] = sidx;
	if ((err = anx_db_value(db, SQL_STAGE_COUNT, 2, p, done, sizeof(done))) != ANX_OK)
		return err;
	if (strcmp(done, "t") != 0) {
		/* Quorum not reached yet. Round robin asks one holder at a
		 * time: once that one has approved, ask the next now rather
		 * than leave the stage with nobody to decide. */
		int asked = 0;

		if ((err = anx_db_value(db, SQL_RR_NEEDS_NEXT, 2, p, count, sizeof(count))) !=
				ANX_OK ||
			strcmp(count, "0") == 0)
			return err;
		if ((err = anx_approval_rr_next(
			     db, r.workspace_id, r.evaluation_id, r.stage_idx, &asked)) != ANX_OK ||
			asked)
			return err;
		d = json_object_new_object();
		anx_log(ANX_LOG_WARN, "approval_no_approvers",
			LF_STR("evaluation_id", r.evaluation_id), LF_INT("stage", r.stage_idx),
			ANX_LF_END);
		json_object_object_add(d, "stage", json_object_new_int(r.stage_idx));
		err = anx_audit_record(db, r.workspace_id, "system", NULL, "approval.no_approvers",
			"evaluation", r.evaluation_id, d);
		json_object_put(d);
		return err;
	}
	if ((err = anx_db_exec(db, SQL_STAGE_DONE, 2, p, NULL)) != ANX_OK ||
		(err = anx_db_exec(db, SQL_STAGE_CLOSE_OPEN, 2, p, NULL)) != ANX_OK)
		return err;
	err = anx_db_value(db, SQL_NEXT_STAGE, 1, p, next, sizeof(next));
	if (err == ANX_OK)
		return anx_approval_activate(db, r.workspace_id, r.evaluation_id, atoi(next));
	if (err != ANX_ERR_NOT_FOUND)
		return err;
	snprintf(c->result, 16, "approved");
	return anx_approval_finish(
		db, r.workspace_id, r.evaluation_id, "approved", "approver", r.user_id);
}

enum anx_err
anx_approval_decide(struct anx_db *db, const struct anx_approver_ref *who, enum anx_decision d,
	const char *comment, char result_status[16])
{
	struct decide_ctx c = { who, d, comment, result_status, ANX_OK };
	enum anx_err err;

	result_status[0] = '\0';
	if (comment && !anx_utf8_valid(comment, strlen(comment)))
		return ANX_ERR_VALIDATION;
	if (comment && anx_utf8_chars(comment) > ANX_COMMENT_MAX)
		return ANX_ERR_VALIDATION;
	if ((err = anx_db_tx(db, decide_tx, &c)) != ANX_OK)
		return err;
	return c.refusal;
}
