/*
 * inbox.c - the approvals inbox; see inbox.h.
 */
#include "inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "timeutil.h"

#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI \"UTC\"')"

static const char SQL_OPEN[] =
	"SELECT r.id, e.id, e.summary, e.action, e.resource, e.agent_id, e.amount::text,"
	" e.currency, e.matched_rule, e.reason, " ANX_SQL_TS(
		"e.expires_at") ","
				" " DISP(
					"e.expires_at") ", greatest(0, extract(epoch FROM "
							"e.expires_at - now()))::bigint,"
							" r.stage_idx + 1, (SELECT count(*) FROM "
							"approval_stages x WHERE x.evaluation_id = "
							"e.id),"
							" s.role, s.approvals, s.min_approvals, "
							"s.otp, r.otp_verified_at IS NOT NULL,"
							" r.otp_locked_at IS NOT NULL, (r.otp_hash "
							"IS NOT NULL AND r.otp_expires_at > now()),"
							" " DISP(
								"r.asked_at") " FROM "
									      "approval_requests r"
									      " JOIN "
									      "approval_stages s "
									      "ON s.evaluation_id "
									      "= r.evaluation_id "
									      "AND s.idx = "
									      "r.stage_idx"
									      " JOIN evaluations e "
									      "ON e.id = "
									      "r.evaluation_id"
									      " WHERE r.user_id = "
									      "$2 AND "
									      "r.workspace_id = $1 "
									      "AND r.status = "
									      "'open'"
									      " AND s.status = "
									      "'pending' AND "
									      "e.status = 'pending'"
									      " ORDER BY "
									      "e.expires_at NULLS "
									      "LAST, r.asked_at "
									      "LIMIT 200";
enum {
	O_REQ,
	O_EVAL,
	O_SUMMARY,
	O_ACTION,
	O_RESOURCE,
	O_AGENT,
	O_AMOUNT,
	O_CURRENCY,
	O_RULE,
	O_REASON,
	O_EXPIRES,
	O_EXPIRES_DISP,
	O_LEFT,
	O_STAGE,
	O_STAGES,
	O_ROLE,
	O_APPROVED,
	O_REQUIRED,
	O_OTP,
	O_VERIFIED,
	O_LOCKED,
	O_SENT,
	O_ASKED
};

static const char SQL_DECIDED[] =
	"SELECT r.id, e.id, e.summary, e.action, r.status, r.comment, " ANX_SQL_TS(
		"r.decided_at") ","
				" " DISP(
					"r.decided_at") ", r.via, e.status FROM approval_requests r"
							" JOIN evaluations e ON e.id = "
							"r.evaluation_id"
							" WHERE r.user_id = $2 AND r.workspace_id "
							"= $1 AND r.status IN ('approved', "
							"'rejected')"
							" ORDER BY r.decided_at DESC NULLS LAST, "
							"r.id LIMIT 25";

static const char SQL_MINE[] =
	"SELECT left(coalesce(nullif(e.summary, ''), e.action), 80) FROM approval_requests r"
	" JOIN evaluations e ON e.id = r.evaluation_id"
	" WHERE r.id = $1 AND r.user_id = $2 AND r.workspace_id = $3";

_Static_assert(ANX_INBOX_MAX == 200 && ANX_INBOX_DECIDED == 25, "the SQL spells the limits");

static json_object *
cell(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) || PQgetlength(r, row, c) == 0
		       ? NULL
		       : json_object_new_string(PQgetvalue(r, row, c));
}

static json_object *
flag(PGresult *r, int row, int c)
{
	return json_object_new_boolean(PQgetvalue(r, row, c)[0] == 't');
}

/* "3 hours", "2 days": time left, for people. */
static void
time_left(long long s, char *out, size_t n)
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

static json_object *
open_item(PGresult *res, int r)
{
	json_object *o = json_object_new_object();
	int otp = PQgetvalue(res, r, O_OTP)[0] == 't';
	int verified = PQgetvalue(res, r, O_VERIFIED)[0] == 't';
	int locked = PQgetvalue(res, r, O_LOCKED)[0] == 't';
	char left[32];

	json_object_object_add(o, "request_id", cell(res, r, O_REQ));
	json_object_object_add(o, "evaluation_id", cell(res, r, O_EVAL));
	json_object_object_add(o, "summary", cell(res, r, O_SUMMARY));
	json_object_object_add(o, "action", cell(res, r, O_ACTION));
	json_object_object_add(o, "resource", cell(res, r, O_RESOURCE));
	json_object_object_add(o, "agent_id", cell(res, r, O_AGENT));
	json_object_object_add(o, "amount", cell(res, r, O_AMOUNT));
	json_object_object_add(o, "currency", cell(res, r, O_CURRENCY));
	json_object_object_add(o, "matched_rule", cell(res, r, O_RULE));
	json_object_object_add(o, "reason", cell(res, r, O_REASON));
	json_object_object_add(o, "expires_at", cell(res, r, O_EXPIRES));
	json_object_object_add(o, "expires_display", cell(res, r, O_EXPIRES_DISP));
	if (!PQgetisnull(res, r, O_LEFT)) {
		time_left(strtoll(PQgetvalue(res, r, O_LEFT), NULL, 10), left, sizeof(left));
		json_object_object_add(o, "expires_in", json_object_new_string(left));
	}
	json_object_object_add(
		o, "stage_number", json_object_new_int(atoi(PQgetvalue(res, r, O_STAGE))));
	json_object_object_add(
		o, "stages", json_object_new_int(atoi(PQgetvalue(res, r, O_STAGES))));
	json_object_object_add(o, "role", cell(res, r, O_ROLE));
	json_object_object_add(
		o, "approved", json_object_new_int(atoi(PQgetvalue(res, r, O_APPROVED))));
	json_object_object_add(
		o, "required", json_object_new_int(atoi(PQgetvalue(res, r, O_REQUIRED))));
	json_object_object_add(o, "otp", json_object_new_boolean(otp));
	json_object_object_add(o, "otp_verified", json_object_new_boolean(otp && verified));
	json_object_object_add(
		o, "needs_otp", json_object_new_boolean(otp && !verified && !locked));
	json_object_object_add(o, "otp_sent", flag(res, r, O_SENT));
	json_object_object_add(o, "otp_locked", json_object_new_boolean(otp && locked));
	json_object_object_add(o, "can_decide", json_object_new_boolean(!otp || verified));
	json_object_object_add(o, "asked_display", cell(res, r, O_ASKED));
	return o;
}

enum anx_err
anx_inbox_list(struct anx_db *db, const char *ws, const char *user_id, json_object **out)
{
	const char *p[2] = { ws, user_id };
	PGresult *open = NULL, *done = NULL;
	json_object *o, *a, *b;
	enum anx_err err;

	*out = NULL;
	if (!anx_uuid_valid(ws) || !anx_uuid_valid(user_id))
		return ANX_ERR_INVALID;
	if ((err = anx_db_exec(db, SQL_OPEN, 2, p, &open)) != ANX_OK ||
		(err = anx_db_exec(db, SQL_DECIDED, 2, p, &done)) != ANX_OK)
		goto out;
	o = json_object_new_object();
	a = json_object_new_array();
	b = json_object_new_array();
	for (int r = 0; r < PQntuples(open); r++)
		json_object_array_add(a, open_item(open, r));
	for (int r = 0; r < PQntuples(done); r++) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "request_id", cell(done, r, 0));
		json_object_object_add(d, "evaluation_id", cell(done, r, 1));
		json_object_object_add(d, "summary", cell(done, r, 2));
		json_object_object_add(d, "action", cell(done, r, 3));
		json_object_object_add(d, "decision", cell(done, r, 4));
		json_object_object_add(d, "comment", cell(done, r, 5));
		json_object_object_add(d, "decided_at", cell(done, r, 6));
		json_object_object_add(d, "decided_display", cell(done, r, 7));
		json_object_object_add(d, "via", cell(done, r, 8));
		json_object_object_add(d, "evaluation_status", cell(done, r, 9));
		json_object_array_add(b, d);
	}
	json_object_object_add(o, "open", a);
	json_object_object_add(o, "decided", b);
	*out = o;
out:
	PQclear(open);
	PQclear(done);
	return err;
}

enum anx_err
anx_inbox_act(struct anx_db *db, const char *ws, const char *user_id, const char *request_id,
	enum anx_inbox_op op, const char *arg, char result_status[16], char *summary, size_t cap)
{
	const char *p[3] = { request_id, user_id, ws };
	struct anx_approver_ref who = { NULL, request_id, user_id };
	PGresult *res;
	enum anx_err err;
	int found;

	result_status[0] = '\0';
	if (cap > 0)
		summary[0] = '\0';
	if (!anx_uuid_valid(ws) || !anx_uuid_valid(user_id) || request_id == NULL ||
		!anx_uuid_valid(request_id))
		return ANX_ERR_NOT_FOUND;
	/* The workspace boundary; the rest is approval.h's. */
	if ((err = anx_db_exec(db, SQL_MINE, 3, p, &res)) != ANX_OK)
		return err;
	found = PQntuples(res) == 1;
	if (found && cap > 0)
		snprintf(summary, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!found)
		return ANX_ERR_NOT_FOUND;
	switch (op) {
	case ANX_INBOX_APPROVE:
		return anx_approval_decide(db, &who, ANX_DECIDE_APPROVE, arg, result_status);
	case ANX_INBOX_REJECT:
		return anx_approval_decide(db, &who, ANX_DECIDE_REJECT, arg, result_status);
	case ANX_INBOX_REQUEST_OTP: return anx_approval_request_otp(db, &who);
	case ANX_INBOX_VERIFY_OTP: return anx_approval_verify_otp(db, &who, arg ? arg : "");
	}
	return ANX_ERR_INVALID;
}
