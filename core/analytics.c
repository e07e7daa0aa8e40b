/*
 * analytics.c - governance analytics over the daily rollups; see
 * analytics.h and sql/0009_analytics_rollup.sql.
 *
 * Every query reads a rollup table plus its not-yet-folded deltas for the
 * days from $2 (the first day of the period, 'YYYY-MM-DD', computed here
 * once so every query agrees on it) and returns day offsets from it.
 */
#include "analytics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "svgchart.h"

#define MAX_DAYS 90
#define NBUCKETS 256

/* ---- SQL ---------------------------------------------------------------- */

/* The rollup, the deltas not folded yet and the new evaluations not sealed
 * yet (sql/0013): exact at every moment. */
#define DAILY_SINCE(cols, extra)                                                                   \
	"SELECT " cols " FROM analytics_daily WHERE workspace_id = $1 AND day >= $2::date" extra   \
	" UNION ALL SELECT " cols " FROM analytics_deltas WHERE workspace_id = $1"                 \
	" AND day >= $2::date" extra " UNION ALL SELECT " cols " FROM analytics_unsealed"          \
	" WHERE workspace_id = $1 AND day >= $2::date" extra

static const char SQL_VOLUME[] =
	"SELECT day - $2::date, decision, status, sum(n)::bigint FROM (" DAILY_SINCE(
		"day, decision, status, n", "") ") x GROUP BY 1, 2, 3";
static const char SQL_RULES[] =
	"SELECT matched_rule, coalesce(sum(n) FILTER (WHERE status = 'denied'), 0)::bigint,"
	" coalesce(sum(n) FILTER (WHERE status = 'rejected'), 0)::bigint, sum(n)::bigint FROM "
	"(" DAILY_SINCE("matched_rule, status, n",
		" AND status IN ('denied', 'rejected')") ") x GROUP BY 1 HAVING sum(n) > 0 ORDER "
							 "BY 4 DESC, 1 LIMIT 10";
static const char SQL_ACTIONS[] =
	"SELECT action, coalesce(sum(n) FILTER (WHERE status = 'denied'), 0)::bigint,"
	" coalesce(sum(n) FILTER (WHERE status = 'rejected'), 0)::bigint, sum(n)::bigint FROM "
	"(" DAILY_SINCE("action, status, n",
		" AND status IN ('denied', 'rejected')") ") x GROUP BY 1 HAVING sum(n) > 0 ORDER "
							 "BY 4 DESC, 1 LIMIT 10";
static const char SQL_APPROVERS[] =
	"SELECT coalesce(NULLIF(u.display_name, ''), u.email, 'a former member'), x.approved,"
	" x.rejected FROM (SELECT user_id,"
	" coalesce(sum(n) FILTER (WHERE status = 'approved'), 0)::bigint AS approved,"
	" coalesce(sum(n) FILTER (WHERE status = 'rejected'), 0)::bigint AS rejected FROM ("
	"SELECT user_id, status, n FROM analytics_approver_daily WHERE workspace_id = $1"
	" AND day >= $2::date UNION ALL SELECT user_id, status, n FROM analytics_approver_deltas"
	" WHERE workspace_id = $1 AND day >= $2::date) y GROUP BY user_id HAVING sum(n) > 0) x"
	" LEFT JOIN users u ON u.id = x.user_id"
	" ORDER BY x.rejected DESC, x.approved DESC, 1 LIMIT 10";
/* Raw rows, summed here: cheaper than grouping thousands of them in SQL. */
static const char SQL_LATENCY_HIST[] =
	"SELECT day - $2::date, bucket, n FROM analytics_latency_daily WHERE workspace_id = $1"
	" AND day >= $2::date UNION ALL SELECT day - $2::date, bucket, n"
	" FROM analytics_latency_deltas WHERE workspace_id = $1 AND day >= $2::date";
/* Exact, for small periods: the per-day rows and the period's (day NULL). */
static const char SQL_LATENCY_EXACT[] =
	"SELECT (decided_at AT TIME ZONE 'UTC')::date - $2::date,"
	" percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at)),"
	" percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at)),"
	" count(*) FROM evaluations WHERE workspace_id = $1 AND decision = 'approval_required'"
	" AND decided_at IS NOT NULL AND decided_at >= $2::date::timestamp AT TIME ZONE 'UTC'"
	" AND status IN ('approved', 'rejected') GROUP BY GROUPING SETS ((1), ())";

static const char SQL_FOLD_DAILY[] =
	"WITH d AS (DELETE FROM analytics_deltas WHERE id IN (SELECT id FROM analytics_deltas"
	" ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED)"
	" RETURNING workspace_id, day, decision, status, action, matched_rule, n),"
	" up AS (INSERT INTO analytics_daily AS a"
	" (workspace_id, day, decision, status, action, matched_rule, n)"
	" SELECT workspace_id, day, decision, status, action, matched_rule, sum(n) FROM d"
	" WHERE EXISTS (SELECT 1 FROM workspaces w WHERE w.id = d.workspace_id)"
	" GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
	" ON CONFLICT (workspace_id, day, decision, status, action, matched_rule)"
	" DO UPDATE SET n = a.n + EXCLUDED.n RETURNING 1)"
	" SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM up)";
static const char SQL_FOLD_LATENCY[] =
	"WITH d AS (DELETE FROM analytics_latency_deltas WHERE id IN (SELECT id"
	" FROM analytics_latency_deltas ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED)"
	" RETURNING workspace_id, day, bucket, n),"
	" up AS (INSERT INTO analytics_latency_daily AS a (workspace_id, day, bucket, n)"
	" SELECT workspace_id, day, bucket, sum(n) FROM d"
	" WHERE EXISTS (SELECT 1 FROM workspaces w WHERE w.id = d.workspace_id)"
	" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	" ON CONFLICT (workspace_id, day, bucket) DO UPDATE SET n = a.n + EXCLUDED.n RETURNING 1)"
	" SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM up)";
static const char SQL_FOLD_APPROVER[] =
	"WITH d AS (DELETE FROM analytics_approver_deltas WHERE id IN (SELECT id"
	" FROM analytics_approver_deltas ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED)"
	" RETURNING workspace_id, day, user_id, status, n),"
	" up AS (INSERT INTO analytics_approver_daily AS a (workspace_id, day, user_id, status, n)"
	" SELECT workspace_id, day, user_id, status, sum(n) FROM d"
	" WHERE EXISTS (SELECT 1 FROM workspaces w WHERE w.id = d.workspace_id)"
	" GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	" ON CONFLICT (workspace_id, day, user_id, status) DO UPDATE SET n = a.n + EXCLUDED.n"
	" RETURNING 1) SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM up)";

/* New evaluations of a sealed batch into the rollup (see
 * anx_analytics_count_sealed). Only events after the 0013 boundary: older
 * ones were counted when inserted. */
static const char SQL_COUNT_SEALED[] =
	"INSERT INTO analytics_daily AS d (workspace_id, day, decision, status, action,"
	" matched_rule, n)"
	" SELECT a.workspace_id, (a.created_at AT TIME ZONE 'UTC')::date, a.data ->> 'decision',"
	"  a.data ->> 'status', a.data ->> 'action', coalesce(a.data ->> 'matched_rule', ''),"
	"  count(*)"
	" FROM audit_events a JOIN workspaces w ON w.id = a.workspace_id"
	" WHERE a.id = ANY($1::bigint[]) AND a.event_type = 'evaluation.created'"
	"  AND a.id > (SELECT event_id FROM analytics_sealer_boundary)"
	" GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
	" ON CONFLICT (workspace_id, day, decision, status, action, matched_rule)"
	" DO UPDATE SET n = d.n + EXCLUDED.n";

/* ---- small helpers ------------------------------------------------------ */

int
anx_analytics_range_parse(const char *s, int *days)
{
	static const struct {
		const char *name;
		int days;
	} ranges[] = { { "7d", 7 }, { "30d", 30 }, { "90d", 90 } };

	for (size_t i = 0; s != NULL && i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (strcmp(s, ranges[i].name) == 0) {
			*days = ranges[i].days;
			return 0;
		}
	return -1;
}

double
anx_analytics_hist_quantile(const long long *hist, int nbuckets, double q)
{
	long long total = 0, cum = 0;
	double rank, lo, hi, f;

	for (int b = 0; b < nbuckets; b++)
		total += hist[b] > 0 ? hist[b] : 0;
	if (total <= 0)
		return NAN;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* percentile_cont: the value at 0-based rank q * (N - 1). */
	rank = q * (double)(total - 1);
	for (int b = 0; b < nbuckets; b++) {
		long long n = hist[b] > 0 ? hist[b] : 0;

		if (n == 0 || (double)(cum + n) <= rank) {
			cum += n;
			continue;
		}
		/* The rank's place inside the bucket, its values spread evenly
		 * (on a log scale) over the bucket's width. */
		f = (rank - (double)cum + 0.5) / (double)n;
		f = f < 0 ? 0 : f > 1 ? 1 : f;
		hi = exp((b + 1) / 12.0);
		if (b == 0)
			return f * hi;
		lo = exp(b / 12.0);
		return lo * pow(hi / lo, f);
	}
	return exp(nbuckets / 12.0);
}

static json_object *
fmt_obj(enum anx_chart_fmt fmt, double v)
{
	char s[48];

	return json_object_new_string(anx_chart_fmt(s, sizeof(s), fmt, v));
}

static json_object *
count_obj(long long v)
{
	return fmt_obj(ANX_FMT_COUNT, (double)v);
}

/* Renders c into a JSON string, or NULL (logged by the caller's error). */
static json_object *
svg_obj(const struct anx_chart *c)
{
	struct anx_buf b;
	json_object *o = NULL;

	anx_buf_init(&b, 4 * 1024 * 1024);
	if (anx_svg_chart(&b, c) == 0)
		o = json_object_new_string_len(b.data, (int)b.len);
	anx_buf_free(&b);
	return o;
}

/* The period: first day (ISO, for SQL) and a label per day. */
struct period {
	int days;
	char start[16];
	char axis[MAX_DAYS][16]; /* "Nov 28" */
	char tip[MAX_DAYS][32];  /* "Fri 28 Nov 2026" */
	char row[MAX_DAYS][16];  /* "Fri 28 Nov" (tables) */
	const char *axis_p[MAX_DAYS];
	const char *tip_p[MAX_DAYS];
};

static void
period_init(struct period *p, int days)
{
	time_t now = time(NULL), t;
	struct tm tm;

	p->days = days;
	now -= now % 86400;
	t = now - (time_t)(days - 1) * 86400;
	gmtime_r(&t, &tm);
	strftime(p->start, sizeof(p->start), "%Y-%m-%d", &tm);
	for (int i = 0; i < days; i++) {
		t = now - (time_t)(days - 1 - i) * 86400;
		gmtime_r(&t, &tm);
		strftime(p->axis[i], sizeof(p->axis[i]), "%b %d", &tm);
		strftime(p->tip[i], sizeof(p->tip[i]), "%a %d %b %Y", &tm);
		strftime(p->row[i], sizeof(p->row[i]), "%a %d %b", &tm);
		p->axis_p[i] = p->axis[i];
		p->tip_p[i] = p->tip[i];
	}
}

/* A day offset from a result cell, or -1 when outside the period. */
static int
day_of(const PGresult *res, int r, int c, int days)
{
	long d;

	if (PQgetisnull(res, r, c))
		return -1;
	d = strtol(PQgetvalue(res, r, c), NULL, 10);
	return d >= 0 && d < days ? (int)d : -1;
}

static long long
cell_ll(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? 0 : strtoll(PQgetvalue(res, r, c), NULL, 10);
}

/* ---- the sections of the page ------------------------------------------- */

/* Volume per day by decision, status totals and the approval rate. */
static enum anx_err
volume(struct anx_db *db, const char *const p[2], const struct period *per, json_object *o)
{
	static const char *const decisions[] = { "allow", "deny", "approval_required" };
	static const char *const statuses[] = { "allowed", "denied", "pending", "approved",
		"rejected", "expired" };
	double vals[3][MAX_DAYS] = { { 0 } };
	long long dec_tot[3] = { 0 }, st_tot[6] = { 0 }, total = 0;
	const struct anx_chart_series series[] = {
		{ "allow", "allow", "#2b8a3e", vals[0] },
		{ "deny", "deny", "#c92a2a", vals[1] },
		{ "approval required", "approval", "#b35c00", vals[2] },
	};
	struct anx_chart chart = {
		.kind = ANX_CHART_BARS,
		.id = "chart-volume",
		.title = "Evaluations per day by decision",
		.desc = "Stacked bars: allow, deny and approval required per UTC day; the same "
			"numbers are in the table next to the chart.",
		.labels = per->axis_p,
		.tips = per->tip_p,
		.n = (size_t)per->days,
		.series = series,
		.nseries = 3,
		.fmt = ANX_FMT_COUNT,
		.width = 640,
	};
	json_object *sec, *rows, *totals, *svg;
	PGresult *res;
	enum anx_err err;
	char buf[48];

	if ((err = anx_db_exec(db, SQL_VOLUME, 2, p, &res)) != ANX_OK)
		return err;
	for (int r = 0; r < PQntuples(res); r++) {
		int d = day_of(res, r, 0, per->days);
		long long n = cell_ll(res, r, 3);

		for (int k = 0; k < 3; k++)
			if (strcmp(PQgetvalue(res, r, 1), decisions[k]) == 0) {
				if (d >= 0)
					vals[k][d] += (double)n;
				dec_tot[k] += n;
			}
		for (int k = 0; k < 6; k++)
			if (strcmp(PQgetvalue(res, r, 2), statuses[k]) == 0)
				st_tot[k] += n;
		total += n;
	}
	PQclear(res);

	totals = json_object_new_object();
	json_object_object_add(totals, "evaluations", count_obj(total));
	for (int k = 0; k < 3; k++)
		json_object_object_add(totals, decisions[k], count_obj(dec_tot[k]));
	for (int k = 0; k < 6; k++)
		json_object_object_add(totals, statuses[k], count_obj(st_tot[k]));
	json_object_object_add(o, "totals", totals);
	json_object_object_add(o, "has_data", json_object_new_boolean(total > 0));
	/* Approval rate: approved / (approved + rejected); expired and pending
	 * requests were not decided by anyone. */
	json_object_object_add(o, "decided", count_obj(st_tot[3] + st_tot[4]));
	if (st_tot[3] + st_tot[4] > 0)
		json_object_object_add(o, "approval_rate",
			json_object_new_string(anx_chart_fmt(buf, sizeof(buf), ANX_FMT_PERCENT,
				100.0 * (double)st_tot[3] / (double)(st_tot[3] + st_tot[4]))));
	if (total > 0)
		json_object_object_add(o, "deny_rate",
			json_object_new_string(anx_chart_fmt(buf, sizeof(buf), ANX_FMT_PERCENT,
				100.0 * (double)dec_tot[1] / (double)total)));

	sec = json_object_new_object();
	rows = json_object_new_array();
	/* Newest first in the table. */
	for (int d = per->days - 1; d >= 0; d--) {
		json_object *row = json_object_new_object();

		json_object_object_add(row, "day", json_object_new_string(per->row[d]));
		json_object_object_add(row, "allow", count_obj((long long)vals[0][d]));
		json_object_object_add(row, "deny", count_obj((long long)vals[1][d]));
		json_object_object_add(row, "approval_required", count_obj((long long)vals[2][d]));
		json_object_object_add(
			row, "total", count_obj((long long)(vals[0][d] + vals[1][d] + vals[2][d])));
		json_object_array_add(rows, row);
	}
	json_object_object_add(sec, "rows", rows);
	if ((svg = svg_obj(&chart)) == NULL) {
		json_object_put(sec);
		return ANX_ERR_INTERNAL;
	}
	json_object_object_add(sec, "svg", svg);
	json_object_object_add(o, "volume", sec);
	return ANX_OK;
}

/* Median and p90 time to decision, per day and for the period. */
static enum anx_err
latency(struct anx_db *db, const char *const p[2], const struct period *per, json_object *o)
{
	double med[MAX_DAYS], p90[MAX_DAYS], all_med = NAN, all_p90 = NAN;
	long long flows[MAX_DAYS] = { 0 }, total = 0, *hist = NULL;
	const struct anx_chart_series series[] = {
		{ "median", "median", "#3b5bdb", med },
		{ "p90", "p90", "#b35c00", p90 },
	};
	struct anx_chart chart = {
		.kind = ANX_CHART_LINE,
		.id = "chart-latency",
		.title = "Time to decision per day (median and 90th percentile)",
		.desc = "Lines: how long approval requests waited for their final approve or "
			"reject, by the UTC day of the decision; the table next to the chart "
			"has the same numbers.",
		.labels = per->axis_p,
		.tips = per->tip_p,
		.n = (size_t)per->days,
		.series = series,
		.nseries = 2,
		.fmt = ANX_FMT_DURATION,
		.width = 640,
	};
	json_object *sec, *rows, *ttd, *svg;
	PGresult *res = NULL;
	enum anx_err err;
	int exact;

	for (int d = 0; d < MAX_DAYS; d++)
		med[d] = p90[d] = NAN;
	if ((hist = calloc((size_t)per->days * NBUCKETS, sizeof(*hist))) == NULL)
		return ANX_ERR_NOMEM;
	if ((err = anx_db_exec(db, SQL_LATENCY_HIST, 2, p, &res)) != ANX_OK)
		goto out;
	for (int r = 0; r < PQntuples(res); r++) {
		int d = day_of(res, r, 0, per->days);
		long b = strtol(PQgetvalue(res, r, 1), NULL, 10);
		long long n = cell_ll(res, r, 2);

		if (d < 0 || b < 0 || b >= NBUCKETS)
			continue;
		hist[(size_t)d * NBUCKETS + (size_t)b] += n;
		flows[d] += n;
		total += n;
	}
	PQclear(res);
	res = NULL;
	exact = total <= ANX_ANALYTICS_EXACT_MAX;
	if (exact && total > 0) {
		if ((err = anx_db_exec(db, SQL_LATENCY_EXACT, 2, p, &res)) != ANX_OK)
			goto out;
		for (int d = 0; d < per->days; d++)
			flows[d] = 0;
		total = 0;
		for (int r = 0; r < PQntuples(res); r++) {
			int d = day_of(res, r, 0, per->days);
			double m = strtod(PQgetvalue(res, r, 1), NULL);
			double q = strtod(PQgetvalue(res, r, 2), NULL);

			if (PQgetisnull(res, r, 0)) {
				all_med = m;
				all_p90 = q;
				total = cell_ll(res, r, 3);
			} else if (d >= 0) {
				med[d] = m;
				p90[d] = q;
				flows[d] = cell_ll(res, r, 3);
			}
		}
	} else if (total > 0) {
		long long sum[NBUCKETS] = { 0 };

		for (int d = 0; d < per->days; d++) {
			const long long *h = hist + (size_t)d * NBUCKETS;

			for (int b = 0; b < NBUCKETS; b++)
				sum[b] += h[b];
			med[d] = anx_analytics_hist_quantile(h, NBUCKETS, 0.5);
			p90[d] = anx_analytics_hist_quantile(h, NBUCKETS, 0.9);
		}
		all_med = anx_analytics_hist_quantile(sum, NBUCKETS, 0.5);
		all_p90 = anx_analytics_hist_quantile(sum, NBUCKETS, 0.9);
	}

	ttd = json_object_new_object();
	json_object_object_add(ttd, "flows", count_obj(total));
	json_object_object_add(ttd, "exact", json_object_new_boolean(exact));
	if (total > 0) {
		json_object_object_add(ttd, "median", fmt_obj(ANX_FMT_DURATION, all_med));
		json_object_object_add(ttd, "p90", fmt_obj(ANX_FMT_DURATION, all_p90));
	}
	json_object_object_add(o, "ttd", ttd);

	sec = json_object_new_object();
	rows = json_object_new_array();
	for (int d = per->days - 1; d >= 0; d--) {
		json_object *row;

		if (flows[d] == 0)
			continue;
		row = json_object_new_object();
		json_object_object_add(row, "day", json_object_new_string(per->row[d]));
		json_object_object_add(row, "median", fmt_obj(ANX_FMT_DURATION, med[d]));
		json_object_object_add(row, "p90", fmt_obj(ANX_FMT_DURATION, p90[d]));
		json_object_object_add(row, "flows", count_obj(flows[d]));
		json_object_array_add(rows, row);
	}
	json_object_object_add(sec, "rows", rows);
	json_object_object_add(sec, "has_rows", json_object_new_boolean(total > 0));
	if ((svg = svg_obj(&chart)) == NULL) {
		json_object_put(sec);
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	json_object_object_add(sec, "svg", svg);
	json_object_object_add(o, "latency", sec);
out:
	PQclear(res);
	free(hist);
	return err;
}

/* A ranking (rules, actions, approvers): names in column 0, two series in
 * columns 1 and 2. */
struct ranking {
	const char *sql;
	const char *key; /* member of the page model */
	const char *id;  /* chart id */
	const char *title;
	const char *desc;
	const char *blank;        /* the name shown for '' */
	const char *s1, *c1, *k1; /* series name, class, row key */
	const char *s2, *c2, *k2;
	const char *col1, *col2; /* fallback colours */
};

static enum anx_err
ranking(struct anx_db *db, const char *const p[2], const struct ranking *rk, json_object *o)
{
	double v1[ANX_ANALYTICS_TOP], v2[ANX_ANALYTICS_TOP];
	const char *names[ANX_ANALYTICS_TOP];
	const struct anx_chart_series series[] = {
		{ rk->s1, rk->c1, rk->col1, v1 },
		{ rk->s2, rk->c2, rk->col2, v2 },
	};
	struct anx_chart chart = {
		.kind = ANX_CHART_HBAR,
		.id = rk->id,
		.title = rk->title,
		.desc = rk->desc,
		.labels = names,
		.series = series,
		.nseries = 2,
		.fmt = ANX_FMT_COUNT,
		.width = 640,
	};
	json_object *sec, *rows, *svg;
	PGresult *res;
	enum anx_err err;
	int n;

	if ((err = anx_db_exec(db, rk->sql, 2, p, &res)) != ANX_OK)
		return err;
	n = PQntuples(res) < ANX_ANALYTICS_TOP ? PQntuples(res) : ANX_ANALYTICS_TOP;
	sec = json_object_new_object();
	rows = json_object_new_array();
	for (int r = 0; r < n; r++) {
		json_object *row = json_object_new_object();
		long long a = cell_ll(res, r, 1), b = cell_ll(res, r, 2);

		names[r] = *PQgetvalue(res, r, 0) ? PQgetvalue(res, r, 0) : rk->blank;
		v1[r] = (double)a;
		v2[r] = (double)b;
		json_object_object_add(row, "name", json_object_new_string(names[r]));
		json_object_object_add(
			row, "default", json_object_new_boolean(*PQgetvalue(res, r, 0) == '\0'));
		json_object_object_add(row, rk->k1, count_obj(a));
		json_object_object_add(row, rk->k2, count_obj(b));
		json_object_object_add(row, "total", count_obj(a + b));
		json_object_array_add(rows, row);
	}
	chart.n = (size_t)n;
	svg = svg_obj(&chart);
	PQclear(res);
	if (svg == NULL) {
		json_object_put(sec);
		json_object_put(rows);
		return ANX_ERR_INTERNAL;
	}
	json_object_object_add(sec, "rows", rows);
	json_object_object_add(sec, "has_rows", json_object_new_boolean(n > 0));
	json_object_object_add(sec, "svg", svg);
	json_object_object_add(o, rk->key, sec);
	return ANX_OK;
}

static const struct ranking rankings[] = {
	{ SQL_RULES, "rules", "chart-rules", "Rejections by policy rule",
		"Horizontal bars: the rules behind the most denials and rejected approvals "
		"(top 10).",
		"(policy default)", "denied by policy", "deny", "denied", "rejected by approvers",
		"rejected-human", "rejected", "#c92a2a", "#862e9c" },
	{ SQL_ACTIONS, "actions", "chart-actions", "Rejections by action",
		"Horizontal bars: the actions most often denied or rejected (top 10).", "(none)",
		"denied by policy", "deny", "denied", "rejected by approvers", "rejected-human",
		"rejected", "#c92a2a", "#862e9c" },
	{ SQL_APPROVERS, "approvers", "chart-approvers", "Decisions by approver",
		"Horizontal bars: approvals and rejections per approver, most rejections first "
		"(top 10).",
		"(unknown)", "approved", "approved", "approved", "rejected", "rejected", "rejected",
		"#2b8a3e", "#c92a2a" },
};

enum anx_err
anx_analytics_page(struct anx_db *db, const char *ws, int days, json_object **out)
{
	struct period *per;
	const char *p[2];
	json_object *o;
	enum anx_err err;

	*out = NULL;
	if (days < 1 || days > MAX_DAYS)
		return ANX_ERR_INVALID;
	if ((per = calloc(1, sizeof(*per))) == NULL)
		return ANX_ERR_NOMEM;
	period_init(per, days);
	p[0] = ws;
	p[1] = per->start;
	o = json_object_new_object();
	json_object_object_add(o, "days", json_object_new_int(days));
	json_object_object_add(o, "from_display", json_object_new_string(per->tip[0]));
	json_object_object_add(o, "to_display", json_object_new_string(per->tip[days - 1]));
	if ((err = volume(db, p, per, o)) != ANX_OK)
		goto fail;
	if ((err = latency(db, p, per, o)) != ANX_OK)
		goto fail;
	for (size_t i = 0; i < sizeof(rankings) / sizeof(rankings[0]); i++)
		if ((err = ranking(db, p, &rankings[i], o)) != ANX_OK)
			goto fail;
	free(per);
	*out = o;
	return ANX_OK;
fail:
	free(per);
	json_object_put(o);
	return err;
}

enum anx_err
anx_analytics_fold(struct anx_db *db, int *folded)
{
	const char *const sqls[] = { SQL_FOLD_DAILY, SQL_FOLD_LATENCY, SQL_FOLD_APPROVER };
	enum anx_err err;
	PGresult *res;

	*folded = 0;
	for (size_t i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
		if ((err = anx_db_exec(db, sqls[i], 0, NULL, &res)) != ANX_OK)
			return err;
		*folded += (int)cell_ll(res, 0, 0);
		PQclear(res);
	}
	return ANX_OK;
}

enum anx_err
anx_analytics_count_sealed(struct anx_db *db, const char *event_ids)
{
	const char *p[1] = { event_ids };

	return anx_db_exec(db, SQL_COUNT_SEALED, 1, p, NULL);
}
