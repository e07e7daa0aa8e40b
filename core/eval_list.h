/*
 * eval_list.h - the dashboard's evaluations: the filtered, keyset-paged
 * list and the detail page's model (the evaluation as the API shows it,
 * plus its webhook deliveries and audit events).
 *
 * The list stays fast on a workspace with millions of evaluations: every
 * query walks one of the evaluations_ws_* indexes in (created_at DESC,
 * id DESC) order and stops after a page. The filter that picks the index
 * is fixed in the statement's text (one statement per leading filter, see
 * eval_list.c), so a cached generic plan still uses it.
 */
#ifndef ANX_EVAL_LIST_H
#define ANX_EVAL_LIST_H

#include <json-c/json.h>

#include "db.h"
#include "listing.h"

/* The list's filters, in the order of anx_eval_filter_defs. */
enum anx_eval_filter_key {
	ANX_EF_STATUS,   /* status: allowed|denied|pending|approved|rejected|expired */
	ANX_EF_DECISION, /* decision: allow|deny|approval_required */
	ANX_EF_ACTION,   /* action: exact */
	ANX_EF_AGENT,    /* agent: agent_id, exact */
	ANX_EF_RULE,     /* rule: matched_rule, exact */
	ANX_EF_FROM,     /* from: date, inclusive (UTC) */
	ANX_EF_TO,       /* to: date, inclusive (UTC) */
	ANX_EF_AFTER,    /* after: cursor */
	ANX_EF__N
};

extern const struct anx_filter_def anx_eval_filter_defs[ANX_EF__N];

struct anx_eval_filter {
	const char *v[ANX_EF__N]; /* NULL = not filtered */
};

/* Reads the filters (see anx_filter_parse) and checks from <= to. Returns
 * the number of problems added to e; bad values are dropped. */
size_t anx_eval_filter_parse(anx_filter_get_fn get, void *ctx, struct anx_arena *a,
	struct anx_eval_filter *f, struct anx_verrs *e);

/*
 * One page (limit 1..200) of ws's evaluations matching f, newest first,
 * after f->v[ANX_EF_AFTER]. *out is a new object {items: [{id,
 * created_at, created_display, status, decision, action, agent_id,
 * resource, amount, currency, matched_rule, summary, policy_version}],
 * next (cursor, or null on the last page)}.
 */
enum anx_err anx_eval_list(struct anx_db *db, const char *ws, const struct anx_eval_filter *f,
	int limit, json_object **out);

/* Values seen in ws's latest 1000 evaluations, for the filter inputs'
 * suggestions: {actions: [..], agents: [..], rules: [..]} (50 each). */
enum anx_err anx_eval_suggestions(struct anx_db *db, const char *ws, json_object **out);

/*
 * The detail page of evaluation id of ws: {evaluation (anx_eval_get's
 * representation plus created_display, decided_display, expires_display,
 * amount_text (exact decimal), context_pretty, hash_state
 * "match"|"mismatch"|"unchecked"|"none" and receipt.details_pretty),
 * deliveries: [{id, event_type, status, attempts, last_status_code,
 * created_at, created_display, url}], audit: [{id, created_at,
 * created_display, event_type, actor, data}] (oldest first, at most 200)}.
 * ANX_ERR_NOT_FOUND for another workspace's id or a malformed one.
 */
enum anx_err anx_eval_detail(struct anx_db *db, const char *ws, const char *id, json_object **out);

#endif
