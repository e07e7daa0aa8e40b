/*
 * policy_cache.h - compiled policies per worker, keyed by policy version
 * id. Versions are immutable, so an entry never goes stale; the cache only
 * bounds memory (least recently used out).
 */
#ifndef ANX_POLICY_CACHE_H
#define ANX_POLICY_CACHE_H

#include "db.h"
#include "policy.h"

/* Finds or loads and compiles version policy_id. *p lives until the
 * entry is evicted: use it within the current request only. */
enum anx_err anx_policy_cache_get(
	struct anx_db *db, const char *policy_id, const struct anx_policy **p, int *version);

/* Frees every entry (process exit, tests). */
void anx_policy_cache_clear(void);

#endif
