/*
 * compliance.c - compliance export jobs: queue, progress, the runner that
 * gathers a report's numbers and samples, and downloads; see
 * compliance.h and sql/0008_compliance_exports.sql.
 */
#include "compliance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "audit_chain.h"
#include "audit_list.h"
#include "crypto.h"
#include "log.h"
#include "timeutil.h"

/* The period's bounds as timestamptz, for $2 (from) and $3 (to, inclusive). */
#define P_FROM       "($2::date::timestamp AT TIME ZONE 'UTC')"
#define P_TO         "(($3::date + 1)::timestamp AT TIME ZONE 'UTC')"
#define IN_PERIOD(c) " AND " c " >= " P_FROM " AND " c " < " P_TO
/* A timestamptz column as people read it. */
#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI \"UTC\"')"
#define LEASE   "interval '10 minutes'"

/* ---- the queue ------------------------------------------------------------ */

static const char SQL_LOCK_USER[] =
	"SELECT pg_advisory_xact_lock(hashtextextended('compliance:' || $1 || ':' || $2, 0))";
static const char SQL_ACTIVE[] =
	"SELECT id FROM compliance_exports WHERE workspace_id = $1 AND requested_by = $2"
	" AND status IN ('queued', 'running') ORDER BY created_at DESC LIMIT 1";
static const char SQL_INSERT[] =
	"INSERT INTO compliance_exports (workspace_id, requested_by, kind, period_from, period_to)"
	" VALUES ($1, $2, $3, $4::date, $5::date) RETURNING id";
static const char SQL_NOTIFY[] = "NOTIFY anx_outbox";

#define EXPORT_COLS                                                                                \
	"e.id, e.kind, e.status, e.progress, e.message, e.period_from::text, e.period_to::text,"   \
	" coalesce(u.email, ''), " DISP("e.created_at") ", coalesce(" DISP(                        \
		"e.finished_at") ", ''), coalesce(e.filename, ''), coalesce(e.file_bytes, 0), "    \
				 "e.file IS NULL"
static const char SQL_GET[] = "SELECT " EXPORT_COLS " FROM compliance_exports e"
			      " LEFT JOIN users u ON u.id = e.requested_by"
			      " WHERE e.id = $1 AND e.workspace_id = $2";
static const char SQL_LIST[] = "SELECT " EXPORT_COLS " FROM compliance_exports e"
			       " LEFT JOIN users u ON u.id = e.requested_by"
			       " WHERE e.workspace_id = $1 ORDER BY e.created_at DESC LIMIT 20";
static const char SQL_FILE[] =
	"SELECT status, file IS NULL, coalesce(filename, ''), coalesce(content_type, ''),"
	" translate(encode(file, 'base64'), E'\\n', ''), kind"
	" FROM compliance_exports WHERE id = $1 AND workspace_id = $2";

struct request_ctx {
	const char *ws, *user_id, *kind, *from, *to;
	char *id_out;
};

static enum anx_err
request_tx(struct anx_db *db, void *arg)
{
	struct request_ctx *c = arg;
	const char *p[5] = { c->ws, c->user_id, c->kind, c->from, c->to };
	json_object *data;
	enum anx_err err;
	PGresult *res;

	if ((err = anx_db_exec(db, SQL_LOCK_USER, 2, p, NULL)) != ANX_OK)
		return err;
	if ((err = anx_db_exec(db, SQL_ACTIVE, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) > 0) {
		snprintf(c->id_out, 37, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		return ANX_ERR_CONFLICT;
	}
	PQclear(res);
	if ((err = anx_db_value(db, SQL_INSERT, 5, p, c->id_out, 37)) != ANX_OK)
		return err;
	data = json_object_new_object();
	json_object_object_add(data, "kind", json_object_new_string(c->kind));
	json_object_object_add(data, "from", json_object_new_string(c->from));
	json_object_object_add(data, "to", json_object_new_string(c->to));
	err = anx_audit_record(db, c->ws, "user", c->user_id, "compliance.export_requested",
		"compliance_export", c->id_out, data);
	json_object_put(data);
	if (err != ANX_OK)
		return err;
	/* Wakes `deliver --watch` at commit. */
	return anx_db_exec(db, SQL_NOTIFY, 0, NULL, NULL);
}

enum anx_err
anx_compliance_request(struct anx_db *db, const char *ws, const char *user_id,
	enum anx_export_kind kind, const char *from, const char *to, char id_out[37])
{
	struct request_ctx c = { ws, user_id, anx_export_kind_name(kind), from, to, id_out };

	id_out[0] = '\0';
	return anx_db_tx(db, request_tx, &c);
}

/* "1.2 MB" */
static void
human_bytes(long long n, char *out, size_t outlen)
{
	if (n < 1024)
		snprintf(out, outlen, "%lld bytes", n);
	else if (n < 1024 * 1024)
		snprintf(out, outlen, "%.1f KB", (double)n / 1024);
	else
		snprintf(out, outlen, "%.1f MB", (double)n / (1024.0 * 1024));
}

static json_object *
export_obj(const PGresult *res, int r)
{
	json_object *o = json_object_new_object();
	const char *status = PQgetvalue(res, r, 2);
	int pct = atoi(PQgetvalue(res, r, 3)), done = strcmp(status, "done") == 0;
	int no_file = strcmp(PQgetvalue(res, r, 12), "t") == 0;
	char size[32];

	json_object_object_add(o, "id", json_object_new_string(PQgetvalue(res, r, 0)));
	json_object_object_add(o, "kind", json_object_new_string(PQgetvalue(res, r, 1)));
	json_object_object_add(
		o, "is_zip", json_object_new_boolean(strcmp(PQgetvalue(res, r, 1), "zip") == 0));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "percent", json_object_new_int(pct));
	json_object_object_add(o, "pct5", json_object_new_int(pct / 5 * 5));
	json_object_object_add(o, "message", json_object_new_string(PQgetvalue(res, r, 4)));
	json_object_object_add(o, "from", json_object_new_string(PQgetvalue(res, r, 5)));
	json_object_object_add(o, "to", json_object_new_string(PQgetvalue(res, r, 6)));
	if (*PQgetvalue(res, r, 7))
		json_object_object_add(
			o, "requested_by", json_object_new_string(PQgetvalue(res, r, 7)));
	json_object_object_add(o, "created_display", json_object_new_string(PQgetvalue(res, r, 8)));
	if (*PQgetvalue(res, r, 9))
		json_object_object_add(
			o, "finished_display", json_object_new_string(PQgetvalue(res, r, 9)));
	if (*PQgetvalue(res, r, 10))
		json_object_object_add(
			o, "filename", json_object_new_string(PQgetvalue(res, r, 10)));
	if (done && !no_file) {
		human_bytes(strtoll(PQgetvalue(res, r, 11), NULL, 10), size, sizeof(size));
		json_object_object_add(o, "size_display", json_object_new_string(size));
	}
	json_object_object_add(o, "done", json_object_new_boolean(done && !no_file));
	json_object_object_add(o, "expired", json_object_new_boolean(done && no_file));
	json_object_object_add(o, "failed", json_object_new_boolean(strcmp(status, "failed") == 0));
	json_object_object_add(o, "active",
		json_object_new_boolean(
			strcmp(status, "queued") == 0 || strcmp(status, "running") == 0));
	return o;
}

enum anx_err
anx_compliance_get(struct anx_db *db, const char *ws, const char *id, json_object **out)
{
	const char *p[2] = { id, ws };
	enum anx_err err;
	PGresult *res;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_GET, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	*out = export_obj(res, 0);
	PQclear(res);
	return ANX_OK;
}

enum anx_err
anx_compliance_list(struct anx_db *db, const char *ws, json_object **out)
{
	const char *p[1] = { ws };
	enum anx_err err;
	PGresult *res;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_LIST, 1, p, &res)) != ANX_OK)
		return err;
	*out = json_object_new_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_object_array_add(*out, export_obj(res, r));
	PQclear(res);
	return ANX_OK;
}

void
anx_export_file_free(struct anx_export_file *f)
{
	free(f->data);
	f->data = NULL;
	f->len = 0;
}

enum anx_err
anx_compliance_download(struct anx_db *db, const char *ws, const char *id, const char *user_id,
	struct anx_export_file *out)
{
	const char *p[2] = { id, ws };
	const char *b64;
	json_object *data;
	enum anx_err err;
	PGresult *res;
	size_t n;
	long len;

	memset(out, 0, sizeof(*out));
	if ((err = anx_db_exec(db, SQL_FILE, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "done") != 0 || strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		PQclear(res);
		return ANX_ERR_CONFLICT;
	}
	snprintf(out->filename, sizeof(out->filename), "%s", PQgetvalue(res, 0, 2));
	out->content_type =
		strcmp(PQgetvalue(res, 0, 5), "pdf") == 0 ? "application/pdf" : "application/zip";
	b64 = PQgetvalue(res, 0, 4);
	n = (size_t)PQgetlength(res, 0, 4);
	if ((out->data = malloc(n / 4 * 3 + 1)) == NULL) {
		PQclear(res);
		return ANX_ERR_NOMEM;
	}
	len = anx_base64_decode(b64, n, out->data, n / 4 * 3 + 1);
	PQclear(res);
	if (len < 0) {
		anx_export_file_free(out);
		return ANX_ERR_INTERNAL;
	}
	out->len = (size_t)len;
	data = json_object_new_object();
	json_object_object_add(data, "bytes", json_object_new_int64(len));
	err = anx_audit_record(
		db, ws, "user", user_id, "compliance.downloaded", "compliance_export", id, data);
	json_object_put(data);
	if (err != ANX_OK)
		anx_export_file_free(out);
	return err;
}

/* ---- the report's numbers --------------------------------------------------- */

#define ROLLUP_SINCE(cols, extra)                                                                  \
	"SELECT " cols " FROM analytics_daily WHERE workspace_id = $1"                             \
	" AND day BETWEEN $2::date AND $3::date" extra " UNION ALL SELECT " cols                   \
	" FROM analytics_deltas WHERE workspace_id = $1 AND day BETWEEN $2::date AND "             \
	"$3::date" extra " UNION ALL SELECT " cols " FROM analytics_unsealed"                      \
	" WHERE workspace_id = $1 AND day BETWEEN $2::date AND $3::date" extra

static const char SQL_R_DECISIONS[] = "SELECT decision, status, sum(n)::bigint FROM (" ROLLUP_SINCE(
	"decision, status, n", "") ") x GROUP BY 1, 2";
static const char SQL_R_RULES[] =
	"SELECT matched_rule, coalesce(sum(n) FILTER (WHERE status = 'denied'), 0)::bigint,"
	" coalesce(sum(n) FILTER (WHERE status = 'rejected'), 0)::bigint FROM (" ROLLUP_SINCE(
		"matched_rule, status, n",
		" AND status IN ('denied', 'rejected')") ") x GROUP BY 1 HAVING sum(n) > 0 ORDER "
							 "BY sum(n) DESC, 1 LIMIT 5";
static const char SQL_R_TTD[] =
	"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - "
	"created_at)),"
	" percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at)),"
	" count(*) FROM evaluations WHERE workspace_id = $1 AND decision = 'approval_required'"
	" AND status IN ('approved', 'rejected') AND decided_at IS NOT NULL" IN_PERIOD(
		"decided_at");
static const char SQL_R_APPROVERS[] =
	"SELECT count(*) FILTER (WHERE status = 'approved'), count(*) FILTER (WHERE status = "
	"'rejected')"
	" FROM approval_requests WHERE workspace_id = $1 AND status IN ('approved', 'rejected')"
	" AND decided_at IS NOT NULL" IN_PERIOD("decided_at");
static const char SQL_R_RECEIPTS[] =
	"SELECT count(*), count(*) FILTER (WHERE hash_match = false) FROM receipts"
	" WHERE workspace_id = $1" IN_PERIOD("created_at");
static const char SQL_R_DELIVERIES[] =
	"SELECT count(*), count(*) FILTER (WHERE status = 'delivered'),"
	" count(*) FILTER (WHERE status = 'dead'), count(*) FILTER (WHERE status = 'pending')"
	" FROM webhook_deliveries WHERE workspace_id = $1" IN_PERIOD("created_at");
static const char SQL_R_EMAILS[] =
	"SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'dead'),"
	" count(*) FILTER (WHERE status = 'pending') FROM email_outbox WHERE workspace_id = "
	"$1" IN_PERIOD("created_at");
static const char SQL_R_AUDIT[] =
	"SELECT count(*) FROM audit_events WHERE workspace_id = $1" IN_PERIOD("created_at");
static const char SQL_R_POLICY[] =
	"SELECT coalesce((SELECT v.version FROM workspaces w JOIN policy_versions v"
	" ON v.id = w.current_policy_id WHERE w.id = $1), 0),"
	" (SELECT count(*) FROM policy_versions WHERE workspace_id = $1" IN_PERIOD(
		"created_at") ")";
static const char SQL_R_MEMBERS[] =
	"SELECT count(*), count(*) FILTER (WHERE role = 'owner'), count(*) FILTER (WHERE role = "
	"'admin'),"
	" count(*) FILTER (WHERE role = 'viewer'),"
	" (SELECT count(*) FROM api_keys WHERE workspace_id = $1 AND revoked_at IS NULL)"
	" FROM workspace_members WHERE workspace_id = $1";
static const char SQL_R_HEAD[] =
	"SELECT h.seq, encode(h.hash, 'hex'), a.seq FROM (SELECT $1::uuid AS ws) x"
	" LEFT JOIN audit_chain_heads h ON h.workspace_id = x.ws"
	" LEFT JOIN audit_chain_anchors a ON a.workspace_id = x.ws";

/* The CSV samples: the newest rows of the period. */
static const char SQL_S_EVALUATIONS[] = "SELECT id AS evaluation_id, " ANX_SQL_TS(
	"created_at") " AS created_at, action, agent_id,"
		      " resource, amount::text AS amount, currency, decision, status, matched_rule,"
		      " policy_version, reason, " ANX_SQL_TS(
			      "decided_at") " AS decided_at, summary,"
					    " left(context::text, 2000) AS context"
					    " FROM evaluations WHERE workspace_id = $1" IN_PERIOD(
						    "created_at") " ORDER BY created_at DESC, id "
								  "DESC LIMIT 1000";
static const char SQL_S_APPROVALS[] =
	"SELECT r.evaluation_id, r.stage_idx + 1 AS stage, s.role, u.email AS approver, r.status,"
	" " ANX_SQL_TS("r.asked_at") " AS asked_at, " ANX_SQL_TS(
		"r.decided_at") " AS decided_at,"
				" r.via, r.comment FROM (SELECT * FROM approval_requests WHERE "
				"workspace_id = $1" IN_PERIOD(
					"asked_at") " ORDER BY asked_at DESC, id DESC LIMIT 1000) r"
						    " JOIN approval_stages s ON s.evaluation_id = "
						    "r.evaluation_id AND s.idx = r.stage_idx"
						    " LEFT JOIN users u ON u.id = r.user_id ORDER "
						    "BY r.asked_at DESC, r.id DESC";
static const char SQL_S_AUDIT[] = "SELECT s.seq, " ANX_SQL_TS(
	"a.created_at") " AS created_at, a.actor_type,"
			" " ANX_AUDIT_ACTOR_EXPR
			" AS actor, a.event_type, a.subject_type, a.subject_id,"
			" a.request_id, encode(s.hash, 'hex') AS hash, left(a.data::text, 2000) AS "
			"data"
			" FROM (SELECT * FROM audit_events WHERE workspace_id = $1" IN_PERIOD(
				"created_at") " ORDER BY created_at DESC, id DESC LIMIT 1000) "
					      "a" ANX_AUDIT_ACTOR_JOIN
					      " LEFT JOIN audit_seals s ON s.event_id = a.id"
					      " ORDER BY a.created_at DESC, a.id DESC";
/* URLs lose their query and any userinfo: they can carry tokens. */
static const char SQL_S_DELIVERIES[] = "SELECT id AS delivery_id, " ANX_SQL_TS(
	"created_at") " AS created_at, evaluation_id,"
		      " event_type, msg_id AS webhook_id,"
		      " regexp_replace(split_part(url, '?', 1), '://[^/@]*@', '://')"
		      " || CASE WHEN strpos(url, '?') > 0 THEN '?…' ELSE '' END AS url,"
		      " status, attempts, replays, last_status_code, left(last_error, 300) AS "
		      "last_error,"
		      " " ANX_SQL_TS("delivered_at") " AS delivered_at, " ANX_SQL_TS(
			      "dead_at") " AS dead_at"
					 " FROM webhook_deliveries WHERE workspace_id = "
					 "$1" IN_PERIOD("created_at") " ORDER BY created_at DESC, "
								      "id DESC LIMIT 1000";

static const char SQL_PROGRESS[] =
	"UPDATE compliance_exports SET progress = $2::int, message = $3,"
	" lease_until = now() + " LEASE " WHERE id = $1 AND status = 'running'";

static long long
ll(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? 0 : strtoll(PQgetvalue(res, r, c), NULL, 10);
}

/* Runs sql with the period parameters and hands back the result. */
static enum anx_err
q(struct anx_db *db, const char *sql, const struct anx_report *r, PGresult **res)
{
	const char *p[3] = { r->ws_id, r->from, r->to };

	return anx_db_exec(db, sql, 3, p, res);
}

static enum anx_err
progress(struct anx_db *db, const char *id, int pct, const char *msg)
{
	char s[8];
	const char *p[3] = { id, s, msg };

	snprintf(s, sizeof(s), "%d", pct);
	return anx_db_exec(db, SQL_PROGRESS, 3, p, NULL);
}

static enum anx_err
counts(struct anx_db *db, struct anx_report *r)
{
	PGresult *res;
	enum anx_err err;

	if ((err = q(db, SQL_R_DECISIONS, r, &res)) != ANX_OK)
		return err;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *d = PQgetvalue(res, i, 0), *s = PQgetvalue(res, i, 1);
		long long n = ll(res, i, 2);

		r->evaluations += n;
		if (strcmp(d, "allow") == 0)
			r->allow += n;
		else if (strcmp(d, "deny") == 0)
			r->deny += n;
		else
			r->approval_required += n;
		if (strcmp(s, "allowed") == 0)
			r->allowed += n;
		else if (strcmp(s, "denied") == 0)
			r->denied += n;
		else if (strcmp(s, "pending") == 0)
			r->pending += n;
		else if (strcmp(s, "approved") == 0)
			r->approved += n;
		else if (strcmp(s, "rejected") == 0)
			r->rejected += n;
		else if (strcmp(s, "expired") == 0)
			r->expired += n;
	}
	PQclear(res);
	if ((err = q(db, SQL_R_RULES, r, &res)) != ANX_OK)
		return err;
	for (int i = 0; i < PQntuples(res) && r->nrules < ANX_REPORT_TOP; i++, r->nrules++) {
		snprintf(r->rules[r->nrules].name, sizeof(r->rules[0].name), "%s",
			PQgetvalue(res, i, 0));
		r->rules[r->nrules].denied = ll(res, i, 1);
		r->rules[r->nrules].rejected = ll(res, i, 2);
	}
	PQclear(res);
	if ((err = q(db, SQL_R_TTD, r, &res)) != ANX_OK)
		return err;
	r->ttd_flows = ll(res, 0, 2);
	if (r->ttd_flows > 0) {
		r->ttd_median = strtod(PQgetvalue(res, 0, 0), NULL);
		r->ttd_p90 = strtod(PQgetvalue(res, 0, 1), NULL);
	}
	PQclear(res);
	if ((err = q(db, SQL_R_APPROVERS, r, &res)) != ANX_OK)
		return err;
	r->approver_approvals = ll(res, 0, 0);
	r->approver_rejections = ll(res, 0, 1);
	PQclear(res);
	if ((err = q(db, SQL_R_RECEIPTS, r, &res)) != ANX_OK)
		return err;
	r->receipts = ll(res, 0, 0);
	r->receipt_mismatches = ll(res, 0, 1);
	PQclear(res);
	if ((err = q(db, SQL_R_DELIVERIES, r, &res)) != ANX_OK)
		return err;
	r->deliveries = ll(res, 0, 0);
	r->delivered = ll(res, 0, 1);
	r->dead = ll(res, 0, 2);
	r->deliveries_pending = ll(res, 0, 3);
	PQclear(res);
	if ((err = q(db, SQL_R_EMAILS, r, &res)) != ANX_OK)
		return err;
	r->emails_sent = ll(res, 0, 0);
	r->emails_dead = ll(res, 0, 1);
	r->emails_pending = ll(res, 0, 2);
	PQclear(res);
	if ((err = q(db, SQL_R_AUDIT, r, &res)) != ANX_OK)
		return err;
	r->audit_events = ll(res, 0, 0);
	PQclear(res);
	if ((err = q(db, SQL_R_POLICY, r, &res)) != ANX_OK)
		return err;
	r->policy_version = ll(res, 0, 0);
	r->policy_publishes = ll(res, 0, 1);
	PQclear(res);
	if ((err = anx_db_exec(db, SQL_R_MEMBERS, 1, (const char *const[]){ r->ws_id }, &res)) !=
		ANX_OK)
		return err;
	r->members = ll(res, 0, 0);
	r->owners = ll(res, 0, 1);
	r->admins = ll(res, 0, 2);
	r->viewers = ll(res, 0, 3);
	r->keys_active = ll(res, 0, 4);
	PQclear(res);
	return ANX_OK;
}

static enum anx_err
chain(struct anx_db *db, struct anx_report *r)
{
	struct anx_audit_report rep;
	const char *p[1] = { r->ws_id };
	enum anx_err err;
	PGresult *res;

	/* Seal what has committed so far (e.g. this export's own request), so
	 * the head is as fresh as it can be; another sealer may hold the lock,
	 * which is fine. */
	for (int i = 0, n = 1; i < 50 && n > 0; i++)
		if ((err = anx_audit_seal(db, &n)) != ANX_OK)
			return err;
	if ((err = anx_audit_verify(db, r->ws_id, &rep)) != ANX_OK)
		return err;
	r->verify_done = 1;
	r->broken = rep.broken;
	r->verified = rep.verified;
	r->unsealed = rep.unsealed;
	snprintf(r->first_broken, sizeof(r->first_broken), "%s", rep.first_broken);
	if ((err = anx_db_exec(db, SQL_R_HEAD, 1, p, &res)) != ANX_OK)
		return err;
	if (!PQgetisnull(res, 0, 0)) {
		r->has_head = 1;
		r->head_seq = ll(res, 0, 0);
		snprintf(r->head_hash, sizeof(r->head_hash), "%s", PQgetvalue(res, 0, 1));
	}
	if (!PQgetisnull(res, 0, 2)) {
		r->has_anchor = 1;
		r->anchor_seq = ll(res, 0, 2);
	}
	PQclear(res);
	return ANX_OK;
}

/* Gathers everything for job r (ws_id, from, to, kind set), reporting
 * progress on export id. */
static enum anx_err
gather(struct anx_db *db, const char *id, struct anx_report *r)
{
	static const struct {
		const char *sql;
		int pct;
		const char *msg;
	} samples[ANX_CSV__N] = {
		{ SQL_S_EVALUATIONS, 25, "Sampling evaluations" },
		{ SQL_S_APPROVALS, 40, "Sampling approvals" },
		{ SQL_S_AUDIT, 50, "Sampling audit events" },
		{ SQL_S_DELIVERIES, 60, "Sampling webhook deliveries" },
	};
	enum anx_err err;
	PGresult *res;

	if ((err = progress(db, id, 5, "Counting decisions")) != ANX_OK ||
		(err = counts(db, r)) != ANX_OK)
		return err;
	if (r->kind == ANX_EXPORT_ZIP)
		for (int i = 0; i < ANX_CSV__N; i++) {
			if ((err = progress(db, id, samples[i].pct, samples[i].msg)) != ANX_OK)
				return err;
			if ((err = q(db, samples[i].sql, r, &res)) != ANX_OK)
				return err;
			anx_buf_reset(&r->csv[i]);
			if (anx_compliance_csv(res, &r->csv[i], &r->csv_rows[i]) != 0) {
				PQclear(res);
				return ANX_ERR_NOMEM;
			}
			PQclear(res);
		}
	if ((err = progress(db, id, 70, "Verifying the audit hash chain")) != ANX_OK)
		return err;
	return chain(db, r);
}

/* ---- the runner ------------------------------------------------------------ */

static const char SQL_CLEANUP[] = "UPDATE compliance_exports SET file = NULL WHERE file IS NOT NULL"
				  " AND finished_at < now() - interval '7 days'";
static const char SQL_GIVE_UP[] =
	"UPDATE compliance_exports SET status = 'failed', lease_until = NULL, finished_at = now(),"
	" message = 'The export stopped three times without finishing. Try a shorter period, or"
	" ask the operator to check the cron log.'"
	" WHERE status = 'running' AND lease_until < now() AND attempts >= 3";
static const char SQL_CLAIM[] =
	"UPDATE compliance_exports e SET status = 'running', attempts = e.attempts + 1,"
	" lease_until = now() + " LEASE ", started_at = coalesce(e.started_at, now()),"
	" progress = 2, message = 'Starting'"
	" WHERE e.id = (SELECT id FROM compliance_exports"
	" WHERE status = 'queued' OR (status = 'running' AND lease_until < now())"
	" ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
	" RETURNING e.id, e.workspace_id, e.kind, e.period_from::text, e.period_to::text,"
	" (SELECT name FROM workspaces w WHERE w.id = e.workspace_id),"
	" coalesce((SELECT email FROM users u WHERE u.id = e.requested_by), ''), e.requested_by";
static const char SQL_DONE[] =
	"UPDATE compliance_exports SET status = 'done', progress = 100, message = $2,"
	" file = decode($3, 'base64'), file_bytes = $4::bigint, file_sha256 = $5, filename = $6,"
	" content_type = $7, finished_at = now(), lease_until = NULL"
	" WHERE id = $1 AND status = 'running' RETURNING workspace_id";
static const char SQL_FAILED[] =
	"UPDATE compliance_exports SET status = 'failed', message = $2, finished_at = now(),"
	" lease_until = NULL WHERE id = $1 AND status = 'running'";

struct done_ctx {
	const struct anx_report *r;
	const char *b64, *filename, *content_type;
	size_t bytes;
	char sha[ANX_SHA256_HEX_LEN + 1];
};

static enum anx_err
done_tx(struct anx_db *db, void *arg)
{
	struct done_ctx *c = arg;
	char bytes[24];
	const char *p[7] = { c->r->export_id, "Ready", c->b64, bytes, c->sha, c->filename,
		c->content_type };
	json_object *data;
	enum anx_err err;
	PGresult *res;
	int n;

	snprintf(bytes, sizeof(bytes), "%zu", c->bytes);
	if ((err = anx_db_exec(db, SQL_DONE, 7, p, &res)) != ANX_OK)
		return err;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) /* another worker took it over after our lease ran out */
		return ANX_ERR_CONFLICT;
	data = json_object_new_object();
	json_object_object_add(
		data, "kind", json_object_new_string(anx_export_kind_name(c->r->kind)));
	json_object_object_add(data, "from", json_object_new_string(c->r->from));
	json_object_object_add(data, "to", json_object_new_string(c->r->to));
	json_object_object_add(data, "bytes", json_object_new_int64((int64_t)c->bytes));
	json_object_object_add(data, "sha256", json_object_new_string(c->sha));
	json_object_object_add(data, "chain_verified",
		json_object_new_boolean(c->r->verify_done && !c->r->broken));
	err = anx_audit_record(db, c->r->ws_id, "system", NULL, "compliance.exported",
		"compliance_export", c->r->export_id, data);
	json_object_put(data);
	return err;
}

/* Builds the file of a gathered report and stores it. Returns ANX_OK,
 * a database error, or ANX_ERR_INTERNAL (with *why) when the file could
 * not be built. */
static enum anx_err
build_and_store(struct anx_db *db, struct anx_report *r, const char **why)
{
	struct anx_buf pdf, zip;
	struct done_ctx c;
	char filename[128], *b64 = NULL;
	const struct anx_buf *file;
	enum anx_err err = ANX_ERR_INTERNAL;
	size_t cap;

	anx_buf_init(&pdf, ANX_EXPORT_MAX_BYTES);
	anx_buf_init(&zip, ANX_EXPORT_MAX_BYTES);
	memset(&c, 0, sizeof(c));
	if ((err = progress(db, r->export_id, 85, "Writing the PDF")) != ANX_OK)
		goto out;
	err = ANX_ERR_INTERNAL;
	if (anx_report_pdf(r, &pdf) != 0) {
		*why = "The PDF could not be written.";
		goto out;
	}
	file = &pdf;
	if (r->kind == ANX_EXPORT_ZIP) {
		if ((err = progress(db, r->export_id, 92, "Packing the ZIP")) != ANX_OK)
			goto out;
		err = ANX_ERR_INTERNAL;
		if (anx_report_zip(r, pdf.data, pdf.len, &zip) != 0) {
			*why = "The ZIP could not be written (larger than 32 MB?).";
			goto out;
		}
		file = &zip;
	}
	if (anx_compliance_filename(
		    r->ws_name, r->from, r->to, r->kind, filename, sizeof(filename)) != 0 ||
		anx_sha256_hex(file->data, file->len, c.sha) != 0) {
		*why = "The file could not be named.";
		goto out;
	}
	cap = anx_base64_encoded_size(file->len);
	if ((b64 = malloc(cap)) == NULL ||
		anx_base64_encode((const unsigned char *)file->data, file->len, b64, cap) < 0) {
		*why = "Out of memory.";
		err = ANX_ERR_NOMEM;
		goto out;
	}
	c.r = r;
	c.b64 = b64;
	c.filename = filename;
	c.content_type = r->kind == ANX_EXPORT_ZIP ? "application/zip" : "application/pdf";
	c.bytes = file->len;
	err = anx_db_tx(db, done_tx, &c);
	if (err == ANX_OK)
		anx_log(ANX_LOG_INFO, "compliance_exported", LF_STR("export_id", r->export_id),
			LF_STR("workspace_id", r->ws_id),
			LF_STR("kind", anx_export_kind_name(r->kind)), LF_INT("bytes", file->len),
			ANX_LF_END);
out:
	free(b64);
	anx_buf_free(&pdf);
	anx_buf_free(&zip);
	return err;
}

enum anx_err
anx_compliance_run_next(struct anx_db *db, int *ran)
{
	struct anx_report *r;
	const char *why = NULL;
	enum anx_err err;
	PGresult *res;
	time_t now = time(NULL);
	struct tm tm;

	*ran = 0;
	if ((err = anx_db_exec(db, SQL_CLEANUP, 0, NULL, NULL)) != ANX_OK ||
		(err = anx_db_exec(db, SQL_GIVE_UP, 0, NULL, NULL)) != ANX_OK)
		return err;
	if ((err = anx_db_exec(db, SQL_CLAIM, 0, NULL, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ANX_OK;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		PQclear(res);
		return ANX_ERR_NOMEM;
	}
	anx_report_init(r);
	snprintf(r->export_id, sizeof(r->export_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(r->ws_id, sizeof(r->ws_id), "%s", PQgetvalue(res, 0, 1));
	if (anx_export_kind_parse(PQgetvalue(res, 0, 2), &r->kind) != 0)
		r->kind = ANX_EXPORT_ZIP;
	snprintf(r->from, sizeof(r->from), "%s", PQgetvalue(res, 0, 3));
	snprintf(r->to, sizeof(r->to), "%s", PQgetvalue(res, 0, 4));
	snprintf(r->ws_name, sizeof(r->ws_name), "%s", PQgetvalue(res, 0, 5));
	snprintf(r->requested_by, sizeof(r->requested_by), "%s", PQgetvalue(res, 0, 6));
	PQclear(res);
	gmtime_r(&now, &tm);
	strftime(r->generated_at, sizeof(r->generated_at), "%Y-%m-%d %H:%M UTC", &tm);
	*ran = 1;
	anx_log(ANX_LOG_INFO, "compliance_export_started", LF_STR("export_id", r->export_id),
		LF_STR("workspace_id", r->ws_id), ANX_LF_END);

	err = gather(db, r->export_id, r);
	if (err == ANX_ERR_NOMEM)
		why = "The samples did not fit in memory.";
	else if (err == ANX_OK)
		err = build_and_store(db, r, &why);
	/* The database went away: the lease brings the job back later. Any
	 * other failure is this job's: record it and carry on. */
	if (err != ANX_OK && err != ANX_ERR_UNAVAILABLE && err != ANX_ERR_CONFLICT && why == NULL)
		why = "A database query failed.";
	if (why != NULL) {
		const char *p[2] = { r->export_id, NULL };
		char msg[300];

		snprintf(msg, sizeof(msg),
			"The export failed: %s Try again; if it keeps failing, "
			"ask the operator to check the cron log.",
			why);
		p[1] = msg;
		anx_log(ANX_LOG_ERROR, "compliance_export_failed",
			LF_STR("export_id", r->export_id), LF_STR("reason", why), ANX_LF_END);
		err = anx_db_exec(db, SQL_FAILED, 2, p, NULL);
	} else if (err == ANX_ERR_CONFLICT) {
		/* Our lease ran out and another worker finished it. */
		err = ANX_OK;
	}
	anx_report_free(r);
	free(r);
	return err;
}
