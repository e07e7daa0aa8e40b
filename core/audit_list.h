/*
 * audit_list.h - the dashboard's audit log: the filtered, keyset-paged
 * list, its CSV export, and the chain verification status.
 *
 * Like eval_list.h, each query walks one index of audit_events in
 * (created_at DESC, id DESC) order - audit_events_ws_time, _ws_type,
 * _ws_actor or _ws_subject, picked by the statement's leading filter -
 * and the export reads the filtered set in pages of ANX_AUDIT_EXPORT_PAGE
 * rows, handing each page to a sink as it goes, so memory stays flat
 * however long the log is.
 */
#ifndef ANX_AUDIT_LIST_H
#define ANX_AUDIT_LIST_H

#include <stddef.h>

#include <json-c/json.h>

#include "db.h"
#include "listing.h"

#define ANX_AUDIT_EXPORT_PAGE 1000

/*
 * Who did it, for people, given an audit_events row aliased "a": a
 * user's or approver's email, an API key's label, or "AgentNexus" for the
 * system. Needs ANX_AUDIT_ACTOR_JOIN in the FROM clause.
 */
#define ANX_AUDIT_ACTOR_EXPR                                                                       \
	"CASE a.actor_type WHEN 'user' THEN coalesce(au.email, 'a former user')"                   \
	" WHEN 'approver' THEN coalesce(au.email, 'an approver')"                                  \
	" WHEN 'api_key' THEN coalesce('key “' || ak.label || '”', 'an API key')"              \
	" ELSE 'AgentNexus' END"
#define ANX_AUDIT_ACTOR_JOIN                                                                       \
	" LEFT JOIN users au ON a.actor_type IN ('user', 'approver') AND au.id ="                  \
	" (CASE WHEN a.actor_id ~ "                                                                \
	"'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"                         \
	" THEN a.actor_id::uuid END)"                                                              \
	" LEFT JOIN api_keys ak ON a.actor_type = 'api_key' AND ak.id ="                           \
	" (CASE WHEN a.actor_id ~ "                                                                \
	"'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"                         \
	" THEN a.actor_id::uuid END) AND ak.workspace_id = a.workspace_id"

/* The filters, in the order of anx_audit_filter_defs. */
enum anx_audit_filter_key {
	ANX_AF_TYPE,    /* type: event_type, exact */
	ANX_AF_ACTOR,   /* actor: an email (a user's) or an actor id */
	ANX_AF_SUBJECT, /* subject: subject_id, exact */
	ANX_AF_FROM,    /* from: date, inclusive (UTC) */
	ANX_AF_TO,      /* to: date, inclusive (UTC) */
	ANX_AF_AFTER,   /* after: cursor */
	ANX_AF__N
};

extern const struct anx_filter_def anx_audit_filter_defs[ANX_AF__N];

struct anx_audit_filter {
	const char *v[ANX_AF__N]; /* NULL = not filtered */
};

/* Reads the filters and checks from <= to; returns the problems added. */
size_t anx_audit_filter_parse(anx_filter_get_fn get, void *ctx, struct anx_arena *a,
	struct anx_audit_filter *f, struct anx_verrs *e);

/*
 * One page (limit 1..200) of ws's audit events matching f, newest first:
 * *out = {items: [{id, seq, created_at, created_display, event_type,
 * actor_type, actor_id, actor, subject_type, subject_id, subject_short
 * (its first 8 characters, when longer than 12), is_evaluation (bool),
 * data (compact JSON text), request_id, sealed (bool)}], next (cursor or
 * null)}.
 */
enum anx_err anx_audit_list(struct anx_db *db, const char *ws, const struct anx_audit_filter *f,
	int limit, json_object **out);

/* The event types present in ws (for the filter's suggestions), sorted:
 * a new array of strings (at most 200). */
enum anx_err anx_audit_event_types(struct anx_db *db, const char *ws, json_object **out);

/* Receives each chunk of an export; returns 0 to go on, -1 to stop. */
typedef int (*anx_audit_sink_fn)(void *ctx, const char *data, size_t n);

/*
 * Writes every event of ws matching f (the cursor is ignored) as CSV
 * (csv.h) to sink: a header record, then one record per event, newest
 * first, one chunk per page. *rows counts the records written.
 * Columns: id, seq, created_at, event_type, actor_type, actor_id, actor,
 * subject_type, subject_id, request_id, data, hash. ANX_ERR_INTERNAL if
 * the sink stops.
 */
enum anx_err anx_audit_export_csv(struct anx_db *db, const char *ws,
	const struct anx_audit_filter *f, anx_audit_sink_fn sink, void *ctx, long long *rows);

/*
 * The chain status for the audit page: {events (int, estimated when
 * large), unsealed (int), last: {verified_at, verified_display, by,
 * verified (int), unsealed (int), broken (bool), first_broken, ms} or
 * absent when never verified}.
 */
enum anx_err anx_audit_chain_status(struct anx_db *db, const char *ws, json_object **out);

/*
 * Verifies ws's chain now (anx_audit_verify) and stores the result as the
 * workspace's latest verification, by user_id. *broken receives whether
 * a link is broken.
 */
enum anx_err anx_audit_verify_now(
	struct anx_db *db, const char *ws, const char *user_id, int *broken);

#endif
