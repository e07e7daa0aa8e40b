/*
 * audit_list.c - the audit log list, CSV export and chain status; see
 * audit_list.h.
 */
#include "audit_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_chain.h"
#include "auth.h"
#include "buf.h"
#include "csv.h"
#include "timeutil.h"

#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI:SS \"UTC\"')"

const struct anx_filter_def anx_audit_filter_defs[ANX_AF__N] = {
	{ "type", ANX_FILTER_TOKEN, 100, NULL, ANX_CURSOR_BIGINT, "Event type" },
	{ "actor", ANX_FILTER_TEXT, 254, NULL, ANX_CURSOR_BIGINT, "Actor" },
	{ "subject", ANX_FILTER_TEXT, 200, NULL, ANX_CURSOR_BIGINT, "Subject id" },
	{ "from", ANX_FILTER_DATE, 0, NULL, ANX_CURSOR_BIGINT, "From" },
	{ "to", ANX_FILTER_DATE, 0, NULL, ANX_CURSOR_BIGINT, "To" },
	{ "after", ANX_FILTER_CURSOR, 0, NULL, ANX_CURSOR_BIGINT, "The page position" },
};

/*
 * One statement per leading filter, as in eval_list.c: the leading one is
 * a plain equality so the matching index (audit_events_ws_type, _ws_actor,
 * _ws_subject; _ws_time without one) is walked in order and the scan stops
 * after a page.
 *
 * $1 ws, $2 event type, $3 actor id, $4 subject id, $5 from, $6 to
 * (inclusive date), $7 and $8 the keyset position, $9 the limit.
 */
#define AL_SELECT                                                                                  \
	"SELECT a.id, s.seq, " ANX_SQL_TS("a.created_at") ", " DISP(                               \
		"a.created_at") ","                                                                \
				" a.event_type, a.actor_type, a.actor_id, " ANX_AUDIT_ACTOR_EXPR   \
				", a.subject_type,"                                                \
				" a.subject_id, a.data::text, a.request_id, s.hash IS NOT NULL, "  \
				"encode(s.hash, 'hex')"                                            \
				" FROM audit_events a" ANX_AUDIT_ACTOR_JOIN                        \
				" LEFT JOIN audit_seals s ON s.event_id = a.id"                    \
				" WHERE a.workspace_id = $1"
#define AL_REST                                                                                    \
	" AND ($2::text IS NULL OR a.event_type = $2) AND ($3::text IS NULL OR a.actor_id = $3)"   \
	" AND ($4::text IS NULL OR a.subject_id = $4)"                                             \
	" AND a.created_at >= $5::timestamptz AND a.created_at < ($6::date + 1)::timestamptz"      \
	" AND (a.created_at, a.id) < ($7::timestamptz, $8::bigint)"                                \
	" ORDER BY a.created_at DESC, a.id DESC LIMIT $9::int"
static const char SQL_LIST_ALL[] = AL_SELECT AL_REST;
static const char SQL_LIST_TYPE[] = AL_SELECT " AND a.event_type = $2" AL_REST;
static const char SQL_LIST_ACTOR[] = AL_SELECT " AND a.actor_id = $3" AL_REST;
static const char SQL_LIST_SUBJECT[] = AL_SELECT " AND a.subject_id = $4" AL_REST;

enum {
	C_ID,
	C_SEQ,
	C_CREATED,
	C_DISP,
	C_TYPE,
	C_ACTOR_TYPE,
	C_ACTOR_ID,
	C_ACTOR,
	C_SUBJ_TYPE,
	C_SUBJ_ID,
	C_DATA,
	C_REQUEST,
	C_SEALED,
	C_HASH
};

static const char SQL_USER_BY_EMAIL[] = "SELECT id FROM users WHERE lower(email) = lower($1)";

/* Distinct types by skipping through audit_events_ws_type (a loose index
 * scan): one index probe per type, however many events there are. */
static const char SQL_TYPES[] =
	"WITH RECURSIVE t(v) AS ("
	" (SELECT event_type FROM audit_events WHERE workspace_id = $1 ORDER BY event_type LIMIT 1)"
	" UNION ALL SELECT (SELECT event_type FROM audit_events WHERE workspace_id = $1"
	"  AND event_type > t.v ORDER BY event_type LIMIT 1) FROM t WHERE t.v IS NOT NULL)"
	" SELECT v FROM t WHERE v IS NOT NULL LIMIT 200";

static const char SQL_STATUS[] =
	"SELECT (SELECT seq FROM audit_chain_heads WHERE workspace_id = $1),"
	" (SELECT count(*) FROM audit_seal_cursor c JOIN audit_events e"
	"  ON (e.txid, e.id) > (c.txid, c.event_id) WHERE e.workspace_id = $1),"
	" " ANX_SQL_TS("v.verified_at") ", " DISP(
		"v.verified_at") ", coalesce(u.email, ''),"
				 " v.verified, v.unsealed, v.broken, v.first_broken, v.ms"
				 " FROM (SELECT 1) x LEFT JOIN audit_verifications v ON "
				 "v.workspace_id = $1"
				 " LEFT JOIN users u ON u.id = v.verified_by";
static const char SQL_STORE[] =
	"INSERT INTO audit_verifications (workspace_id, verified_at, verified_by, verified,"
	" unsealed, broken, first_broken, ms) VALUES ($1, now(), $2, $3::bigint, $4::bigint,"
	" $5::boolean, NULLIF($6, ''), $7::int) ON CONFLICT (workspace_id) DO UPDATE SET"
	" verified_at = EXCLUDED.verified_at, verified_by = EXCLUDED.verified_by,"
	" verified = EXCLUDED.verified, unsealed = EXCLUDED.unsealed, broken = EXCLUDED.broken,"
	" first_broken = EXCLUDED.first_broken, ms = EXCLUDED.ms";

size_t
anx_audit_filter_parse(anx_filter_get_fn get, void *ctx, struct anx_arena *a,
	struct anx_audit_filter *f, struct anx_verrs *e)
{
	size_t bad = anx_filter_parse(anx_audit_filter_defs, ANX_AF__N, get, ctx, a, f->v, e);

	return bad + anx_filter_check_range(f->v, ANX_AF_FROM, ANX_AF_TO, e);
}

static json_object *
cell(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : json_object_new_string(PQgetvalue(r, row, c));
}

/* The query for f: statement and parameters (p[0..8], with storage for
 * the resolved actor in actor[37]). */
struct query {
	const char *sql;
	const char *p[9];
	char actor[37];
	char lim[16];
	struct anx_cursor at;
};

static enum anx_err
prepare(struct anx_db *db, const char *ws, const struct anx_audit_filter *f, int limit,
	struct query *q)
{
	const char *actor = f->v[ANX_AF_ACTOR];
	enum anx_err err;

	memset(q, 0, sizeof(*q));
	/* An email names a user: their events carry the user id. An unknown
	 * email matches nothing (it is never an actor id). */
	if (actor && strchr(actor, '@')) {
		const char *p[1] = { actor };

		err = anx_db_value(db, SQL_USER_BY_EMAIL, 1, p, q->actor, sizeof(q->actor));
		if (err == ANX_OK)
			actor = q->actor;
		else if (err != ANX_ERR_NOT_FOUND)
			return err;
	}
	if (f->v[ANX_AF_AFTER] == NULL ||
		anx_cursor_decode(f->v[ANX_AF_AFTER], ANX_CURSOR_BIGINT, &q->at) != 0)
		anx_cursor_first(ANX_CURSOR_BIGINT, &q->at);
	snprintf(q->lim, sizeof(q->lim), "%d", limit);
	q->sql = f->v[ANX_AF_SUBJECT] ? SQL_LIST_SUBJECT
		 : actor              ? SQL_LIST_ACTOR
		 : f->v[ANX_AF_TYPE]  ? SQL_LIST_TYPE
				      : SQL_LIST_ALL;
	q->p[0] = ws;
	q->p[1] = f->v[ANX_AF_TYPE];
	q->p[2] = actor;
	q->p[3] = f->v[ANX_AF_SUBJECT];
	q->p[4] = f->v[ANX_AF_FROM] ? f->v[ANX_AF_FROM] : "-infinity";
	q->p[5] = f->v[ANX_AF_TO] ? f->v[ANX_AF_TO] : "infinity";
	q->p[6] = q->at.ts;
	q->p[7] = q->at.id;
	q->p[8] = q->lim;
	return ANX_OK;
}

enum anx_err
anx_audit_list(struct anx_db *db, const char *ws, const struct anx_audit_filter *f, int limit,
	json_object **out)
{
	char next[ANX_CURSOR_MAX + 1];
	struct anx_cursor last;
	json_object *o, *items;
	struct query q;
	PGresult *res;
	enum anx_err err;
	int n;

	*out = NULL;
	if (!anx_uuid_valid(ws) || limit < 1 || limit > 200)
		return ANX_ERR_INVALID;
	if ((err = prepare(db, ws, f, limit + 1, &q)) != ANX_OK)
		return err;
	if ((err = anx_db_exec(db, q.sql, 9, q.p, &res)) != ANX_OK)
		return err;
	n = PQntuples(res);
	o = json_object_new_object();
	items = json_object_new_array();
	for (int r = 0; r < n && r < limit; r++) {
		json_object *it = json_object_new_object();

		json_object_object_add(it, "id", cell(res, r, C_ID));
		json_object_object_add(it, "seq", cell(res, r, C_SEQ));
		json_object_object_add(it, "created_at", cell(res, r, C_CREATED));
		json_object_object_add(it, "created_display", cell(res, r, C_DISP));
		json_object_object_add(it, "event_type", cell(res, r, C_TYPE));
		json_object_object_add(it, "actor_type", cell(res, r, C_ACTOR_TYPE));
		json_object_object_add(it, "actor_id", cell(res, r, C_ACTOR_ID));
		json_object_object_add(it, "actor", cell(res, r, C_ACTOR));
		json_object_object_add(it, "subject_type", cell(res, r, C_SUBJ_TYPE));
		json_object_object_add(it, "subject_id", cell(res, r, C_SUBJ_ID));
		if (PQgetlength(res, r, C_SUBJ_ID) > 12)
			json_object_object_add(it, "subject_short",
				json_object_new_string_len(PQgetvalue(res, r, C_SUBJ_ID), 8));
		json_object_object_add(it, "is_evaluation",
			json_object_new_boolean(
				!PQgetisnull(res, r, C_SUBJ_TYPE) &&
				strcmp(PQgetvalue(res, r, C_SUBJ_TYPE), "evaluation") == 0));
		json_object_object_add(it, "data",
			strcmp(PQgetvalue(res, r, C_DATA), "{}") == 0 ? NULL
								      : cell(res, r, C_DATA));
		json_object_object_add(it, "request_id", cell(res, r, C_REQUEST));
		json_object_object_add(it, "sealed",
			json_object_new_boolean(PQgetvalue(res, r, C_SEALED)[0] == 't'));
		json_object_array_add(items, it);
	}
	json_object_object_add(o, "items", items);
	if (n > limit) {
		snprintf(last.ts, sizeof(last.ts), "%s", PQgetvalue(res, limit - 1, C_CREATED));
		snprintf(last.id, sizeof(last.id), "%s", PQgetvalue(res, limit - 1, C_ID));
		if (anx_cursor_encode(&last, next) == 0)
			json_object_object_add(o, "next", json_object_new_string(next));
	}
	PQclear(res);
	*out = o;
	return ANX_OK;
}

enum anx_err
anx_audit_event_types(struct anx_db *db, const char *ws, json_object **out)
{
	const char *p[1] = { ws };
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_TYPES, 1, p, &res)) != ANX_OK)
		return err;
	*out = json_object_new_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_object_array_add(*out, cell(res, r, 0));
	PQclear(res);
	return ANX_OK;
}

/* The value of column c as a CSV field: NULL for SQL NULL. */
static const char *
val(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

enum anx_err
anx_audit_export_csv(struct anx_db *db, const char *ws, const struct anx_audit_filter *f,
	anx_audit_sink_fn sink, void *ctx, long long *rows)
{
	static const char *const header[] = { "id", "seq", "created_at", "event_type", "actor_type",
		"actor_id", "actor", "subject_type", "subject_id", "request_id", "data", "hash" };
	static const int cols[] = { C_ID, C_SEQ, C_CREATED, C_TYPE, C_ACTOR_TYPE, C_ACTOR_ID,
		C_ACTOR, C_SUBJ_TYPE, C_SUBJ_ID, C_REQUEST, C_DATA, C_HASH };
	enum { NCOLS = sizeof(cols) / sizeof(cols[0]) };
	struct anx_buf b;
	struct query q;
	enum anx_err err;
	PGresult *res;
	int n;

	*rows = 0;
	if (!anx_uuid_valid(ws))
		return ANX_ERR_INVALID;
	if ((err = prepare(db, ws, f, ANX_AUDIT_EXPORT_PAGE, &q)) != ANX_OK)
		return err;
	anx_buf_init(&b, 0);
	anx_csv_record(&b, header, NCOLS);
	for (;;) {
		if ((err = anx_db_exec(db, q.sql, 9, q.p, &res)) != ANX_OK)
			break;
		n = PQntuples(res);
		for (int r = 0; r < n; r++) {
			const char *v[NCOLS];

			for (int c = 0; c < NCOLS; c++)
				v[c] = val(res, r, cols[c]);
			anx_csv_record(&b, v, NCOLS);
		}
		*rows += n;
		/* The next page starts strictly before the last row. */
		if (n > 0) {
			snprintf(q.at.ts, sizeof(q.at.ts), "%s", PQgetvalue(res, n - 1, C_CREATED));
			snprintf(q.at.id, sizeof(q.at.id), "%s", PQgetvalue(res, n - 1, C_ID));
		}
		PQclear(res);
		if (anx_buf_failed(&b)) {
			err = ANX_ERR_NOMEM;
			break;
		}
		if (b.len > 0 && sink(ctx, b.data, b.len) != 0) {
			err = ANX_ERR_INTERNAL;
			break;
		}
		anx_buf_reset(&b);
		if (n < ANX_AUDIT_EXPORT_PAGE)
			break;
	}
	anx_buf_free(&b);
	return err;
}

enum anx_err
anx_audit_chain_status(struct anx_db *db, const char *ws, json_object **out)
{
	const char *p[1] = { ws };
	json_object *o, *last;
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_STATUS, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_INTERNAL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "sealed",
		json_object_new_int64(
			PQgetisnull(res, 0, 0) ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
	json_object_object_add(
		o, "unsealed", json_object_new_int64(strtoll(PQgetvalue(res, 0, 1), NULL, 10)));
	if (!PQgetisnull(res, 0, 2)) {
		int broken = PQgetvalue(res, 0, 7)[0] == 't';

		last = json_object_new_object();
		json_object_object_add(last, "verified_at", cell(res, 0, 2));
		json_object_object_add(last, "verified_display", cell(res, 0, 3));
		json_object_object_add(last, "by", PQgetlength(res, 0, 4) ? cell(res, 0, 4) : NULL);
		json_object_object_add(last, "verified",
			json_object_new_int64(strtoll(PQgetvalue(res, 0, 5), NULL, 10)));
		json_object_object_add(last, "unsealed",
			json_object_new_int64(strtoll(PQgetvalue(res, 0, 6), NULL, 10)));
		json_object_object_add(last, "broken", json_object_new_boolean(broken));
		json_object_object_add(last, "ok", json_object_new_boolean(!broken));
		json_object_object_add(last, "first_broken", cell(res, 0, 8));
		json_object_object_add(
			last, "ms", json_object_new_int(atoi(PQgetvalue(res, 0, 9))));
		json_object_object_add(o, "last", last);
	}
	PQclear(res);
	*out = o;
	return ANX_OK;
}

enum anx_err
anx_audit_verify_now(struct anx_db *db, const char *ws, const char *user_id, int *broken)
{
	struct anx_audit_report rep;
	struct timespec t0, t1;
	char verified[24], unsealed[24], ms[24];
	const char *p[7];
	enum anx_err err;

	*broken = 0;
	if (!anx_uuid_valid(ws))
		return ANX_ERR_INVALID;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((err = anx_audit_verify(db, ws, &rep)) != ANX_OK)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	snprintf(verified, sizeof(verified), "%lld", rep.verified);
	snprintf(unsealed, sizeof(unsealed), "%lld", rep.unsealed);
	snprintf(ms, sizeof(ms), "%ld",
		(long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	p[0] = ws;
	p[1] = user_id;
	p[2] = verified;
	p[3] = unsealed;
	p[4] = rep.broken ? "true" : "false";
	p[5] = rep.first_broken;
	p[6] = ms;
	*broken = rep.broken;
	return anx_db_exec(db, SQL_STORE, 7, p, NULL);
}
