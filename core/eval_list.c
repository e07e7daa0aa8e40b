/*
 * eval_list.c - the evaluations list and detail models; see eval_list.h.
 */
#include "eval_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_list.h"
#include "auth.h"
#include "evaluation.h"
#include "timeutil.h"

/* "28 Nov 2026, 00:40 UTC", as the other dashboard pages print times. */
#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI \"UTC\"')"

static const char *const statuses[] = { "allowed", "denied", "pending", "approved", "rejected",
	"expired", NULL };
static const char *const decisions[] = { "allow", "deny", "approval_required", NULL };

const struct anx_filter_def anx_eval_filter_defs[ANX_EF__N] = {
	{ "status", ANX_FILTER_CHOICE, 0, statuses, ANX_CURSOR_UUID, "Status" },
	{ "decision", ANX_FILTER_CHOICE, 0, decisions, ANX_CURSOR_UUID, "Decision" },
	{ "action", ANX_FILTER_TOKEN, 128, NULL, ANX_CURSOR_UUID, "Action" },
	{ "agent", ANX_FILTER_TEXT, 256, NULL, ANX_CURSOR_UUID, "Agent" },
	{ "rule", ANX_FILTER_TEXT, 100, NULL, ANX_CURSOR_UUID, "Rule" },
	{ "from", ANX_FILTER_DATE, 0, NULL, ANX_CURSOR_UUID, "From" },
	{ "to", ANX_FILTER_DATE, 0, NULL, ANX_CURSOR_UUID, "To" },
	{ "after", ANX_FILTER_CURSOR, 0, NULL, ANX_CURSOR_UUID, "The page position" },
};

/*
 * One statement per leading filter. The leading filter is spelled as a
 * plain equality so the planner (custom or generic plan alike) walks the
 * matching evaluations_ws_* index in (created_at DESC, id DESC) order;
 * the other filters are checked on the rows it visits. The keyset and
 * date bounds are always present (the first page uses "infinity"), so
 * they are index conditions too.
 *
 * $1 ws, $2 status, $3 decision, $4 action, $5 agent, $6 rule, $7 from
 * (timestamptz, or -infinity), $8 to (date, inclusive, or infinity), $9
 * and $10 the keyset position, $11 the limit.
 */
#define EL_SELECT                                                                                  \
	"SELECT e.id, " ANX_SQL_TS("e.created_at") ", " DISP(                                      \
		"e.created_at") ", e.status,"                                                      \
				" e.decision, e.action, e.agent_id, e.resource, e.amount::text, "  \
				"e.currency,"                                                      \
				" e.matched_rule, e.summary, e.policy_version FROM evaluations e " \
				"WHERE e.workspace_id = $1"
#define EL_REST                                                                                    \
	" AND ($2::text IS NULL OR e.status = $2) AND ($3::text IS NULL OR e.decision = $3)"       \
	" AND ($4::text IS NULL OR e.action = $4) AND ($5::text IS NULL OR e.agent_id = $5)"       \
	" AND ($6::text IS NULL OR e.matched_rule = $6)"                                           \
	" AND e.created_at >= $7::timestamptz AND e.created_at < ($8::date + 1)::timestamptz"      \
	" AND (e.created_at, e.id) < ($9::timestamptz, $10::uuid)"                                 \
	" ORDER BY e.created_at DESC, e.id DESC LIMIT $11::int"
static const char SQL_LIST_ALL[] = EL_SELECT EL_REST;
static const char SQL_LIST_AGENT[] = EL_SELECT " AND e.agent_id = $5" EL_REST;
static const char SQL_LIST_ACTION[] = EL_SELECT " AND e.action = $4" EL_REST;
static const char SQL_LIST_RULE[] = EL_SELECT " AND e.matched_rule = $6" EL_REST;
static const char SQL_LIST_STATUS[] = EL_SELECT " AND e.status = $2" EL_REST;
/* A decision filter: allow and deny each have one status, so they read
 * evaluations_ws_status; approval_required reads the partial
 * evaluations_ws_approval (0011: no index on decision for every row). */
static const char SQL_LIST_ALLOWED[] = EL_SELECT " AND e.status = 'allowed'" EL_REST;
static const char SQL_LIST_DENIED[] = EL_SELECT " AND e.status = 'denied'" EL_REST;
static const char SQL_LIST_APPROVAL[] = EL_SELECT " AND e.decision = 'approval_required'" EL_REST;

enum {
	L_ID,
	L_CREATED,
	L_DISP,
	L_STATUS,
	L_DECISION,
	L_ACTION,
	L_AGENT,
	L_RESOURCE,
	L_AMOUNT,
	L_CURRENCY,
	L_RULE,
	L_SUMMARY,
	L_VERSION
};

static const char SQL_SUGGEST[] =
	"WITH r AS (SELECT action, agent_id, matched_rule FROM evaluations WHERE workspace_id = $1"
	" ORDER BY created_at DESC, id DESC LIMIT 1000)"
	" SELECT (SELECT coalesce(json_agg(v ORDER BY v), '[]') FROM"
	"  (SELECT DISTINCT action AS v FROM r ORDER BY 1 LIMIT 50) x)::text,"
	" (SELECT coalesce(json_agg(v ORDER BY v), '[]') FROM"
	"  (SELECT DISTINCT agent_id AS v FROM r WHERE agent_id IS NOT NULL ORDER BY 1 LIMIT 50) "
	"x)::text,"
	" (SELECT coalesce(json_agg(v ORDER BY v), '[]') FROM"
	"  (SELECT DISTINCT matched_rule AS v FROM r WHERE matched_rule IS NOT NULL"
	"   ORDER BY 1 LIMIT 50) x)::text";

static const char SQL_DETAIL_EXTRA[] =
	"SELECT " DISP("created_at") ", " DISP("decided_at") ", " DISP(
		"expires_at") ","
			      " jsonb_pretty(context), amount::text"
			      " FROM evaluations WHERE id = $1 AND workspace_id = $2";
static const char SQL_DELIVERIES[] =
	"SELECT id, event_type, status, attempts, last_status_code, " ANX_SQL_TS(
		"created_at") ","
			      " " DISP("created_at") ", url FROM webhook_deliveries"
						     " WHERE evaluation_id = $1 AND workspace_id = "
						     "$2 ORDER BY created_at, id LIMIT 100";
static const char SQL_AUDIT[] = "SELECT a.id, " ANX_SQL_TS("a.created_at") ", " DISP(
	"a.created_at") ", a.event_type, " ANX_AUDIT_ACTOR_EXPR
			", a.data::text FROM audit_events a" ANX_AUDIT_ACTOR_JOIN
			" WHERE a.workspace_id = $2 AND a.subject_id = $1"
			" ORDER BY a.created_at, a.id LIMIT 200";

size_t
anx_eval_filter_parse(anx_filter_get_fn get, void *ctx, struct anx_arena *a,
	struct anx_eval_filter *f, struct anx_verrs *e)
{
	size_t bad = anx_filter_parse(anx_eval_filter_defs, ANX_EF__N, get, ctx, a, f->v, e);

	return bad + anx_filter_check_range(f->v, ANX_EF_FROM, ANX_EF_TO, e);
}

static json_object *
cell(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : json_object_new_string(PQgetvalue(r, row, c));
}

/* 0 when no evaluation can have both this status and this decision (a
 * status follows from the decision), so the list is empty without asking. */
static int
compatible(const char *status, const char *decision)
{
	const char *implied;

	if (status == NULL || decision == NULL)
		return 1;
	implied = strcmp(status, "allowed") == 0  ? "allow"
		  : strcmp(status, "denied") == 0 ? "deny"
						  : "approval_required";
	return strcmp(implied, decision) == 0;
}

/* The statement whose leading filter is the most selective one set. */
static const char *
pick_list_sql(const struct anx_eval_filter *f)
{
	if (f->v[ANX_EF_AGENT])
		return SQL_LIST_AGENT;
	if (f->v[ANX_EF_ACTION])
		return SQL_LIST_ACTION;
	if (f->v[ANX_EF_RULE])
		return SQL_LIST_RULE;
	if (f->v[ANX_EF_STATUS])
		return SQL_LIST_STATUS;
	if (f->v[ANX_EF_DECISION])
		return strcmp(f->v[ANX_EF_DECISION], "allow") == 0  ? SQL_LIST_ALLOWED
		       : strcmp(f->v[ANX_EF_DECISION], "deny") == 0 ? SQL_LIST_DENIED
								    : SQL_LIST_APPROVAL;
	return SQL_LIST_ALL;
}

enum anx_err
anx_eval_list(struct anx_db *db, const char *ws, const struct anx_eval_filter *f, int limit,
	json_object **out)
{
	struct anx_cursor at, last;
	char lim[16], next[ANX_CURSOR_MAX + 1];
	const char *p[11];
	json_object *o, *items;
	PGresult *res;
	enum anx_err err;
	int n;

	*out = NULL;
	if (!anx_uuid_valid(ws) || limit < 1 || limit > 200)
		return ANX_ERR_INVALID;
	if (f->v[ANX_EF_AFTER] == NULL ||
		anx_cursor_decode(f->v[ANX_EF_AFTER], ANX_CURSOR_UUID, &at) != 0)
		anx_cursor_first(ANX_CURSOR_UUID, &at);
	/* One more row than shown tells whether there is a next page. */
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	p[0] = ws;
	p[1] = f->v[ANX_EF_STATUS];
	p[2] = f->v[ANX_EF_DECISION];
	p[3] = f->v[ANX_EF_ACTION];
	p[4] = f->v[ANX_EF_AGENT];
	p[5] = f->v[ANX_EF_RULE];
	p[6] = f->v[ANX_EF_FROM] ? f->v[ANX_EF_FROM] : "-infinity";
	p[7] = f->v[ANX_EF_TO] ? f->v[ANX_EF_TO] : "infinity";
	p[8] = at.ts;
	p[9] = at.id;
	p[10] = lim;
	if (!compatible(f->v[ANX_EF_STATUS], f->v[ANX_EF_DECISION])) {
		*out = json_object_new_object();
		json_object_object_add(*out, "items", json_object_new_array());
		return ANX_OK;
	}
	if ((err = anx_db_exec(db, pick_list_sql(f), 11, p, &res)) != ANX_OK)
		return err;
	n = PQntuples(res);
	o = json_object_new_object();
	items = json_object_new_array();
	for (int r = 0; r < n && r < limit; r++) {
		json_object *it = json_object_new_object();

		json_object_object_add(it, "id", cell(res, r, L_ID));
		json_object_object_add(it, "created_at", cell(res, r, L_CREATED));
		json_object_object_add(it, "created_display", cell(res, r, L_DISP));
		json_object_object_add(it, "status", cell(res, r, L_STATUS));
		json_object_object_add(it, "decision", cell(res, r, L_DECISION));
		json_object_object_add(it, "action", cell(res, r, L_ACTION));
		json_object_object_add(it, "agent_id", cell(res, r, L_AGENT));
		json_object_object_add(it, "resource", cell(res, r, L_RESOURCE));
		json_object_object_add(it, "amount", cell(res, r, L_AMOUNT));
		json_object_object_add(it, "currency", cell(res, r, L_CURRENCY));
		json_object_object_add(it, "matched_rule", cell(res, r, L_RULE));
		json_object_object_add(it, "summary",
			PQgetlength(res, r, L_SUMMARY) > 0 ? cell(res, r, L_SUMMARY) : NULL);
		json_object_object_add(it, "policy_version", cell(res, r, L_VERSION));
		json_object_array_add(items, it);
	}
	json_object_object_add(o, "items", items);
	if (n > limit) {
		snprintf(last.ts, sizeof(last.ts), "%s", PQgetvalue(res, limit - 1, L_CREATED));
		snprintf(last.id, sizeof(last.id), "%s", PQgetvalue(res, limit - 1, L_ID));
		if (anx_cursor_encode(&last, next) == 0)
			json_object_object_add(o, "next", json_object_new_string(next));
	}
	PQclear(res);
	*out = o;
	return ANX_OK;
}

enum anx_err
anx_eval_suggestions(struct anx_db *db, const char *ws, json_object **out)
{
	static const char *const names[3] = { "actions", "agents", "rules" };
	const char *p[1] = { ws };
	PGresult *res;
	enum anx_err err;
	json_object *o;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_SUGGEST, 1, p, &res)) != ANX_OK)
		return err;
	o = json_object_new_object();
	for (int c = 0; c < 3; c++)
		json_object_object_add(o, names[c],
			PQntuples(res) == 1 ? json_tokener_parse(PQgetvalue(res, 0, c)) : NULL);
	PQclear(res);
	*out = o;
	return ANX_OK;
}

/* Pretty JSON text of v (borrowed), or NULL for null. */
static json_object *
pretty(json_object *v)
{
	if (v == NULL)
		return NULL;
	return json_object_new_string(json_object_to_json_string_ext(
		v, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Adds the detail page's extras to the evaluation ev (anx_eval_get's). */
static enum anx_err
add_extras(struct anx_db *db, const char *ws, const char *id, json_object *ev)
{
	const char *p[2] = { id, ws };
	json_object *receipt, *ctx, *details, *hm;
	const char *state = "none";
	PGresult *res;
	enum anx_err err;

	if ((err = anx_db_exec(db, SQL_DETAIL_EXTRA, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) == 1) {
		json_object_object_add(ev, "created_display", cell(res, 0, 0));
		json_object_object_add(ev, "decided_display", cell(res, 0, 1));
		json_object_object_add(ev, "expires_display", cell(res, 0, 2));
		json_object_object_add(ev, "amount_text", cell(res, 0, 4));
		if (json_object_object_get_ex(ev, "context", &ctx) && ctx &&
			json_object_object_length(ctx) > 0)
			json_object_object_add(ev, "context_pretty", cell(res, 0, 3));
	}
	PQclear(res);
	if (json_object_object_get_ex(ev, "receipt", &receipt) && receipt) {
		state = "unchecked";
		if (json_object_object_get_ex(receipt, "hash_match", &hm) && hm)
			state = json_object_get_boolean(hm) ? "match" : "mismatch";
		if (json_object_object_get_ex(receipt, "details", &details) && details)
			json_object_object_add(receipt, "details_pretty", pretty(details));
	}
	json_object_object_add(ev, "hash_state", json_object_new_string(state));
	return ANX_OK;
}

static enum anx_err
deliveries(struct anx_db *db, const char *ws, const char *id, json_object **out)
{
	const char *p[2] = { id, ws };
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_DELIVERIES, 2, p, &res)) != ANX_OK)
		return err;
	*out = json_object_new_array();
	for (int r = 0; r < PQntuples(res); r++) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "id", cell(res, r, 0));
		json_object_object_add(d, "event_type", cell(res, r, 1));
		json_object_object_add(d, "status", cell(res, r, 2));
		json_object_object_add(
			d, "attempts", json_object_new_int(atoi(PQgetvalue(res, r, 3))));
		json_object_object_add(d, "last_status_code", cell(res, r, 4));
		json_object_object_add(d, "created_at", cell(res, r, 5));
		json_object_object_add(d, "created_display", cell(res, r, 6));
		json_object_object_add(d, "url", cell(res, r, 7));
		json_object_array_add(*out, d);
	}
	PQclear(res);
	return ANX_OK;
}

static enum anx_err
audit_events(struct anx_db *db, const char *ws, const char *id, json_object **out)
{
	const char *p[2] = { id, ws };
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_AUDIT, 2, p, &res)) != ANX_OK)
		return err;
	*out = json_object_new_array();
	for (int r = 0; r < PQntuples(res); r++) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "id", cell(res, r, 0));
		json_object_object_add(a, "created_at", cell(res, r, 1));
		json_object_object_add(a, "created_display", cell(res, r, 2));
		json_object_object_add(a, "event_type", cell(res, r, 3));
		json_object_object_add(a, "actor", cell(res, r, 4));
		json_object_object_add(a, "data",
			strcmp(PQgetvalue(res, r, 5), "{}") == 0 ? NULL : cell(res, r, 5));
		json_object_array_add(*out, a);
	}
	PQclear(res);
	return ANX_OK;
}

enum anx_err
anx_eval_detail(struct anx_db *db, const char *ws, const char *id, json_object **out)
{
	json_object *ev = NULL, *dl = NULL, *au = NULL, *o;
	enum anx_err err;

	*out = NULL;
	if (!anx_uuid_valid(ws) || !anx_uuid_valid(id))
		return ANX_ERR_NOT_FOUND;
	if ((err = anx_eval_get(db, ws, id, &ev)) != ANX_OK)
		return err;
	if ((err = add_extras(db, ws, id, ev)) != ANX_OK ||
		(err = deliveries(db, ws, id, &dl)) != ANX_OK ||
		(err = audit_events(db, ws, id, &au)) != ANX_OK) {
		json_object_put(ev);
		json_object_put(dl);
		return err;
	}
	o = json_object_new_object();
	json_object_object_add(o, "evaluation", ev);
	json_object_object_add(o, "deliveries", dl);
	json_object_object_add(o, "audit", au);
	*out = o;
	return ANX_OK;
}
