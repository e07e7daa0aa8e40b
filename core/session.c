/*
 * session.c - dashboard sessions and secret tokens; see session.h.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int
anx_token_new(char out[ANX_TOKEN_LEN + 1])
{
	return anx_random_hex(out, ANX_TOKEN_BYTES);
}

int
anx_token_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < ANX_TOKEN_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

void
anx_token_hash_param(const char *token, char out[ANX_TOKEN_HASH_PARAM])
{
	if (anx_sha256_bytea(token, strlen(token), out) != 0)
		out[2] = '\0'; /* never matches a 32-byte hash */
}

const char *
anx_session_cookie_name(int production)
{
	return production ? ANX_SESSION_COOKIE_SECURE : ANX_SESSION_COOKIE;
}

const char *
anx_presession_cookie_name(int production)
{
	return production ? ANX_PRESESSION_COOKIE_SECURE : ANX_PRESESSION_COOKIE;
}

/* RFC 6265 §4.1.1: a cookie name is an RFC 7230 token. */
static int
cookie_name_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *s))
			return 0;
	return 1;
}

/* RFC 6265 §4.1.1 cookie-octet: printable ASCII but '"', ',', ';', '\\'. */
static int
cookie_value_ok(const char *s)
{
	if (s == NULL)
		return 0;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == ',' || *s == ';' || *s == '\\')
			return 0;
	return 1;
}

int
anx_cookie_build(char *out, size_t n, const char *name, const char *value, long max_age, int secure)
{
	char age[32] = "";
	int w;

	if (!cookie_name_ok(name) || !cookie_value_ok(value))
		return -1;
	if (max_age >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%ld", max_age);
	w = snprintf(out, n, "%s=%s; Path=/%s; HttpOnly; SameSite=Lax%s", name, value, age,
		secure ? "; Secure" : "");
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static const char SQL_CREATE[] =
	"INSERT INTO sessions (id_hash, user_id, expires_at, workspace_id, user_agent, remote_addr)"
	" VALUES ($1::bytea, $2, now() + $3::int * interval '1 second', NULLIF($4, '')::uuid,"
	" left($5, 300), left($6, 64))";

enum anx_err
anx_session_create(struct anx_db *db, const char *user_id, const char *workspace_id,
	const char *remote_addr, const char *user_agent, char id_out[ANX_TOKEN_LEN + 1])
{
	char hash[ANX_TOKEN_HASH_PARAM], life[24];
	const char *p[6];
	enum anx_err err;

	if (anx_token_new(id_out) != 0)
		return ANX_ERR_INTERNAL;
	anx_token_hash_param(id_out, hash);
	snprintf(life, sizeof(life), "%ld", ANX_SESSION_ABSOLUTE_SECONDS);
	p[0] = hash;
	p[1] = user_id;
	p[2] = life;
	p[3] = workspace_id ? workspace_id : "";
	p[4] = user_agent;
	p[5] = remote_addr;
	if ((err = anx_db_exec(db, SQL_CREATE, 6, p, NULL)) != ANX_OK)
		anx_secure_zero(id_out, ANX_TOKEN_LEN + 1);
	return err;
}

static const char SQL_LOAD[] =
	"SELECT s.user_id, u.email, u.display_name, coalesce(s.workspace_id::text, ''),"
	" coalesce(s.flash_kind, ''), coalesce(s.flash, ''),"
	" s.last_seen_at < now() - $3::int * interval '1 second',"
	" floor(extract(epoch FROM s.expires_at - now()))::bigint"
	" FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.id_hash = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now()"
	" AND s.last_seen_at > now() - $2::int * interval '1 second' AND u.disabled_at IS NULL";
static const char SQL_TOUCH[] =
	"UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1::bytea";

/* Copies at most cap-1 bytes of s, never splitting a UTF-8 sequence. */
static void
copy_utf8(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

enum anx_err
anx_session_load(struct anx_db *db, const char *id, struct anx_session *out)
{
	char hash[ANX_TOKEN_HASH_PARAM], idle[24], touch[24];
	const char *p[3];
	PGresult *res = NULL;
	enum anx_err err;

	memset(out, 0, sizeof(*out));
	if (!anx_token_valid(id))
		return ANX_ERR_NOT_FOUND;
	anx_token_hash_param(id, hash);
	snprintf(idle, sizeof(idle), "%ld", ANX_SESSION_IDLE_SECONDS);
	snprintf(touch, sizeof(touch), "%d", ANX_SESSION_TOUCH_SECONDS);
	p[0] = hash;
	p[1] = idle;
	p[2] = touch;
	if ((err = anx_db_exec(db, SQL_LOAD, 3, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		err = ANX_ERR_NOT_FOUND;
		goto out;
	}
	memcpy(out->id, id, ANX_TOKEN_LEN + 1);
	copy_utf8(out->user_id, sizeof(out->user_id), PQgetvalue(res, 0, 0));
	copy_utf8(out->email, sizeof(out->email), PQgetvalue(res, 0, 1));
	copy_utf8(out->display_name, sizeof(out->display_name), PQgetvalue(res, 0, 2));
	copy_utf8(out->workspace_id, sizeof(out->workspace_id), PQgetvalue(res, 0, 3));
	copy_utf8(out->flash_kind, sizeof(out->flash_kind), PQgetvalue(res, 0, 4));
	copy_utf8(out->flash, sizeof(out->flash), PQgetvalue(res, 0, 5));
	out->expires_in = strtol(PQgetvalue(res, 0, 7), NULL, 10);
	if (strcmp(PQgetvalue(res, 0, 6), "t") == 0)
		err = anx_db_exec(db, SQL_TOUCH, 1, p, NULL);
out:
	PQclear(res);
	if (err != ANX_OK)
		anx_session_clear(out);
	return err;
}

static const char SQL_REVOKE[] =
	"UPDATE sessions SET revoked_at = now(), flash = NULL, flash_kind = NULL"
	" WHERE id_hash = $1::bytea AND revoked_at IS NULL";
static const char SQL_REVOKE_USER[] =
	"UPDATE sessions SET revoked_at = now(), flash = NULL, flash_kind = NULL"
	" WHERE user_id = $1 AND revoked_at IS NULL";

enum anx_err
anx_session_revoke(struct anx_db *db, const char *id)
{
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[1] = { hash };

	if (!anx_token_valid(id))
		return ANX_OK;
	anx_token_hash_param(id, hash);
	return anx_db_exec(db, SQL_REVOKE, 1, p, NULL);
}

enum anx_err
anx_session_revoke_user(struct anx_db *db, const char *user_id)
{
	const char *p[1] = { user_id };

	return anx_db_exec(db, SQL_REVOKE_USER, 1, p, NULL);
}

static const char SQL_SET_WS[] =
	"UPDATE sessions SET workspace_id = NULLIF($2, '')::uuid WHERE id_hash = $1::bytea";

enum anx_err
anx_session_set_workspace(struct anx_db *db, const char *id, const char *workspace_id)
{
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[2] = { hash, workspace_id ? workspace_id : "" };

	if (!anx_token_valid(id))
		return ANX_ERR_NOT_FOUND;
	anx_token_hash_param(id, hash);
	return anx_db_exec(db, SQL_SET_WS, 2, p, NULL);
}

static const char SQL_SET_FLASH[] =
	"UPDATE sessions SET flash_kind = $2, flash = left($3, 500) WHERE id_hash = $1::bytea";
static const char SQL_CLEAR_FLASH[] = "UPDATE sessions SET flash_kind = NULL, flash = NULL"
				      " WHERE id_hash = $1::bytea AND flash = left($2, 500)";

enum anx_err
anx_session_set_flash(struct anx_db *db, const char *id, const char *kind, const char *message)
{
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[3] = { hash, kind, message };

	if (!anx_token_valid(id))
		return ANX_ERR_NOT_FOUND;
	if (strcmp(kind, "success") != 0 && strcmp(kind, "error") != 0 && strcmp(kind, "info") != 0)
		p[1] = "info";
	anx_token_hash_param(id, hash);
	return anx_db_exec(db, SQL_SET_FLASH, 3, p, NULL);
}

enum anx_err
anx_session_clear_flash(struct anx_db *db, const char *id, const char *message)
{
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[2] = { hash, message };

	if (!anx_token_valid(id))
		return ANX_ERR_NOT_FOUND;
	anx_token_hash_param(id, hash);
	return anx_db_exec(db, SQL_CLEAR_FLASH, 2, p, NULL);
}

void
anx_session_clear(struct anx_session *s)
{
	anx_secure_zero(s->id, sizeof(s->id));
}
