/*
 * auth.c - API key authentication; see auth.h.
 */
#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"

#define LOOKUP_COLS                                                                                \
	"SELECT k.id, k.workspace_id, k.scope, coalesce(k.created_by::text, ''),"                  \
	" k.revoked_at IS NOT NULL, w.archived_at IS NOT NULL,"                                    \
	" coalesce(w.current_policy_id::text, ''),"                                                \
	" k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds'"                \
	" FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id"
static const char SQL_LOOKUP[] = LOOKUP_COLS " WHERE k.key_hash = $1::bytea";
static const char SQL_RELOAD[] = LOOKUP_COLS " WHERE k.id = $1::uuid";
static const char SQL_TOUCH[] =
	"UPDATE api_keys SET last_used_at = now() WHERE id = $1"
	" AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')";

int
anx_uuid_valid(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };
	size_t i, d = 0;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (d < 4 && i == (size_t)dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Sets the version nibble and the RFC 9562 variant bits of b and writes
 * it in canonical 8-4-4-4-12 form. */
static void
uuid_format(unsigned char b[16], unsigned version, char out[37])
{
	char hex[33];

	b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	anx_hex_encode(b, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

int
anx_uuid_v4(char out[37])
{
	unsigned char b[16];

	if (anx_random(b, sizeof(b)) != 0)
		return -1;
	uuid_format(b, 4, out);
	return 0;
}

int
anx_uuid_v7(char out[37])
{
	unsigned char b[16];
	struct timespec ts;
	unsigned long long ms;

	if (anx_random(b, sizeof(b)) != 0 || clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	ms = (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)(ts.tv_nsec / 1000000);
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	uuid_format(b, 7, out);
	return 0;
}

/* Extracts the token of "Bearer <token>" (scheme case-insensitive,
 * RFC 6750 §2.1) into out; -1 if the header has another shape. */
static int
bearer_token(const char *h, char *out, size_t outlen)
{
	size_t n;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && h[n - 1] == ' ')
		n--;
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, h, n);
	out[n] = '\0';
	return 0;
}

/* Hashes the key of an "Authorization: Bearer anx_…" header into the
 * bytea parameter form; -1 (with *why) when the header is missing or
 * malformed. The key itself is zeroed before returning. */
static int
header_key_hash(const char *authorization, char hash[2 + ANX_SHA256_HEX_LEN + 1], const char **why)
{
	char key[160];

	*why = "Missing API key: send Authorization: Bearer anx_…";
	if (authorization == NULL || *authorization == '\0')
		return -1;
	*why = "The API key is invalid or revoked";
	if (bearer_token(authorization, key, sizeof(key)) != 0 || !anx_apikey_well_formed(key)) {
		anx_secure_zero(key, sizeof(key));
		return -1;
	}
	anx_apikey_hash_param(key, hash);
	anx_secure_zero(key, sizeof(key));
	return 0;
}

/* The database lookup of a key by its hash (SQL_LOOKUP) or its id
 * (SQL_RELOAD); see anx_auth_api_key. */
static enum anx_err
lookup(struct anx_db *db, const char *sql, const char *arg, enum anx_scope need,
	struct anx_principal *p, const char **why)
{
	const char *params[1] = { arg };
	PGresult *res = NULL;
	enum anx_err err;

	*why = "The API key is invalid or revoked";
	if ((err = anx_db_exec(db, sql, 1, params, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 4), "t") == 0) {
		err = ANX_ERR_UNAUTHORIZED;
		goto out;
	}
	snprintf(p->key_id, sizeof(p->key_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(p->workspace_id, sizeof(p->workspace_id), "%s", PQgetvalue(res, 0, 1));
	anx_scope_parse(PQgetvalue(res, 0, 2), &p->scope);
	snprintf(p->created_by, sizeof(p->created_by), "%s", PQgetvalue(res, 0, 3));
	snprintf(p->current_policy_id, sizeof(p->current_policy_id), "%s", PQgetvalue(res, 0, 6));
	if (strcmp(PQgetvalue(res, 0, 5), "t") == 0) {
		*why = "The workspace is archived; its keys are refused until it is restored";
		err = ANX_ERR_FORBIDDEN;
		goto out;
	}
	if (need == ANX_SCOPE_ADMIN && p->scope != ANX_SCOPE_ADMIN) {
		*why = "This route needs an admin-scoped API key";
		err = ANX_ERR_FORBIDDEN;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 7), "t") == 0) {
		params[0] = p->key_id;
		/* Best effort: a failed touch must not fail the request. */
		anx_db_exec(db, SQL_TOUCH, 1, params, NULL);
	}
	*why = NULL;
	err = ANX_OK;
out:
	PQclear(res);
	return err;
}

enum anx_err
anx_auth_api_key(struct anx_db *db, const char *authorization, enum anx_scope need,
	struct anx_principal *p, const char **why)
{
	char hash[2 + ANX_SHA256_HEX_LEN + 1];

	memset(p, 0, sizeof(*p));
	if (header_key_hash(authorization, hash, why) != 0)
		return ANX_ERR_UNAUTHORIZED;
	return lookup(db, SQL_LOOKUP, hash, need, p, why);
}

/*
 * The per-process key cache: SHA-256 of the key → the principal, with the
 * monotonic time of the database lookup that produced it. It holds hashes
 * only, never keys. Small and searched linearly: a worker serves few keys.
 */
#define KEY_CACHE_SLOTS 32
struct key_slot {
	char hash[2 + ANX_SHA256_HEX_LEN + 1];
	struct anx_principal p;
	time_t verified_at;
	unsigned long used;
};
static struct key_slot key_cache[KEY_CACHE_SLOTS];
static unsigned long key_clock;

static time_t
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct key_slot *
cache_find(const char *hash)
{
	struct key_slot *hit = NULL;

	/* Every slot is compared, in constant time, whatever matches. */
	for (size_t i = 0; i < KEY_CACHE_SLOTS; i++)
		if (key_cache[i].hash[0] &&
			anx_ct_equal(key_cache[i].hash, hash, sizeof(key_cache[i].hash)))
			hit = &key_cache[i];
	return hit;
}

/* Stores p under hash in slot s (the caller's cache_find result), or in
 * the least recently used slot when s is NULL. */
static void
cache_put(struct key_slot *s, const char *hash, const struct anx_principal *p)
{
	struct key_slot *victim = &key_cache[0];

	if (s == NULL) {
		for (size_t i = 0; i < KEY_CACHE_SLOTS; i++)
			if (key_cache[i].used < victim->used)
				victim = &key_cache[i];
		s = victim;
	}
	memcpy(s->hash, hash, sizeof(s->hash));
	s->p = *p;
	s->verified_at = monotonic_now();
	s->used = ++key_clock;
}

void
anx_auth_forget(const char *key_id)
{
	for (size_t i = 0; i < KEY_CACHE_SLOTS; i++)
		if (key_cache[i].hash[0] && strcmp(key_cache[i].p.key_id, key_id) == 0)
			memset(&key_cache[i], 0, sizeof(key_cache[i]));
}

enum anx_err
anx_auth_api_key_cached(struct anx_db *db, const char *authorization, enum anx_scope need,
	struct anx_principal *p, const char **why, int *cached)
{
	char hash[2 + ANX_SHA256_HEX_LEN + 1];
	struct key_slot *s;
	enum anx_err err;

	memset(p, 0, sizeof(*p));
	*cached = 0;
	if (header_key_hash(authorization, hash, why) != 0)
		return ANX_ERR_UNAUTHORIZED;
	s = cache_find(hash);
	/* Past its age the entry is looked up again, which also keeps
	 * last_used_at within a minute or so of the truth. */
	if (s && need == ANX_SCOPE_AGENT &&
		monotonic_now() - s->verified_at < ANX_AUTH_CACHE_SECONDS) {
		*p = s->p;
		s->used = ++key_clock;
		*cached = 1;
		*why = NULL;
		return ANX_OK;
	}
	if ((err = lookup(db, SQL_LOOKUP, hash, need, p, why)) == ANX_OK)
		cache_put(s, hash, p);
	else if (s)
		memset(s, 0, sizeof(*s));
	return err;
}

enum anx_err
anx_auth_reload(struct anx_db *db, enum anx_scope need, struct anx_principal *p, const char **why)
{
	char key_id[sizeof(p->key_id)];

	anx_auth_forget(p->key_id);
	snprintf(key_id, sizeof(key_id), "%s", p->key_id);
	memset(p, 0, sizeof(*p));
	return lookup(db, SQL_RELOAD, key_id, need, p, why);
}
