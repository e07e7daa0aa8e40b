/*
 * auth.h - API key authentication for the agent API.
 *
 * The key arrives as "Authorization: Bearer anx_…". Only SHA-256(key) is
 * looked up; a malformed header never reaches the database. last_used_at
 * is refreshed at most once a minute per key, so a busy key does not write
 * on every request.
 */
#ifndef ANX_AUTH_H
#define ANX_AUTH_H

#include "apikey.h"
#include "db.h"

struct anx_principal {
	char key_id[37];
	char workspace_id[37];
	char created_by[37];        /* "" when the key has no creator */
	char current_policy_id[37]; /* "" when no policy is published */
	enum anx_scope scope;
};

/*
 * Authenticates authorization (the raw header value, may be NULL) and
 * fills p. Errors: ANX_ERR_UNAUTHORIZED (missing, malformed, unknown or
 * revoked key; *why says which for the message), ANX_ERR_FORBIDDEN (the
 * workspace is archived, or need is admin and the key is agent-scoped),
 * ANX_ERR_UNAVAILABLE.
 */
enum anx_err anx_auth_api_key(struct anx_db *db, const char *authorization, enum anx_scope need,
	struct anx_principal *p, const char **why);

/*
 * Like anx_auth_api_key, but an agent-scoped request may be answered from a
 * small per-process cache of keys this worker verified in the last
 * ANX_AUTH_CACHE_SECONDS, without a database round trip. Then *cached is 1
 * and the caller MUST confirm the principal in the same statement that acts
 * on it (key not revoked, workspace not archived, same current policy; see
 * anx_evaluate) and call anx_auth_reload when it does not hold, or call
 * anx_auth_reload before answering anything else than success. Revocation, archiving and policy changes therefore
 * still take effect on the next request.
 */
#define ANX_AUTH_CACHE_SECONDS 30
enum anx_err anx_auth_api_key_cached(struct anx_db *db, const char *authorization,
	enum anx_scope need, struct anx_principal *p, const char **why, int *cached);

/* Drops the cached entry of key_id, if any. */
void anx_auth_forget(const char *key_id);

/* Reads principal p's key again from the database (by p->key_id, after
 * dropping it from the cache) and refills p; the errors of
 * anx_auth_api_key. */
enum anx_err anx_auth_reload(
	struct anx_db *db, enum anx_scope need, struct anx_principal *p, const char **why);

/* 1 if s is a canonical lowercase or uppercase hex UUID (8-4-4-4-12). */
int anx_uuid_valid(const char *s);

/* Writes a random (version 4) UUID into out (37 bytes). */
int anx_uuid_v4(char out[37]);

/* Writes a time-ordered (version 7, RFC 9562) UUID into out: 48 bits of
 * Unix milliseconds, then 74 random bits. For rows inserted at a high rate
 * (evaluations): new keys land at the right edge of their B-tree indexes
 * instead of on a random page. */
int anx_uuid_v7(char out[37]);

#endif
