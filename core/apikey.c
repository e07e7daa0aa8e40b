/*
 * apikey.c - API key generation, hashing and creation; see apikey.h.
 */
#include "apikey.h"

#include <ctype.h>
#include <string.h>

#include "audit.h"

static const char *scope_names[] = {
	"agent", /* ANX_SCOPE_AGENT */
	"admin", /* ANX_SCOPE_ADMIN */
};

const char *
anx_scope_name(enum anx_scope s)
{
	return (unsigned)s < 2 ? scope_names[s] : "agent";
}

int
anx_scope_parse(const char *s, enum anx_scope *out)
{
	for (unsigned i = 0; i < 2; i++)
		if (s && strcmp(s, scope_names[i]) == 0) {
			*out = (enum anx_scope)i;
			return 0;
		}
	return -1;
}

int
anx_apikey_generate(char *key)
{
	memcpy(key, "anx_", 4);
	return anx_random_base62(key + 4, ANX_APIKEY_RANDOM);
}

int
anx_apikey_well_formed(const char *s)
{
	size_t n;

	if (s == NULL || strncmp(s, "anx_", 4) != 0)
		return 0;
	n = strlen(s);
	if (n < 4 + 32 || n > 4 + 128)
		return 0;
	for (size_t i = 4; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

void
anx_apikey_hash_param(const char *key, char out[2 + ANX_SHA256_HEX_LEN + 1])
{
	anx_sha256_bytea(key, strlen(key), out);
}

struct create_ctx {
	const char *workspace_id, *label, *user_id;
	enum anx_scope scope;
	char *key, *id;
};

static const char SQL_INSERT[] =
	"INSERT INTO api_keys (workspace_id, key_hash, prefix, label, scope, created_by)"
	" VALUES ($1, $2::bytea, $3, $4, $5, $6) RETURNING id";

static enum anx_err
create_tx(struct anx_db *db, void *arg)
{
	struct create_ctx *c = arg;
	char hash[2 + ANX_SHA256_HEX_LEN + 1], prefix[ANX_APIKEY_PREFIX_LEN + 1];
	const char *params[6];
	json_object *data;
	enum anx_err err;

	anx_apikey_hash_param(c->key, hash);
	memcpy(prefix, c->key, ANX_APIKEY_PREFIX_LEN);
	prefix[ANX_APIKEY_PREFIX_LEN] = '\0';
	params[0] = c->workspace_id;
	params[1] = hash;
	params[2] = prefix;
	params[3] = c->label;
	params[4] = anx_scope_name(c->scope);
	params[5] = c->user_id;
	if ((err = anx_db_value(db, SQL_INSERT, 6, params, c->id, 37)) != ANX_OK)
		return err;
	if ((data = json_object_new_object()) == NULL)
		return ANX_ERR_NOMEM;
	json_object_object_add(data, "prefix", json_object_new_string(prefix));
	json_object_object_add(data, "label", json_object_new_string(c->label));
	json_object_object_add(data, "scope", json_object_new_string(anx_scope_name(c->scope)));
	err = anx_audit_record(db, c->workspace_id, c->user_id ? "user" : "system", c->user_id,
		"api_key.created", "api_key", c->id, data);
	json_object_put(data);
	return err;
}

enum anx_err
anx_apikey_create(struct anx_db *db, const char *workspace_id, enum anx_scope scope,
	const char *label, const char *user_id, char *key_out, char *id_out)
{
	struct create_ctx c = { workspace_id, label, user_id, scope, key_out, id_out };
	enum anx_err err;

	if (anx_apikey_generate(key_out) != 0)
		return ANX_ERR_INTERNAL;
	err = anx_db_tx(db, create_tx, &c);
	if (err != ANX_OK)
		anx_secure_zero(key_out, ANX_APIKEY_LEN + 1);
	return err;
}

struct revoke_ctx {
	const char *workspace_id, *key_id, *user_id;
};

static const char SQL_REVOKE[] =
	"UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND workspace_id = $2"
	" AND revoked_at IS NULL RETURNING prefix";

static enum anx_err
revoke_tx(struct anx_db *db, void *arg)
{
	struct revoke_ctx *c = arg;
	const char *params[2] = { c->key_id, c->workspace_id };
	char prefix[ANX_APIKEY_PREFIX_LEN + 8];
	json_object *data;
	enum anx_err err;

	if ((err = anx_db_value(db, SQL_REVOKE, 2, params, prefix, sizeof(prefix))) != ANX_OK)
		return err;
	data = json_object_new_object();
	json_object_object_add(data, "prefix", json_object_new_string(prefix));
	err = anx_audit_record(db, c->workspace_id, c->user_id ? "user" : "system", c->user_id,
		"api_key.revoked", "api_key", c->key_id, data);
	json_object_put(data);
	return err;
}

enum anx_err
anx_apikey_revoke(
	struct anx_db *db, const char *workspace_id, const char *key_id, const char *user_id)
{
	struct revoke_ctx c = { workspace_id, key_id, user_id };

	return anx_db_tx(db, revoke_tx, &c);
}
