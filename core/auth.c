/*
 * auth.c - API key authentication; see auth.h.
 */
#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"

static const char SQL_LOOKUP[] =
	"SELECT k.id, k.workspace_id, k.scope, coalesce(k.created_by::text, ''),"
	" k.revoked_at IS NOT NULL, w.archived_at IS NOT NULL,"
	" coalesce(w.current_policy_id::text, ''),"
	" k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds'"
	" FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id WHERE k.key_hash = $1::bytea";
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

int
anx_uuid_v4(char out[37])
{
	unsigned char b[16];
	char hex[33];

	if (anx_random(b, sizeof(b)) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	anx_hex_encode(b, sizeof(b), hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
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

enum anx_err
anx_auth_api_key(struct anx_db *db, const char *authorization, enum anx_scope need,
	struct anx_principal *p, const char **why)
{
	char key[160], hash[2 + ANX_SHA256_HEX_LEN + 1];
	const char *params[1];
	PGresult *res = NULL;
	enum anx_err err;

	memset(p, 0, sizeof(*p));
	*why = "Missing API key: send Authorization: Bearer anx_…";
	if (authorization == NULL || *authorization == '\0')
		return ANX_ERR_UNAUTHORIZED;
	*why = "The API key is invalid or revoked";
	if (bearer_token(authorization, key, sizeof(key)) != 0 || !anx_apikey_well_formed(key)) {
		anx_secure_zero(key, sizeof(key));
		return ANX_ERR_UNAUTHORIZED;
	}
	anx_apikey_hash_param(key, hash);
	anx_secure_zero(key, sizeof(key));
	params[0] = hash;
	if ((err = anx_db_exec(db, SQL_LOOKUP, 1, params, &res)) != ANX_OK)
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
