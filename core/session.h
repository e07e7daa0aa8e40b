/*
 * session.h - dashboard sessions in PostgreSQL (sql/0006_sessions.sql).
 *
 * A session id is 256 random bits, sent to the browser as 64 lowercase hex
 * characters in an HttpOnly, SameSite=Lax cookie (Secure in production);
 * the database keeps only SHA-256(id). A session ends at its absolute
 * expiry, after ANX_SESSION_IDLE_SECONDS without a request, or when it is
 * revoked (logout, password change or reset). Signing in always creates a
 * new id (no fixation) and revokes the one the browser presented.
 *
 * The same 64-hex shape ("secret token") serves the password reset and
 * invitation links; the helpers for it live here.
 */
#ifndef ANX_SESSION_H
#define ANX_SESSION_H

#include <stddef.h>

#include "db.h"

#define ANX_TOKEN_BYTES      32                    /* 256 bits */
#define ANX_TOKEN_LEN        (2 * ANX_TOKEN_BYTES) /* hex characters */
#define ANX_TOKEN_HASH_PARAM (2 + 64 + 1)          /* "\\x" + hex SHA-256 + NUL */

#define ANX_SESSION_IDLE_SECONDS     (8L * 3600)      /* 8 hours without a request */
#define ANX_SESSION_ABSOLUTE_SECONDS (7L * 24 * 3600) /* 7 days at most */
#define ANX_SESSION_TOUCH_SECONDS    60               /* last_seen_at granularity */

#define ANX_EMAIL_MAX        254
#define ANX_DISPLAY_NAME_MAX 100 /* characters */
#define ANX_FLASH_MAX        500 /* characters */

/* Cookie names: the __Host- prefix (RFC 6265bis §4.1.3.2) pins a cookie to
 * this host, path / and Secure; browsers only accept it over HTTPS, so it
 * is used in production only. */
#define ANX_SESSION_COOKIE           "anx_session"
#define ANX_SESSION_COOKIE_SECURE    "__Host-anx_session"
#define ANX_PRESESSION_COOKIE        "anx_csrf"
#define ANX_PRESESSION_COOKIE_SECURE "__Host-anx_csrf"

/* A live session as loaded for one request. Strings are NUL-terminated;
 * id is the secret from the cookie (zeroed by anx_session_clear). */
struct anx_session {
	char id[ANX_TOKEN_LEN + 1];
	char user_id[37];
	char email[ANX_EMAIL_MAX + 1];
	char display_name[4 * ANX_DISPLAY_NAME_MAX + 1];
	char workspace_id[37]; /* "" when none chosen */
	char flash_kind[8];    /* "" when no flash */
	char flash[4 * ANX_FLASH_MAX + 1];
	long expires_in; /* seconds until the absolute expiry */
};

/* Writes a fresh secret token (64 lowercase hex) into out. 0 or -1. */
int anx_token_new(char out[ANX_TOKEN_LEN + 1]);

/* 1 if s is exactly 64 lowercase hex characters. */
int anx_token_valid(const char *s);

/* "\\x<hex SHA-256(token)>" for a bytea parameter. */
void anx_token_hash_param(const char *token, char out[ANX_TOKEN_HASH_PARAM]);

/* The cookie names for this environment. */
const char *anx_session_cookie_name(int production);
const char *anx_presession_cookie_name(int production);

/*
 * Builds a Set-Cookie value into out (size n): "name=value; Path=/;
 * Max-Age=N; HttpOnly; SameSite=Lax" plus "; Secure" when secure. max_age
 * < 0 omits Max-Age (a browser-session cookie); 0 deletes the cookie.
 * name and value must be cookie-safe (token / cookie-octet, RFC 6265
 * §4.1.1). Returns 0, or -1 if unsafe or it does not fit.
 */
int anx_cookie_build(
	char *out, size_t n, const char *name, const char *value, long max_age, int secure);

/*
 * Creates a session for user_id (current workspace workspace_id, may be
 * NULL) and writes its id into id_out. remote_addr and user_agent (may be
 * NULL) are kept for the user's information. Joins the caller's
 * transaction if one is open.
 */
enum anx_err anx_session_create(struct anx_db *db, const char *user_id, const char *workspace_id,
	const char *remote_addr, const char *user_agent, char id_out[ANX_TOKEN_LEN + 1]);

/*
 * Loads the live session whose id is id (the cookie value) into out and
 * refreshes its last_seen_at when older than ANX_SESSION_TOUCH_SECONDS.
 * ANX_ERR_NOT_FOUND when id is malformed, unknown, expired, idle too long
 * or revoked, or the user is disabled.
 */
enum anx_err anx_session_load(struct anx_db *db, const char *id, struct anx_session *out);

/* Revokes session id (no-op if unknown). */
enum anx_err anx_session_revoke(struct anx_db *db, const char *id);

/* Revokes every live session of user_id; joins the caller's transaction. */
enum anx_err anx_session_revoke_user(struct anx_db *db, const char *user_id);

/* Sets the session's current workspace (NULL or "" clears it). */
enum anx_err anx_session_set_workspace(struct anx_db *db, const char *id, const char *workspace_id);

/* Stores a one-shot message (kind success|error|info; message truncated
 * to ANX_FLASH_MAX characters) shown on the next page. */
enum anx_err anx_session_set_flash(
	struct anx_db *db, const char *id, const char *kind, const char *message);

/* Clears the flash if it is still message (a newer one is kept). */
enum anx_err anx_session_clear_flash(struct anx_db *db, const char *id, const char *message);

/* Zeroes the secret in s. */
void anx_session_clear(struct anx_session *s);

#endif
