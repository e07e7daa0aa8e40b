/*
 * policy_store.h - publishing and reading policy versions, and simulating
 * a draft against recent traffic.
 */
#ifndef ANX_POLICY_STORE_H
#define ANX_POLICY_STORE_H

#include <json-c/json.h>

#include "db.h"
#include "json.h"

#define ANX_SIMULATE_DEFAULT     500
#define ANX_SIMULATE_MAX         10000
#define ANX_SIMULATE_CHANGED_MAX 100

/* Who publishes: a dashboard user or an admin API key (one of them). */
struct anx_actor {
	const char *type; /* "user" | "api_key" */
	const char *id;
};

/*
 * Validates doc and publishes it as the next version of workspace ws,
 * making it current; audited as policy.published. On ANX_OK *out is the
 * version's JSON {id, version, created_at, document}. Invalid documents:
 * ANX_ERR_VALIDATION with every problem in e.
 */
enum anx_err anx_policy_publish(struct anx_db *db, const char *ws, json_object *doc,
	const struct anx_actor *by, struct anx_verrs *e, json_object **out);

/* The current version of ws as {id, version, created_at, document};
 * ANX_ERR_NOT_FOUND when none is published. */
enum anx_err anx_policy_current(struct anx_db *db, const char *ws, json_object **out);

/* Version `version` of ws, same shape. */
enum anx_err anx_policy_version(struct anx_db *db, const char *ws, int version, json_object **out);

/*
 * Runs draft over the last `limit` evaluations of ws and reports what
 * would change: {evaluated, summary:[{from,to,count}], changed_total,
 * changed:[…up to 100]}. Invalid drafts: ANX_ERR_VALIDATION (paths under
 * prefix, e.g. "policy").
 */
enum anx_err anx_policy_simulate(struct anx_db *db, const char *ws, json_object *draft, int limit,
	const char *prefix, struct anx_verrs *e, json_object **out);

#endif
