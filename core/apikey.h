/*
 * apikey.h - API keys: "anx_" followed by 40 random base62 characters
 * (~238 bits). Only SHA-256(key) is stored; the first 12 characters are
 * kept as a display prefix.
 */
#ifndef ANX_APIKEY_H
#define ANX_APIKEY_H

#include <stddef.h>

#include "crypto.h"
#include "db.h"

#define ANX_APIKEY_RANDOM     40
#define ANX_APIKEY_LEN        (4 + ANX_APIKEY_RANDOM)
#define ANX_APIKEY_PREFIX_LEN 12

enum anx_scope {
	ANX_SCOPE_AGENT, /* agent */
	ANX_SCOPE_ADMIN  /* admin */
};

const char *anx_scope_name(enum anx_scope s);
int anx_scope_parse(const char *s, enum anx_scope *out);

/* Generates a key into key (ANX_APIKEY_LEN + 1 bytes). */
int anx_apikey_generate(char *key);

/* 1 if s has the shape of a key (prefix, length, alphabet). */
int anx_apikey_well_formed(const char *s);

/* "\\x<hex of SHA-256(key)>" for a bytea parameter (2 + 64 + 1 bytes). */
void anx_apikey_hash_param(const char *key, char out[2 + ANX_SHA256_HEX_LEN + 1]);

/*
 * Creates a key in workspace_id with scope and label, created by user_id
 * (may be NULL), and records "api_key.created" in the audit log, in one
 * transaction (joins the caller's if one is open). The secret is written
 * to key_out (ANX_APIKEY_LEN + 1) and the new id to id_out (37 bytes).
 */
enum anx_err anx_apikey_create(struct anx_db *db, const char *workspace_id, enum anx_scope scope,
	const char *label, const char *user_id, char *key_out, char *id_out);

/*
 * Revokes key id of workspace_id (effective on the next request) and
 * records "api_key.revoked", in one transaction. ANX_ERR_NOT_FOUND if no
 * such unrevoked key exists in that workspace.
 */
enum anx_err anx_apikey_revoke(
	struct anx_db *db, const char *workspace_id, const char *key_id, const char *user_id);

#endif
