/*
 * approval_timeouts.c - the time-driven part of approvals, run by
 * `agentnexus-cron timeouts` and POST /api/cron/approval-timeouts:
 * expiring overdue evaluations, sending each pending evaluation's reminder
 * once, and moving round-robin requests on to the next holder.
 *
 * Each pass works in batches under FOR UPDATE SKIP LOCKED, so several
 * runners at once never act twice, and a decision racing a timeout
 * serialises on the evaluation row lock: whichever commits first wins,
 * and the other sees a non-pending evaluation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval_internal.h"
#include "audit.h"
#include "crypto.h"
#include "log.h"

#define BATCH "100"

static const char SQL_OVERDUE[] =
	"SELECT id, workspace_id FROM evaluations WHERE status = 'pending' AND expires_at <= now()"
	" ORDER BY expires_at LIMIT " BATCH " FOR UPDATE SKIP LOCKED";
static const char SQL_REMIND_DUE[] =
	"SELECT id, workspace_id FROM evaluations WHERE status = 'pending' AND reminded_at IS NULL"
	" AND approval ? 'reminder_before_seconds' AND expires_at > now()"
	" AND expires_at - make_interval(secs => (approval->>'reminder_before_seconds')::int) <= "
	"now()"
	" ORDER BY expires_at LIMIT " BATCH " FOR UPDATE SKIP LOCKED";
static const char SQL_REMINDED[] = "UPDATE evaluations SET reminded_at = now() WHERE id = $1";
static const char SQL_OPEN_REQUESTS[] =
	"SELECT r.id, u.email, r.stage_idx, s.role, s.otp,"
	" (SELECT count(*) FROM approval_stages c WHERE c.evaluation_id = r.evaluation_id)"
	" FROM approval_requests r"
	" JOIN users u ON u.id = r.user_id"
	" JOIN approval_stages s ON s.evaluation_id = r.evaluation_id AND s.idx = r.stage_idx"
	" WHERE r.evaluation_id = $1 AND r.status = 'open' AND s.status = 'pending'";
/* A reminder carries a fresh link: only token hashes are stored, so the
 * token is rotated and the reminder's link replaces the first one. */
static const char SQL_ROTATE[] =
	"UPDATE approval_requests SET token_hash = $2::bytea WHERE id = $1";
static const char SQL_RR_DUE[] =
	"SELECT r.id, r.evaluation_id, r.workspace_id, r.stage_idx FROM approval_requests r"
	" JOIN approval_stages s ON s.evaluation_id = r.evaluation_id AND s.idx = r.stage_idx"
	" JOIN evaluations e ON e.id = r.evaluation_id"
	" WHERE r.status = 'open' AND s.assign = 'round_robin' AND s.status = 'pending'"
	" AND e.status = 'pending'"
	" AND r.asked_at + make_interval(secs => s.reassign_after_seconds) <= now()"
	" ORDER BY r.asked_at LIMIT " BATCH " FOR UPDATE OF r, e SKIP LOCKED";
static const char SQL_MARK_REASSIGNED[] =
	"UPDATE approval_requests SET status = 'reassigned', decided_at = now() WHERE id = $1";

static enum anx_err
expire_tx(struct anx_db *db, void *arg)
{
	int *count = arg;
	PGresult *res;
	enum anx_err err;

	*count = 0;
	if ((err = anx_db_exec(db, SQL_OVERDUE, 0, NULL, &res)) != ANX_OK)
		return err;
	for (int r = 0; r < PQntuples(res); r++) {
		err = anx_approval_finish(db, PQgetvalue(res, r, 1), PQgetvalue(res, r, 0),
			"expired", "system", NULL);
		if (err != ANX_OK)
			break;
		(*count)++;
	}
	PQclear(res);
	return err;
}

/* Sends one reminder per open request of the pending stage, with a new
 * link. */
static enum anx_err
remind_one(struct anx_db *db, const char *ws, const char *eval_id)
{
	const char *p[2] = { eval_id, NULL };
	json_object *ctx = NULL;
	PGresult *res = NULL;
	enum anx_err err;

	if ((err = anx_approval_eval_ctx(db, eval_id, &ctx)) != ANX_OK ||
		(err = anx_db_exec(db, SQL_OPEN_REQUESTS, 1, p, &res)) != ANX_OK)
		goto out;
	for (int r = 0; r < PQntuples(res); r++) {
		char token[ANX_TOKEN_HEX + 1], hash[ANX_SHA256_BYTEA_LEN + 1];
		const char *rp[2] = { PQgetvalue(res, r, 0), hash };

		if (anx_approval_token_new(token, hash) != 0) {
			err = ANX_ERR_INTERNAL;
			goto out;
		}
		if ((err = anx_db_exec(db, SQL_ROTATE, 2, rp, NULL)) != ANX_OK)
			goto out;
		json_object_object_add(ctx, "token", json_object_new_string(token));
		json_object_object_add(
			ctx, "stage_number", json_object_new_int(atoi(PQgetvalue(res, r, 2)) + 1));
		json_object_object_add(
			ctx, "stage_role", json_object_new_string(PQgetvalue(res, r, 3)));
		json_object_object_add(
			ctx, "otp", json_object_new_boolean(PQgetvalue(res, r, 4)[0] == 't'));
		json_object_object_add(
			ctx, "stage_count", json_object_new_int(atoi(PQgetvalue(res, r, 5))));
		err = anx_approval_mail(db, "reminder", ws, eval_id, PQgetvalue(res, r, 1), ctx, 0);
		anx_secure_zero(token, sizeof(token));
		if (err != ANX_OK)
			goto out;
	}
	if ((err = anx_db_exec(db, SQL_REMINDED, 1, p, NULL)) != ANX_OK)
		goto out;
	err = anx_audit_record(
		db, ws, "system", NULL, "approval.reminded", "evaluation", eval_id, NULL);
out:
	PQclear(res);
	json_object_put(ctx);
	return err;
}

static enum anx_err
remind_tx(struct anx_db *db, void *arg)
{
	int *count = arg;
	PGresult *res;
	enum anx_err err = ANX_OK;

	*count = 0;
	if ((err = anx_db_exec(db, SQL_REMIND_DUE, 0, NULL, &res)) != ANX_OK)
		return err;
	for (int r = 0; r < PQntuples(res) && err == ANX_OK; r++)
		if ((err = remind_one(db, PQgetvalue(res, r, 1), PQgetvalue(res, r, 0))) == ANX_OK)
			(*count)++;
	PQclear(res);
	return err;
}

static enum anx_err
reassign_tx(struct anx_db *db, void *arg)
{
	int *count = arg;
	PGresult *res;
	enum anx_err err = ANX_OK;

	*count = 0;
	if ((err = anx_db_exec(db, SQL_RR_DUE, 0, NULL, &res)) != ANX_OK)
		return err;
	for (int r = 0; r < PQntuples(res) && err == ANX_OK; r++) {
		const char *id = PQgetvalue(res, r, 0), *eval = PQgetvalue(res, r, 1);
		const char *ws = PQgetvalue(res, r, 2);
		const char *p[1] = { id };
		json_object *d;
		int asked = 0;

		if ((err = anx_approval_rr_next(
			     db, ws, eval, atoi(PQgetvalue(res, r, 3)), &asked)) != ANX_OK)
			break;
		if (!asked)
			continue; /* nobody else to ask: the current holder keeps it */
		if ((err = anx_db_exec(db, SQL_MARK_REASSIGNED, 1, p, NULL)) != ANX_OK)
			break;
		d = json_object_new_object();
		json_object_object_add(
			d, "stage", json_object_new_int(atoi(PQgetvalue(res, r, 3))));
		json_object_object_add(d, "from_request", json_object_new_string(id));
		err = anx_audit_record(
			db, ws, "system", NULL, "approval.reassigned", "evaluation", eval, d);
		json_object_put(d);
		(*count)++;
	}
	PQclear(res);
	return err;
}

enum anx_err
anx_approval_timeouts(struct anx_db *db, struct anx_timeout_report *rep)
{
	enum anx_err err;
	int n;

	memset(rep, 0, sizeof(*rep));
	do {
		if ((err = anx_db_tx(db, expire_tx, &n)) != ANX_OK)
			return err;
		rep->expired += n;
	} while (n == atoi(BATCH));
	do {
		if ((err = anx_db_tx(db, remind_tx, &n)) != ANX_OK)
			return err;
		rep->reminded += n;
	} while (n == atoi(BATCH));
	if ((err = anx_db_tx(db, reassign_tx, &n)) != ANX_OK)
		return err;
	rep->reassigned = n;
	if (rep->expired || rep->reminded || rep->reassigned)
		anx_log(ANX_LOG_INFO, "approval_timeouts", LF_INT("expired", rep->expired),
			LF_INT("reminded", rep->reminded), LF_INT("reassigned", rep->reassigned),
			ANX_LF_END);
	return ANX_OK;
}
