/*
 * account.h - dashboard accounts: sign-up, sign-in with a per-account
 * throttle, password reset by emailed single-use link, password change,
 * and the password policy (NIST SP 800-63B §5.1.1.2: a minimum length, no
 * composition rules, and a check against a list of common passwords).
 *
 * Passwords are hashed with argon2id (password.h). Every path that signs
 * someone in creates a fresh session (session.h); a password change or
 * reset revokes all of the user's sessions first.
 */
#ifndef ANX_ACCOUNT_H
#define ANX_ACCOUNT_H

#include <stddef.h>

#include "db.h"
#include "json.h"
#include "session.h"

#define ANX_RESET_TTL_SECONDS    3600 /* a reset link works for an hour */
#define ANX_RESETS_PER_HOUR      3    /* emails per account per hour */
#define ANX_LOGIN_FREE_FAILURES  4    /* failures before the backoff starts */
#define ANX_LOGIN_BACKOFF_BASE   30   /* seconds locked at the first step */
#define ANX_LOGIN_BACKOFF_MAX    900  /* seconds, at most */
#define ANX_LOGIN_WINDOW_SECONDS 3600 /* failures older than this are forgotten */

/* ---- password policy ---------------------------------------------------- */

enum anx_pw_problem {
	ANX_PW_OK,       /* ok */
	ANX_PW_SHORT,    /* too short */
	ANX_PW_LONG,     /* too long */
	ANX_PW_CONTROL,  /* control characters or invalid UTF-8 */
	ANX_PW_REPEATED, /* one character repeated */
	ANX_PW_COMMON,   /* in (or a trivial variation of) the common list */
	ANX_PW_PERSONAL  /* the email, its local part, the name or the product */
};

/*
 * Checks password against the policy: at least ANX_PASSWORD_MIN
 * characters (code points), at most ANX_PASSWORD_MAX bytes, no control
 * characters, not a single repeated character, not a common password
 * (case-insensitively, also after removing leading/trailing digits and
 * symbols and undoing common letter substitutions such as @→a, 0→o), and
 * not the user's email, email local part or name (either may be NULL).
 */
enum anx_pw_problem anx_password_policy(const char *password, const char *email, const char *name);

/* A sentence telling the person what to do about p. */
const char *anx_pw_problem_message(enum anx_pw_problem p);

/*
 * The common-password list: one password per line, '#' comments, loaded
 * once per process into a sorted array of lowercase strings.
 * anx_common_passwords_load(path) loads path (NULL: ANX_COMMON_PASSWORDS,
 * else $ANX_DATA_DIR/common-passwords.txt, else data/common-passwords.txt
 * next to the template directory, else ./data/common-passwords.txt) and
 * returns the number of entries, or -1. anx_password_is_common() loads
 * on first use; if no list can be read it logs an error once and uses a
 * small built-in list of the worst offenders.
 */
long anx_common_passwords_load(const char *path);
int anx_password_is_common(const char *password);
void anx_common_passwords_free(void);

/* ---- email addresses ---------------------------------------------------- */

/* Trims blanks and lowercases ASCII letters of email into out (cap bytes);
 * returns 0 if the result is a deliverable address (anx_smtp_addr_valid),
 * else -1. */
int anx_email_normalize(const char *email, char *out, size_t cap);

/* ---- sign-up ------------------------------------------------------------ */

struct anx_signup {
	const char *email; /* as typed; normalised here */
	const char *password;
	const char *display_name;   /* may be NULL or "" */
	const char *workspace_name; /* required unless invite_token is set */
	const char *invite_token;   /* join this invitation's workspace instead */
	const char *remote_addr;
	const char *user_agent;
};

struct anx_signup_out {
	char user_id[37];
	char workspace_id[37];
	char session_id[ANX_TOKEN_LEN + 1];
};

/*
 * Creates the account and signs it in. Without an invitation it also
 * creates its first workspace, owned by the new user; with one, the email
 * must be the invited address and the user joins that workspace. Errors:
 * ANX_ERR_VALIDATION (e has one entry per field: email, password,
 * display_name, workspace_name), ANX_ERR_CONFLICT (the email has an
 * account; e says so under "email"), ANX_ERR_NOT_FOUND (the invitation is
 * no longer valid).
 */
enum anx_err anx_account_signup(struct anx_db *db, const struct anx_signup *s, struct anx_verrs *e,
	struct anx_signup_out *out);

/* ---- sign-in ------------------------------------------------------------ */

enum anx_login_status {
	ANX_LOGIN_OK,    /* signed in */
	ANX_LOGIN_BAD,   /* unknown account, disabled, or wrong password */
	ANX_LOGIN_LOCKED /* throttled: retry_after seconds */
};

struct anx_login {
	const char *email;
	const char *password;
	const char *old_session; /* the session id the browser sent, revoked on success */
	const char *remote_addr;
	const char *user_agent;
};

struct anx_login_out {
	enum anx_login_status status;
	long retry_after;
	char user_id[37];
	char session_id[ANX_TOKEN_LEN + 1];
};

/*
 * Signs in. Unknown and disabled accounts cost the same argon2id work as
 * real ones and answer the same, and the throttle is keyed by the account
 * name whether or not it exists, so neither the answer nor the throttle
 * tells which accounts exist. Attempts per account name are serialised
 * (advisory lock), so parallel guesses cannot slip past the backoff.
 * Returns ANX_OK with out->status set, or a database error.
 */
enum anx_err anx_account_login(
	struct anx_db *db, const struct anx_login *in, struct anx_login_out *out);

/* ---- password reset ----------------------------------------------------- */

/*
 * Emails a reset link for email if such an enabled account exists (at
 * most ANX_RESETS_PER_HOUR per hour), through the outbox. Returns ANX_OK
 * whether or not the account exists; ANX_ERR_VALIDATION only if email is
 * not an address at all.
 */
enum anx_err anx_account_forgot(struct anx_db *db, const char *email, const char *remote_addr);

/* The email of the account token resets; ANX_ERR_NOT_FOUND if the link is
 * malformed, unknown, used or expired. */
enum anx_err anx_account_reset_lookup(
	struct anx_db *db, const char *token, char email_out[ANX_EMAIL_MAX + 1]);

/*
 * Sets a new password through reset link token: checks the policy (e,
 * path "password"), marks every open link of the user used, revokes all
 * sessions, clears the sign-in throttle, audits user.password_changed in
 * each of the user's workspaces, and signs in (session_out). Errors:
 * ANX_ERR_NOT_FOUND, ANX_ERR_VALIDATION.
 */
enum anx_err anx_account_reset(struct anx_db *db, const char *token, const char *password,
	const char *remote_addr, const char *user_agent, struct anx_verrs *e,
	char session_out[ANX_TOKEN_LEN + 1]);

/*
 * Changes user_id's password after checking current (throttled like a
 * sign-in: ANX_ERR_RATE_LIMITED with *retry_after). Errors:
 * ANX_ERR_VALIDATION (e: "current_password" wrong, or "password" against
 * the policy or equal to the current one). On success every session of
 * the user is revoked and a new one is written to session_out.
 */
enum anx_err anx_account_change_password(struct anx_db *db, const char *user_id,
	const char *current, const char *password, const char *remote_addr, const char *user_agent,
	struct anx_verrs *e, long *retry_after, char session_out[ANX_TOKEN_LEN + 1]);

#endif
