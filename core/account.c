/*
 * account.c - sign-up, sign-in with throttle, password reset and change,
 * and the password policy; see account.h.
 */
#include "account.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "mail.h"
#include "password.h"
#include "smtp.h"
#include "timeutil.h"
#include "workspace.h"

#define COMMON_FILE      "common-passwords.txt"
#define COMMON_MAX_BYTES (8 * 1024 * 1024)

/* ---- the common-password list ------------------------------------------ */

static struct {
	char *blob;         /* the file's bytes, lines NUL-terminated in place */
	const char **items; /* sorted, lowercase, unique */
	size_t n;
	int owned; /* items is malloc'd (not the built-in list) */
	int tried; /* a load was attempted */
} common;

/* Used only when no list file can be read: the worst offenders of every
 * published list, long enough to pass the length rule. */
static const char *const builtin_common[] = {
	"0123456789",
	"1111111111",
	"1234567890",
	"12345678910",
	"1q2w3e4r5t",
	"1qaz2wsx3edc",
	"abc1234567",
	"abcdefghij",
	"administrator",
	"asdfghjkl;",
	"baseball123",
	"changeme123",
	"football123",
	"iloveyou123",
	"letmein123",
	"password01",
	"password1",
	"password12",
	"password123",
	"password1234",
	"password2024",
	"password2025",
	"passw0rd123",
	"qwerty1234",
	"qwerty12345",
	"qwerty123456",
	"qwertyuiop",
	"welcome123",
	"zaq12wsx",
};

static int
cmp_pstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

void
anx_common_passwords_free(void)
{
	if (common.owned)
		free(common.items);
	free(common.blob);
	memset(&common, 0, sizeof(common));
}

/* Reads path whole into a new buffer (NUL-terminated); NULL on error. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			char *nb;

			if (cap >= COMMON_MAX_BYTES)
				goto fail;
			cap = cap ? cap * 2 : 131072;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

/* The list's path when none is given; see account.h. */
static const char *
default_path(char *buf, size_t n)
{
	const char *v;
	int w;

	if ((v = getenv("ANX_COMMON_PASSWORDS")) != NULL && *v)
		return v;
	if ((v = getenv("ANX_DATA_DIR")) != NULL && *v) {
		w = snprintf(buf, n, "%s/" COMMON_FILE, v);
		return w > 0 && (size_t)w < n ? buf : NULL;
	}
	if (anx_cfg.template_dir != NULL) {
		w = snprintf(buf, n, "%s/../data/" COMMON_FILE, anx_cfg.template_dir);
		if (w > 0 && (size_t)w < n) {
			FILE *f = fopen(buf, "rb");

			if (f != NULL) {
				fclose(f);
				return buf;
			}
		}
	}
	return "data/" COMMON_FILE;
}

long
anx_common_passwords_load(const char *path)
{
	char pbuf[4096], *blob, *line, *next;
	const char **items;
	size_t len, lines = 0, n = 0, k = 0;

	if (path == NULL && (path = default_path(pbuf, sizeof(pbuf))) == NULL)
		return -1;
	if ((blob = slurp(path, &len)) == NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		lines += blob[i] == '\n';
	if ((items = calloc(lines + 1, sizeof(*items))) == NULL) {
		free(blob);
		return -1;
	}
	for (line = blob; line != NULL && *line; line = next) {
		size_t l;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		l = strlen(line);
		while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#' || l > ANX_PASSWORD_MAX || n == lines + 1)
			continue;
		ascii_lower(line);
		items[n++] = line;
	}
	qsort(items, n, sizeof(*items), cmp_pstr);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || strcmp(items[i], items[k - 1]) != 0)
			items[k++] = items[i];
	anx_common_passwords_free();
	common.blob = blob;
	common.items = items;
	common.n = k;
	common.owned = 1;
	common.tried = 1;
	return (long)k;
}

static void
ensure_loaded(void)
{
	static const char *sorted[sizeof(builtin_common) / sizeof(builtin_common[0])];

	if (common.tried)
		return;
	common.tried = 1;
	if (anx_common_passwords_load(NULL) >= 0)
		return;
	anx_log(ANX_LOG_ERROR, "common_passwords_missing",
		LF_STR("hint", "set ANX_DATA_DIR to the directory of common-passwords.txt"),
		LF_STR("error", strerror(errno)), ANX_LF_END);
	memcpy(sorted, builtin_common, sizeof(sorted));
	qsort(sorted, sizeof(sorted) / sizeof(sorted[0]), sizeof(sorted[0]), cmp_pstr);
	common.items = sorted;
	common.n = sizeof(sorted) / sizeof(sorted[0]);
	common.tried = 1;
}

/* Exact lookup of an already lowercased candidate. */
static int
in_list(const char *lower)
{
	if (*lower == '\0' || common.n == 0)
		return 0;
	return bsearch(&lower, common.items, common.n, sizeof(*common.items), cmp_pstr) != NULL;
}

int
anx_password_is_common(const char *password)
{
	char low[ANX_PASSWORD_MAX + 1];
	size_t n;

	if (password == NULL || (n = strlen(password)) > ANX_PASSWORD_MAX)
		return 0;
	ensure_loaded();
	memcpy(low, password, n + 1);
	ascii_lower(low);
	return in_list(low);
}

/* ---- password policy ---------------------------------------------------- */

static const char *const pw_messages[] = {
	"", /* ANX_PW_OK */
	"Use at least 10 characters. A few unrelated words make a strong password that is easy to "
	"remember.",                                                         /* ANX_PW_SHORT */
	"Use at most 256 characters.",                                       /* ANX_PW_LONG */
	"Passwords can't contain control characters.",                       /* ANX_PW_CONTROL */
	"Don't repeat a single character. A few unrelated words work well.", /* ANX_PW_REPEATED */
	"This password is too common: it is one of the first that attackers try. Choose something "
	"less predictable.", /* ANX_PW_COMMON */
	"Don't use your email address, your name or the product name as your password.", /* ANX_PW_PERSONAL */
};

const char *
anx_pw_problem_message(enum anx_pw_problem p)
{
	return (unsigned)p <= ANX_PW_PERSONAL ? pw_messages[p] : "";
}

static int
is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || c >= 0x80;
}

/* Copies the letters-bounded core of lower (leading and trailing digits,
 * blanks and symbols removed) into out. */
static void
strip_affixes(const char *lower, char *out)
{
	size_t a = 0, b = strlen(lower);

	while (a < b && !is_letter((unsigned char)lower[a]))
		a++;
	while (b > a && !is_letter((unsigned char)lower[b - 1]))
		b--;
	memcpy(out, lower + a, b - a);
	out[b - a] = '\0';
}

/* Undoes the usual substitutions (p@ssw0rd); one_as is 'i' or 'l'. */
static void
unleet(const char *in, char *out, char one_as)
{
	for (; *in; in++, out++) {
		switch (*in) {
		case '@':
		case '4': *out = 'a'; break;
		case '0': *out = 'o'; break;
		case '1':
		case '!': *out = one_as; break;
		case '3': *out = 'e'; break;
		case '5':
		case '$': *out = 's'; break;
		case '7':
		case '+': *out = 't'; break;
		default: *out = *in; break;
		}
	}
	*out = '\0';
}

/* 1 if lower, its core, or their un-substituted forms are common. */
static int
common_variant(const char *lower)
{
	char core[ANX_PASSWORD_MAX + 1], alt[ANX_PASSWORD_MAX + 1];

	ensure_loaded();
	if (in_list(lower))
		return 1;
	unleet(lower, alt, 'i');
	if (in_list(alt))
		return 1;
	unleet(lower, alt, 'l');
	if (in_list(alt))
		return 1;
	strip_affixes(lower, core);
	if (in_list(core))
		return 1;
	unleet(core, alt, 'i');
	if (in_list(alt))
		return 1;
	unleet(core, alt, 'l');
	return in_list(alt);
}

/* Lowercases s without blanks into out (cap bytes). */
static void
squash(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; s && *s && n + 1 < cap; s++)
		if (*s != ' ' && *s != '\t')
			out[n++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
	out[n] = '\0';
}

enum anx_pw_problem
anx_password_policy(const char *password, const char *email, const char *name)
{
	char lower[ANX_PASSWORD_MAX + 1], core[ANX_PASSWORD_MAX + 1], mine[512], local[256];
	const unsigned char *p = (const unsigned char *)password;
	size_t bytes, chars = 0, firstlen;
	int repeated = 1;

	if (password == NULL)
		return ANX_PW_SHORT;
	bytes = strlen(password);
	if (bytes > ANX_PASSWORD_MAX)
		return ANX_PW_LONG;
	if (!anx_utf8_valid(password, bytes))
		return ANX_PW_CONTROL;
	for (size_t i = 0; i < bytes; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return ANX_PW_CONTROL;
		chars += (p[i] & 0xc0) != 0x80;
	}
	if (chars < ANX_PASSWORD_MIN)
		return ANX_PW_SHORT;
	/* one code point repeated: every code point equals the first */
	for (firstlen = 1; firstlen < bytes && (p[firstlen] & 0xc0) == 0x80; firstlen++)
		;
	for (size_t i = 0; i < bytes; i += firstlen)
		if (i + firstlen > bytes || memcmp(p + i, p, firstlen) != 0) {
			repeated = 0;
			break;
		}
	if (repeated)
		return ANX_PW_REPEATED;
	memcpy(lower, password, bytes + 1);
	ascii_lower(lower);
	strip_affixes(lower, core);
	if (strcmp(core, "agentnexus") == 0)
		return ANX_PW_PERSONAL;
	if (email != NULL && *email) {
		squash(email, mine, sizeof(mine));
		if (strcmp(lower, mine) == 0)
			return ANX_PW_PERSONAL;
		snprintf(local, sizeof(local), "%.*s", (int)strcspn(mine, "@"), mine);
		if (strlen(local) >= 3 && (strcmp(lower, local) == 0 || strcmp(core, local) == 0))
			return ANX_PW_PERSONAL;
	}
	if (name != NULL && *name) {
		squash(name, mine, sizeof(mine));
		squash(lower, local, sizeof(local));
		if (strlen(mine) >= 3 && (strcmp(local, mine) == 0 || strcmp(core, mine) == 0))
			return ANX_PW_PERSONAL;
	}
	if (common_variant(lower))
		return ANX_PW_COMMON;
	return ANX_PW_OK;
}

/* ---- email -------------------------------------------------------------- */

int
anx_email_normalize(const char *email, char *out, size_t cap)
{
	size_t a = 0, b;

	if (email == NULL || cap == 0)
		return -1;
	out[0] = '\0';
	b = strlen(email);
	while (a < b && (email[a] == ' ' || email[a] == '\t'))
		a++;
	while (b > a && (email[b - 1] == ' ' || email[b - 1] == '\t'))
		b--;
	if (b - a > ANX_EMAIL_MAX || b - a + 1 > cap)
		return -1;
	memcpy(out, email + a, b - a);
	out[b - a] = '\0';
	ascii_lower(out);
	return anx_smtp_addr_valid(out) ? 0 : -1;
}

/* ---- shared pieces ------------------------------------------------------ */

/* "\\x" + hex SHA-256 of the lowercased account name, and the hex alone
 * (for the advisory lock key). */
static void
account_key(const char *email, char param[ANX_TOKEN_HASH_PARAM], char hex[65])
{
	char low[ANX_EMAIL_MAX + 1];

	snprintf(low, sizeof(low), "%s", email);
	ascii_lower(low);
	if (anx_sha256_bytea(low, strlen(low), param) != 0)
		param[2] = '\0';
	memcpy(hex, param + 2, 65);
}

static const char SQL_LOCK_ACCOUNT[] = "SELECT pg_advisory_xact_lock(hashtextextended($1, 7311))";
static const char SQL_THROTTLE_LOCKED[] =
	"SELECT ceil(extract(epoch FROM locked_until - now()))::bigint FROM login_throttle"
	" WHERE account_hash = $1::bytea AND locked_until > now()";
static const char SQL_THROTTLE_FAIL[] =
	"WITH cur AS (SELECT CASE WHEN last_failure_at < now() - $2::int * interval '1 second'"
	" THEN 0 ELSE failures END AS f FROM login_throttle WHERE account_hash = $1::bytea),"
	" n AS (SELECT coalesce((SELECT f FROM cur), 0) + 1 AS f)"
	" INSERT INTO login_throttle (account_hash, failures, last_failure_at, locked_until)"
	" SELECT $1::bytea, n.f, now(), CASE WHEN n.f > $3::int THEN now() + least($5::int,"
	" $4::int * (1 << least(n.f - $3::int - 1, 16))) * interval '1 second' END FROM n"
	" ON CONFLICT (account_hash) DO UPDATE SET failures = EXCLUDED.failures,"
	" last_failure_at = EXCLUDED.last_failure_at, locked_until = EXCLUDED.locked_until"
	" RETURNING failures";
static const char SQL_THROTTLE_CLEAR[] =
	"DELETE FROM login_throttle WHERE account_hash = $1::bytea";

/* Serialises attempts on one account name and reports a lock. */
static enum anx_err
throttle_begin(struct anx_db *db, const char *param, const char *hex, long *retry_after)
{
	const char *p[1] = { hex };
	char v[24];
	enum anx_err err;

	*retry_after = 0;
	if ((err = anx_db_exec(db, SQL_LOCK_ACCOUNT, 1, p, NULL)) != ANX_OK)
		return err;
	p[0] = param;
	err = anx_db_value(db, SQL_THROTTLE_LOCKED, 1, p, v, sizeof(v));
	if (err == ANX_ERR_NOT_FOUND)
		return ANX_OK;
	if (err != ANX_OK)
		return err;
	*retry_after = atol(v) > 0 ? atol(v) : 1;
	return ANX_OK;
}

static enum anx_err
throttle_fail(struct anx_db *db, const char *param, long *failures)
{
	char window[16], free_[16], base[16], max[16], v[24];
	const char *p[5] = { param, window, free_, base, max };
	enum anx_err err;

	snprintf(window, sizeof(window), "%d", ANX_LOGIN_WINDOW_SECONDS);
	snprintf(free_, sizeof(free_), "%d", ANX_LOGIN_FREE_FAILURES);
	snprintf(base, sizeof(base), "%d", ANX_LOGIN_BACKOFF_BASE);
	snprintf(max, sizeof(max), "%d", ANX_LOGIN_BACKOFF_MAX);
	if ((err = anx_db_value(db, SQL_THROTTLE_FAIL, 5, p, v, sizeof(v))) != ANX_OK)
		return err;
	*failures = atol(v);
	return ANX_OK;
}

static enum anx_err
throttle_clear(struct anx_db *db, const char *param)
{
	const char *p[1] = { param };

	return anx_db_exec(db, SQL_THROTTLE_CLEAR, 1, p, NULL);
}

/* An argon2id hash of nothing anyone knows, so unknown accounts cost the
 * same verification work as real ones. */
static const char *
dummy_hash(void)
{
	static char hash[ANX_PASSWORD_HASH_MAX];
	char pw[33];

	if (hash[0] == '\0') {
		if (anx_random_hex(pw, 16) != 0 || anx_password_hash(pw, hash, sizeof(hash)) != 0)
			hash[0] = '\0';
		anx_secure_zero(pw, sizeof(pw));
	}
	return hash;
}

static const char SQL_USER_WORKSPACES[] =
	"SELECT workspace_id FROM workspace_members WHERE user_id = $1";

/* Audits event about user_id in each of their workspaces. */
static enum anx_err
audit_everywhere(struct anx_db *db, const char *user_id, const char *event, const char *via)
{
	const char *p[1] = { user_id };
	PGresult *res;
	json_object *d;
	enum anx_err err;

	if ((err = anx_db_exec(db, SQL_USER_WORKSPACES, 1, p, &res)) != ANX_OK)
		return err;
	d = json_object_new_object();
	json_object_object_add(d, "via", json_object_new_string(via));
	for (int r = 0; r < PQntuples(res) && err == ANX_OK; r++)
		err = anx_audit_record(
			db, PQgetvalue(res, r, 0), "user", user_id, event, "user", user_id, d);
	json_object_put(d);
	PQclear(res);
	return err;
}

static const char SQL_SESSIONS_TIDY[] =
	"DELETE FROM sessions WHERE user_id = $1 AND (expires_at < now()"
	" OR revoked_at < now() - interval '1 day'"
	" OR last_seen_at < now() - $2::int * interval '1 second')";

/* Drops the user's dead sessions so the table stays small without cron. */
static enum anx_err
sessions_tidy(struct anx_db *db, const char *user_id)
{
	char idle[24];
	const char *p[2] = { user_id, idle };

	snprintf(idle, sizeof(idle), "%ld", ANX_SESSION_IDLE_SECONDS + 86400);
	return anx_db_exec(db, SQL_SESSIONS_TIDY, 2, p, NULL);
}

/* ---- sign-up ------------------------------------------------------------ */

static const char SQL_USER_INSERT[] =
	"INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id";

struct signup_ctx {
	const struct anx_signup *s;
	const char *email, *hash;
	struct anx_signup_out *out;
	int invite_mismatch;
};

static enum anx_err
signup_tx(struct anx_db *db, void *arg)
{
	struct signup_ctx *c = arg;
	const char *p[3] = { c->email, c->s->display_name ? c->s->display_name : "", c->hash };
	enum anx_err err;
	int already = 0;

	if ((err = anx_db_value(db, SQL_USER_INSERT, 3, p, c->out->user_id, 37)) != ANX_OK)
		return err;
	if (c->s->invite_token != NULL) {
		err = anx_invite_accept(
			db, c->s->invite_token, c->out->user_id, c->out->workspace_id, &already);
		if (err == ANX_ERR_FORBIDDEN)
			c->invite_mismatch = 1;
	} else
		err = anx_ws_create(
			db, c->out->user_id, c->s->workspace_name, c->out->workspace_id);
	if (err != ANX_OK)
		return err;
	return anx_session_create(db, c->out->user_id, c->out->workspace_id, c->s->remote_addr,
		c->s->user_agent, c->out->session_id);
}

enum anx_err
anx_account_signup(struct anx_db *db, const struct anx_signup *s, struct anx_verrs *e,
	struct anx_signup_out *out)
{
	char email[ANX_EMAIL_MAX + 1], hash[ANX_PASSWORD_HASH_MAX];
	struct signup_ctx c = { s, email, hash, out, 0 };
	enum anx_pw_problem pw;
	const char *why;
	enum anx_err err;

	memset(out, 0, sizeof(*out));
	if (anx_email_normalize(s->email, email, sizeof(email)) != 0)
		anx_verrs_add(e, "email", "Enter an email address like name@example.com.");
	if ((why = anx_display_name_problem(s->display_name)) != NULL)
		anx_verrs_add(e, "display_name", "%s", why);
	if (s->invite_token == NULL && (why = anx_ws_name_problem(s->workspace_name)) != NULL)
		anx_verrs_add(e, "workspace_name", "%s", why);
	if ((pw = anx_password_policy(s->password, email, s->display_name)) != ANX_PW_OK)
		anx_verrs_add(e, "password", "%s", anx_pw_problem_message(pw));
	if (e->n > 0)
		return ANX_ERR_VALIDATION;
	if (anx_password_hash(s->password, hash, sizeof(hash)) != 0)
		return ANX_ERR_INTERNAL;
	err = anx_db_tx(db, signup_tx, &c);
	anx_secure_zero(hash, sizeof(hash));
	if (err == ANX_ERR_CONFLICT)
		anx_verrs_add(e, "email",
			"An account with this email already exists. Sign in, or reset your "
			"password.");
	if (c.invite_mismatch) {
		anx_verrs_add(e, "email", "Use the address the invitation was sent to.");
		err = ANX_ERR_VALIDATION;
	}
	if (err != ANX_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

/* ---- sign-in ------------------------------------------------------------ */

static const char SQL_LOGIN_USER[] = "SELECT id, password_hash, disabled_at IS NOT NULL FROM users"
				     " WHERE lower(email) = lower($1)";
static const char SQL_REHASH[] = "UPDATE users SET password_hash = $2 WHERE id = $1";

struct login_ctx {
	const struct anx_login *in;
	struct anx_login_out *out;
	char param[ANX_TOKEN_HASH_PARAM], hex[65];
};

static enum anx_err
login_tx(struct anx_db *db, void *arg)
{
	struct login_ctx *c = arg;
	char newhash[ANX_PASSWORD_HASH_MAX];
	const char *p[2] = { c->in->email, NULL };
	PGresult *res = NULL;
	enum anx_err err;
	long failures = 0;
	int known = 0, ok;

	c->out->status = ANX_LOGIN_BAD;
	if ((err = throttle_begin(db, c->param, c->hex, &c->out->retry_after)) != ANX_OK)
		return err;
	if (c->out->retry_after > 0) {
		c->out->status = ANX_LOGIN_LOCKED;
		anx_log(ANX_LOG_INFO, "login_throttled", LF_STR("account", c->hex + 52),
			LF_INT("retry_after", c->out->retry_after), ANX_LF_END);
		return ANX_OK;
	}
	if ((err = anx_db_exec(db, SQL_LOGIN_USER, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 2), "f") == 0) {
		known = 1;
		ok = anx_password_verify(PQgetvalue(res, 0, 1), c->in->password);
	} else {
		(void)anx_password_verify(dummy_hash(), c->in->password);
		ok = 0;
	}
	if (!ok) {
		PQclear(res);
		if ((err = throttle_fail(db, c->param, &failures)) != ANX_OK)
			return err;
		anx_log(ANX_LOG_INFO, "user.login_failed", LF_STR("account", c->hex + 52),
			LF_BOOL("known", known), LF_INT("failures", failures),
			LF_STR("remote_addr", c->in->remote_addr), ANX_LF_END);
		return ANX_OK;
	}
	snprintf(c->out->user_id, sizeof(c->out->user_id), "%s", PQgetvalue(res, 0, 0));
	if (anx_password_needs_rehash(PQgetvalue(res, 0, 1)) &&
		anx_password_hash(c->in->password, newhash, sizeof(newhash)) == 0) {
		p[0] = c->out->user_id;
		p[1] = newhash;
		err = anx_db_exec(db, SQL_REHASH, 2, p, NULL);
	}
	PQclear(res);
	if (err != ANX_OK || (err = throttle_clear(db, c->param)) != ANX_OK ||
		(err = anx_session_revoke(db, c->in->old_session)) != ANX_OK ||
		(err = sessions_tidy(db, c->out->user_id)) != ANX_OK ||
		(err = anx_session_create(db, c->out->user_id, NULL, c->in->remote_addr,
			 c->in->user_agent, c->out->session_id)) != ANX_OK)
		return err;
	c->out->status = ANX_LOGIN_OK;
	anx_log(ANX_LOG_INFO, "user.login", LF_STR("user_id", c->out->user_id),
		LF_STR("remote_addr", c->in->remote_addr), ANX_LF_END);
	return ANX_OK;
}

enum anx_err
anx_account_login(struct anx_db *db, const struct anx_login *in, struct anx_login_out *out)
{
	struct login_ctx c;
	char email[ANX_EMAIL_MAX + 1];
	struct anx_login norm = *in;
	enum anx_err err;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	/* An address that cannot exist still goes through the same motions. */
	if (anx_email_normalize(in->email, email, sizeof(email)) != 0)
		snprintf(email, sizeof(email), "%.*s", ANX_EMAIL_MAX, in->email ? in->email : "");
	norm.email = email;
	if (norm.password == NULL || strlen(norm.password) > ANX_PASSWORD_MAX)
		norm.password = "";
	c.in = &norm;
	c.out = out;
	account_key(email, c.param, c.hex);
	err = anx_db_tx(db, login_tx, &c);
	if (err != ANX_OK || out->status != ANX_LOGIN_OK)
		anx_secure_zero(out->session_id, sizeof(out->session_id));
	return err;
}

/* ---- password reset ----------------------------------------------------- */

static const char SQL_FORGOT_USER[] =
	"SELECT id, display_name, email FROM users WHERE lower(email) = lower($1)"
	" AND disabled_at IS NULL FOR UPDATE";
static const char SQL_RESETS_RECENT[] = "SELECT count(*) FROM password_resets WHERE user_id = $1"
					" AND created_at > now() - interval '1 hour'";
static const char SQL_RESET_INSERT[] =
	"INSERT INTO password_resets (user_id, token_hash, expires_at, remote_addr)"
	" VALUES ($1, $2::bytea, now() + $3::int * interval '1 second', left($4, 64))"
	" RETURNING " ANX_SQL_TS("expires_at");

struct forgot_ctx {
	const char *email, *remote_addr;
};

static enum anx_err
forgot_tx(struct anx_db *db, void *arg)
{
	struct forgot_ctx *c = arg;
	char token[ANX_TOKEN_LEN + 1], hash[ANX_TOKEN_HASH_PARAM], ttl[16], count[24];
	char expires[ANX_TS_LEN + 8];
	const char *p[4] = { c->email, NULL, NULL, NULL };
	struct anx_mail mail;
	json_object *ctx = NULL;
	PGresult *res = NULL;
	enum anx_err err;

	if ((err = anx_db_exec(db, SQL_FORGOT_USER, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		anx_log(ANX_LOG_INFO, "password_reset_unknown",
			LF_STR("remote_addr", c->remote_addr), ANX_LF_END);
		goto out;
	}
	p[0] = PQgetvalue(res, 0, 0);
	if ((err = anx_db_value(db, SQL_RESETS_RECENT, 1, p, count, sizeof(count))) != ANX_OK)
		goto out;
	if (atol(count) >= ANX_RESETS_PER_HOUR) {
		anx_log(ANX_LOG_WARN, "password_reset_throttled", LF_STR("user_id", p[0]),
			LF_STR("remote_addr", c->remote_addr), ANX_LF_END);
		goto out;
	}
	if (anx_token_new(token) != 0) {
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	anx_token_hash_param(token, hash);
	snprintf(ttl, sizeof(ttl), "%d", ANX_RESET_TTL_SECONDS);
	p[1] = hash;
	p[2] = ttl;
	p[3] = c->remote_addr;
	if ((err = anx_db_value(db, SQL_RESET_INSERT, 4, p, expires, sizeof(expires))) != ANX_OK)
		goto out;
	ctx = json_object_new_object();
	json_object_object_add(ctx, "token", json_object_new_string(token));
	if (*PQgetvalue(res, 0, 1))
		json_object_object_add(ctx, "name", json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(ctx, "expires_at", json_object_new_string(expires));
	memset(&mail, 0, sizeof(mail));
	mail.kind = ANX_MAIL_PASSWORD_RESET;
	mail.to = PQgetvalue(res, 0, 2);
	mail.scrub_after_send = 1; /* the link is a credential */
	err = anx_mail_enqueue_template(db, &mail, ctx);
	if (err == ANX_OK)
		anx_log(ANX_LOG_INFO, "password_reset_sent", LF_STR("user_id", p[0]), ANX_LF_END);
out:
	anx_secure_zero(token, sizeof(token));
	json_object_put(ctx);
	PQclear(res);
	return err;
}

enum anx_err
anx_account_forgot(struct anx_db *db, const char *email, const char *remote_addr)
{
	char norm[ANX_EMAIL_MAX + 1];
	struct forgot_ctx c = { norm, remote_addr };

	if (anx_email_normalize(email, norm, sizeof(norm)) != 0)
		return ANX_ERR_VALIDATION;
	return anx_db_tx(db, forgot_tx, &c);
}

static const char SQL_RESET_LOOKUP[] =
	"SELECT u.email FROM password_resets r JOIN users u ON u.id = r.user_id"
	" WHERE r.token_hash = $1::bytea AND r.used_at IS NULL AND r.expires_at > now()"
	" AND u.disabled_at IS NULL";

enum anx_err
anx_account_reset_lookup(struct anx_db *db, const char *token, char email_out[ANX_EMAIL_MAX + 1])
{
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[1] = { hash };

	email_out[0] = '\0';
	if (!anx_token_valid(token))
		return ANX_ERR_NOT_FOUND;
	anx_token_hash_param(token, hash);
	return anx_db_value(db, SQL_RESET_LOOKUP, 1, p, email_out, ANX_EMAIL_MAX + 1);
}

static const char SQL_RESET_CLAIM[] =
	"SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id"
	" WHERE r.token_hash = $1::bytea AND r.used_at IS NULL AND r.expires_at > now()"
	" AND u.disabled_at IS NULL FOR UPDATE OF r";
static const char SQL_SET_PASSWORD[] =
	"UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1";
static const char SQL_RESETS_USED[] =
	"UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL";

struct newpw_ctx {
	const char *token;   /* reset: the link token */
	const char *user_id; /* change: the user */
	const char *hash;    /* the new password's hash */
	const char *param;   /* the throttle key to clear */
	const char *remote_addr, *user_agent;
	char *session;
	char uid[37];
};

/* Sets the password and rotates every session; shared by reset and
 * change. c->uid must be the user. */
static enum anx_err
set_password(struct anx_db *db, struct newpw_ctx *c, const char *via)
{
	const char *p[2] = { c->uid, c->hash };
	enum anx_err err;

	if ((err = anx_db_exec(db, SQL_SET_PASSWORD, 2, p, NULL)) != ANX_OK ||
		(err = anx_db_exec(db, SQL_RESETS_USED, 1, p, NULL)) != ANX_OK ||
		(err = anx_session_revoke_user(db, c->uid)) != ANX_OK ||
		(err = throttle_clear(db, c->param)) != ANX_OK ||
		(err = audit_everywhere(db, c->uid, "user.password_changed", via)) != ANX_OK ||
		(err = sessions_tidy(db, c->uid)) != ANX_OK)
		return err;
	err = anx_session_create(db, c->uid, NULL, c->remote_addr, c->user_agent, c->session);
	if (err == ANX_OK)
		anx_log(ANX_LOG_INFO, "user.password_changed", LF_STR("user_id", c->uid),
			LF_STR("via", via), ANX_LF_END);
	return err;
}

static enum anx_err
reset_tx(struct anx_db *db, void *arg)
{
	struct newpw_ctx *c = arg;
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[1] = { hash };
	enum anx_err err;

	anx_token_hash_param(c->token, hash);
	if ((err = anx_db_value(db, SQL_RESET_CLAIM, 1, p, c->uid, sizeof(c->uid))) != ANX_OK)
		return err;
	return set_password(db, c, "reset");
}

enum anx_err
anx_account_reset(struct anx_db *db, const char *token, const char *password,
	const char *remote_addr, const char *user_agent, struct anx_verrs *e,
	char session_out[ANX_TOKEN_LEN + 1])
{
	char email[ANX_EMAIL_MAX + 1], hash[ANX_PASSWORD_HASH_MAX], param[ANX_TOKEN_HASH_PARAM];
	char hex[65];
	struct newpw_ctx c;
	enum anx_pw_problem pw;
	enum anx_err err;

	session_out[0] = '\0';
	if ((err = anx_account_reset_lookup(db, token, email)) != ANX_OK)
		return err;
	if ((pw = anx_password_policy(password, email, NULL)) != ANX_PW_OK) {
		anx_verrs_add(e, "password", "%s", anx_pw_problem_message(pw));
		return ANX_ERR_VALIDATION;
	}
	if (anx_password_hash(password, hash, sizeof(hash)) != 0)
		return ANX_ERR_INTERNAL;
	account_key(email, param, hex);
	memset(&c, 0, sizeof(c));
	c.token = token;
	c.hash = hash;
	c.param = param;
	c.remote_addr = remote_addr;
	c.user_agent = user_agent;
	c.session = session_out;
	err = anx_db_tx(db, reset_tx, &c);
	anx_secure_zero(hash, sizeof(hash));
	if (err != ANX_OK)
		anx_secure_zero(session_out, ANX_TOKEN_LEN + 1);
	return err;
}

/* ---- password change ---------------------------------------------------- */

static const char SQL_USER_BY_ID[] = "SELECT email, password_hash, display_name FROM users WHERE "
				     "id = $1 AND disabled_at IS NULL";

struct change_ctx {
	struct newpw_ctx np;
	const char *current;
	const char *hex;
	long retry_after;
	int wrong;
};

static enum anx_err
change_tx(struct anx_db *db, void *arg)
{
	struct change_ctx *c = arg;
	const char *p[1] = { c->np.uid };
	PGresult *res;
	enum anx_err err;
	long failures;
	int ok;

	c->wrong = 0;
	if ((err = throttle_begin(db, c->np.param, c->hex, &c->retry_after)) != ANX_OK)
		return err;
	if (c->retry_after > 0)
		return ANX_OK;
	if ((err = anx_db_exec(db, SQL_USER_BY_ID, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	ok = anx_password_verify(PQgetvalue(res, 0, 1), c->current);
	PQclear(res);
	if (!ok) {
		c->wrong = 1;
		return throttle_fail(db, c->np.param, &failures);
	}
	return set_password(db, &c->np, "change");
}

enum anx_err
anx_account_change_password(struct anx_db *db, const char *user_id, const char *current,
	const char *password, const char *remote_addr, const char *user_agent, struct anx_verrs *e,
	long *retry_after, char session_out[ANX_TOKEN_LEN + 1])
{
	char email[ANX_EMAIL_MAX + 1], name[4 * ANX_DISPLAY_NAME_MAX + 1];
	char hash[ANX_PASSWORD_HASH_MAX], param[ANX_TOKEN_HASH_PARAM], hex[65];
	const char *p[1] = { user_id };
	struct change_ctx c;
	enum anx_pw_problem pw;
	PGresult *res;
	enum anx_err err;

	*retry_after = 0;
	session_out[0] = '\0';
	if (current == NULL || strlen(current) > ANX_PASSWORD_MAX)
		current = "";
	if ((err = anx_db_exec(db, SQL_USER_BY_ID, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	snprintf(email, sizeof(email), "%s", PQgetvalue(res, 0, 0));
	snprintf(name, sizeof(name), "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	if (*current == '\0')
		anx_verrs_add(e, "current_password", "Enter your current password.");
	if ((pw = anx_password_policy(password, email, name)) != ANX_PW_OK)
		anx_verrs_add(e, "password", "%s", anx_pw_problem_message(pw));
	else if (strcmp(password, current) == 0)
		anx_verrs_add(e, "password", "Choose a password different from the current one.");
	if (e->n > 0)
		return ANX_ERR_VALIDATION;
	if (anx_password_hash(password, hash, sizeof(hash)) != 0)
		return ANX_ERR_INTERNAL;
	account_key(email, param, hex);
	memset(&c, 0, sizeof(c));
	snprintf(c.np.uid, sizeof(c.np.uid), "%s", user_id);
	c.np.hash = hash;
	c.np.param = param;
	c.np.remote_addr = remote_addr;
	c.np.user_agent = user_agent;
	c.np.session = session_out;
	c.current = current;
	c.hex = hex;
	err = anx_db_tx(db, change_tx, &c);
	anx_secure_zero(hash, sizeof(hash));
	if (err == ANX_OK && c.retry_after > 0) {
		*retry_after = c.retry_after;
		err = ANX_ERR_RATE_LIMITED;
	} else if (err == ANX_OK && c.wrong) {
		anx_verrs_add(e, "current_password", "That is not your current password.");
		err = ANX_ERR_VALIDATION;
	}
	if (err != ANX_OK)
		anx_secure_zero(session_out, ANX_TOKEN_LEN + 1);
	return err;
}
