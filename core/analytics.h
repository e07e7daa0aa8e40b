/*
 * analytics.h - governance analytics for the dashboard
 * (/dashboard/analytics): evaluations per day by decision, the approval
 * rate, time to decision (median and p90), rejections by rule, by action
 * and by approver, over the last 7, 30 or 90 UTC days.
 *
 * The numbers come from the daily rollups of sql/0009_analytics_rollup.sql
 * (plus the deltas not folded yet, so they are exact), which keeps the
 * page within a few milliseconds of database time at millions of
 * evaluations. Time to decision is exact (percentile_cont over the
 * decided approval flows) up to ANX_ANALYTICS_EXACT_MAX flows in the
 * period; above that it is read from the latency histogram (buckets 8.7 %
 * wide, interpolated geometrically: within about ±4 %).
 */
#ifndef ANX_ANALYTICS_H
#define ANX_ANALYTICS_H

#include <json-c/json.h>

#include "db.h"

#define ANX_ANALYTICS_EXACT_MAX  5000
#define ANX_ANALYTICS_TOP        10 /* rows in the rules/actions/approvers charts */
#define ANX_ANALYTICS_FOLD_BATCH 10000

/* The periods the page offers: 7, 30 or 90 days. 0 and *days set if s is
 * "7d", "30d" or "90d"; -1 otherwise. */
int anx_analytics_range_parse(const char *s, int *days);

/*
 * The analytics page model for workspace ws over the last days UTC days
 * (today included), as a new JSON object (caller puts):
 *   {days, from_display, to_display,
 *    totals: {evaluations, allow, deny, approval_required, pending,
 *             approved, rejected, expired, denied} (formatted strings),
 *    has_data (bool), approval_rate (string or null), decided (string),
 *    ttd: {median, p90, flows, exact (bool)} (strings; null without flows),
 *    volume: {svg, rows: [{day, allow, deny, approval_required, total}]},
 *    latency: {svg, rows: [{day, median, p90, flows}]},
 *    rules, actions: {svg, rows: [{name, denied, rejected, total}]},
 *    approvers: {svg, rows: [{name, approved, rejected}]}}
 * Charts are complete <svg> elements (svgchart.h), safe to insert
 * unescaped; everything else is plain text for the template to escape.
 */
enum anx_err anx_analytics_page(struct anx_db *db, const char *ws, int days, json_object **out);

/*
 * Folds up to ANX_ANALYTICS_FOLD_BATCH pending deltas of each rollup into
 * the daily tables (run by `agentnexus-cron deliver` every round; safe to
 * run concurrently: rows are claimed with SKIP LOCKED). *folded receives
 * the number of delta rows consumed.
 */
enum anx_err anx_analytics_fold(struct anx_db *db, int *folded);

/*
 * Adds the evaluations recorded by the evaluation.created events among
 * event_ids (a PostgreSQL bigint[] literal: the events being sealed) to
 * analytics_daily, as of their insert. Called by the audit sealer inside
 * its transaction, so each event is counted exactly once, when it is
 * sealed (sql/0013_analytics_from_sealer.sql).
 */
enum anx_err anx_analytics_count_sealed(struct anx_db *db, const char *event_ids);

/*
 * The q-quantile (0..1, percentile_cont semantics) of a latency histogram
 * hist[0..nbuckets) of counts per analytics_latency_bucket (bucket b holds
 * durations in [e^(b/12), e^((b+1)/12)) seconds; bucket 0 from 0).
 * Returns NaN for an empty histogram. Exposed for tests.
 */
double anx_analytics_hist_quantile(const long long *hist, int nbuckets, double q);

#endif
