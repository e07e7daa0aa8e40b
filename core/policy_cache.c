/*
 * policy_cache.c - per-worker cache of compiled policy versions; see
 * policy_cache.h.
 */
#include "policy_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"

#define CACHE_SLOTS 32

struct slot {
	char id[37];
	int version;
	unsigned long used;
	struct anx_policy *policy;
};

static struct slot slots[CACHE_SLOTS];
static unsigned long clock_tick;

static const char SQL_LOAD[] = "SELECT version, document::text FROM policy_versions WHERE id = $1";

enum anx_err
anx_policy_cache_get(
	struct anx_db *db, const char *policy_id, const struct anx_policy **p, int *version)
{
	const char *params[1] = { policy_id };
	struct slot *victim = &slots[0];
	struct anx_verrs errs;
	json_object *doc = NULL;
	PGresult *res = NULL;
	enum anx_err err;

	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (slots[i].policy && strcmp(slots[i].id, policy_id) == 0) {
			slots[i].used = ++clock_tick;
			*p = slots[i].policy;
			*version = slots[i].version;
			return ANX_OK;
		}
		if (slots[i].used < victim->used)
			victim = &slots[i];
	}
	if ((err = anx_db_exec(db, SQL_LOAD, 1, params, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		err = ANX_ERR_NOT_FOUND;
		goto out;
	}
	anx_verrs_init(&errs);
	if ((doc = json_tokener_parse(PQgetvalue(res, 0, 1))) == NULL) {
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	if (victim->policy)
		anx_policy_free(victim->policy);
	memset(victim, 0, sizeof(*victim));
	/* A stored version passed validation when published; failing now
	 * means the language lost a feature, which it must never do. */
	if ((err = anx_policy_compile(doc, &victim->policy, &errs)) != ANX_OK) {
		anx_log(ANX_LOG_ERROR, "stored_policy_invalid", LF_STR("policy_id", policy_id),
			LF_STR("path", errs.n ? errs.items[0].path : ""),
			LF_STR("problem", errs.n ? errs.items[0].problem : ""), ANX_LF_END);
		victim->policy = NULL;
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	snprintf(victim->id, sizeof(victim->id), "%s", policy_id);
	victim->version = atoi(PQgetvalue(res, 0, 0));
	victim->used = ++clock_tick;
	*p = victim->policy;
	*version = victim->version;
out:
	json_object_put(doc);
	PQclear(res);
	return err;
}

void
anx_policy_cache_clear(void)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (slots[i].policy)
			anx_policy_free(slots[i].policy);
		memset(&slots[i], 0, sizeof(slots[i]));
	}
}
